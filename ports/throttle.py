"""Counting attempts per key (a client address, an email) over a sliding window.

The use cases decide what to count and how many are allowed (``domain/services/accounts.py``);
the adapter only remembers when each attempt happened. The caller passes ``now`` from its
Clock, so the adapter reads no time of its own and tests move a fixed clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class AttemptThrottle(Protocol):
    def retry_after(self, key: str, *, limit: int, window: timedelta, now: datetime) -> int | None:
        """None while fewer than ``limit`` attempts were recorded under ``key`` in the last
        ``window``; else the whole seconds (at least 1) until the oldest of them leaves it."""
        ...

    def record(self, key: str, *, now: datetime) -> None:
        """Count one attempt under ``key``. Attempts older than a day may be forgotten."""
        ...
