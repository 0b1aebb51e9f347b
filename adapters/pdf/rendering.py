"""Page images with PDFium, encoded as PNG with the standard library (no imaging dependency).

Given a ``BoundedProcessPool`` the rendering runs in a worker with bounded memory and time
(see adapters/isolation/pool.py): a page that needs more is refused (``DocumentTooComplex``)
and the other page images are served meanwhile by the other workers.
"""

from __future__ import annotations

import struct
import zlib

import pypdfium2 as pdfium

from adapters.isolation.pool import BoundedProcessPool, LimitExceeded
from adapters.pdf.pdfium_lock import PDFIUM_LOCK
from domain.model.errors import DocumentTooComplex, InvalidValue, NotFound

__all__ = ["PdfiumPageRenderer", "render_page"]

MAX_WIDTH_PX = 2000
# A page box of extreme proportions would otherwise ask for a bitmap of gigabytes at 2000 px wide.
MAX_PIXELS = 2000 * 6000


def _png(width: int, height: int, stride: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = width * 3
    # Filter byte 0 (none) before each row; rows in the bitmap may be padded to ``stride``.
    raw = b"".join(b"\x00" + rgb[y * stride : y * stride + row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def render_page(content: bytes, page: int, width_px: int) -> bytes:
    """One page as PNG; module-level so that a worker process can run it."""
    document = pdfium.PdfDocument(content)
    try:
        if not 1 <= page <= len(document):
            raise NotFound("no such page", page=page)
        pdf_page = document[page - 1]
        try:
            width_pt, height_pt = pdf_page.get_size()
            if width_pt <= 0 or height_pt <= 0 or width_px * width_px * height_pt / width_pt > MAX_PIXELS:
                raise DocumentTooComplex("the page's proportions ask for too large an image")
            bitmap = pdf_page.render(scale=width_px / width_pt, rev_byteorder=True, may_draw_forms=True)
            try:
                if bitmap.n_channels != 3:
                    raise RuntimeError(f"unexpected bitmap with {bitmap.n_channels} channels")
                return _png(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer))
            finally:
                bitmap.close()
        finally:
            pdf_page.close()
    finally:
        document.close()


class PdfiumPageRenderer:
    def __init__(self, pool: BoundedProcessPool | None = None) -> None:
        self._pool = pool

    def render_png(self, content: bytes, *, page: int, width_px: int) -> bytes:
        if not 16 <= width_px <= MAX_WIDTH_PX:
            raise InvalidValue("width_px", f"between 16 and {MAX_WIDTH_PX} pixels")
        if self._pool is None:
            with PDFIUM_LOCK:
                return render_page(content, page, width_px)
        try:
            return self._pool.call(render_page, content, page, width_px)  # type: ignore[no-any-return]
        except LimitExceeded as exc:
            raise DocumentTooComplex("rendering the page exceeded its limits", problem=exc.reason) from exc
