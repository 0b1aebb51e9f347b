"""The shifted-clock run (``make test-shifted``) really runs two years ahead, and the plain run does not.

The PostgreSQL server is a process libfaketime does not reach, so its ``now()`` is the real
time: the gap between it and this process's wall clock is the shift the run claims.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from tests.conftest import require_service
from tests.persistence.conftest import PG_HOST, PG_PORT, PG_USER

pytestmark = pytest.mark.postgres


def test_the_wall_clock_is_shifted_by_exactly_what_the_run_announces() -> None:
    announced = timedelta(days=int(os.environ.get("SEING_TEST_CLOCK_SHIFT_DAYS", "0")))
    try:
        connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        require_service(False, f"PostgreSQL on {PG_HOST}:{PG_PORT} ({str(error).strip()})")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            (server_now,) = cursor.fetchone()
    finally:
        connection.close()
    gap = datetime.now(UTC) - server_now
    assert abs(gap - announced) < timedelta(minutes=5), f"wall clock ahead of the server by {gap}, expected {announced}"
