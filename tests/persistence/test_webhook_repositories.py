"""The webhooks' repositories: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from pony.orm import Database

from adapters.memory.clock import FixedClock
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from adapters.persistence import PonyUnitOfWork
from ports.contracts.webhooks import T0, WebhookRepositoryContract


class TestInMemoryWebhooks(WebhookRepositoryContract):
    def setup_method(self) -> None:
        self.store = InMemoryStore()

    def make_adapter(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=FixedClock(T0))


class TestSqliteWebhooks(WebhookRepositoryContract):
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_db: Database) -> None:
        self.db = sqlite_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock(T0))


@pytest.mark.postgres
class TestPostgresWebhooks(WebhookRepositoryContract):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_db: Database) -> None:
        self.db = postgres_db

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock(T0))
