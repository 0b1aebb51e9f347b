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

    def free_boxes(self, content: bytes | str, *, page: int, width: float, height: float, padding: float,
                   margin: float, limit: int) -> list[tuple[float, float]]:
        """Where on the page (counted from 1) a ``width`` x ``height`` box (PDF points) covers
        nothing drawn, ``padding`` points around it blank too, ``margin`` points inside the page's edges: the lower-left corners, in PDF
        points, of at most ``limit`` boxes that do not overlap one another, lowest row first and
        left to right in a row. Empty when the page has no such room. What counts is the page as
        rendered (text, lines, images), so a scanned page with no text layer is judged right.
        ``content`` is the PDF's bytes, or the path of a file holding them (an upload spooled to disk).
        Raise domain NotFound for a page that does not exist.
        """
        ...

    def render_stored_png(self, store: DocumentStore, sha256: str, *, page: int, width_px: int) -> bytes:
        """``render_png`` of a stored document, which the adapter reads from a file (a cached copy
        its workers open by path): the caller never holds the document, and it does not cross to
        a worker process as bytes."""
        ...
