"""The audit trail on Pony, SQLite and PostgreSQL, against the AuditTrail contract."""

from __future__ import annotations

import pytest

from ports.contracts.audit import AuditTrailContract
from tests.persistence.test_pony_more_repositories import _OneRepositoryAtATime


class TestPonySqliteAuditTrail(_OneRepositoryAtATime, AuditTrailContract):
    repository_name, database_fixture = "audit", "sqlite_db"


@pytest.mark.postgres
class TestPonyPostgresAuditTrail(_OneRepositoryAtATime, AuditTrailContract):
    repository_name, database_fixture = "audit", "postgres_db"
