"""Where the platform keeps its persons' certificates (« Mes certificats »)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.certificates import Certificate
from domain.model.pki import CertificatePolicy

__all__ = ["CertificateRepository"]


@runtime_checkable
class CertificateRepository(Protocol):
    """Certificates are tracked like every aggregate: a revocation made on one obtained from
    the repository is persisted by the unit of work's commit."""

    def add(self, certificate: Certificate) -> None:
        """Raise UniqueViolation for an id or a serial already stored."""
        ...

    def get(self, certificate_id: str) -> Certificate:
        """Raise domain CertificateNotFound when absent."""
        ...

    def by_serial(self, serial: str) -> Certificate | None:
        """The certificate with this serial (lower-case hexadecimal, as the CA gives it)."""
        ...

    def of_person(self, person_id: str) -> list[Certificate]:
        """All the person's certificates, whatever their status, newest issued first."""
        ...

    def active_for(self, person_id: str, cabinet_id: str, policy: CertificatePolicy, *,
                   now: datetime) -> Certificate | None:
        """The person's newest certificate of that policy for that cabinet that is neither
        revoked nor expired at ``now`` (expiry depends on the time, so it is asked)."""
        ...
