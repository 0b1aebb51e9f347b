"""A large file's signature hands the stored-document path the digests of what it wrote
(adapters/stored_files.py, ``ResultDigests``), so the result is not read again to be named and
checked: the digests are those of the result's bytes, and the checks they stand for (the result
extends the stored bytes, and the approved version) still refuse what they refused."""

from __future__ import annotations

import hashlib
import os

import pytest

from adapters import stored_files
from adapters.shared import pdf_prefix_digest
from adapters.storage.filesystem import FilesystemDocumentStore
from domain.model.errors import DocumentCorrupted
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.conftest import SystemClock
from tests.signing.pdfs import pdf_bytes, pdf_file

LARGE = {"pages": 3, "bytes_per_page": 700_000}  # about 2 MB: the original revision is copied and hashed


@pytest.fixture
def store(tmp_path):
    return FilesystemDocumentStore(tmp_path / "documents")


@pytest.fixture
def handed(monkeypatch):
    """Each time ``store_result`` was given digests it could use instead of reading the result."""
    used = []
    original = stored_files._known

    def recording(known, out, checkpoints):
        answer = original(known, out, checkpoints)
        used.append(answer is not None)
        return answer

    monkeypatch.setattr(stored_files, "_known", recording)
    return used


def _stored_files(store):
    return sorted(p.name for p in store.root.rglob("*") if p.is_file())


def _prefix(data: bytes, length: int) -> str:
    return hashlib.sha256(data[:length]).hexdigest()


@pytest.mark.parametrize("level", [PadesLevel.B_B, PadesLevel.B_T, PadesLevel.B_LT, PadesLevel.B_LTA])
def test_the_digests_handed_over_are_those_of_the_result_written(signing, identity, tmp_path, level):
    source = pdf_file(tmp_path / "large.pdf", **LARGE)
    size = source.stat().st_size
    assert size >= pdf_prefix_digest.THREADED_FROM
    out = tmp_path / "signed.pdf"
    digests = signing.sign_file_digested(source, out, SignatureRequest(identity=identity, level=level),
                                         (size, 1000, size // 2))
    data = out.read_bytes()
    assert digests is not None
    assert (digests.size, digests.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert dict(digests.prefixes) == {n: _prefix(data, n) for n in (size, 1000, size // 2)}
    assert data.startswith(source.read_bytes())


def test_a_small_file_hands_over_nothing_and_its_result_is_read(signing, identity, tmp_path):
    source = pdf_file(tmp_path / "small.pdf")
    digests = signing.sign_file_digested(source, tmp_path / "signed.pdf",
                                         SignatureRequest(identity=identity, level=PadesLevel.B_B),
                                         (source.stat().st_size,))
    assert digests is None


def test_a_signing_hash_other_than_sha256_hands_over_nothing(vault, tsa, revocation, identity, tmp_path):
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning

    signing = PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation,
                                signing_hash="sha512", clock=SystemClock())
    source = pdf_file(tmp_path / "large.pdf", **LARGE)
    assert signing.sign_file_digested(source, tmp_path / "signed.pdf",
                                      SignatureRequest(identity=identity, level=PadesLevel.B_B),
                                      (source.stat().st_size,)) is None


def test_a_large_stored_signature_is_named_from_the_digests_handed_over(signing, identity, store, handed):
    original = pdf_bytes(**LARGE)
    ref = store.put(original)
    signed = signing.sign_document(store, ref.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_LT))
    data = store.read(signed.sha256)  # checked against its name by the store
    assert handed == [True]
    assert signed.size == len(data) and hashlib.sha256(data).hexdigest() == signed.sha256
    assert data.startswith(original)


def test_a_damaged_large_stored_document_is_not_signed(signing, identity, store, handed):
    ref = store.put(pdf_bytes(**LARGE))
    path = store.root / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    data = path.read_bytes()
    path.chmod(0o644)
    middle = len(data) // 2  # inside a page's image: same size, still a PDF pyHanko signs
    path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    before = _stored_files(store)
    with pytest.raises(DocumentCorrupted):
        signing.sign_document(store, ref.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B))
    assert handed == [True] and _stored_files(store) == before


def test_a_large_later_signature_is_checked_to_extend_the_approved_version(signing, identity, store, handed):
    approved = store.put(pdf_bytes(**LARGE))
    first = signing.sign_document(store, approved.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B,
                                                                           field_name="Signature1"))
    second = signing.sign_document(store, first.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B,
                                                                         field_name="Signature2"), extends=approved)
    assert handed == [True, True]
    assert store.read(second.sha256).startswith(store.read(approved.sha256))

    other = store.put(pdf_bytes(pages=3, bytes_per_page=800_000))  # larger, intact, not the approved bytes
    before = _stored_files(store)
    with pytest.raises(DocumentCorrupted):
        signing.sign_document(store, other.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B),
                              extends=approved)
    assert handed[-1] is True and _stored_files(store) == before


def test_the_digests_cross_from_a_signing_process(vault, tsa, revocation, identity, signing, tmp_path):
    from adapters.signing.process_pool import ProcessPoolPdfSigning
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning

    def factory():
        return PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation,
                                 clock=SystemClock())

    pool = ProcessPoolPdfSigning(factory=factory, local=signing, workers=1, start_method="fork")
    try:
        source = pdf_file(tmp_path / "large.pdf", **LARGE)
        out = tmp_path / "signed.pdf"
        digests = pool.sign_file_digested(source, out, SignatureRequest(identity=identity, level=PadesLevel.B_B),
                                          (source.stat().st_size,))
    finally:
        pool.close()
    data = out.read_bytes()
    assert digests is not None and digests.sha256 == hashlib.sha256(data).hexdigest()


def test_a_stored_signature_starts_its_results_writeback_early_and_a_file_signature_does_not(
        signing, identity, store, tmp_path, monkeypatch):
    # The store fsyncs what it takes; a file signed for itself is not made durable.
    assert pdf_prefix_digest._sync_file_range is not None  # Linux's, through libc
    started = []
    monkeypatch.setattr(pdf_prefix_digest, "_start_writeback", lambda fd, length: started.append(length))
    source = pdf_file(tmp_path / "large.pdf", **LARGE)
    signing.sign_file(source, tmp_path / "signed.pdf", SignatureRequest(identity=identity, level=PadesLevel.B_B))
    assert started == []
    ref = store.put(source.read_bytes())
    signing.sign_document(store, ref.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B))
    assert started == [source.stat().st_size]


def test_the_early_writeback_leaves_the_bytes_as_written(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"x" * 3_000_000)
    fd = os.open(path, os.O_RDWR)
    try:
        assert pdf_prefix_digest._start_writeback(fd, 3_000_000)  # the kernel took the request
        os.fsync(fd)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"x" * 3_000_000


def test_a_document_timestamp_hands_over_the_digests_of_what_it_wrote(signing, tmp_path):
    source = pdf_file(tmp_path / "large.pdf", **LARGE)
    size = source.stat().st_size
    out = tmp_path / "stamped.pdf"
    digests = signing.timestamp_file_digested(source, out, (size, size // 3))
    data = out.read_bytes()
    assert digests is not None
    assert (digests.size, digests.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert dict(digests.prefixes) == {n: _prefix(data, n) for n in (size, size // 3)}


def test_a_large_stored_document_is_timestamped_and_named_from_the_digests_handed_over(signing, store, handed):
    original = pdf_bytes(**LARGE)
    ref = store.put(original)
    stamped = signing.timestamp_document(store, ref.sha256)
    data = store.read(stamped.sha256)
    assert handed == [True]
    assert stamped.size == len(data) and hashlib.sha256(data).hexdigest() == stamped.sha256
    assert data.startswith(original)
