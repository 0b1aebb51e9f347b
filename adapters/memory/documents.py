"""Documents kept in a dict: the DocumentStore fake."""

from __future__ import annotations

import hashlib
import io
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Callable

from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted, NotFound
from ports.documents import lend_by_copy, put_file_by_copy

__all__ = ["InMemoryDocumentStore"]


class InMemoryDocumentStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        data = bytes(content) if isinstance(content, (bytes, bytearray, memoryview)) else content.read()
        ref = DocumentRef(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        with self._lock:
            self.blobs.setdefault(ref.sha256, data)
        return ref

    def put_file(self, path: Path, ref: DocumentRef | Callable[[], DocumentRef] | None = None) -> DocumentRef:
        return put_file_by_copy(self, path, ref)

    def lend(self, sha256: str, directory: Path | None = None) -> AbstractContextManager[Path]:
        return lend_by_copy(self, sha256, directory)

    def open(self, sha256: str) -> BinaryIO:
        return io.BytesIO(self._get(sha256))

    def read(self, sha256: str) -> bytes:
        data = self._get(sha256)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentCorrupted("stored bytes do not match their SHA-256", sha256=sha256)
        return data

    def _get(self, sha256: str) -> bytes:
        try:
            return self.blobs[sha256]
        except KeyError:
            raise NotFound(f"document {sha256} not found") from None

    def exists(self, sha256: str) -> bool:
        return sha256 in self.blobs

    def delete(self, sha256: str) -> None:
        with self._lock:
            self.blobs.pop(sha256, None)
