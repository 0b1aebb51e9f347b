"""What every AttemptThrottle must do. Subclass in tests and implement ``make_adapter``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ports.throttle import AttemptThrottle

__all__ = ["AttemptThrottleContract"]

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=15)


class AttemptThrottleContract:
    def make_adapter(self) -> AttemptThrottle:
        raise NotImplementedError

    def test_is_an_attempt_throttle(self) -> None:
        assert isinstance(self.make_adapter(), AttemptThrottle)

    def test_attempts_below_the_limit_are_allowed(self) -> None:
        throttle = self.make_adapter()
        for minute in range(3):
            assert throttle.retry_after("k", limit=4, window=WINDOW, now=T0 + timedelta(minutes=minute)) is None
            throttle.record("k", now=T0 + timedelta(minutes=minute))
        assert throttle.retry_after("k", limit=4, window=WINDOW, now=T0 + timedelta(minutes=3)) is None

    def test_the_limit_refuses_until_the_oldest_attempt_leaves_the_window(self) -> None:
        throttle = self.make_adapter()
        for minute in range(4):
            throttle.record("k", now=T0 + timedelta(minutes=minute))
        assert throttle.retry_after("k", limit=4, window=WINDOW, now=T0 + timedelta(minutes=5)) == 10 * 60
        assert throttle.retry_after("k", limit=4, window=WINDOW,
                                    now=T0 + timedelta(minutes=14, seconds=59, milliseconds=500)) == 1
        assert throttle.retry_after("k", limit=4, window=WINDOW, now=T0 + timedelta(minutes=15)) is None

    def test_keys_are_counted_apart(self) -> None:
        throttle = self.make_adapter()
        for _ in range(4):
            throttle.record("a", now=T0)
        assert throttle.retry_after("a", limit=4, window=WINDOW, now=T0) is not None
        assert throttle.retry_after("b", limit=4, window=WINDOW, now=T0) is None
