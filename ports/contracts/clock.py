"""What every Clock must do. Subclass in tests and implement ``make_adapter``."""

from __future__ import annotations

from datetime import timedelta

from ports.clock import Clock

__all__ = ["ClockContract"]


class ClockContract:
    def make_adapter(self) -> Clock:
        raise NotImplementedError

    def test_is_a_clock(self) -> None:
        assert isinstance(self.make_adapter(), Clock)

    def test_now_is_timezone_aware_utc(self) -> None:
        now = self.make_adapter().now()
        assert now.tzinfo is not None
        assert now.utcoffset() == timedelta(0)

    def test_time_never_goes_backwards(self) -> None:
        clock = self.make_adapter()
        first = clock.now()
        second = clock.now()
        assert second >= first
