"""Documents as files under one directory, named by their SHA-256 and sharded by its first bytes.

``<root>/ab/cd/abcd…`` keeps directories small. A write goes to a temporary file in the target
directory, is fsynced, then hard-linked into place: ``link`` fails if the name exists, so a stored
file is never overwritten, and readers never see a half-written one. A finished local file on the
same filesystem (``put_file``: a signed PDF in the scratch folder) is linked into place the same
way, never copied; ``lend`` hands out the stored file's own path.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted, InvalidValue, NotFound
from ports.documents import file_sha256
from ports.providers import ProviderConfig

__all__ = ["FilesystemDocumentStore", "factory"]

_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class FilesystemDocumentStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            # Also what keeps a crafted name from reaching outside the root.
            raise InvalidValue("sha256", "a SHA-256 is 64 lower-case hex digits")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        stream: BinaryIO = io.BytesIO(content) if isinstance(content, (bytes, bytearray, memoryview)) else content
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            ref = DocumentRef(sha256=digest.hexdigest(), size=size)
            target = self._path(ref.sha256)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                self._publish(Path(tmp_name), target)
            return ref
        finally:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass

    def put_file(self, path: Path, ref: DocumentRef | Callable[[], DocumentRef] | None = None) -> DocumentRef:
        path = Path(path)
        try:
            # The bytes must be on disk before the name is. The fsync (disk latency) runs while
            # the reference is computed (CPU): both release the GIL.
            syncing = threading.Thread(target=_fsync_file, args=(path,))
            syncing.start()
            try:
                if ref is None:
                    ref = file_sha256(path)
                elif callable(ref):
                    ref = ref()
            finally:
                syncing.join()
            if path.stat().st_size != ref.size:
                raise ValueError(f"{path} does not hold {ref.size} bytes")
            target = self._path(ref.sha256)
            if target.exists():
                return ref
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._publish(path, target)
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                with open(path, "rb") as stream:  # another filesystem: copied after all
                    return self.put(stream)
            return ref
        finally:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    @contextmanager
    def lend(self, sha256: str, directory: Path | None = None) -> Iterator[Path]:
        path = self._path(sha256)
        if not path.is_file():
            raise NotFound(f"document {sha256} not found")
        yield path

    def _publish(self, tmp: Path, target: Path) -> None:
        try:
            os.link(tmp, target)
        except FileExistsError:
            return  # a concurrent writer stored the same bytes first
        except OSError as error:
            if error.errno == errno.EXDEV:
                raise
            # Filesystems without hard links: replace is still atomic; same name means same bytes.
            os.replace(tmp, target)
        self._fsync_dir(target.parent)

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

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
        path = self._path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        self._fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def factory(config: ProviderConfig) -> FilesystemDocumentStore:
    """Entry point ``filesystem`` of ``seing.document_stores``: ``<data_dir>/documents`` (option ``root``)."""
    return FilesystemDocumentStore(config.option("root") or config.data_dir / "documents")
