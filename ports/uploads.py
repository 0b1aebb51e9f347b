"""A file the edge received and keeps on disk while a use case runs (an upload spooled as it
arrived). The use cases read it from there, never whole: its size and first bytes for the intake
policy, its path for the PDF workers (which open it themselves), a stream for the store."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Protocol, runtime_checkable


@runtime_checkable
class UploadedFile(Protocol):
    @property
    def path(self) -> Path: ...

    @property
    def size(self) -> int: ...

    def head(self, count: int) -> bytes:
        """The first ``count`` bytes (fewer when the file is shorter)."""
        ...

    def open(self) -> IO[bytes]:
        """A new binary stream from the start; the caller closes it."""
        ...
