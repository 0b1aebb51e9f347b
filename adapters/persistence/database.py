"""Open the database for a process: check the schema version, bind Pony, map the entities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pony.orm import Database
from pony.orm.dbproviders.sqlite import SQLiteDatetimeConverter

from adapters.persistence.entities import define_entities
from adapters.persistence.location import parse_database_url
from adapters.persistence.migrations import current_version, latest_version

__all__ = ["SchemaNotCurrent", "open_database"]


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this code maps: run ``seing db upgrade``."""


def _sqlite_timestamp(_converter: Any, value: Any) -> Any:
    """Pony's reading of a SQLite timestamp column, without ``time.strptime``.

    Same text in, same ``datetime`` out (``YYYY-MM-DD HH:MM:SS[.ffffff]``; anything else is
    returned as it is, as Pony does). Pony's version parses every timestamp with strptime,
    about 20 µs each: a tenth of a signer's page view went there."""
    try:
        return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                        int(value[14:16]), int(value[17:19]), int((value[20:26] + "000000")[:6]))
    except (TypeError, ValueError):  # not a timestamp's text: as Pony, the value is returned unchanged
        return value


SQLiteDatetimeConverter.sql2py = _sqlite_timestamp  # type: ignore[method-assign]


def open_database(url: str) -> Database:
    """A bound, mapped Pony ``Database`` for ``url``; the tables come from the migrations.

    Call once per process (or per test) and ``disconnect()`` at the end.
    """
    location = parse_database_url(url)
    version, latest = current_version(url), latest_version()
    if version != latest:
        raise SchemaNotCurrent(f"the database schema is at version {version}, this code needs {latest}: "
                               "run `seing db upgrade`")
    db = Database()
    define_entities(db)
    db.bind(**location.pony_kwargs())
    db.generate_mapping(create_tables=False, check_tables=True)
    return db
