"""Page images of a PDF, for the wizard's thumbnails and the placement of signature fields."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ports.documents import DocumentStore


@runtime_checkable
class PdfPageRenderer(Protocol):
    def render_png(self, content: bytes, *, page: int, width_px: int) -> bytes:
        """The page (counted from 1) as a PNG ``width_px`` wide, height in proportion.

        The image shows the page as its PDF coordinates lay it out, so a click at (u, v) pixels
        is the point (u, height_px - v) * page_width / width_px in PDF points.
        Raise domain NotFound for a page that does not exist.
        """
        ...

    def render_stored_png(self, store: DocumentStore, sha256: str, *, page: int, width_px: int) -> bytes:
        """``render_png`` of a stored document, which the adapter reads from a file (a cached copy
        its workers open by path): the caller never holds the document, and it does not cross to
        a worker process as bytes."""
        ...
