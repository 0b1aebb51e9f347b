"""Page images with PDFium, encoded as PNG with the standard library (no imaging dependency).

Given a ``BoundedProcessPool`` the rendering runs in a worker with bounded memory and time
(see adapters/isolation/pool.py): a page that needs more is refused (``DocumentTooComplex``)
and the other page images are served meanwhile by the other workers.

A stored document (``render_stored_png``) is copied once from the store to a file of the page
cache (``<data_dir>/scratch/pages/<sha256>.pdf``, its SHA-256 checked on the way, the newest
``cache_files`` kept) and the worker opens that file by its path: only the path crosses the
pipe, PDFium reads the file lazily, and the web process never holds the document.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pypdfium2 as pdfium

from adapters.isolation.pool import BoundedProcessPool, LimitExceeded
from adapters.pdf.pdfium_lock import PDFIUM_LOCK
from domain.model.errors import DocumentCorrupted, DocumentTooComplex, InvalidValue, NotFound
from ports.documents import DocumentStore

__all__ = ["PdfiumPageRenderer", "find_free_boxes", "render_page"]

_CHUNK = 1 << 20
# A cached copy used in the last minute is never evicted (a page of it may be rendering).
_KEEP_RECENT_SECONDS = 60

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


def render_page(content: bytes | str, page: int, width_px: int) -> bytes:
    """One page as PNG; module-level so that a worker process can run it. ``content``: the PDF's
    bytes, or the path of a file, which PDFium opens and reads as it needs."""
    with _opened_page(content, page) as pdf_page:
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


@contextmanager
def _opened_page(content: bytes | str, page: int) -> Iterator[Any]:
    """Page ``page`` (from 1) of the PDF, closed with its document after the block.

    The document's forms are initialised first: without a form environment pdfium leaves out
    widget annotations, so the signatures already made (their boxes) would be missing both from
    the previews the next signer reads and from the search for blank room."""
    document = pdfium.PdfDocument(content)
    try:
        document.init_forms()
        if not 1 <= page <= len(document):
            raise NotFound("no such page", page=page)
        pdf_page = document[page - 1]
        try:
            yield pdf_page
        finally:
            pdf_page.close()
    finally:
        document.close()


# Blank-space search: the page rendered small in grey (one pixel per FREE_SCALE point), a pixel
# darker than INK_LEVEL is ink. Paper noise of a scan stays above it; light tints count as blank.
FREE_SCALE = 0.5
INK_LEVEL = 235
FREE_STEP_PT = 6.0


def find_free_boxes(content: bytes | str, page: int, width: float, height: float, padding: float, margin: float,
                    limit: int) -> list[tuple[float, float]]:
    """Module-level for the worker pool: see ``PdfPageRenderer.free_boxes``."""
    with _opened_page(content, page) as pdf_page:
        if pdf_page.get_rotation() % 360:
            return []  # the image would be turned from the field coordinates: no guess
        width_pt, height_pt = pdf_page.get_size()
        if width_pt <= 0 or height_pt <= 0 or FREE_SCALE ** 2 * width_pt * height_pt > MAX_PIXELS:
            raise DocumentTooComplex("the page's proportions ask for too large an image")
        bitmap = pdf_page.render(scale=FREE_SCALE, grayscale=True, may_draw_forms=True)
        try:
            ink = _ink_rows(bitmap)
        finally:
            bitmap.close()
    return _free_boxes(ink, width_pt, height_pt, width, height, padding, margin, limit)


def _ink_rows(bitmap: object) -> list[bytes]:
    """One bytes per pixel row, top row first: 1 where something is drawn, 0 where blank."""
    cols, rows, stride = bitmap.width, bitmap.height, bitmap.stride  # type: ignore[attr-defined]
    channels = bitmap.n_channels  # type: ignore[attr-defined]
    buffer = bytes(bitmap.buffer)  # type: ignore[attr-defined]
    table = bytes(1 if level < INK_LEVEL else 0 for level in range(256))
    found = []
    for y in range(rows):
        row = buffer[y * stride: y * stride + cols * channels]
        if channels > 1:  # a grey render may still come as BGR(x): the darkest channel decides
            row = bytes(min(row[i:i + channels]) for i in range(0, len(row), channels))
        found.append(row.translate(table))
    return found


def _free_boxes(ink: list[bytes], page_w: float, page_h: float, width: float, height: float, padding: float,
                margin: float, limit: int) -> list[tuple[float, float]]:
    rows = len(ink)
    cols = len(ink[0]) if rows else 0
    if not rows or not cols:
        return []
    # Summed-area table: the ink in any rectangle in four look-ups.
    area = [[0] * (cols + 1) for _ in range(rows + 1)]
    for y in range(rows):
        above, here, line, running = area[y], area[y + 1], ink[y], 0
        for x in range(cols):
            running += line[x]
            here[x + 1] = above[x + 1] + running
    px_x, px_y = cols / page_w, rows / page_h  # pixels per point

    def blank(x0: float, y0: float, x1: float, y1: float) -> bool:
        """The PDF rectangle (lower-left x0, y0 to x1, y1) holds no ink. The pixels read cover it and
        one more all round: the faint anti-aliased edge of a glyph may stay under INK_LEVEL."""
        left, right = max(0, int(x0 * px_x) - 1), min(cols, int(-(-x1 * px_x // 1)) + 1)
        top, bottom = max(0, int((page_h - y1) * px_y) - 1), min(rows, int(-(-(page_h - y0) * px_y // 1)) + 1)
        return area[bottom][right] - area[top][right] - area[bottom][left] + area[top][left] == 0

    chosen: list[tuple[float, float]] = []
    y = margin
    while y + height + margin <= page_h and len(chosen) < limit:
        x = margin
        while x + width + margin <= page_w and len(chosen) < limit:
            overlaps = any(x < cx + width + padding and cx < x + width + padding
                           and y < cy + height + padding and cy < y + height + padding for cx, cy in chosen)
            if not overlaps and blank(x - padding, y - padding, x + width + padding, y + height + padding):
                chosen.append((round(x, 1), round(y, 1)))
                x += width + padding
            else:
                x += FREE_STEP_PT
        y += FREE_STEP_PT
    return chosen


class PdfiumPageRenderer:
    def __init__(self, pool: BoundedProcessPool | None = None, *, cache_dir: Path | None = None,
                 cache_files: int = 32) -> None:
        self._pool = pool
        self._cache_dir = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir()) / "seing-pages"
        self._cache_files = cache_files
        self._cache_lock = threading.Lock()

    def render_png(self, content: bytes, *, page: int, width_px: int) -> bytes:
        _check_width(width_px)
        if self._pool is None:
            with PDFIUM_LOCK:
                return render_page(content, page, width_px)
        return self._in_pool(content, page, width_px)

    def render_stored_png(self, store: DocumentStore, sha256: str, *, page: int, width_px: int) -> bytes:
        _check_width(width_px)
        if self._pool is None:  # tools and tests: in this process, from the bytes
            with PDFIUM_LOCK:
                return render_page(store.read(sha256), page, width_px)
        path = self._cached_copy(store, sha256)
        try:
            return self._in_pool(str(path), page, width_px)
        except FileNotFoundError:  # evicted meanwhile by another request: copy it again, once
            return self._in_pool(str(self._cached_copy(store, sha256)), page, width_px)

    def _in_pool(self, content: bytes | str, page: int, width_px: int) -> bytes:
        assert self._pool is not None
        try:
            return self._pool.call(render_page, content, page, width_px)  # type: ignore[no-any-return]
        except LimitExceeded as exc:
            raise DocumentTooComplex("rendering the page exceeded its limits", problem=exc.reason) from exc

    def free_boxes(self, content: bytes | str, *, page: int, width: float, height: float, padding: float,
                   margin: float, limit: int) -> list[tuple[float, float]]:
        if width <= 0 or height <= 0 or padding < 0 or margin < 0 or limit < 0:
            raise InvalidValue("box", "a positive size, a padding, a margin and a limit")
        if self._pool is None:
            with PDFIUM_LOCK:
                return find_free_boxes(content, page, width, height, padding, margin, limit)
        try:
            return self._pool.call(  # type: ignore[no-any-return]
                find_free_boxes, content, page, width, height, padding, margin, limit)
        except LimitExceeded as exc:
            raise DocumentTooComplex("reading the page exceeded its limits", problem=exc.reason) from exc

    def _cached_copy(self, store: DocumentStore, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound("no such document")
        path = self._cache_dir / f"{sha256}.pdf"
        if path.exists():
            os.utime(path)  # recently used: kept by the eviction
            return path
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".copy-", dir=self._cache_dir)
        try:
            digest = hashlib.sha256()
            with store.open(sha256) as source, os.fdopen(fd, "wb") as target:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
            if digest.hexdigest() != sha256:
                raise DocumentCorrupted("stored bytes do not match their SHA-256", sha256=sha256)
            os.replace(name, path)
        finally:
            Path(name).unlink(missing_ok=True)
        self._evict()
        return path

    def _evict(self) -> None:
        with self._cache_lock:
            entries = []
            for entry in self._cache_dir.glob("*.pdf"):
                try:
                    entries.append((entry.stat().st_mtime, entry))
                except FileNotFoundError:
                    continue
            entries.sort(reverse=True)
            now = time.time()
            for mtime, entry in entries[self._cache_files:]:
                if now - mtime > _KEEP_RECENT_SECONDS:
                    entry.unlink(missing_ok=True)


def _check_width(width_px: int) -> None:
    if not 16 <= width_px <= MAX_WIDTH_PX:
        raise InvalidValue("width_px", f"between 16 and {MAX_WIDTH_PX} pixels")
