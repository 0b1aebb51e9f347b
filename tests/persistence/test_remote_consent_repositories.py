"""The consents awaited at the QTSP: in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from ports.contracts.remote_consents import RemoteConsentRepositoryContract
from tests.persistence.test_api_key_repositories import _InMemory, _Postgres, _Sqlite


class TestInMemoryRemoteConsents(_InMemory, RemoteConsentRepositoryContract):
    pass


class TestSqliteRemoteConsents(_Sqlite, RemoteConsentRepositoryContract):
    pass


@pytest.mark.postgres
class TestPostgresRemoteConsents(_Postgres, RemoteConsentRepositoryContract):
    pass
