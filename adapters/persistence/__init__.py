"""Persistence on Pony ORM (SQLite or PostgreSQL): unit of work, repositories, job store,
versioned SQL migrations."""

from adapters.persistence.database import SchemaNotCurrent, open_database
from adapters.persistence.entities import define_entities
from adapters.persistence.jobs import PonyJobStore
from adapters.persistence.migrations import current_version, latest_version, upgrade
from adapters.persistence.unit_of_work import PonyUnitOfWork

__all__ = ["PonyJobStore", "PonyUnitOfWork", "SchemaNotCurrent", "current_version", "define_entities",
           "latest_version", "open_database", "upgrade"]
