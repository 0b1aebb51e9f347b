"""Where the database is, from the one URL the settings give."""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import unquote, urlsplit

from attrs import frozen

SQLITE_BUSY_TIMEOUT_SECONDS = 30


@frozen
class DatabaseLocation:
    dialect: Literal["sqlite", "postgres"]
    path: str | None = None  # sqlite: absolute file path
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    dbname: str | None = None

    def psycopg2_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}
        if self.password is not None:
            kwargs["password"] = self.password
        return kwargs

    def pony_kwargs(self) -> dict[str, object]:
        if self.dialect == "sqlite":
            # SQLite has one writer at a time across every process on the file (WAL, set by the
            # migrations, lets readers go on meanwhile). The busy timeout is how long a write waits
            # for the lock before "database is locked": long enough for the other web and worker
            # processes' transactions, which are short, to pass.
            return {"provider": "sqlite", "filename": self.path, "create_db": False,
                    "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        kwargs = self.psycopg2_kwargs()
        kwargs["database"] = kwargs.pop("dbname")
        return {"provider": "postgres", **kwargs}


def parse_database_url(url: str) -> DatabaseLocation:
    """Accept ``sqlite:///abs/file.db`` (or ``sqlite:////abs/file.db``, or a bare absolute
    path) and ``postgresql://user[:password]@host[:port]/dbname``.

    SQLite paths must be absolute: Pony would resolve a relative one against its own module.
    """
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
        if path.startswith("//"):
            path = path[2:]
        return _sqlite(path, url)
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        dbname = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not dbname:
            raise ValueError(f"a PostgreSQL URL needs a host and a database name: {_redacted(url)}")
        return DatabaseLocation(dialect="postgres", host=parts.hostname, port=parts.port or 5432,
                                user=unquote(parts.username) if parts.username else None,
                                password=unquote(parts.password) if parts.password is not None else None,
                                dbname=dbname)
    if url.startswith("/"):
        return _sqlite(url, url)
    raise ValueError(f"unsupported database URL (sqlite:///absolute/path or postgresql://...): {_redacted(url)}")


def _sqlite(path: str, url: str) -> DatabaseLocation:
    if not path.startswith("/"):
        raise ValueError(f"the SQLite path must be absolute: {url}")
    # "sqlite:////abs" leaves "//abs": POSIX keeps a double leading slash, so squeeze it.
    return DatabaseLocation(dialect="sqlite", path="/" + os.path.normpath(path).lstrip("/"))


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
