"""pyHanko's token functions and ours (adapters/shared/pdf_tokens.py) agree everywhere.

At every offset of PDFs written by Ghostscript, qpdf, cairo, pyHanko and by hand (and of
damaged ones), each of our functions returns what pyHanko's returns, leaves the stream at the
same position and raises the same error; then whole files are read and signed through pyHanko
with ours in place.
"""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic, misc, xref
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.shared import pdf_tokens
from tests.conftest import require_service
from tests.intake import corpus

ORIGINAL = pdf_tokens.ORIGINALS


def _hand_written() -> bytes:
    return corpus.minimal_pdf(pages=2)


def _odd_bytes() -> bytes:
    # Comments, every whitespace byte, escaped and malformed names, a truncated end.
    return (b"%PDF-1.7\n% a comment\r\n<< /Type /Catalog /A#20B 1 /Bad#Z /#41\x00/x\t\f[1 2%c\n3]"
            b"/N#e9 (str) <ab> >>\n%%EOF   \x00\r\n% trailing comment without newline")


def _ghostscript() -> bytes:
    require_service(corpus.ghostscript_available(), "Ghostscript (scripts/system_deps.sh)")
    return corpus.ghostscript_pdf("1.7", pages=1)


def _qpdf_object_streams() -> bytes:
    require_service(corpus.qpdf_available(), "qpdf (scripts/system_deps.sh)")
    return corpus.object_streams_pdf()


def _cairo() -> bytes:
    require_service(corpus.poppler_available(), "poppler-utils (scripts/system_deps.sh)")
    return corpus.cairo_pdf()


SOURCES = {"hand-written": _hand_written, "odd-bytes": _odd_bytes, "ghostscript": _ghostscript,
           "qpdf-object-streams": _qpdf_object_streams, "cairo": _cairo, "pyhanko": corpus.pyhanko_pdf,
           "truncated": corpus.truncated_pdf}
LIMIT = 24_000  # bytes of each file tried at every offset: headers, objects and the trailer's start


def _outcome(function, data: bytes, offset: int, *args, **kwargs):
    stream = io.BytesIO(data)
    stream.seek(offset)
    try:
        result = function(*args[:1], stream, *args[1:], **kwargs) if args else function(stream, **kwargs)
    except Exception as exc:  # the same error type, at the same place
        return ("raised", type(exc), stream.tell())
    return (result, stream.tell())


def _offsets(data: bytes) -> list[int]:
    head = range(min(len(data), LIMIT))
    tail = range(max(LIMIT, len(data) - 2_000), len(data) + 1)
    return [*head, *tail]


@pytest.mark.parametrize("source", SOURCES)
def test_tokens_and_whitespace_are_read_as_pyhanko_reads_them(source):
    data = SOURCES[source]()
    classes = [misc.PDF_WHITESPACE, misc.PDF_WHITESPACE + misc.PDF_DELIMITERS]
    for offset in _offsets(data):
        for class_chars in classes:
            for maxchars in (None, 1, 20, 100):
                assert (_outcome(pdf_tokens.read_until_class, data, offset, class_chars, maxchars=maxchars)
                        == _outcome(ORIGINAL["_read_until_class"], data, offset, class_chars, maxchars=maxchars)), \
                    (offset, class_chars, maxchars)
        for options in ({}, {"seek_back": True}, {"allow_eof": True}):
            assert (_outcome(pdf_tokens.read_non_whitespace, data, offset, **options)
                    == _outcome(ORIGINAL["read_non_whitespace"], data, offset, **options)), (offset, options)


HEX_STRINGS = [b"<>", b"<4142>", b"<41 42\n43>", b"<414>", b"<41%comment\r\n42>", b"<41%c\n>", b"<4G>", b"<41",
               b"<41 42", b"<%only a comment", b"<" + b"0123456789abcdefABCDEF \n" * 2000 + b">trailing",
               b"<41\x0042\f43\t>"]


@pytest.mark.parametrize("data", HEX_STRINGS, ids=range(len(HEX_STRINGS)))
def test_a_hex_string_is_read_as_pyhanko_reads_it(data):
    for offset in (0, len(data) // 2):
        assert (_outcome(pdf_tokens.read_hex_string_from_stream, data, offset)
                == _outcome(ORIGINAL["read_hex_string_from_stream"], data, offset)), offset


@pytest.mark.parametrize("source", ["hand-written", "ghostscript", "qpdf-object-streams", "cairo", "pyhanko",
                                    "signed"])
def test_every_hex_string_of_a_file_is_read_as_pyhanko_reads_it(source):
    data = corpus.signed_pdf() if source == "signed" else SOURCES[source]()
    starts = [i for i in range(len(data)) if data[i:i + 1] == b"<" and data[i + 1:i + 2] != b"<"]
    assert starts
    for offset in starts:
        assert (_outcome(pdf_tokens.read_hex_string_from_stream, data, offset)
                == _outcome(ORIGINAL["read_hex_string_from_stream"], data, offset)), offset


@pytest.mark.parametrize("raw", [b"Type", b"A#20B", b"#41", b"N#e9", b"Sign#C3#A9", b"", b"Bad#Z", b"Bad#4",
                                 b"sp ace", b"x\x00", b"\xe9"])
def test_a_name_is_decoded_as_pyhanko_decodes_it_every_time(raw):
    def outcome(decode):
        try:
            return decode(raw)
        except Exception as exc:
            return type(exc)

    expected = outcome(ORIGINAL["_decode_name"])
    assert outcome(pdf_tokens.decode_name) == expected
    assert outcome(pdf_tokens.decode_name) == expected  # and again, from the cache


NAMES = ["/Type", "/Sig", "/Adobe.PPKLite", "/ETSI.CAdES.detached", "/A#B", "/Name With Space", "/Tab\there",
         "/(paren)", "/[bracket]", "/<angle>", "/{brace}", "/per%cent", "/sl/ash", "/Signé", "/Ünïcødé€", "/",
         "/~!@$^&*-_=+;:'\",.?", "/\x7f\x00\x1f"]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_is_written_as_pyhanko_writes_it(name):
    def written(write):
        stream = io.BytesIO()
        write(generic.NameObject(name), stream)
        return stream.getvalue()

    assert written(pdf_tokens.write_name) == written(ORIGINAL["write_to_stream"])


def test_a_name_without_its_slash_is_refused_as_before():
    for write in (pdf_tokens.write_name, ORIGINAL["write_to_stream"]):
        with pytest.raises(misc.PdfWriteError):
            write(generic.NameObject("NoSlash"), io.BytesIO())


def test_signing_reads_and_writes_pdfs_with_our_tokens_in_place():
    import adapters.signing.pyhanko_signing  # noqa: F401  (applies them)

    assert misc._read_until_class is pdf_tokens.read_until_class
    assert misc.read_non_whitespace is generic.read_non_whitespace is pdf_tokens.read_non_whitespace
    assert generic._decode_name is pdf_tokens.decode_name
    assert generic.read_hex_string_from_stream is pdf_tokens.read_hex_string_from_stream
    assert generic.NameObject.write_to_stream is pdf_tokens.write_name
    assert generic.IndirectObject.read_from_stream is pdf_tokens.read_indirect_reference
    assert generic.ArrayObject.read_from_stream is pdf_tokens.read_array
    assert xref.parse_xref_table is pdf_tokens.parse_xref_table


@pytest.mark.parametrize("source", ["hand-written", "ghostscript", "qpdf-object-streams", "cairo", "pyhanko"])
def test_every_object_of_a_file_reads_the_same_with_ours(source, monkeypatch):
    import adapters.signing.pyhanko_signing  # noqa: F401

    data = SOURCES[source]()

    def every_object() -> list[str]:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        objects = []
        for ref in sorted(reader.xrefs.explicit_refs_in_revision(0), key=lambda r: (r.idnum, r.generation)):
            value = reader.get_object(ref)
            if isinstance(value, generic.StreamObject):
                value = (dict(value), value.encoded_data)
            objects.append(repr(value))
        return objects

    ours = every_object()
    monkeypatch.setattr(misc, "_read_until_class", ORIGINAL["_read_until_class"])
    monkeypatch.setattr(misc, "read_non_whitespace", ORIGINAL["read_non_whitespace"])
    monkeypatch.setattr(generic, "read_non_whitespace", ORIGINAL["read_non_whitespace"])
    monkeypatch.setattr(generic, "_decode_name", ORIGINAL["_decode_name"])
    monkeypatch.setattr(generic, "read_hex_string_from_stream", ORIGINAL["read_hex_string_from_stream"])
    monkeypatch.setattr(generic.IndirectObject, "read_from_stream", staticmethod(ORIGINAL["read_indirect_reference"]))
    monkeypatch.setattr(generic.ArrayObject, "read_from_stream", staticmethod(ORIGINAL["read_array"]))
    monkeypatch.setattr(xref, "parse_xref_table", ORIGINAL["parse_xref_table"])
    assert ours == every_object()
    assert len(ours) > 3


class _Container:
    """What a reader passes as ``container_ref``: the handler of the references read under it."""

    def get_pdf_handler(self):
        return None


def _read(function, data: bytes, offset: int, *args):
    """(what was read, its elements' container refs, where the stream stopped), or the error."""
    stream = io.BytesIO(data)
    stream.seek(offset)
    try:
        result = function(stream, *args)
    except Exception as exc:
        return ("raised", type(exc), stream.tell())
    if isinstance(result, list):  # pyHanko's objects compare by value (a reference by number)
        return (result, [(type(item), type(item.container_ref)) for item in result], stream.tell())
    return (result, type(result), stream.tell())


ARRAYS = [b"[1 0 R 2 0 R]", b"[ 1 0 R\n2 0 R ]", b"[1 0 R2 0 R]", b"[1 0 Rx]", b"[0 0 R]", b"[1 0 R 0 0 R]",
          b"[123456789012345678 0 R]", b"[1234567890123456 0 R]", b"[123456789012345 0 R]", b"[1 0 R %c\n 2 0 R]",
          b"[]", b"[ ]", b"[1 2 3]", b"[1 0 R /Name]", b"[1 0 R 2 0", b"[1  0 R]", b"[\x001 0 R\x00]", b"[1 0 R",
          b"[" + b" ".join(b"%d 0 R" % n for n in range(1, 1001)) + b"]", b"[1 0 R]]", b"[1 0 R\t\f\r\n]",
          b"[[1 0 R] 2 0 R]", b"[-1 0 R]", b"[1 -1 R]", b"[1 0 obj]", b"x[1 0 R]"]


@pytest.mark.parametrize("data", ARRAYS, ids=range(len(ARRAYS)))
def test_an_array_of_references_is_read_as_pyhanko_reads_it(data):
    container = _Container()
    for offset in range(min(len(data), 40)):
        for content in (generic.ContentOpReading.NO, generic.ContentOpReading.GRAPHIC_OPS):
            assert (_read(pdf_tokens.read_array, data, offset, container, content)
                    == _read(ORIGINAL["read_array"], data, offset, container, content)), (offset, content)
        assert (_read(pdf_tokens.read_indirect_reference, data, offset, container)
                == _read(ORIGINAL["read_indirect_reference"], data, offset, container)), offset


@pytest.mark.parametrize("source", SOURCES)
def test_every_array_and_reference_of_a_file_is_read_as_pyhanko_reads_it(source):
    data = SOURCES[source]()
    container = _Container()
    arrays = [i for i in range(len(data)) if data[i:i + 1] == b"["]
    numbers = [i for i in range(min(len(data), LIMIT)) if data[i:i + 1].isdigit()]
    assert arrays or source in ("truncated", "odd-bytes")
    for offset in arrays:
        assert (_read(pdf_tokens.read_array, data, offset, container)
                == _read(ORIGINAL["read_array"], data, offset, container)), offset
    for offset in numbers:
        assert (_read(pdf_tokens.read_indirect_reference, data, offset, container)
                == _read(ORIGINAL["read_indirect_reference"], data, offset, container)), offset


XREF_TABLES = {
    "standard": b"0 3\n0000000000 65535 f \n0000000015 00000 n \n0000000074 00000 n \ntrailer\n<<>>",
    "crlf": b"0 2\r\n0000000000 65535 f\r\n0000000015 00000 n\r\ntrailer\r\n<<>>",
    "space-cr": b"0 2\n0000000000 65535 f \r0000000015 00000 n \rtrailer <<>>",
    "21-byte lines": b"0 2\n0000000000 65535 f \r\n0000000015 00000 n \r\ntrailer\n<<>>",
    "19-byte lines": b"0 2\n0000000000 65535 f\n0000000015 00000 n\ntrailer\n<<>>",
    "subsections": b"0 1\n0000000000 65535 f \n5 2\n0000000100 00000 n \n0000000200 00001 n \ntrailer\n<<>>",
    "bad marker": b"0 2\n0000000000 65535 f \n0000000015 00000 x \ntrailer\n<<>>",
    "space-padded": b"0 2\n0000000000 65535 f \n        15     0 n \ntrailer\n<<>>",
    "truncated": b"0 3\n0000000000 65535 f \n00000000",
    "empty subsection": b"0 0\ntrailer\n<<>>",
    "short count": b"0 3\n0000000000 65535 f \n0000000015 00000 n \ntrailer\n<<>>",
    "long count": b"0 1\n0000000000 65535 f \n0000000015 00000 n \ntrailer\n<<>>",
    "letters": b"0 1\n00000000a0 65535 f \ntrailer\n<<>>",
    "generation overflow": b"1 1\n0000000015 99999 n \ntrailer\n<<>>",
    "no trailer": b"0 1\n0000000000 65535 f \nxref",
    "large": b"0 600\n" + b"".join(b"%010d 00000 n \n" % (n * 97) for n in range(600)) + b"trailer\n<<>>",
}


def _xref(function, data: bytes, offset: int, strict: bool):
    stream = io.BytesIO(data)
    stream.seek(offset)
    entries = []
    try:
        for entry in function(stream, strict):
            entries.append(entry)
    except Exception as exc:
        return (entries, "raised", type(exc), stream.tell())
    return (entries, stream.tell())


@pytest.mark.parametrize("name", XREF_TABLES)
def test_a_cross_reference_table_is_read_as_pyhanko_reads_it(name):
    data = XREF_TABLES[name]
    for offset in (0, 1, 2):
        for strict in (True, False):
            assert (_xref(pdf_tokens.parse_xref_table, data, offset, strict)
                    == _xref(ORIGINAL["parse_xref_table"], data, offset, strict)), (offset, strict)
    assert _xref(pdf_tokens.parse_xref_table, data, 0, True)[0] or name in ("empty subsection", "letters",
                                                                           "truncated", "generation overflow")


@pytest.mark.parametrize("source", ["hand-written", "ghostscript", "cairo", "pyhanko", "signed"])
def test_every_cross_reference_table_of_a_file_is_read_as_pyhanko_reads_it(source):
    data = corpus.signed_pdf() if source == "signed" else SOURCES[source]()
    tables = [i + 4 for i in range(len(data)) if data[i:i + 4] == b"xref" and data[i - 5:i] != b"start"]
    assert tables
    for offset in tables:
        for strict in (True, False):
            ours = _xref(pdf_tokens.parse_xref_table, data, offset, strict)
            assert ours == _xref(ORIGINAL["parse_xref_table"], data, offset, strict), (offset, strict)
            assert ours[0]
