"""Databases for the persistence tests.

PostgreSQL: each test session creates its own databases, named ``seing_test_<random>``, on
127.0.0.1:5432 as user postgres, and drops them at the end. Under CI=true an unreachable
server fails the tests; elsewhere they are skipped, loudly.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Callable, Iterator

import psycopg2
import pytest
from pony.orm import Database, db_session

from adapters.persistence import open_database, upgrade
from tests.conftest import require_service

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
TABLES = ("remote_consents", "seal_requests", "sealings", "webhook_deliveries", "webhook_endpoints", "api_keys", "idempotency_records", "registration_officers",
          "jobs", "password_resets", "accounts", "invitations", "members", "persons", "cabinets",
          "certificates", "one_time_codes", "lcp_registrations", "collection_links", "collections",
          "qcp_identity_sessions", "qcp_enrollments", "capture_links", "audit_events")


def _admin_connection() -> psycopg2.extensions.connection:
    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3)
    conn.autocommit = True  # CREATE/DROP DATABASE refuse to run in a transaction
    return conn


@pytest.fixture(scope="session")
def make_postgres_database() -> Iterator[Callable[[], str]]:
    """A factory of new empty databases; returns their URL. All are dropped at the end."""
    try:
        admin = _admin_connection()
    except psycopg2.OperationalError as error:
        require_service(False, f"PostgreSQL on {PG_HOST}:{PG_PORT} as {PG_USER} ({str(error).strip()})")
    created: list[str] = []

    def make() -> str:
        name = f"seing_test_{secrets.token_hex(6)}"
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"

    yield make
    with admin.cursor() as cursor:
        for name in created:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def postgres_url(make_postgres_database: Callable[[], str]) -> str:
    url = make_postgres_database()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_session_db(postgres_url: str) -> Iterator[Database]:
    db = open_database(postgres_url)
    yield db
    db.disconnect()


@pytest.fixture
def postgres_db(postgres_session_db: Database) -> Database:
    """The session's database, emptied before the test (faster than a database per test)."""
    with db_session:
        for table in TABLES:  # DELETE beats TRUNCATE on tables this small
            postgres_session_db.execute(f"DELETE FROM {table}")
    return postgres_session_db


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "seing.db"
    upgrade(f"sqlite://{path}")
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite file per test (a copy of one migrated once)."""
    path = tmp_path / "seing.db"
    shutil.copyfile(sqlite_template, path)
    db = open_database(f"sqlite://{path}")
    yield db
    db.disconnect()
