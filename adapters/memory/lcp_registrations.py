"""In-memory LCP registrations, for tests and the demo container."""

from __future__ import annotations

from domain.model.errors import RegistrationNotFound, UniqueViolation
from domain.model.lcp_registration import LcpRegistration

__all__ = ["InMemoryLcpRegistrationRepository"]


class InMemoryLcpRegistrationRepository:
    """Keeps the registration objects themselves (tracked, as after a commit). ``rows`` lets
    an in-memory unit of work hand in its working-copy table. Insertion order breaks ties
    between equal start times."""

    def __init__(self, rows: dict[str, LcpRegistration] | None = None) -> None:
        self._rows: dict[str, LcpRegistration] = {} if rows is None else rows

    def add(self, registration: LcpRegistration) -> None:
        if registration.id in self._rows:
            raise UniqueViolation(f"registration {registration.id} already stored")
        if registration.is_active and self.active_for(registration.person_id, registration.cabinet_id) is not None:
            raise UniqueViolation("a registration is already in progress for this person and cabinet")
        self._rows[registration.id] = registration

    def get(self, registration_id: str) -> LcpRegistration:
        try:
            return self._rows[registration_id]
        except KeyError:
            raise RegistrationNotFound(f"registration {registration_id} not found") from None

    def active_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        return next((r for r in self._mine(person_id, cabinet_id) if r.is_active), None)

    def latest_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        return next(iter(self._mine(person_id, cabinet_id)), None)

    def _mine(self, person_id: str, cabinet_id: str) -> list[LcpRegistration]:
        mine = [r for r in self._rows.values() if r.person_id == person_id and r.cabinet_id == cabinet_id]
        # Newest first; reversed before the stable sort so the last added wins a tie.
        return sorted(reversed(mine), key=lambda r: r.started_at, reverse=True)
