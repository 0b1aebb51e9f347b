"""Where LCP registrations are kept."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.lcp_registration import LcpRegistration

__all__ = ["LcpRegistrationRepository"]


@runtime_checkable
class LcpRegistrationRepository(Protocol):
    """Registrations are tracked aggregates (state changes persisted on commit). At most one
    active registration per person and cabinet: a persistent adapter enforces it (a partial
    unique index on person and cabinet where the state is active) and raises
    UniqueViolation, so two concurrent « S'enregistrer » cannot both start."""

    def add(self, registration: LcpRegistration) -> None: ...

    def get(self, registration_id: str) -> LcpRegistration:
        """Raise domain RegistrationNotFound when absent."""
        ...

    def active_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        """The registration under way (not issued, not cancelled) for this person and cabinet."""
        ...

    def latest_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        """The most recently started registration for this person and cabinet, whatever its state."""
        ...
