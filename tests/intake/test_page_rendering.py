"""Page images for the wizard: real PNGs of the requested width, proportional height."""

from __future__ import annotations

import struct
import zlib

import pytest

from adapters.pdf.rendering import PdfiumPageRenderer
from domain.model.errors import InvalidValue, NotFound
from ports.pdf_rendering import PdfPageRenderer
from tests.intake import corpus


def png_size_and_pixels(png: bytes) -> tuple[int, int, bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    idat, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if kind == b"IDAT":
            idat += png[offset + 8:offset + 8 + length]
        offset += 12 + length
    return width, height, zlib.decompress(idat)


def test_the_renderer_conforms_to_the_port():
    assert isinstance(PdfiumPageRenderer(), PdfPageRenderer)


def test_a_page_renders_at_the_width_asked_with_its_proportions():
    png = PdfiumPageRenderer().render_png(corpus.minimal_pdf(pages=2), page=2, width_px=300)
    width, height, raw = png_size_and_pixels(png)
    assert width == 300 and abs(height - round(300 * 842 / 595)) <= 1
    assert len(raw) == height * (1 + width * 3)
    # White paper with some dark text drawn on it.
    assert b"\xff\xff\xff" in raw and any(byte < 100 for byte in raw)


def test_a_missing_page_is_not_found():
    with pytest.raises(NotFound):
        PdfiumPageRenderer().render_png(corpus.minimal_pdf(pages=1), page=2, width_px=200)


def test_an_absurd_width_is_refused():
    with pytest.raises(InvalidValue):
        PdfiumPageRenderer().render_png(corpus.minimal_pdf(), page=1, width_px=10_000)
