"""Where registration officers are kept."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.officer import RegistrationOfficer


@runtime_checkable
class RegistrationOfficerRepository(Protocol):
    def add(self, officer: RegistrationOfficer) -> None:
        """Refuse (UniqueViolation) a person already recorded as officer."""
        ...

    def find(self, person_id: str) -> RegistrationOfficer | None: ...

    def all(self) -> list[RegistrationOfficer]:
        """Every officer, active or not, by appointment time."""
        ...
