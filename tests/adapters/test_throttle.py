from datetime import datetime, timedelta, timezone

from adapters.system.throttle import InProcessThrottle
from ports.contracts.throttle import AttemptThrottleContract


class TestInProcessThrottle(AttemptThrottleContract):
    def make_adapter(self) -> InProcessThrottle:
        return InProcessThrottle()


def test_memory_stays_bounded_by_dropping_the_least_recent_keys():
    throttle = InProcessThrottle(max_keys=2)
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    for key in ("a", "b", "c"):
        throttle.record(key, now=now)
    assert throttle.retry_after("a", limit=1, window=timedelta(hours=1), now=now) is None
    assert throttle.retry_after("c", limit=1, window=timedelta(hours=1), now=now) == 3600
