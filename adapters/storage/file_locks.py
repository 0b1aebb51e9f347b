"""Locks shared by every process of one host: ``flock`` on a file per key, plus a thread lock
(``flock`` is per open file description, so threads of one process need their own)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["FileLocks"]


class FileLocks:
    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)
        self._guard = threading.Lock()
        self._threads: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        self._directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".lock"
        with self._guard:
            thread_lock = self._threads.setdefault(key, threading.Lock())
        with thread_lock:
            fd = os.open(self._directory / name, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
