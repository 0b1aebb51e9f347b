"""The seal's certificate requests and sealings kept in dicts (the in-memory unit of work's tables)."""

from __future__ import annotations

from datetime import datetime

from domain.model.errors import UniqueViolation
from domain.model.seals import SealCertificateRequest, Sealing, SealingNotFound, SealRequestNotFound


class InMemorySealRequestRepository:
    def __init__(self, rows: dict[str, SealCertificateRequest]) -> None:
        self.rows = rows

    def add(self, request: SealCertificateRequest) -> None:
        if request.id in self.rows:
            raise UniqueViolation("a seal certificate request with this id exists")
        self.rows[request.id] = request

    def get(self, request_id: str) -> SealCertificateRequest:
        found = self.rows.get(request_id)
        if found is None:
            raise SealRequestNotFound(f"seal certificate request {request_id} not found")
        return found

    def save(self, request: SealCertificateRequest) -> None:
        self.get(request.id)
        self.rows[request.id] = request

    def of_cabinet(self, cabinet_id: str) -> list[SealCertificateRequest]:
        return sorted((r for r in self.rows.values() if r.cabinet_id == cabinet_id),
                      key=lambda r: (r.requested_at, r.id), reverse=True)


class InMemorySealingRepository:
    def __init__(self, rows: dict[str, Sealing]) -> None:
        self.rows = rows

    def add(self, sealing: Sealing) -> None:
        if sealing.id in self.rows:
            raise UniqueViolation("a sealing with this id exists")
        self.rows[sealing.id] = sealing

    def get(self, sealing_id: str) -> Sealing:
        found = self.rows.get(sealing_id)
        if found is None:
            raise SealingNotFound(f"sealing {sealing_id} not found")
        return found

    def of_cabinet(self, cabinet_id: str, *, limit: int = 50) -> list[Sealing]:
        return sorted((s for s in self.rows.values() if s.cabinet_id == cabinet_id),
                      key=lambda s: (s.sealed_at, s.id), reverse=True)[:limit]

    def save(self, sealing: Sealing) -> None:
        self.get(sealing.id)
        self.rows[sealing.id] = sealing

    def archives_kept(self) -> list[Sealing]:
        return sorted((s for s in self.rows.values() if s.kept()), key=lambda s: (s.sealed_at, s.id))

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Sealing]:
        return sorted((s for s in self.rows.values() if s.retention_due(documents_before, evidence_before)),
                      key=lambda s: (s.sealed_at, s.id))[:limit]

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        return any(s.id != excluding and s.names_digest(sha256) for s in self.rows.values())

