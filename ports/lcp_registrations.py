"""Ports for the LCP registration: where registrations are kept, and the slice of the unit
of work its use cases need."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.lcp_registration import LcpRegistration
from ports.certificates import CertificateRepository
from ports.one_time_codes import OneTimeCodeRepository
from ports.repositories import CabinetRepository, JobOutbox, MemberRepository, PersonRepository

__all__ = ["CertificateWork", "LcpRegistrationRepository", "LcpRegistrationWork"]


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


@runtime_checkable
class CertificateWork(Protocol):
    """What the certificate use cases need of a unit of work."""

    cabinets: CabinetRepository
    persons: PersonRepository
    members: MemberRepository
    certificates: CertificateRepository
    lcp_registrations: LcpRegistrationRepository
    jobs: JobOutbox

    def __enter__(self) -> CertificateWork: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


@runtime_checkable
class LcpRegistrationWork(CertificateWork, Protocol):
    """What the registration use cases need: the application's UnitOfWork satisfies it once
    it exposes ``one_time_codes``, ``certificates`` and ``lcp_registrations``."""

    one_time_codes: OneTimeCodeRepository

    def __enter__(self) -> LcpRegistrationWork: ...
