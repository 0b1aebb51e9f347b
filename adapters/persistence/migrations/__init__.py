"""Versioned SQL migrations, one folder per dialect, and the runner ``seing db upgrade`` calls.

Pony has no migration tool: each change is a numbered SQL file (``0002_job_leases.sql``);
``schema_version`` holds one row per applied file. Every file runs in its own transaction
together with its ``schema_version`` row, under a lock, so running ``upgrade`` twice, or
from two processes at once, applies each file exactly once.

To change the schema: add the next number in *both* ``sqlite/`` and ``postgres/`` (same
number, same name), update ``entities.py`` and the mappers, and never edit a file that has
been released: databases in the field have already run it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from contextlib import closing
from importlib import resources
from typing import Iterator

import psycopg2
from attrs import frozen

from adapters.persistence.location import DatabaseLocation, parse_database_url

__all__ = ["Migration", "current_version", "latest_version", "migrations", "upgrade"]

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_FOLDERS = {"sqlite": "sqlite", "postgres": "postgres"}
# Any constant shared by every Seing process: serialises concurrent upgrades on PostgreSQL.
_PG_LOCK_KEY = 0x5E16_0001

_SCHEMA_VERSION = {
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_version ("
              " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
              " applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "postgres": "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'))",
}


@frozen
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """The migrations shipped for ``dialect`` ("sqlite" or "postgres"), in order."""
    folder = resources.files(__name__).joinpath(_FOLDERS[dialect])
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(version=int(match[1]), name=match[2], sql=entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"{dialect} migrations must be numbered 1, 2, 3... without gaps")
    return found


def latest_version() -> int:
    """The schema version this code maps; every dialect ships the same numbers."""
    versions = {d: len(migrations(d)) for d in _FOLDERS}
    if len(set(versions.values())) != 1:
        raise RuntimeError(f"dialects disagree on the latest migration: {versions}")
    return versions["sqlite"]


def current_version(url: str) -> int:
    """The version of the database at ``url``; 0 when it is empty or does not exist yet."""
    location = parse_database_url(url)
    if location.dialect == "sqlite":
        if not os.path.exists(location.path):  # type: ignore[arg-type]
            return 0
        with closing(sqlite3.connect(f"file:{location.path}?mode=ro", uri=True)) as conn:
            return _sqlite_version(conn)
    with closing(psycopg2.connect(**location.psycopg2_kwargs())) as conn:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('schema_version') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute("SELECT coalesce(max(version), 0) FROM schema_version")
            return int(cursor.fetchone()[0])


def upgrade(url: str, *, target: int | None = None) -> list[int]:
    """Apply the pending migrations up to ``target`` (default: all), in order, each in its
    own transaction; return the versions applied now (empty when already up to date)."""
    location = parse_database_url(url)
    pending = [m for m in migrations(location.dialect) if target is None or m.version <= target]
    if location.dialect == "sqlite":
        return _upgrade_sqlite(location, pending)
    return _upgrade_postgres(location, pending)


# SQLite ---------------------------------------------------------------------------------

def _upgrade_sqlite(location: DatabaseLocation, pending: list[Migration]) -> list[int]:
    os.makedirs(os.path.dirname(location.path), exist_ok=True)  # type: ignore[arg-type]
    applied = []
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so DDL is transactional too.
    with closing(sqlite3.connect(location.path, isolation_level=None, timeout=_SQLITE_TIMEOUT)) as conn:  # type: ignore[arg-type]
        # Write-ahead logging is a property of the file: readers (web processes) then never
        # block the writer (the worker) nor the other way round.
        _switch_to_wal(conn)
        conn.execute(_SCHEMA_VERSION["sqlite"])
        for migration in pending:
            conn.execute("BEGIN IMMEDIATE")  # takes the write lock before reading the version
            try:
                if migration.version <= _sqlite_version(conn):
                    conn.execute("ROLLBACK")
                    continue
                for statement in _sqlite_statements(migration.sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)",
                             (migration.version, migration.name))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            applied.append(migration.version)
    return applied


_SQLITE_TIMEOUT = 30.0


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL``, waiting for the other processes that open the file too.

    A new file is in rollback-journal mode until the first switch. Two connections switching
    it at once each hold a shared lock and want the exclusive one: SQLite refuses one of them
    at once ("database is locked") instead of calling its busy handler, since waiting would be
    a deadlock. Its lock is released by then, so the switch is tried again (the other one has
    switched the file meanwhile, or will) until the connection's own timeout."""
    deadline = time.monotonic() + _SQLITE_TIMEOUT
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def _sqlite_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not exists:
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def _sqlite_statements(sql: str) -> Iterator[str]:
    # executescript() would commit first; split on complete statements instead.
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if any(line.strip() and not line.strip().startswith("--") for line in buffer.splitlines()):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer!r}")


# PostgreSQL -----------------------------------------------------------------------------

def _upgrade_postgres(location: DatabaseLocation, pending: list[Migration]) -> list[int]:
    applied = []
    with closing(psycopg2.connect(**location.psycopg2_kwargs())) as conn:
        with conn, conn.cursor() as cursor:  # one transaction, committed at the end of the block
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
            cursor.execute(_SCHEMA_VERSION["postgres"])
        for migration in pending:
            with conn, conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
                cursor.execute("SELECT coalesce(max(version), 0) FROM schema_version")
                if migration.version <= cursor.fetchone()[0]:
                    continue
                cursor.execute(migration.sql)
                cursor.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                               (migration.version, migration.name))
            applied.append(migration.version)
    return applied

