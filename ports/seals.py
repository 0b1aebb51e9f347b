"""Where the cabinet seal's certificate requests and sealings are kept."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.seals import SealCertificateRequest, Sealing

__all__ = ["SealRequestRepository", "SealingRepository"]


@runtime_checkable
class SealRequestRepository(Protocol):
    """Requests are frozen: a transition gives a new one, written back by ``save``."""

    def add(self, request: SealCertificateRequest) -> None:
        """Store a new request (UniqueViolation for an id already used)."""
        ...

    def get(self, request_id: str) -> SealCertificateRequest:
        """Raise SealRequestNotFound when absent."""
        ...

    def save(self, request: SealCertificateRequest) -> None:
        """Replace the stored request of the same id."""
        ...

    def of_cabinet(self, cabinet_id: str) -> list[SealCertificateRequest]:
        """The cabinet's requests, whatever their state, newest first."""
        ...


@runtime_checkable
class SealingRepository(Protocol):
    def add(self, sealing: Sealing) -> None: ...

    def save(self, sealing: Sealing) -> None:
        """Replace the stored sealing of the same id (archive renewal, retention); SealingNotFound if absent."""
        ...

    def archives_kept(self) -> list[Sealing]:
        """Sealings with a kept PDF (documents or evidence not purged), oldest first."""
        ...

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Sealing]:
        """Sealings sealed at or before ``documents_before`` whose documents are still kept, or at
        or before ``evidence_before`` whose evidence is; oldest first, at most ``limit``."""
        ...

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        """Whether a sealing other than ``excluding`` still keeps these bytes."""
        ...

    def get(self, sealing_id: str) -> Sealing:
        """Raise SealingNotFound when absent."""
        ...

    def of_cabinet(self, cabinet_id: str, *, limit: int = 50) -> list[Sealing]:
        """The cabinet's latest sealings, newest first."""
        ...
