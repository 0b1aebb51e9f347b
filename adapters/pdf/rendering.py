"""Page images with PDFium, encoded as PNG with the standard library (no imaging dependency)."""

from __future__ import annotations

import struct
import zlib

import pypdfium2 as pdfium

from adapters.pdf.pdfium_lock import PDFIUM_LOCK
from domain.model.errors import InvalidValue, NotFound

__all__ = ["PdfiumPageRenderer"]

MAX_WIDTH_PX = 2000


def _png(width: int, height: int, stride: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = width * 3
    # Filter byte 0 (none) before each row; rows in the bitmap may be padded to ``stride``.
    raw = b"".join(b"\x00" + rgb[y * stride : y * stride + row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


class PdfiumPageRenderer:
    def render_png(self, content: bytes, *, page: int, width_px: int) -> bytes:
        if not 16 <= width_px <= MAX_WIDTH_PX:
            raise InvalidValue("width_px", f"between 16 and {MAX_WIDTH_PX} pixels")
        with PDFIUM_LOCK:
            return self._render(content, page=page, width_px=width_px)

    @staticmethod
    def _render(content: bytes, *, page: int, width_px: int) -> bytes:
        document = pdfium.PdfDocument(content)
        try:
            if not 1 <= page <= len(document):
                raise NotFound("no such page", page=page)
            pdf_page = document[page - 1]
            try:
                width_pt, _ = pdf_page.get_size()
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
