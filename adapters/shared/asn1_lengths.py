"""asn1crypto's test for BER's indefinite length, corrected.

asn1crypto 1.5.1 (its last release) decides that a value was encoded with an indefinite length
when the last byte of its header is 0x80 (wbond/asn1crypto#249, open; the fix, #302, was closed
unmerged). A definite length whose last byte is 0x80 (1,920 bytes: ``30 82 07 80``) passes that
test too, so ``dump()`` re-encodes the value by force: it parses every lazy child, and parsing a
field left at its default (the hash algorithm of an ESSCertIDv2, in every time-stamp token)
builds a fresh value that asn1crypto then counts as modified for good. Every enclosing level
re-encodes its children twice from then on: a 4 kB signature CMS whose time-stamp token was
1,920 bytes long took 10-20 s to write instead of a millisecond (one token length in 256; seen
in the CSC tests, and possible on any B-T signature or document time-stamp).

``apply()`` wraps the five ``dump`` methods that make that test: a header whose last byte is 0x80
but whose length is definite is answered from the encoding asn1crypto already holds, as it would
for any other definite length; a value really encoded with an indefinite length still goes to
asn1crypto's own code, which turns it into DER. The wrappers are correct whether or not a later
asn1crypto fixes its test, so they stay unconditional.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from asn1crypto import core

_APPLIED = False


def ends_with_indefinite_length(header: bytes) -> bool:
    """Whether the last of the identifier-and-length headers in ``header`` (an explicit tag's
    header comes before the value's own) uses BER's indefinite form (a lone 0x80)."""
    position, indefinite = 0, False
    try:
        while position < len(header):
            first = header[position]
            position += 1
            if first & 0x1F == 0x1F:  # high tag number: base-128 digits, the last without bit 8
                while header[position] & 0x80:
                    position += 1
                position += 1
            length = header[position]
            position += 1
            indefinite = length == 0x80
            if length > 0x80:
                position += length & 0x7F
    except IndexError:
        return True  # not a header we can read: leave it to asn1crypto, as before
    return indefinite


def _wrap_value_dump(original: Callable[..., bytes]) -> Callable[..., bytes]:
    @functools.wraps(original)
    def dump(self: Any, force: bool = False) -> bytes:
        header = self._header
        # Every dump passes here: the cheap byte test first, the header read only when it matches.
        if force or header is None or header[-1:] != b"\x80" or ends_with_indefinite_length(header):
            return original(self, force)
        contents = self.contents  # a modified Sequence re-encodes here and drops its header
        if self._header is not header or contents is None:
            return original(self, False)  # the header is rebuilt, from the new contents
        return header + contents + (self._trailer or b"")
    return dump


def _wrap_choice_dump(original: Callable[..., bytes]) -> Callable[..., bytes]:
    @functools.wraps(original)
    def dump(self: Any, force: bool = False) -> bytes:
        header = self._header
        # The same guard as _wrap_value_dump's, written out: a helper call here cost a function
        # call per dump (1.2 million in the ceremony tests' profile).
        if force or header is None or header[-1:] != b"\x80" or ends_with_indefinite_length(header):
            return original(self, force)
        # What Choice.dump does for a definite length: the chosen value's encoding under the header.
        self._contents = self.chosen.dump()
        return header + self._contents
    return dump


def apply() -> None:
    """Install the corrected test (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    for cls in (core.Asn1Value, core.Primitive, core.Sequence, core.SequenceOf):
        cls.dump = _wrap_value_dump(cls.__dict__["dump"])
    core.Choice.dump = _wrap_choice_dump(core.Choice.__dict__["dump"])
    _APPLIED = True
