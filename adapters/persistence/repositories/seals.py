"""The seal's certificate requests and sealings on Pony, each stored whole as JSON.

Both are frozen domain objects: ``save`` writes a transition back explicitly (no identity map
needed), as for API keys.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from cattrs.preconf.json import make_converter

from adapters.persistence.mappers import to_column
from domain.model.archive import ArchiveState
from domain.model.seals import (
    SealCertificate,
    SealCertificateRequest,
    SealedDocument,
    Sealing,
    SealingNotFound,
    SealProfile,
    SealRequestNotFound,
    SealRequestState,
)

__all__ = ["PonySealRequestRepository", "PonySealingRepository"]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def request_to_json(r: SealCertificateRequest) -> str:
    c = r.certificate
    return json.dumps({
        "id": r.id, "cabinet_id": r.cabinet_id, "profile": r.profile.value, "requested_by": r.requested_by,
        "requested_at": _time(r.requested_at), "state": r.state.value, "decided_by": r.decided_by,
        "decided_at": _time(r.decided_at), "reason": r.reason,
        "certificate": None if c is None else {
            "serial": c.serial, "issuer": c.issuer, "subject": c.subject, "not_before": _time(c.not_before),
            "not_after": _time(c.not_after), "key_id": c.key_id, "der": base64.b64encode(c.der).decode()},
    }, sort_keys=True)


def request_from_json(text: str) -> SealCertificateRequest:
    d = json.loads(text)
    c = d["certificate"]
    return SealCertificateRequest(
        id=d["id"], cabinet_id=d["cabinet_id"], profile=SealProfile(d["profile"]), requested_by=d["requested_by"],
        requested_at=_parse(d["requested_at"]), state=SealRequestState(d["state"]),  # type: ignore[arg-type]
        decided_by=d["decided_by"], decided_at=_parse(d["decided_at"]), reason=d["reason"],
        certificate=None if c is None else SealCertificate(
            serial=c["serial"], issuer=c["issuer"], subject=c["subject"],
            not_before=_parse(c["not_before"]), not_after=_parse(c["not_after"]),  # type: ignore[arg-type]
            key_id=c["key_id"], der=base64.b64decode(c["der"])))


_archive = make_converter()


def _state(value: ArchiveState | None) -> Any:
    return None if value is None else _archive.unstructure(value, ArchiveState)


def _state_from(value: Any) -> ArchiveState | None:
    return None if value is None else _archive.structure(value, ArchiveState)


def sealing_to_json(s: Sealing) -> str:
    return json.dumps({
        "evidence_archive": _state(s.evidence_archive), "earlier_evidence_pdfs": list(s.earlier_evidence_pdfs),
        "documents_purged_at": _time(s.documents_purged_at), "evidence_purged_at": _time(s.evidence_purged_at),
        "id": s.id, "cabinet_id": s.cabinet_id, "cabinet_name": s.cabinet_name, "member_id": s.member_id,
        "sealed_by": s.sealed_by, "sealed_by_name": s.sealed_by_name, "certificate_serial": s.certificate_serial,
        "profile": s.profile.value, "sealed_at": _time(s.sealed_at), "via": s.via,
        "evidence_pdf_sha256": s.evidence_pdf_sha256, "evidence_json_sha256": s.evidence_json_sha256,
        "documents": [{"id": d.id, "name": d.name, "original_sha256": d.original_sha256,
                       "original_size": d.original_size, "sealed_sha256": d.sealed_sha256,
                       "sealed_size": d.sealed_size, "archive": _state(d.archive),
                       "earlier_sha256s": list(d.earlier_sha256s)} for d in s.documents],
    }, sort_keys=True, ensure_ascii=False)


def sealing_from_json(text: str) -> Sealing:
    d = json.loads(text)
    return Sealing(
        id=d["id"], cabinet_id=d["cabinet_id"], cabinet_name=d["cabinet_name"], member_id=d["member_id"],
        sealed_by=d["sealed_by"], sealed_by_name=d["sealed_by_name"], certificate_serial=d["certificate_serial"],
        profile=SealProfile(d["profile"]), sealed_at=_parse(d["sealed_at"]), via=d["via"],  # type: ignore[arg-type]
        evidence_pdf_sha256=d["evidence_pdf_sha256"], evidence_json_sha256=d["evidence_json_sha256"],
        # Sealings stored before renewal and retention existed have none of these: their defaults.
        evidence_archive=_state_from(d.get("evidence_archive")),
        earlier_evidence_pdfs=tuple(d.get("earlier_evidence_pdfs", ())),
        documents_purged_at=_parse(d.get("documents_purged_at")), evidence_purged_at=_parse(d.get("evidence_purged_at")),
        documents=tuple(SealedDocument(**{**doc, "archive": _state_from(doc.get("archive")),
                                          "earlier_sha256s": tuple(doc.get("earlier_sha256s", ()))})
                        for doc in d["documents"]))


class PonySealRequestRepository:
    def __init__(self, uow: Any) -> None:
        self._uow = uow
        self._rows = uow.entity("SealRequestRow")

    @staticmethod
    def _columns(r: SealCertificateRequest) -> dict[str, Any]:
        return {"id": r.id, "cabinet_id": r.cabinet_id, "state": r.state.value,
                "requested_at": to_column(r.requested_at), "data": request_to_json(r)}

    def add(self, request: SealCertificateRequest) -> None:
        with self._uow.storage_errors_translated():
            self._rows(**self._columns(request))

    def get(self, request_id: str) -> SealCertificateRequest:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=request_id) if request_id and request_id == request_id.strip() else None
        if row is None:
            raise SealRequestNotFound(f"seal certificate request {request_id} not found")
        return request_from_json(row.data)

    def save(self, request: SealCertificateRequest) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=request.id)
            if row is None:
                raise SealRequestNotFound(f"seal certificate request {request.id} not found")
            row.set(**{k: v for k, v in self._columns(request).items() if k != "id"})

    def of_cabinet(self, cabinet_id: str) -> list[SealCertificateRequest]:
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda r: r.cabinet_id == cabinet_id).order_by(
                lambda r: (r.requested_at, r.id))
            return [request_from_json(row.data) for row in rows][::-1]


class PonySealingRepository:
    def __init__(self, uow: Any) -> None:
        self._uow = uow
        self._rows = uow.entity("SealingRow")

    def add(self, sealing: Sealing) -> None:
        with self._uow.storage_errors_translated():
            self._rows(id=sealing.id, cabinet_id=sealing.cabinet_id, sealed_at=to_column(sealing.sealed_at),
                       data=sealing_to_json(sealing))

    def get(self, sealing_id: str) -> Sealing:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=sealing_id) if sealing_id and sealing_id == sealing_id.strip() else None
        if row is None:
            raise SealingNotFound(f"sealing {sealing_id} not found")
        return sealing_from_json(row.data)

    def of_cabinet(self, cabinet_id: str, *, limit: int = 50) -> list[Sealing]:
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda s: s.cabinet_id == cabinet_id).order_by(
                lambda s: (s.sealed_at, s.id))
            return [sealing_from_json(row.data) for row in rows][::-1][:limit]

    def save(self, sealing: Sealing) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=sealing.id)
            if row is None:
                raise SealingNotFound(f"sealing {sealing.id} not found")
            row.set(data=sealing_to_json(sealing))

    def _all(self, narrowed: Any = None) -> list[Sealing]:
        # The kept and purged flags live in the JSON: the database narrows by date at most.
        with self._uow.storage_errors_translated():
            rows = self._rows.select() if narrowed is None else self._rows.select(narrowed)
            return sorted((sealing_from_json(row.data) for row in rows), key=lambda s: (s.sealed_at, s.id))

    def archives_kept(self) -> list[Sealing]:
        return [s for s in self._all() if s.kept()]

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Sealing]:
        latest = to_column(max(documents_before, evidence_before))
        return [s for s in self._all(lambda r: r.sealed_at <= latest)
                if s.retention_due(documents_before, evidence_before)][:limit]

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        with self._uow.storage_errors_translated():
            rows = list(self._rows.select(lambda r: r.id != excluding and sha256 in r.data))
        return any(sealing_from_json(row.data).names_digest(sha256) for row in rows)
