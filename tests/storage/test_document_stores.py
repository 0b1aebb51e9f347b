"""Both document stores pass the same contract; the filesystem one also keeps its promises on disk."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

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


def test_a_file_on_another_filesystem_is_copied_in_rather_than_linked(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the test's folder")
    store = FilesystemDocumentStore(tmp_path / "documents")
    with tempfile.TemporaryDirectory(dir=shm) as scratch:
        path = Path(scratch) / "signed.pdf"
        path.write_bytes(PDF)
        ref = store.put_file(path)
        assert not path.exists()
    assert store.read(ref.sha256) == PDF
    assert [p for p in (tmp_path / "documents").rglob(".incoming-*")] == []


def test_a_file_on_the_same_filesystem_is_moved_into_place_not_copied(tmp_path):
    store = FilesystemDocumentStore(tmp_path / "documents")
    path = tmp_path / "signed.pdf"
    path.write_bytes(PDF)
    inode = path.stat().st_ino
    ref = store.put_file(path)
    stored = tmp_path / "documents" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert stored.stat().st_ino == inode and not path.exists()


def test_the_disk_store_lends_its_own_file(tmp_path):
    store = FilesystemDocumentStore(tmp_path / "documents")
    ref = store.put(PDF)
    with store.lend(ref.sha256, tmp_path / "scratch") as lent:
        assert lent == tmp_path.resolve() / "documents" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
