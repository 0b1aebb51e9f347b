"""PDF inspection: pyHanko reads the structure, PDFium loads every page.

pyHanko's strict reader is the one that will later add the signatures as incremental
updates, so a file it cannot read must be refused now rather than fail at signing time.
PDFium then loads each page (what the wizard renders) and gives its size in points.
This adapter reports; domain/model/intake.py decides.

Uploaded PDFs are untrusted. Given a ``BoundedProcessPool``, the whole reading runs in a
worker with bounded memory and time, and a file that exhausts it is reported
``too_demanding``. Inside, every Flate stream is inflated once with a running count and
without keeping the output, so a decompression bomb (in a content stream, an image, an
embedded file) is found before any renderer meets it; object and xref streams are inflated by
pyHanko's reader itself, under the worker's memory limit. Without a pool (tests, tools) the
reading runs in the calling process, behind the PDFium lock.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pypdfium2 as pdfium
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.isolation.pool import BoundedProcessPool, LimitExceeded
from adapters.pdf.pdfium_lock import PDFIUM_LOCK
from adapters.shared import pdf_tokens
from domain.model.document import PageSize
from domain.model.intake import PdfInfo

pdf_tokens.apply()  # pyHanko's parser without a Python loop per byte (adapters/shared/pdf_tokens.py)

__all__ = ["PyHankoPdfiumInspector", "inspect_pdf"]

# What all the Flate streams of one file may inflate to, together (a scanned 25 MB contract
# inflates to some hundreds of MB at most), and the pixels one image may declare.
DEFAULT_INFLATE_LIMIT = 512 * 1024 * 1024
MAX_IMAGE_PIXELS = 200_000_000
# pyHanko parses about a thousand objects a second on a small server: beyond these, reading
# the file is refused rather than left to the worker's timeout.
DEFAULT_MAX_PAGES = 2000
MAX_OBJECTS = 100_000
_CHUNK = 1024 * 1024
_ACTIVE_ACTIONS = {"/JavaScript": "javascript", "/Launch": "launch"}


class _TooDemanding(Exception):
    pass


def _inflated_size(data: bytes, budget: int) -> int:
    """The inflated size of ``data``, stopping as soon as it is over ``budget``."""
    inflater = zlib.decompressobj()
    total, pending = 0, data
    try:
        while pending:
            total += len(inflater.decompress(pending, _CHUNK))
            if total > budget:
                raise _TooDemanding(f"Flate streams inflate to more than {budget} bytes")
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        return total  # a damaged stream: the readers decide what to make of it
    return total


def _first_filter(stream: generic.StreamObject) -> str | None:
    value = stream.get("/Filter")
    if isinstance(value, generic.ArrayObject):
        value = value[0] if len(value) else None
    return str(value) if value is not None else None


def _active_kinds(obj: generic.PdfObject, found: set[str]) -> None:
    """JavaScript and Launch actions in ``obj`` and its direct children (references are visited on their own)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, generic.DictionaryObject):
            kind = item.raw_get("/S") if "/S" in item else None
            if isinstance(kind, generic.NameObject) and str(kind) in _ACTIVE_ACTIONS:
                found.add(_ACTIVE_ACTIONS[str(kind)])
            if "/JS" in item:
                found.add("javascript")
            stack.extend(item.raw_get(key) for key in item)
        elif isinstance(item, generic.ArrayObject):
            stack.extend(item.raw_get(i) for i in range(len(item)))


def _scan(reader: PdfFileReader, inflate_limit: int) -> tuple[str, ...]:
    refs: set[generic.Reference] = set()
    for revision in range(reader.xrefs.total_revisions):
        refs |= reader.xrefs.explicit_refs_in_revision(revision)
    if len(refs) > MAX_OBJECTS:
        raise _TooDemanding(f"{len(refs)} objects")
    active: set[str] = set()
    budget = inflate_limit
    for ref in refs:
        try:
            obj = reader.get_object(ref)
        except (MemoryError, RecursionError):
            raise
        except Exception:  # noqa: BLE001 - a dangling entry: pyHanko and PDFium judge the structure
            continue
        _active_kinds(obj, active)
        if isinstance(obj, generic.StreamObject):
            if str(obj.get("/Subtype", "")) == "/Image":
                width, height = obj.get("/Width", 0), obj.get("/Height", 0)
                if isinstance(width, int) and isinstance(height, int) and width * height > MAX_IMAGE_PIXELS:
                    raise _TooDemanding(f"an image of {width}x{height} pixels")
            if _first_filter(obj) == "/FlateDecode":
                budget -= _inflated_size(obj.encoded_data, budget)
    return tuple(sorted(active))


def _read_page_sizes(content: bytes, max_pages: int) -> list[PageSize]:
    document = pdfium.PdfDocument(content)
    try:
        if len(document) > max_pages:  # a /Count that lied
            raise _TooDemanding(f"{len(document)} pages")
        sizes = []
        for index in range(len(document)):
            page = document[index]
            try:
                width, height = page.get_size()
            finally:
                page.close()
            sizes.append(PageSize(width=round(width, 2), height=round(height, 2)))
        return sizes
    finally:
        document.close()


def inspect_pdf(content: bytes, inflate_limit: int = DEFAULT_INFLATE_LIMIT,
                max_pages: int = DEFAULT_MAX_PAGES) -> PdfInfo:
    """The whole inspection; module-level so that a worker process can run it."""
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=True)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure means "unreadable"
        return PdfInfo(readable=False, problem=f"{type(exc).__name__}: {exc}")
    if reader.encrypted:
        return PdfInfo(readable=False, encrypted=True, problem="encrypted")
    try:
        has_signatures = len(reader.embedded_signatures) > 0
        declared_pages = int(reader.root["/Pages"]["/Count"])
        if declared_pages > max_pages:
            raise _TooDemanding(f"{declared_pages} pages")
        active = _scan(reader, inflate_limit)
    except _TooDemanding as exc:
        return PdfInfo(readable=False, too_demanding=True, problem=str(exc))
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001
        return PdfInfo(readable=False, problem=f"{type(exc).__name__}: {exc}")
    if declared_pages <= 0:
        return PdfInfo(readable=True, has_signatures=has_signatures, active_content=active)
    try:
        sizes = _read_page_sizes(content, max_pages)
    except _TooDemanding as exc:
        return PdfInfo(readable=False, too_demanding=True, problem=str(exc))
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001
        return PdfInfo(readable=False, has_signatures=has_signatures, problem=f"{type(exc).__name__}: {exc}")
    return PdfInfo(readable=True, page_sizes=sizes, has_signatures=has_signatures, active_content=active)


def inspect_pdf_file(path: str, inflate_limit: int = DEFAULT_INFLATE_LIMIT,
                     max_pages: int = DEFAULT_MAX_PAGES) -> PdfInfo:
    """``inspect_pdf`` on a file read inside the worker, under its memory limit: only the path
    crosses the pipe."""
    with open(path, "rb") as handle:
        content = handle.read()
    return inspect_pdf(content, inflate_limit, max_pages)


class PyHankoPdfiumInspector:
    def __init__(self, pool: BoundedProcessPool | None = None, *, inflate_limit: int = DEFAULT_INFLATE_LIMIT,
                 max_pages: int = DEFAULT_MAX_PAGES) -> None:
        self._pool = pool
        self._limits = (inflate_limit, max_pages)

    def inspect(self, content: bytes) -> PdfInfo:
        if self._pool is None:
            with PDFIUM_LOCK:
                try:
                    return inspect_pdf(content, *self._limits)
                except (MemoryError, RecursionError) as exc:
                    return PdfInfo(readable=False, too_demanding=True, problem=type(exc).__name__)
        try:
            return self._pool.call(inspect_pdf, content, *self._limits)  # type: ignore[no-any-return]
        except LimitExceeded as exc:
            return PdfInfo(readable=False, too_demanding=True, problem=exc.reason)

    def inspect_file(self, path: Path) -> PdfInfo:
        if self._pool is None:
            return self.inspect(Path(path).read_bytes())
        try:
            return self._pool.call(inspect_pdf_file, str(path), *self._limits)  # type: ignore[no-any-return]
        except LimitExceeded as exc:
            return PdfInfo(readable=False, too_demanding=True, problem=exc.reason)
