"""Loaded by every Python process of the shifted-clock run, and only there (see the Makefile).

libfaketime 0.9.10 (Debian 12) makes ``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`` fail
with EINVAL when monotonic time is left alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``), and that is
the call behind Python's ``time.sleep``: every sleep, the ones inside ``subprocess.run(timeout=)``
included, raised ``OSError: [Errno 22] Invalid argument``. ``select`` waits on a relative timeout,
which libfaketime passes through untouched, so sleeping through it keeps real durations while the
wall clock stays shifted. Nothing else is changed: the code under test reads the shifted clock.
"""

from __future__ import annotations

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME"):
    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        select.select([], [], [], seconds)  # PEP 475: retried with the time left if a signal interrupts it

    time.sleep = _sleep
