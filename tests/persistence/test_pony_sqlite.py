"""The Pony adapters on SQLite (a temporary file per test) pass the contracts."""

from __future__ import annotations

import pytest
from pony.orm import Database

from adapters.memory.clock import FixedClock
from adapters.persistence import PonyJobStore, PonyUnitOfWork
from ports.contracts.jobs import ContractClock, JobsContract
from ports.contracts.repositories import RepositoriesContract


class TestPonySqliteRepositories(RepositoriesContract):
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_db: Database) -> None:
        self.db = sqlite_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock())


class TestPonySqliteJobs(JobsContract):
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_db: Database) -> None:
        self.db = sqlite_db

    def make_adapter(self) -> PonyJobStore:
        return PonyJobStore(self.db)

    def make_unit_of_work(self, clock: ContractClock) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=clock)


def test_the_sqlite_file_has_one_writer_readers_beside_it_and_writers_that_wait(sqlite_db: Database) -> None:
    """WAL: the web processes read while a worker writes; a write waits 30 s for the lock of another
    process's write before giving up (sqlite3's own default is 5 s)."""
    from pony.orm import db_session

    with db_session:
        assert sqlite_db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert sqlite_db.execute("PRAGMA busy_timeout").fetchone() == (30_000,)
