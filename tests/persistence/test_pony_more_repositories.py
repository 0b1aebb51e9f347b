"""Certificates, one-time codes, LCP registrations, collections and QCP enrollments on Pony, SQLite and
PostgreSQL, against the same contracts as the in-memory repositories."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from pony.orm import Database

from adapters.memory.clock import FixedClock
from adapters.persistence import PonyUnitOfWork
from ports.contracts.certificates import CertificateRepositoryContract
from ports.contracts.collections import CollectionRepositoryContract
from ports.contracts.lcp_registrations import LcpRegistrationRepositoryContract
from ports.contracts.one_time_codes import OneTimeCodeRepositoryContract
from ports.contracts.qcp_enrollment import QcpEnrollmentStorageContract


class _OneRepositoryAtATime:
    """For the contracts that hand out a repository: it lives in the one open unit of work
    (Pony allows one session per thread); ``commit`` commits that unit of work, ``reload``
    closes it and returns the repository of a fresh one."""

    repository_name: str
    database_fixture: str

    @pytest.fixture(autouse=True)
    def _database(self, request: pytest.FixtureRequest) -> Iterator[None]:
        self.db: Database = request.getfixturevalue(self.database_fixture)
        self.current: PonyUnitOfWork | None = None
        yield
        self._close()

    def _close(self) -> None:
        if self.current is not None:
            self.current.__exit__(None, None, None)
            self.current = None

    def make_adapter(self) -> Any:
        self._close()
        self.current = PonyUnitOfWork(self.db, clock=FixedClock()).__enter__()
        return getattr(self.current, self.repository_name)

    def commit(self, repository: Any) -> None:
        assert self.current is not None
        self.current.commit()

    def reload(self, repository: Any) -> Any:
        return self.make_adapter()


class _WholeUnitOfWork:
    database_fixture: str

    @pytest.fixture(autouse=True)
    def _database(self, request: pytest.FixtureRequest) -> None:
        self.db: Database = request.getfixturevalue(self.database_fixture)

    def make_adapter(self) -> PonyUnitOfWork:
        return PonyUnitOfWork(self.db, clock=FixedClock())


class _UnitsOfWorkFactory:
    database_fixture: str

    @pytest.fixture(autouse=True)
    def _database(self, request: pytest.FixtureRequest) -> None:
        self.db: Database = request.getfixturevalue(self.database_fixture)

    def make_uow(self) -> Callable[[], PonyUnitOfWork]:
        return lambda: PonyUnitOfWork(self.db, clock=FixedClock())


class TestPonySqliteQcpStorage(_UnitsOfWorkFactory, QcpEnrollmentStorageContract):
    database_fixture = "sqlite_db"


@pytest.mark.postgres
class TestPonyPostgresQcpStorage(_UnitsOfWorkFactory, QcpEnrollmentStorageContract):
    database_fixture = "postgres_db"


class TestPonySqliteCertificates(_OneRepositoryAtATime, CertificateRepositoryContract):
    repository_name, database_fixture = "certificates", "sqlite_db"


class TestPonySqliteOneTimeCodes(_OneRepositoryAtATime, OneTimeCodeRepositoryContract):
    repository_name, database_fixture = "one_time_codes", "sqlite_db"


class TestPonySqliteLcpRegistrations(_OneRepositoryAtATime, LcpRegistrationRepositoryContract):
    repository_name, database_fixture = "lcp_registrations", "sqlite_db"


class TestPonySqliteCollections(_WholeUnitOfWork, CollectionRepositoryContract):
    database_fixture = "sqlite_db"


@pytest.mark.postgres
class TestPonyPostgresCertificates(_OneRepositoryAtATime, CertificateRepositoryContract):
    repository_name, database_fixture = "certificates", "postgres_db"


@pytest.mark.postgres
class TestPonyPostgresOneTimeCodes(_OneRepositoryAtATime, OneTimeCodeRepositoryContract):
    repository_name, database_fixture = "one_time_codes", "postgres_db"


@pytest.mark.postgres
class TestPonyPostgresLcpRegistrations(_OneRepositoryAtATime, LcpRegistrationRepositoryContract):
    repository_name, database_fixture = "lcp_registrations", "postgres_db"


@pytest.mark.postgres
class TestPonyPostgresCollections(_WholeUnitOfWork, CollectionRepositoryContract):
    database_fixture = "postgres_db"
