"""PDFium is not thread-safe: two web threads rendering or reading pages at once crash the
process (seen as segmentation faults under concurrent page-image requests). Every use of
pypdfium2 in this package holds this one lock."""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
