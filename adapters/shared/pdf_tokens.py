"""pyHanko's PDF tokens, read and written without a Python loop over each byte.

pyHanko 0.2x reads a PDF one byte at a time (``stream.read(1)`` in a generator for each name,
number and keyword, and again to skip each run of whitespace), decodes each name byte by byte,
and writes each name byte by byte. Parsing the three objects a signature needs from a 1-page
file cost about 0.45 ms, and writing its incremental update 700 ``write`` calls: most of a
1-page B-B signature, and a share of every upload check, inspection and validation.

``apply()`` swaps in eight functions that do the same with one chunk read, one regular
expression and one ``seek``, or once per distinct name:

- ``misc._read_until_class`` (under ``read_until_delimiter`` and ``read_until_whitespace``),
- ``misc.read_non_whitespace`` (comments still go to pyHanko's ``skip_over_comments``),
- ``generic._decode_name`` (cached; a malformed name still raises pyHanko's error each time),
- ``generic.read_hex_string_from_stream`` (a signature's /Contents, tens of kilobytes of hex
  read one ``read_non_whitespace`` per digit: 30 % of a document timestamp's time),
- ``NameObject.write_to_stream`` (the encoding computed once per name, written at once),
- ``IndirectObject.read_from_stream`` (``12 0 R``, read one byte at a time),
- ``ArrayObject.read_from_stream`` for an array of references only (a page tree's /Kids: 200
  pages cost 2 ms to read, one reference at a time),
- ``xref.parse_xref_table`` for a table of well-formed 20-byte lines (one read and two
  checks per line in pyHanko: 600 objects cost 1.5 ms).
Each takes its fast way only on the common, well-formed spelling and hands anything else to
pyHanko's own function from the same place.

Each returns what pyHanko's returns, leaves the stream where it leaves it and raises what it
raises: tests/adapters/test_pdf_tokens.py holds them against the originals (kept in
``ORIGINALS``) at every offset of PDFs written by Ghostscript, qpdf, cairo and by hand.
"""

from __future__ import annotations

import binascii
import functools
import os
import re
import sys
from typing import Any

from pyhanko.pdf_utils import generic, misc, xref

ORIGINALS = {
    "_read_until_class": misc._read_until_class,
    "read_non_whitespace": misc.read_non_whitespace,
    "_decode_name": generic._decode_name,
    "write_to_stream": generic.NameObject.write_to_stream,
    "read_hex_string_from_stream": generic.read_hex_string_from_stream,
    "read_indirect_reference": generic.IndirectObject.read_from_stream,
    "read_array": generic.ArrayObject.read_from_stream,
    "parse_xref_table": xref.parse_xref_table,
}
_CHUNK = 64  # a token or a run of whitespace is short: one read almost always holds it
_APPLIED = False


@functools.lru_cache(maxsize=16)
def _any_of(class_chars: bytes) -> re.Pattern[bytes]:
    return re.compile(b"[" + re.escape(class_chars) + b"]")


_NOT_WHITESPACE = re.compile(b"[^" + re.escape(misc.PDF_WHITESPACE) + b"]")


def read_until_class(class_chars: bytes, stream: Any, maxchars: int | None = None) -> tuple[bytes, bool]:
    """The bytes before the first of ``class_chars`` (which is consumed), and whether the
    stream ended first; at most ``maxchars`` bytes read."""
    pattern = _any_of(class_chars)
    parts = []
    left = maxchars
    while True:
        size = _CHUNK if left is None else min(_CHUNK, left)
        if size <= 0:
            return b"".join(parts), False
        start = stream.tell()
        chunk = stream.read(size)
        if not chunk:
            return b"".join(parts), True
        found = pattern.search(chunk)
        if found is not None:
            stream.seek(start + found.start() + 1)
            parts.append(chunk[: found.start()])
            return b"".join(parts), False
        parts.append(chunk)
        if left is not None:
            left -= len(chunk)


def read_non_whitespace(stream: Any, seek_back: bool = False, allow_eof: bool = False) -> bytes:
    """The next byte that is not PDF whitespace, comments skipped."""
    token = stream.read(1)
    if token and token not in misc.PDF_WHITESPACE and token != b"%":
        if seek_back:  # the usual case, a token right here: no chunk to read
            stream.seek(-1, os.SEEK_CUR)
        return token
    if token:
        stream.seek(-1, os.SEEK_CUR)
    while True:
        start = stream.tell()
        chunk = stream.read(_CHUNK)
        if not chunk:
            if allow_eof:
                return b""
            raise misc.PdfStreamError("Stream ended prematurely")
        found = _NOT_WHITESPACE.search(chunk)
        if found is None:
            continue
        position = start + found.start()
        token = chunk[found.start() : found.start() + 1]
        if token == b"%":
            stream.seek(position)
            misc.skip_over_comments(stream)
            continue
        stream.seek(position if seek_back else position + 1)
        return token


# What ends a run of hex digits: anything but a digit or whitespace ('>', a comment, a wrong byte).
_HEX_STOP = re.compile(b"[^" + re.escape(generic.HEX_DIGITS + misc.PDF_WHITESPACE) + b"]")
_HEX_CHUNK = 8192  # a signature's /Contents is tens of kilobytes of hex


def read_hex_string_from_stream(stream: Any) -> Any:
    """A hex string (``<…>``, the stream at its ``<``) as pyHanko reads it: whitespace and
    comments skipped, an odd last digit padded with 0, any other byte refused."""
    stream.read(1)
    digits = []
    while True:
        start = stream.tell()
        chunk = stream.read(_HEX_CHUNK)
        if not chunk:
            raise misc.PdfStreamError("Stream ended prematurely")
        found = _HEX_STOP.search(chunk)
        if found is None:
            digits.append(chunk.translate(None, misc.PDF_WHITESPACE))
            continue
        digits.append(chunk[: found.start()].translate(None, misc.PDF_WHITESPACE))
        token = chunk[found.start() : found.start() + 1]
        if token == b"%":
            stream.seek(start + found.start())
            misc.skip_over_comments(stream)
            continue
        if token != b">":
            stream.seek(start + found.start() + 1)
            raise misc.PdfStreamError("Unexpected token in hex string: " + repr(token))
        stream.seek(start + found.start() + 1)
        hex_digits = b"".join(digits)
        if len(hex_digits) % 2:
            hex_digits += b"0"
        return generic.pdf_string(binascii.unhexlify(hex_digits))


@functools.lru_cache(maxsize=4096)
def decode_name(name_bytes: bytes) -> generic.NameObject:
    return ORIGINALS["_decode_name"](name_bytes)  # a NameObject is an immutable str: one may be shared


@functools.lru_cache(maxsize=4096)
def _encoded(name: str) -> bytes:
    raw = name.encode("utf8")
    if raw[:1] != b"/":
        raise misc.PdfWriteError(f"Could not serialise name object {name!r}, must start with /")
    out = bytearray(b"/")
    for byte in raw[1:]:
        if byte == 0x23 or not (0x21 <= byte <= 0x7E) or not misc.is_regular_character(byte):
            out += f"#{byte:X}".encode("ascii")
        else:
            out.append(byte)
    return bytes(out)


def write_name(self: generic.NameObject, stream: Any, handler: Any = None, container_ref: Any = None) -> None:
    stream.write(_encoded(str(self)))


# The common spelling of a reference, "12 0 R": pyHanko reads it one byte at a time.
_REFERENCE = re.compile(rb"([0-9]+) ([0-9]+) R")


def read_indirect_reference(stream: Any, container_ref: Any) -> generic.IndirectObject:
    """``IndirectObject.read_from_stream``: a reference spelt with single spaces is read from one
    chunk; any other spelling, and every error, goes to pyHanko's own reader from the same place."""
    start = stream.tell()
    found = _REFERENCE.match(stream.read(_CHUNK))
    if found is not None and int(found.group(1)) > 0:
        stream.seek(start + found.end())
        return generic.IndirectObject(int(found.group(1)), int(found.group(2)), container_ref.get_pdf_handler())
    stream.seek(start)
    return ORIGINALS["read_indirect_reference"](stream, container_ref)


# An array of references only, each spelt "12 0 R", between PDF whitespace (no comment): a page
# tree's /Kids, a form's /Fields, a page's /Annots. pyHanko reads it element by element, and each
# reference as above. The chunk is read at once and the array taken whole from it when it fits.
_WS = b"[" + re.escape(misc.PDF_WHITESPACE) + b"]"
_REFERENCE_ARRAY = re.compile(rb"\[" + _WS + rb"*((?:[0-9]+ [0-9]+ R" + _WS + rb"*)*)\]")
_ARRAY_CHUNK = 4096


def read_array(stream: Any, container_ref: Any, in_content_stream: Any = generic.ContentOpReading.NO) -> Any:
    """``ArrayObject.read_from_stream``: an array of references only, as above, read from one
    chunk; anything else (and every error) goes to pyHanko's own reader from the same place.

    Each reference is one pyHanko would read as one: it takes a run of digits for a reference
    only if ``n g R`` and the byte after it fit in the 20 bytes it looks ahead."""
    start = stream.tell()
    if not in_content_stream:
        found = _REFERENCE_ARRAY.match(stream.read(_ARRAY_CHUNK))
        if found is not None:
            references = found.group(1).split()
            if all(int(references[i]) > 0 and len(references[i]) + len(references[i + 1]) + 4 <= 20
                   for i in range(0, len(references), 3)):
                handler = container_ref.get_pdf_handler()
                array = generic.ArrayObject()
                for i in range(0, len(references), 3):
                    reference = generic.IndirectObject(int(references[i]), int(references[i + 1]), handler)
                    reference.container_ref = container_ref
                    array.append(reference)
                stream.seek(start + found.end())
                return array
    stream.seek(start)
    return ORIGINALS["read_array"](stream, container_ref, in_content_stream=in_content_stream)


# A cross-reference subsection as the standard writes it: 20-byte lines, each ending in a space
# and a CR or LF, or in CR LF. pyHanko reads each line with its own read and its own checks.
_XREF_LINES = re.compile(rb"(?:[0-9]{10} [0-9]{5} [nf](?: \r| \n|\r\n))*")
_XREF_LINE = re.compile(rb"([0-9]{10}) ([0-9]{5}) ([nf])..", re.DOTALL)


def parse_xref_table(stream: Any, strict: bool) -> Any:
    """``xref.parse_xref_table``: a table whose subsections are all well formed is read one
    chunk per subsection and its entries made from the chunks; any other table (or any error on
    the way) is read again from its start by pyHanko's own function, so every tolerance and every
    error is pyHanko's."""
    start = stream.tell()
    entries = _well_formed_entries(stream)
    if entries is None:
        stream.seek(start)
        yield from ORIGINALS["parse_xref_table"](stream, strict)
        return
    yield from entries


def _well_formed_entries(stream: Any) -> list[Any] | None:
    """The entries of the table at the stream's position, the stream left where pyHanko leaves
    it; None if a line is not one of the standard's 20-byte lines, or anything else goes wrong."""
    entries = []
    try:
        misc.read_non_whitespace(stream)
        stream.seek(-1, os.SEEK_CUR)
        while True:
            num = generic.NumberObject.read_from_stream(stream)
            misc.read_non_whitespace(stream)
            stream.seek(-1, os.SEEK_CUR)
            size = generic.NumberObject.read_from_stream(stream)
            misc.read_non_whitespace(stream)
            stream.seek(-1, os.SEEK_CUR)
            block = stream.read(20 * size) if size > 0 else b""
            if len(block) != 20 * size or _XREF_LINES.fullmatch(block) is None:
                return None
            for offset, generation, marker in _XREF_LINE.findall(block):
                location = int(offset) if marker == b"n" else None
                kind = xref.XRefType.STANDARD if marker == b"n" else xref.XRefType.FREE
                entries.append(xref.XRefEntry(xref_type=kind, location=location, idnum=num,
                                              generation=int(generation)))
                num += 1
            misc.read_non_whitespace(stream)
            stream.seek(-1, os.SEEK_CUR)
            if stream.read(7) == b"trailer":
                misc.read_non_whitespace(stream)
                stream.seek(-1, os.SEEK_CUR)
                return entries
            stream.seek(-7, os.SEEK_CUR)
    except Exception:  # noqa: BLE001 - pyHanko's own reading says what is wrong, from the start
        return None


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    misc._read_until_class = read_until_class
    generic._decode_name = decode_name
    generic.read_hex_string_from_stream = read_hex_string_from_stream
    generic.NameObject.write_to_stream = write_name  # type: ignore[method-assign]
    generic.IndirectObject.read_from_stream = staticmethod(read_indirect_reference)  # type: ignore[method-assign]
    generic.ArrayObject.read_from_stream = staticmethod(read_array)  # type: ignore[method-assign]
    xref.parse_xref_table = parse_xref_table
    # read_non_whitespace is imported by name (generic, and maybe others): replace every copy.
    original = ORIGINALS["read_non_whitespace"]
    for name, module in list(sys.modules.items()):
        if name.startswith("pyhanko") and getattr(module, "read_non_whitespace", None) is original:
            module.read_non_whitespace = read_non_whitespace  # type: ignore[attr-defined]
    _APPLIED = True


__all__ = ["ORIGINALS", "apply", "decode_name", "parse_xref_table", "read_array", "read_hex_string_from_stream",
           "read_indirect_reference", "read_non_whitespace", "read_until_class", "write_name"]
