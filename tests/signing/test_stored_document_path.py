"""The stored-document path (adapters/stored_files.py) on the disk store: the store lends its own
file and takes the signed file over, so the integrity check moved from the copy out to the one
pass over the result; these show it still refuses damaged stored bytes and stores nothing then."""

from __future__ import annotations

import hashlib

import pytest

from adapters.storage.filesystem import FilesystemDocumentStore
from domain.model.errors import DocumentCorrupted
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.pdfs import pdf_bytes


@pytest.fixture
def store(tmp_path):
    return FilesystemDocumentStore(tmp_path / "documents")


def _stored_files(store):
    return sorted(p.name for p in store.root.rglob("*") if p.is_file())


def _damage(store, sha256, old: bytes, new: bytes):
    path = store.root / sha256[:2] / sha256[2:4] / sha256
    data = path.read_bytes()
    assert old in data
    path.chmod(0o644)
    path.write_bytes(data.replace(old, new, 1))


def test_a_signature_from_the_disk_store_is_stored_under_its_sha256_and_extends_the_original(signing, identity,
                                                                                              store, tmp_path):
    signing.scratch_dir = tmp_path / "scratch"
    signing.scratch_dir.mkdir()
    original = pdf_bytes(3, bytes_per_page=3_000_000)  # several chunks of the one pass
    ref = store.put(original)
    signed = signing.sign_document(store, ref.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B))
    data = store.read(signed.sha256)  # checked against its name
    assert signed.size == len(data) and hashlib.sha256(data).hexdigest() == signed.sha256
    assert data.startswith(original)
    assert list(signing.scratch_dir.iterdir()) == []
    assert store.read(ref.sha256) == original  # the lent file is untouched


def test_a_damaged_stored_document_that_still_parses_is_not_signed(signing, identity, store):
    original = pdf_bytes(2)
    ref = store.put(original)
    _damage(store, ref.sha256, b"Page", b"Pagf")  # same size, still a PDF pyHanko may read
    before = _stored_files(store)
    with pytest.raises(DocumentCorrupted):
        signing.sign_document(store, ref.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B))
    assert _stored_files(store) == before


def test_a_damaged_stored_document_that_no_longer_parses_is_reported_as_damaged(signing, identity, store):
    original = pdf_bytes(2)
    ref = store.put(original)
    _damage(store, ref.sha256, b"%PDF", b"%XXX")
    before = _stored_files(store)
    with pytest.raises(DocumentCorrupted):
        signing.sign_document(store, ref.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B))
    assert _stored_files(store) == before


def test_a_later_signature_is_checked_to_extend_the_approved_version_in_the_same_pass(signing, identity, store):
    original = pdf_bytes(2)
    approved = store.put(original)
    first = signing.sign_document(store, approved.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B,
                                                                           field_name="Signature1"))
    second = signing.sign_document(store, first.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B,
                                                                         field_name="Signature2"), extends=approved)
    data = store.read(second.sha256)
    assert data.startswith(store.read(first.sha256)) and data.startswith(original)


def test_a_signature_on_a_version_that_does_not_extend_the_approved_one_is_not_stored(signing, identity, store):
    approved = store.put(pdf_bytes(2))
    other = store.put(pdf_bytes(3))  # larger, intact, but not the approved bytes plus signatures
    before = _stored_files(store)
    with pytest.raises(DocumentCorrupted):
        signing.sign_document(store, other.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B),
                              extends=approved)
    assert _stored_files(store) == before


def test_an_approved_version_longer_than_the_signed_result_is_refused(signing, identity, store):
    approved = store.put(pdf_bytes(2, bytes_per_page=2_000_000))
    small = store.put(pdf_bytes(1))
    with pytest.raises(DocumentCorrupted):
        signing.sign_document(store, small.sha256, SignatureRequest(identity=identity, level=PadesLevel.B_B),
                              extends=approved)
