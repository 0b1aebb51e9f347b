"""Both document stores pass the same contract; the filesystem one also keeps its promises on disk."""

from __future__ import annotations

import hashlib
import os

import pytest

from adapters.memory.documents import InMemoryDocumentStore
from adapters.storage.filesystem import FilesystemDocumentStore
from domain.model.errors import DocumentCorrupted, InvalidValue
from ports.contracts.documents import PDF, DocumentStoreContract


class TestInMemoryDocumentStore(DocumentStoreContract):
    def make_adapter(self) -> InMemoryDocumentStore:
        return InMemoryDocumentStore()


class TestFilesystemDocumentStore(DocumentStoreContract):
    @pytest.fixture(autouse=True)
    def _root(self, tmp_path):
        self.root = tmp_path / "documents"

    def make_adapter(self) -> FilesystemDocumentStore:
        return FilesystemDocumentStore(self.root)


def test_files_are_sharded_by_the_first_bytes_of_their_hash(tmp_path):
    store = FilesystemDocumentStore(tmp_path)
    ref = store.put(PDF)
    assert (tmp_path / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256).read_bytes() == PDF


def test_no_temporary_file_is_left_behind(tmp_path):
    store = FilesystemDocumentStore(tmp_path)
    store.put(PDF)
    store.put(PDF)
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name.startswith(".incoming-")]
    assert leftovers == []


def test_a_stored_file_is_never_overwritten(tmp_path):
    store = FilesystemDocumentStore(tmp_path)
    ref = store.put(PDF)
    path = tmp_path / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    inode = path.stat().st_ino
    store.put(PDF)
    assert path.stat().st_ino == inode


def test_a_damaged_file_is_reported_as_corrupted_on_read(tmp_path):
    store = FilesystemDocumentStore(tmp_path)
    ref = store.put(PDF)
    path = tmp_path / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    os.chmod(path, 0o644)
    path.write_bytes(PDF.replace(b"pretend", b"tampered"))
    with pytest.raises(DocumentCorrupted):
        store.read(ref.sha256)


def test_a_name_that_is_not_a_sha256_never_reaches_the_disk(tmp_path):
    store = FilesystemDocumentStore(tmp_path / "documents")
    (tmp_path / "secret").write_bytes(b"x")
    with pytest.raises(InvalidValue):
        store.read("../secret")
    with pytest.raises(InvalidValue):
        store.exists(hashlib.sha256(b"x").hexdigest().upper())
