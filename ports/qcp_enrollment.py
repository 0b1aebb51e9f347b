"""Ports the QCP enrollment use cases need beyond the shared ones.

- ``QcpEnrollmentRepository`` and ``CaptureLinkRepository`` live in the unit of work
  (``ports.repositories.UnitOfWork``).
- ``CertificateRequestDocument`` renders the « Demande de certificat » PDF.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.qcp_enrollment import CaptureLink, CertificateRequestData, QcpEnrollment

__all__ = [
    "CaptureLinkRepository",
    "CertificateRequestDocument",
    "QcpEnrollmentRepository",
]


@runtime_checkable
class QcpEnrollmentRepository(Protocol):
    def add(self, enrollment: QcpEnrollment) -> None: ...

    def get(self, enrollment_id: str) -> QcpEnrollment:
        """Raise domain NotFound when absent."""
        ...

    def open_for(self, person_id: str, cabinet_id: str) -> QcpEnrollment | None:
        """The person's enrollment for the cabinet that is not ISSUED, CANCELLED or EXPIRED."""
        ...

    def by_session_ref(self, session_ref: str) -> QcpEnrollment | None:
        """The enrollment one of whose identity-check attempts has this session."""
        ...

    def of_person(self, person_id: str) -> list[QcpEnrollment]:
        """Newest first."""
        ...

    def in_states(self, states: frozenset) -> list[QcpEnrollment]:
        """Enrollments in any of these states, oldest first (worker sweeps, officer lists)."""
        ...


@runtime_checkable
class CaptureLinkRepository(Protocol):
    def add(self, link: CaptureLink) -> None: ...

    def by_token_hash(self, token_hash: str) -> CaptureLink | None: ...

    def latest_for_session(self, session_ref: str) -> CaptureLink | None:
        """The most recently created link for that identity-check session."""
        ...


@runtime_checkable
class CertificateRequestDocument(Protocol):
    def render(self, data: CertificateRequestData) -> bytes:
        """The request as a PDF; the same data always gives the same bytes (its digest is
        what the person accepts and what the SMS code authorises)."""
        ...
