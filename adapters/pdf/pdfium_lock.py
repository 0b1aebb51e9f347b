"""PDFium is not thread-safe: two web threads rendering or reading pages at once crash the
process (seen as segmentation faults under concurrent page-image requests). When the adapters
run PDFium in the calling process (no worker pool: tests, tools), every use holds this one
lock; in production they run in single-threaded worker processes (adapters/isolation/pool.py)
and the web process never takes it."""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
