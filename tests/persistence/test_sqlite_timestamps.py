"""SQLite timestamp columns are read without time.strptime, to the same datetimes Pony gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pony.utils.utils import timestamp2datetime

from adapters.persistence.database import _sqlite_timestamp


@pytest.mark.parametrize("text", ["2026-12-07 02:17:59", "2026-12-07 02:17:59.1", "2026-12-07 02:17:59.123456",
                                  "1999-01-01 00:00:00.000001", "2099-12-31 23:59:59.999999"])
def test_a_stored_timestamp_reads_as_pony_reads_it(text):
    assert _sqlite_timestamp(None, text) == timestamp2datetime(text)


def test_a_timestamp_written_now_reads_back_the_same():
    moment = (datetime.now(UTC) + timedelta(microseconds=7)).replace(tzinfo=None)
    assert _sqlite_timestamp(None, moment.isoformat(sep=" ")) == moment


@pytest.mark.parametrize("value", ["2026-12-07", "pas une date", None, 12])
def test_a_value_that_is_no_timestamp_is_returned_unchanged(value):
    assert _sqlite_timestamp(None, value) == value
