"""The registration officers' repository: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from pony.orm import Database

from adapters.memory.clock import FixedClock
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from adapters.persistence import PonyUnitOfWork
from ports.contracts.officers import RegistrationOfficerRepositoryContract


class TestInMemoryOfficers(RegistrationOfficerRepositoryContract):
    def setup_method(self) -> None:
        self.store = InMemoryStore()

    def make_adapter(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=FixedClock())


class TestSqliteOfficers(RegistrationOfficerRepositoryContract):
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_db: Database) -> None:
        self.db = sqlite_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock())


@pytest.mark.postgres
class TestPostgresOfficers(RegistrationOfficerRepositoryContract):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_db: Database) -> None:
        self.db = postgres_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock())
