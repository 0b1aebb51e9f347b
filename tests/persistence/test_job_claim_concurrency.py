"""Workers claiming at the same time never receive the same job."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest
from pony.orm import Database

from adapters.persistence import PonyJobStore, PonyUnitOfWork
from adapters.persistence.location import parse_database_url
from domain.model.jobs import JobSpec

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


class _Clock:
    def now(self) -> datetime:
        return NOW - timedelta(minutes=1)


def _enqueue(db: Database, count: int) -> set[str]:
    with PonyUnitOfWork(db, clock=_Clock()) as uow:
        ids = {uow.jobs.enqueue(JobSpec(kind="k", payload={"n": str(n)})) for n in range(count)}
        uow.commit()
    return ids


def _claim_concurrently(db: Database, workers: int) -> list[str]:
    """Every worker claims small batches until nothing is left; returns every claimed id."""
    start = threading.Barrier(workers)
    claimed: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        store = PonyJobStore(db)
        try:
            start.wait()
            while True:
                batch = store.claim(now=NOW, limit=3, lease_seconds=600)
                if not batch:
                    return
                with lock:
                    claimed.extend(job.id for job in batch)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            db.disconnect()  # Pony keeps one connection per thread

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return claimed


def _assert_each_job_claimed_exactly_once(claimed: list[str], enqueued: set[str]) -> None:
    duplicates = [job_id for job_id, times in Counter(claimed).items() if times > 1]
    assert duplicates == []
    assert set(claimed) == enqueued


@pytest.mark.postgres
def test_concurrent_workers_on_postgresql_never_share_a_job(postgres_db: Database) -> None:
    enqueued = _enqueue(postgres_db, 300)
    _assert_each_job_claimed_exactly_once(_claim_concurrently(postgres_db, workers=6), enqueued)


@pytest.mark.postgres
def test_a_claim_on_postgresql_skips_jobs_another_worker_holds_instead_of_waiting(
        postgres_db: Database, postgres_url: str) -> None:
    enqueued = _enqueue(postgres_db, 3)
    held = sorted(enqueued)[0]
    other = psycopg2.connect(**parse_database_url(postgres_url).psycopg2_kwargs())
    claimed: list[str] = []

    def claim() -> None:
        try:
            claimed.extend(job.id for job in PonyJobStore(postgres_db).claim(now=NOW, limit=10, lease_seconds=600))
        finally:
            postgres_db.disconnect()

    try:
        with other.cursor() as cursor:  # a transaction left open, holding one row
            cursor.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (held,))
        claimer = threading.Thread(target=claim)
        claimer.start()
        claimer.join(timeout=5)
        waited = claimer.is_alive()
    finally:
        other.rollback()
        other.close()
    claimer.join(timeout=30)
    assert not waited, "the claim waited for the row another worker holds"
    assert set(claimed) == enqueued - {held}
    assert [job.id for job in PonyJobStore(postgres_db).claim(now=NOW, limit=10, lease_seconds=600)] == [held]

def test_concurrent_workers_on_sqlite_never_share_a_job(sqlite_db: Database) -> None:
    enqueued = _enqueue(sqlite_db, 100)
    _assert_each_job_claimed_exactly_once(_claim_concurrently(sqlite_db, workers=4), enqueued)
