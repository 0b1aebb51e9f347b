"""The seal's repositories (certificate requests, sealings): in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from ports.contracts.seals import SealRepositoriesContract
from tests.persistence.test_api_key_repositories import _InMemory, _Postgres, _Sqlite


class TestInMemorySeals(_InMemory, SealRepositoriesContract):
    pass


class TestSqliteSeals(_Sqlite, SealRepositoriesContract):
    pass


@pytest.mark.postgres
class TestPostgresSeals(_Postgres, SealRepositoriesContract):
    pass
