"""Schema versioning: ordered SQL migrations per dialect, applied once each, data kept."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import psycopg2
import pytest

import adapters.persistence.migrations as migrations_module
from adapters.memory.clock import FixedClock
from adapters.persistence import (
    PonyJobStore,
    PonyUnitOfWork,
    SchemaNotCurrent,
    current_version,
    latest_version,
    open_database,
    upgrade,
)
from adapters.persistence.location import parse_database_url
from adapters.persistence.migrations import Migration, migrations
from domain.model.jobs import JobStatus
from domain.model.values import Email, Mobile, PersonName


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'sub' / 'seing.db'}"
    make: Callable[[], str] = request.getfixturevalue("make_postgres_database")
    return make()


def _raw(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    location = parse_database_url(url)
    if location.dialect == "sqlite":
        conn = sqlite3.connect(location.path)  # type: ignore[arg-type]
        try:
            with conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()
    conn = psycopg2.connect(**location.psycopg2_kwargs())
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def test_every_dialect_ships_the_same_numbered_migrations() -> None:
    assert latest_version() >= 2
    for dialect in ("sqlite", "postgres"):
        assert [m.version for m in migrations(dialect)] == list(range(1, latest_version() + 1))


def test_a_new_database_is_at_version_zero_and_cannot_be_opened(empty_url: str) -> None:
    assert current_version(empty_url) == 0
    with pytest.raises(SchemaNotCurrent):
        open_database(empty_url)


def test_upgrade_applies_every_migration_once(empty_url: str) -> None:
    assert upgrade(empty_url) == list(range(1, latest_version() + 1))
    assert upgrade(empty_url) == []
    assert current_version(empty_url) == latest_version()
    rows = _raw(empty_url, "SELECT version, name FROM schema_version ORDER BY version")
    assert rows == [(m.version, m.name) for m in migrations(parse_database_url(empty_url).dialect)]


def _upgrade_at_once(url: str, threads: int) -> tuple[list[int], list[BaseException]]:
    """``upgrade(url)`` from ``threads`` threads released together: the versions applied, the errors."""
    start = threading.Barrier(threads)
    applied: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            applied.extend(upgrade(url))
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            errors.append(error)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=60)
    return applied, errors


def test_concurrent_upgrades_apply_each_migration_once(empty_url: str) -> None:
    applied, errors = _upgrade_at_once(empty_url, 3)
    assert errors == []
    assert sorted(applied) == list(range(1, latest_version() + 1))
    assert current_version(empty_url) == latest_version()


def test_new_sqlite_files_upgraded_by_many_at_once_are_never_found_locked(tmp_path: Path) -> None:
    # Switching a new file to write-ahead logging from two connections at once is a deadlock
    # SQLite answers at once with "database is locked" (no busy wait): before the switch was
    # retried, about one round in ten failed here.
    failures: list[BaseException] = []
    for round_ in range(30):
        url = f"sqlite://{tmp_path / str(round_) / 'seing.db'}"
        failures += _upgrade_at_once(url, 4)[1]
        assert current_version(url) == latest_version()
    assert failures == []


def test_a_lock_that_outlasts_the_timeout_is_still_reported(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite://{tmp_path / 'seing.db'}"
    monkeypatch.setattr(migrations_module, "_SQLITE_TIMEOUT", 0.2)
    holder = sqlite3.connect(tmp_path / "seing.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            upgrade(url)
    finally:
        holder.close()


def test_upgrading_from_version_1_keeps_the_data(empty_url: str) -> None:
    assert upgrade(empty_url, target=1) == [1]
    assert current_version(empty_url) == 1
    created = datetime(2026, 11, 1, 8, 0, 0, 500000)
    _raw(empty_url, "INSERT INTO persons (id, given_names, surname, email, mobile, locale, created_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
         ("per-1", "Jessica", "Poussart", "jessica@example.org", "+33612345678", "fr",
          created.isoformat(sep=" ")))
    _raw(empty_url, "INSERT INTO jobs (id, kind, payload, status, attempts, run_at, created_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
         ("job-1", "notify", '{"to": "jessica@example.org"}', "pending", 0, created.isoformat(sep=" "),
          created.isoformat(sep=" ")))
    with pytest.raises(SchemaNotCurrent):
        open_database(empty_url)

    assert upgrade(empty_url) == list(range(2, latest_version() + 1))

    assert current_version(empty_url) == latest_version()
    db = open_database(empty_url)
    try:
        with PonyUnitOfWork(db, clock=FixedClock()) as uow:
            person = uow.persons.get("per-1")
            assert (person.name, person.email, person.mobile) == (
                PersonName("Jessica", "Poussart"), Email("jessica@example.org"), Mobile("0612345678"))
            assert person.created_at == created.replace(tzinfo=timezone.utc)
        store = PonyJobStore(db)
        [job] = store.claim(now=datetime(2026, 11, 2, tzinfo=timezone.utc), limit=5, lease_seconds=60)
        assert (job.id, job.spec.payload_dict(), job.status) == ("job-1", {"to": "jessica@example.org"},
                                                                 JobStatus.PENDING)
    finally:
        db.disconnect()


def test_a_failing_migration_changes_nothing(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(empty_url)
    shipped = migrations_module.migrations
    broken = Migration(version=latest_version() + 1, name="broken",
                       sql="CREATE TABLE half_done (a INTEGER);\nSELECT no_such_column FROM jobs;\n")
    monkeypatch.setattr(migrations_module, "migrations", lambda dialect: [*shipped(dialect), broken])

    with pytest.raises(Exception, match="no_such_column"):
        upgrade(empty_url)

    monkeypatch.undo()
    assert current_version(empty_url) == latest_version()
    location = parse_database_url(empty_url)
    if location.dialect == "sqlite":
        tables = _raw(empty_url, "SELECT name FROM sqlite_master WHERE name = 'half_done'")
    else:
        tables = _raw(empty_url, "SELECT to_regclass('half_done') FROM (SELECT 1) AS one WHERE "
                                 "to_regclass('half_done') IS NOT NULL")
    assert tables == []


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///var/lib/seing/seing.db", {"dialect": "sqlite", "path": "/var/lib/seing/seing.db"}),
    ("sqlite:////var/lib/seing/seing.db", {"dialect": "sqlite", "path": "/var/lib/seing/seing.db"}),
    ("/var/lib/seing/seing.db", {"dialect": "sqlite", "path": "/var/lib/seing/seing.db"}),
    ("postgresql://postgres@127.0.0.1:5432/seing", {"dialect": "postgres", "host": "127.0.0.1", "port": 5432,
                                                     "user": "postgres", "password": None, "dbname": "seing"}),
    ("postgres://seing:s%40cret@db.internal/prod", {"dialect": "postgres", "host": "db.internal", "port": 5432,
                                                    "user": "seing", "password": "s@cret", "dbname": "prod"}),
])
def test_database_urls_name_the_dialect_and_where_it_is(url: str, expected: dict[str, object]) -> None:
    location = parse_database_url(url)
    assert {key: getattr(location, key) for key in expected} == expected


@pytest.mark.parametrize("url", ["sqlite://relative.db", "seing.db", "mysql://x@y/z", "postgresql://host-only"])
def test_relative_paths_and_unknown_databases_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_database_url(url)


def test_a_sqlite_database_uses_write_ahead_logging(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'seing.db'}"
    upgrade(url)
    assert _raw(url, "PRAGMA journal_mode") == [("wal",)]
