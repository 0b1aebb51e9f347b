"""LCP registrations."""

from __future__ import annotations

from pony.orm import desc

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.errors import (
    RegistrationNotFound,
)
from domain.model.lcp_registration import ACTIVE_STATES, LcpRegistration

__all__ = ["PonyLcpRegistrationRepository"]


class PonyLcpRegistrationRepository(PonyRepository):
    kind, entity_name, not_found = "lcp_registration", "LcpRegistrationRow", RegistrationNotFound
    to_domain, columns = staticmethod(mappers.registration_from_row), staticmethod(mappers.registration_columns)

    def add(self, registration: LcpRegistration) -> None:
        self._add(registration)

    def get(self, registration_id: str) -> LcpRegistration:
        return self._get(registration_id)  # type: ignore[no-any-return]

    def active_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        active = [state.value for state in ACTIVE_STATES]
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.person_id == person_id and r.cabinet_id == cabinet_id and r.state in active)
            .order_by(lambda r: (desc(r.started_at), desc(r.id))))

    def latest_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.person_id == person_id and r.cabinet_id == cabinet_id)
            .order_by(lambda r: (desc(r.started_at), desc(r.id))))
