"""Registration officers."""

from __future__ import annotations

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.officer import RegistrationOfficer

__all__ = ["PonyRegistrationOfficerRepository"]


class PonyRegistrationOfficerRepository(PonyRepository):
    kind, entity_name, key_column = "registration_officer", "RegistrationOfficerRow", "person_id"
    to_domain, columns = staticmethod(mappers.officer_from_row), staticmethod(mappers.officer_columns)

    def add(self, officer: RegistrationOfficer) -> None:
        self._add(officer)

    def find(self, person_id: str) -> RegistrationOfficer | None:
        return self._find(person_id)  # type: ignore[no-any-return]

    def all(self) -> list[RegistrationOfficer]:
        return self._select(lambda rows: rows.select().order_by(  # type: ignore[no-any-return]
            lambda o: (o.appointed_at, o.person_id)))
