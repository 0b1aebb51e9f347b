"""Where the bytes of documents live: content-addressed by SHA-256, written once."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Protocol, runtime_checkable

from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted

__all__ = ["DocumentStore", "check_stored_file", "file_sha256", "lend_by_copy", "put_file_by_copy"]

_CHUNK = 1 << 20


@runtime_checkable
class DocumentStore(Protocol):
    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        """Store the bytes (or everything a binary file object still holds) and return their reference.

        Atomic: readers see the whole content or nothing. Never overwrites: putting the same bytes
        again returns the same reference and leaves the stored copy alone.
        """
        ...

    def put_file(self, path: Path, ref: DocumentRef | Callable[[], DocumentRef] | None = None) -> DocumentRef:
        """Store the content of the local file ``path`` and take the file over: when this returns
        or raises, ``path`` is gone (a store keeping documents as files on the same filesystem
        moves it into place rather than copying it). Same promises as ``put``.

        ``ref``: the file's SHA-256 and size if the caller has just computed them from this very
        file; a store that would otherwise read the file only to hash it may trust them (the
        bytes are then not read at all), one that reads it anyway checks them (ValueError). It may
        also be a function the store calls once to get them (the caller's own pass over the file),
        so the store can do something else meanwhile (the disk store's fsync).
        """
        ...

    def lend(self, sha256: str, directory: Path | None = None) -> AbstractContextManager[Path]:
        """A local file holding the document, for the time of the ``with`` block; raise domain
        NotFound when absent. Read it only: it may be the stored file itself (no copy), else a
        copy in ``directory`` (None: the system's temporary directory) removed at the end.
        Not checked against its SHA-256 (unlike ``read``): the caller checks what it relies on.
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A binary file object to read; raise domain NotFound when absent. The caller closes it."""
        ...

    def read(self, sha256: str) -> bytes:
        """All the bytes, checked against their SHA-256 (domain DocumentCorrupted if they differ);
        raise domain NotFound when absent."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Forget the bytes (retention). Deleting what is absent is not an error."""
        ...


@contextmanager
def lend_by_copy(store: DocumentStore, sha256: str, directory: Path | None = None) -> Iterator[Path]:
    """``lend`` for a store whose documents are not local files: a copy, made in 1 MiB chunks."""
    with store.open(sha256) as source:
        fd, name = tempfile.mkstemp(prefix=".lent-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as target:
                shutil.copyfileobj(source, target, _CHUNK)
        except BaseException:
            os.unlink(name)
            raise
    try:
        yield Path(name)
    finally:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


def put_file_by_copy(store: DocumentStore, path: Path,
                     ref: DocumentRef | Callable[[], DocumentRef] | None = None) -> DocumentRef:
    """``put_file`` for a store that cannot adopt a local file: ``put`` of its stream, which
    hashes it anyway, so a given ``ref`` is checked."""
    try:
        if callable(ref):
            ref = ref()
        with open(path, "rb") as stream:
            stored = store.put(stream)
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    if ref is not None and stored != ref:
        raise ValueError(f"the file put is {stored}, not the {ref} its caller said")
    return stored


def file_sha256(path: Path) -> DocumentRef:
    """SHA-256 and size of a local file, read in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb", buffering=0) as stream:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while read := stream.readinto(buffer):
            digest.update(view[:read])
            size += read
    return DocumentRef(sha256=digest.hexdigest(), size=size)


def check_stored_file(path: Path, sha256: str) -> None:
    """Raise domain DocumentCorrupted unless the file's bytes hash to ``sha256``."""
    if file_sha256(path).sha256 != sha256:
        raise DocumentCorrupted("stored bytes do not match their SHA-256", sha256=sha256)

