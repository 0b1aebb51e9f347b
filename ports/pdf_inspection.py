"""Reading a PDF's structure, so the domain can decide whether to accept it (domain/model/intake.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from domain.model.intake import PdfInfo


@runtime_checkable
class PdfInspector(Protocol):
    def inspect(self, content: bytes) -> PdfInfo:
        """Report what the reader finds. Never raises for bad input: an unreadable file gives
        ``PdfInfo(readable=False, problem=...)``, an encrypted one ``encrypted=True``, one whose
        reading exceeds the adapter's memory or time limits ``too_demanding=True``, and the kinds of
        active content found (JavaScript, Launch actions) in ``active_content``."""
        ...

    def inspect_file(self, path: Path) -> PdfInfo:
        """``inspect`` on a file, which the adapter reads where its limits apply (a worker opens
        it by path): the caller never holds the file in memory."""
        ...
