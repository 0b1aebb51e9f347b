"""The API keys' and idempotency repositories: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from pony.orm import Database

from adapters.memory.clock import FixedClock
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from adapters.persistence import PonyUnitOfWork
from ports.contracts.api_keys import T0, ApiKeyRepositoryContract, IdempotencyRepositoryContract


class _InMemory:
    def setup_method(self) -> None:
        self.store = InMemoryStore()

    def make_adapter(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=FixedClock(T0))


class _Sqlite:
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_db: Database) -> None:
        self.db = sqlite_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock(T0))


class _Postgres:
    @pytest.fixture(autouse=True)
    def _database(self, postgres_db: Database) -> None:
        self.db = postgres_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock(T0))


class TestInMemoryApiKeys(_InMemory, ApiKeyRepositoryContract):
    pass


class TestInMemoryIdempotency(_InMemory, IdempotencyRepositoryContract):
    pass


class TestSqliteApiKeys(_Sqlite, ApiKeyRepositoryContract):
    pass


class TestSqliteIdempotency(_Sqlite, IdempotencyRepositoryContract):
    pass


@pytest.mark.postgres
class TestPostgresApiKeys(_Postgres, ApiKeyRepositoryContract):
    pass


@pytest.mark.postgres
class TestPostgresIdempotency(_Postgres, IdempotencyRepositoryContract):
    pass
