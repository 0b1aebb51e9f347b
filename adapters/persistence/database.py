"""Open the database for a process: check the schema version, bind Pony, map the entities."""

from __future__ import annotations

from pony.orm import Database

from adapters.persistence.entities import define_entities
from adapters.persistence.location import parse_database_url
from adapters.persistence.migrations import current_version, latest_version

__all__ = ["SchemaNotCurrent", "open_database"]


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this code maps: run ``seing db upgrade``."""


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
