"""Registration officers kept in a dict (the in-memory unit of work's table)."""

from __future__ import annotations

from domain.model.errors import UniqueViolation
from domain.model.officer import RegistrationOfficer


class InMemoryRegistrationOfficerRepository:
    def __init__(self, rows: dict[str, RegistrationOfficer]) -> None:
        self.rows = rows

    def add(self, officer: RegistrationOfficer) -> None:
        if officer.person_id in self.rows:
            raise UniqueViolation("this person is already a registration officer")
        self.rows[officer.person_id] = officer

    def find(self, person_id: str) -> RegistrationOfficer | None:
        return self.rows.get(person_id)

    def all(self) -> list[RegistrationOfficer]:
        return sorted(self.rows.values(), key=lambda o: (o.appointed_at, o.person_id))
