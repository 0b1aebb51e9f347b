from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.ids import SequentialIds
from adapters.system.clock import SystemClock
from adapters.system.ids import RandomIds
from ports.contracts.clock import ClockContract
from ports.contracts.ids import IdGeneratorContract


class TestSystemClock(ClockContract):
    def make_adapter(self):
        return SystemClock()


class TestFixedClock(ClockContract):
    def make_adapter(self):
        return FixedClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))


class TestRandomIds(IdGeneratorContract):
    def make_adapter(self):
        return RandomIds()


class TestSequentialIds(IdGeneratorContract):
    def make_adapter(self):
        return SequentialIds()


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    clock.advance(timedelta(minutes=90))
    assert clock.now() == datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)


def test_fixed_clock_converts_other_zones_to_utc():
    paris = timezone(timedelta(hours=1))
    clock = FixedClock(datetime(2026, 11, 28, 10, 0, tzinfo=paris))
    assert clock.now() == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_fixed_clock_refuses_naive_times_and_going_backwards():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 11, 28, 9, 0))
    clock = FixedClock()
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 11, 28, 9, 0))
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))


def test_sequential_ids_are_predictable():
    ids = SequentialIds()
    assert [ids.new_id(), ids.new_id()] == ["id-000001", "id-000002"]
    assert ids.new_token() == SequentialIds.token_for(1)
    assert SequentialIds().new_token() == ids.issued_tokens[0]


def test_random_ids_are_uuid4():
    import uuid

    assert uuid.UUID(RandomIds().new_id()).version == 4
