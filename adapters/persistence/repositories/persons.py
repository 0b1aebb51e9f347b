"""Persons, found by id or email."""

from __future__ import annotations

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.person import Person
from domain.model.values import Email

__all__ = ["PonyPersonRepository"]


class PonyPersonRepository(PonyRepository):
    kind, entity_name = "person", "PersonRow"
    to_domain, columns = staticmethod(mappers.person_from_row), staticmethod(mappers.person_columns)

    def add(self, person: Person) -> None:
        self._add(person)

    def get(self, person_id: str) -> Person:
        return self._get(person_id)  # type: ignore[no-any-return]

    def by_email(self, email: Email) -> Person | None:
        value = str(email)
        return self._first(lambda rows: rows.select(lambda p: p.email == value))  # type: ignore[no-any-return]
