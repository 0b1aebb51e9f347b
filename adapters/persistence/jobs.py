"""The worker's job store on Pony: claim with a lease, then complete or fail.

``claim`` selects due jobs ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent
workers take disjoint jobs without waiting on each other; on SQLite Pony turns the same
query into a ``BEGIN IMMEDIATE`` transaction, which holds the write lock from the select
to the commit. The claim writes ``leased_until``: until then the job is invisible to other
claims; after it (the worker died) it is claimed again, so delivery is at least once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pony.orm import Database, count, db_session, desc, select
from pony.orm.core import local as pony_local

from adapters.persistence import mappers
from domain.model.errors import NotFound
from domain.model.jobs import Job, JobStatus

__all__ = ["PonyJobStore"]

_PENDING = JobStatus.PENDING.value


class PonyJobStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._rows = db.JobRow

    def claim(self, *, now: datetime, limit: int, lease_seconds: int) -> list[Job]:
        self._outside_units_of_work()
        at = mappers.to_column(now)
        lease_end = mappers.to_column(now + timedelta(seconds=lease_seconds))
        with db_session:
            rows = (self._rows.select(lambda j: j.status == _PENDING and j.run_at <= at
                                      and (j.leased_until is None or j.leased_until <= at))
                    .order_by(lambda j: (j.run_at, j.id))
                    .for_update(skip_locked=True)[:limit])
            for row in rows:
                row.leased_until = lease_end
            return [mappers.job_from_row(row) for row in rows]

    def complete(self, job_id: str, *, now: datetime) -> None:
        self._outside_units_of_work()
        with db_session:
            row = self._row(job_id)
            row.set(status=JobStatus.DONE.value, attempts=row.attempts + 1, leased_until=None)

    def fail(self, job_id: str, *, error: str, now: datetime, retry_at: datetime | None) -> None:
        self._outside_units_of_work()
        with db_session:
            row = self._row(job_id)
            row.set(attempts=row.attempts + 1, last_error=error, leased_until=None)
            if retry_at is None:
                row.status = JobStatus.FAILED.value
            else:
                row.run_at = mappers.to_column(retry_at)

    def get(self, job_id: str) -> Job:
        with db_session:
            return mappers.job_from_row(self._row(job_id))

    def list(self, *, limit: int = 100) -> list[Job]:
        with db_session:
            rows = self._rows.select().order_by(lambda j: (desc(j.created_at), desc(j.id)))[:limit]
            return [mappers.job_from_row(row) for row in rows]

    def count_by_status(self) -> dict[JobStatus, int]:
        with db_session:
            counted = dict(select((j.status, count(j)) for j in self._rows)[:])
        return {status: counted.get(status.value, 0) for status in JobStatus}

    def _row(self, job_id: str) -> Any:
        row = self._rows.get(id=job_id)
        if row is None:
            raise NotFound(f"job {job_id} not found")
        return row

    @staticmethod
    def _outside_units_of_work() -> None:
        # Inside an open db_session Pony would run this in the caller's transaction.
        if pony_local.db_session is not None:
            raise RuntimeError("the job store runs outside any unit of work")
