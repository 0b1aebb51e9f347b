"""The evidence report's line wrapping is textwrap's, whatever the line (adapters/pdf/evidence_report.py)."""

from __future__ import annotations

import random
import textwrap

import pytest

from adapters.pdf.evidence_report import wrapped

_PIECES = ["a", "é", "Signé", " ", "  ", "\t", "\n", "\r", "\xa0", "\u2009", "-", "—", "«", "»", "\x00",
           "x" * 40, "anticonstitutionnellement", "0123456789abcdef" * 4]


@pytest.mark.parametrize("seed", range(40))
def test_every_line_wraps_as_textwrap_wraps_it(seed):
    rng = random.Random(seed)
    for _ in range(250):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30)))
        for width in (10, 99, 100, 101):
            assert wrapped(text, width) == textwrap.wrap(text, width), (text, width)


@pytest.mark.parametrize("text", ["", " ", "   ", "a ", " a", "   signé le 7 décembre", "x" * 100, "x" * 101,
                                  "tab\there", "fin\n", "ligne\xa0insécable"])
def test_edge_lines_wrap_as_textwrap_wraps_them(text):
    assert wrapped(text, 100) == textwrap.wrap(text, 100)
