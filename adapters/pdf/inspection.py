"""PDF inspection: pyHanko reads the structure, PDFium loads every page.

pyHanko's strict reader is the one that will later add the signatures as incremental
updates, so a file it cannot read must be refused now rather than fail at signing time.
PDFium then loads each page (what the wizard renders) and gives its size in points.
This adapter reports; domain/model/intake.py decides.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.pdf.pdfium_lock import PDFIUM_LOCK
from domain.model.document import PageSize
from domain.model.intake import PdfInfo

__all__ = ["PyHankoPdfiumInspector"]


class PyHankoPdfiumInspector:
    def inspect(self, content: bytes) -> PdfInfo:
        try:
            reader = PdfFileReader(io.BytesIO(content), strict=True)
        except Exception as exc:  # noqa: BLE001 - any parse failure means "unreadable"
            return PdfInfo(readable=False, problem=f"{type(exc).__name__}: {exc}")
        if reader.encrypted:
            return PdfInfo(readable=False, encrypted=True, problem="encrypted")
        try:
            has_signatures = len(reader.embedded_signatures) > 0
            declared_pages = int(reader.root["/Pages"]["/Count"])
        except Exception as exc:  # noqa: BLE001
            return PdfInfo(readable=False, problem=f"{type(exc).__name__}: {exc}")
        if declared_pages <= 0:
            return PdfInfo(readable=True, has_signatures=has_signatures)
        try:
            sizes = self._page_sizes(content)
        except Exception as exc:  # noqa: BLE001
            return PdfInfo(readable=False, has_signatures=has_signatures, problem=f"{type(exc).__name__}: {exc}")
        return PdfInfo(readable=True, page_sizes=sizes, has_signatures=has_signatures)

    @staticmethod
    def _page_sizes(content: bytes) -> list[PageSize]:
        with PDFIUM_LOCK:
            return PyHankoPdfiumInspector._read_page_sizes(content)

    @staticmethod
    def _read_page_sizes(content: bytes) -> list[PageSize]:
        document = pdfium.PdfDocument(content)
        try:
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
