"""Where the bytes of documents live: content-addressed by SHA-256, written once."""

from __future__ import annotations

from typing import BinaryIO, Protocol, runtime_checkable

from domain.model.document import DocumentRef


@runtime_checkable
class DocumentStore(Protocol):
    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        """Store the bytes (or everything a binary file object still holds) and return their reference.

        Atomic: readers see the whole content or nothing. Never overwrites: putting the same bytes
        again returns the same reference and leaves the stored copy alone.
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
