"""Ports the QCP enrollment use cases need beyond the shared ones.

- ``QcpEnrollmentRepository`` and ``CaptureLinkRepository`` live in the unit of work
  (``QcpWork`` is the slice of it these use cases use; the application's UnitOfWork
  satisfies it once it exposes ``qcp_enrollments`` and ``capture_links``).
- ``PersonalCertificates``: the person's certificates per cabinet. A minimal protocol of
  this module until the LCP registration's certificate repository lands; it answers the
  two questions enrollment asks (which active LCP, record the QCP issued).
- ``CertificateRequestDocument`` renders the « Demande de certificat » PDF.
- ``RequestDocumentStore`` keeps the accepted and the signed request PDFs as evidence
  (minimal, until a document-store port exists).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.pki import IssuedCertificate
from domain.model.qcp_enrollment import CaptureLink, CertificateRequestData, LcpHolding, QcpEnrollment
from ports.one_time_codes import OneTimeCodeRepository
from ports.repositories import JobOutbox, PersonRepository

__all__ = [
    "CaptureLinkRepository",
    "CertificateRequestDocument",
    "PersonalCertificates",
    "QcpEnrollmentRepository",
    "QcpWork",
    "RequestDocumentStore",
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
class QcpWork(Protocol):
    qcp_enrollments: QcpEnrollmentRepository
    capture_links: CaptureLinkRepository
    one_time_codes: OneTimeCodeRepository
    persons: PersonRepository
    jobs: JobOutbox

    def __enter__(self) -> QcpWork: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


@runtime_checkable
class PersonalCertificates(Protocol):
    def active_lcp(self, person_id: str, cabinet_id: str, now: datetime) -> LcpHolding | None:
        """The person's LCP certificate for the cabinet, if valid and not revoked at ``now``."""
        ...

    def record_qcp(self, *, person_id: str, cabinet_id: str, key_id: str, certificate: IssuedCertificate) -> None:
        """Remember the QCP-n certificate issued (« Mes certificats », level-3 signing)."""
        ...


@runtime_checkable
class CertificateRequestDocument(Protocol):
    def render(self, data: CertificateRequestData) -> bytes:
        """The request as a PDF; the same data always gives the same bytes (its digest is
        what the person accepts and what the SMS code authorises)."""
        ...


@runtime_checkable
class RequestDocumentStore(Protocol):
    def put(self, name: str, data: bytes) -> str:
        """Store and return a reference."""
        ...

    def get(self, ref: str) -> bytes:
        """Raise domain NotFound when absent."""
        ...
