"""AttemptThrottle kept in the process's memory.

Enough for one web process (the SQLite deployment, or one process per host behind a
sticky proxy): counts are lost on restart and not shared between processes, which only
makes the throttle more lenient, never wrong. Memory is bounded: a day of attempts per
key, at most ``max_keys`` keys (the least recently used are dropped first).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta

HORIZON = timedelta(days=1)
MAX_PER_KEY = 1000


class InProcessThrottle:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._attempts: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str, *, limit: int, window: timedelta, now: datetime) -> int | None:
        with self._lock:
            attempts = self._attempts.get(key)
            if not attempts:
                return None
            recent = [t for t in attempts if t > now - window]
            if len(recent) < limit:
                return None
            # The attempt whose leaving brings the count under the limit.
            freed_at = recent[len(recent) - limit] + window
            return max(1, math.ceil((freed_at - now).total_seconds()))

    def record(self, key: str, *, now: datetime) -> None:
        with self._lock:
            attempts = self._attempts.pop(key, None) or deque(maxlen=MAX_PER_KEY)
            while attempts and attempts[0] <= now - HORIZON:
                attempts.popleft()
            attempts.append(now)
            self._attempts[key] = attempts
            while len(self._attempts) > self._max_keys:
                self._attempts.popitem(last=False)
