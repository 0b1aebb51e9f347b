"""A large file's original revision is copied and hashed beside the parsing (adapters/shared/
pdf_prefix_digest.py): the signatures it makes are intact and valid for pyHanko's validator,
the output begins with the source's exact bytes, and every case it does not take is pyHanko's."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import threading

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from adapters.shared import pdf_prefix_digest
from adapters.shared.pdf_prefix_digest import PrefixCopy, PrefixDigestWriter
from domain.model.errors import BrokenPdf
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.pdfs import pdf_file

LARGE_PAGES, LARGE_BYTES_PER_PAGE = 40, 60_000  # about 2.4 MB: above the 1 MiB threshold


@pytest.fixture
def copies(monkeypatch):
    """Every PrefixCopy made during the test."""
    made: list[PrefixCopy] = []
    original = PrefixCopy.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(PrefixCopy, "__init__", init)
    return made


def _validated(pki, path) -> None:
    from asn1crypto import x509 as asn1_x509

    with open(path, "rb") as stream:
        signatures = PdfFileReader(stream).embedded_regular_signatures
        assert len(signatures) == 1
        context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(pki.root.der)], allow_fetching=False,
                                    revocation_mode="soft-fail")
        status = validate_pdf_signature(signatures[0], context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()


@pytest.mark.parametrize("level", [PadesLevel.B_B, PadesLevel.B_T, PadesLevel.B_LTA])
def test_a_large_file_is_signed_with_its_original_copied_beside_the_parsing(signing, identity, pki, tmp_path,
                                                                            copies, level):
    source = pdf_file(tmp_path / "large.pdf", pages=LARGE_PAGES, bytes_per_page=LARGE_BYTES_PER_PAGE)
    assert source.stat().st_size >= pdf_prefix_digest.THREADED_FROM
    out = tmp_path / "signed.pdf"
    signing.sign_file(source, out, SignatureRequest(identity=identity, level=level))

    assert len(copies) == 1 and copies[0].result() == source.stat().st_size
    original = source.read_bytes()
    with open(out, "rb") as signed:
        assert signed.read(len(original)) == original
    _validated(pki, out)


def test_a_small_file_is_copied_and_hashed_by_pyhanko_as_before(signing, identity, pki, tmp_path, copies):
    source = pdf_file(tmp_path / "small.pdf", pages=1, bytes_per_page=2_000)
    out = tmp_path / "signed.pdf"
    signing.sign_file(source, out, SignatureRequest(identity=identity, level=PadesLevel.B_B))

    assert copies == []
    _validated(pki, out)


def test_a_broken_large_file_is_refused_and_its_copy_waited_for(signing, identity, tmp_path, copies):
    source = tmp_path / "broken.pdf"
    source.write_bytes(b"%PDF-1.7\n" + os.urandom(pdf_prefix_digest.THREADED_FROM) + b"\n%%EOF\n")
    with pytest.raises(BrokenPdf):
        signing.sign_file(source, tmp_path / "signed.pdf", SignatureRequest(identity=identity, level=PadesLevel.B_B))

    assert len(copies) == 1
    assert not any(thread.name == "seing-pdf-prefix" for thread in threading.enumerate())
    assert not (tmp_path / "signed.pdf").exists()


def test_the_copy_holds_the_source_exactly_and_hashes_it(tmp_path):
    data = os.urandom(3 * pdf_prefix_digest.THREADED_FROM + 12345)
    (tmp_path / "source").write_bytes(data)
    with open(tmp_path / "source", "rb") as source, open(tmp_path / "target", "w+b") as target:
        copy = PrefixCopy(source.fileno(), target.fileno(), "sha256")
        assert copy.result() == len(data)
        assert source.tell() == 0 and target.tell() == 0  # positional: neither file moved
    assert (tmp_path / "target").read_bytes() == data
    assert copy.digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_the_copy_goes_through_a_buffer_where_the_kernel_cannot_copy(tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    data = os.urandom(pdf_prefix_digest.THREADED_FROM + 7)
    (tmp_path / "source").write_bytes(data)
    with open(tmp_path / "source", "rb") as source, open(tmp_path / "target", "w+b") as target:
        copy = PrefixCopy(source.fileno(), target.fileno(), "sha256")
        assert copy.result() == len(data)
    assert (tmp_path / "target").read_bytes() == data
    assert copy.digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_copy_error_reaches_whoever_waits_for_it(tmp_path):
    (tmp_path / "source").write_bytes(b"x" * 10)
    with open(tmp_path / "source", "rb") as source:
        read_only = os.open(tmp_path / "source", os.O_RDONLY)
        try:
            copy = PrefixCopy(source.fileno(), read_only, "sha256")
            with pytest.raises(OSError):
                copy.result()
        finally:
            os.close(read_only)


def test_a_writer_writing_elsewhere_than_its_copy_writes_as_pyhanko_does(tmp_path):
    source = pdf_file(tmp_path / "large.pdf", pages=LARGE_PAGES, bytes_per_page=LARGE_BYTES_PER_PAGE)
    original = source.read_bytes()
    with open(source, "rb") as infile, open(tmp_path / "copy.pdf", "w+b") as copied:
        copy = pdf_prefix_digest.start_prefix_copy(infile, copied, "sha256")
        assert copy is not None
        writer = PrefixDigestWriter(infile, strict=True)
        writer.prefix_copy = copy
        writer.root["/Seing"] = writer.root["/Type"]  # something to write
        writer.update_root()
        elsewhere = io.BytesIO()
        writer.write(elsewhere)
        assert writer.prefix_hashed is None
    assert elsewhere.getvalue().startswith(original)
    assert PdfFileReader(io.BytesIO(elsewhere.getvalue())).root["/Seing"] == "/Catalog"


def test_no_copy_is_started_for_memory_an_unknown_digest_or_a_used_output(tmp_path):
    source = pdf_file(tmp_path / "large.pdf", pages=LARGE_PAGES, bytes_per_page=LARGE_BYTES_PER_PAGE)
    with open(source, "rb") as infile, open(tmp_path / "out.pdf", "w+b") as out:
        assert pdf_prefix_digest.start_prefix_copy(io.BytesIO(source.read_bytes()), out, "sha256") is None
        assert pdf_prefix_digest.start_prefix_copy(infile, io.BytesIO(), "sha256") is None
        assert pdf_prefix_digest.start_prefix_copy(infile, out, "md5") is None
        out.write(b"already written")
        assert pdf_prefix_digest.start_prefix_copy(infile, out, "sha256") is None


def test_a_large_file_gets_a_document_timestamp_with_its_original_copied_beside(signing, pki, tmp_path, copies):
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation import validate_pdf_timestamp

    source = pdf_file(tmp_path / "large.pdf", pages=LARGE_PAGES, bytes_per_page=LARGE_BYTES_PER_PAGE)
    out = tmp_path / "stamped.pdf"
    signing.timestamp_file(source, out)

    assert len(copies) == 1
    with open(out, "rb") as stamped:
        assert stamped.read(source.stat().st_size) == source.read_bytes()
        stamped.seek(0)
        timestamp = PdfFileReader(stamped).embedded_timestamp_signatures[-1]
        context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(pki.root.der)], allow_fetching=False,
                                    revocation_mode="soft-fail")
        status = validate_pdf_timestamp(timestamp, validation_context=context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
