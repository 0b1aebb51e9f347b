"""Documents as files in one flat folder, named by their SHA-256.

Written as a third party would: it knows only Seing's port types (ports/, domain.model) and
nothing of Seing's own adapters. A write goes to a temporary file in the folder, then is
renamed into place: a reader sees the whole document or nothing, and the same name always
holds the same bytes, so two writers racing on one document both succeed.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Callable

from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted, InvalidValue, NotFound
from ports.documents import lend_by_copy, put_file_by_copy
from ports.providers import ProviderConfig

_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class FlatFolderDocumentStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise InvalidValue("sha256", "a SHA-256 is 64 lower-case hex digits")
        return self.folder / sha256

    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        stream = io.BytesIO(content) if isinstance(content, (bytes, bytearray, memoryview)) else content
        self.folder.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temporary = tempfile.mkstemp(prefix=".part-", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            ref = DocumentRef(sha256=digest.hexdigest(), size=size)
            if not self._path(ref.sha256).exists():
                os.replace(temporary, self._path(ref.sha256))
            return ref
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def put_file(self, path: Path, ref: DocumentRef | Callable[[], DocumentRef] | None = None) -> DocumentRef:
        return put_file_by_copy(self, path, ref)

    def lend(self, sha256: str, directory: Path | None = None) -> AbstractContextManager[Path]:
        return lend_by_copy(self, sha256, directory)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self._path(sha256), "rb")
        except FileNotFoundError:
            raise NotFound(f"document {sha256} not found") from None

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentCorrupted("stored bytes do not match their SHA-256", sha256=sha256)
        return data

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)


def factory(config: ProviderConfig) -> FlatFolderDocumentStore:
    """Entry point ``example-folder`` of ``seing.document_stores``; option ``folder``
    (default: ``<data_dir>/example-documents``)."""
    return FlatFolderDocumentStore(Path(config.option("folder") or config.data_dir / "example-documents"))
