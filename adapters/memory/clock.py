"""A clock that only moves when a test says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["FixedClock"]


def _aware_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return dt.astimezone(UTC)


class FixedClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = _aware_utc(now) if now is not None else datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time does not go backwards; use set() to rewind on purpose")
        self._now += delta
        return self._now

    def set(self, dt: datetime) -> None:
        self._now = _aware_utc(dt)
