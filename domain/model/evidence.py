"""The evidence file's content (« dossier de preuve »), as plain data: the JSON twin is exactly
this, and the PDF renders it in French."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from domain.model.audit import AuditEvent, verify_chain
from domain.model.collection import Collection

__all__ = ["EVIDENCE_FORMAT", "build_evidence", "evidence_json"]

EVIDENCE_FORMAT = "seing.evidence.v1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def build_evidence(collection: Collection, events: Iterable[AuditEvent], *, generated_at: datetime) -> dict[str, Any]:
    chain = list(events)
    broken = verify_chain(chain)
    return {
        "format": EVIDENCE_FORMAT,
        "generated_at": _iso(generated_at),
        "collection": {
            "id": collection.id, "title": collection.title, "message": collection.message,
            "cabinet": collection.preparer.cabinet_name, "preparer": collection.preparer.identity.display_name,
            "preparer_id": collection.preparer.member_id,  # the trail's actor for the preparer's steps
            "preparer_email": str(collection.preparer.identity.email), "status": collection.status.value,
            "mode": collection.mode.value, "created_at": _iso(collection.created_at),
            "sent_at": _iso(collection.sent_at), "ended_at": _iso(collection.ended_at),
            "deadline": _iso(collection.deadline),
        },
        "signers": [{
            "id": s.id, "name": s.display_name, "email": str(s.email), "kind": s.kind.value, "level": int(s.level),
            "status": s.status.value, "signed_at": _iso(s.signed_at), "refused_at": _iso(s.refused_at),
            "refusal_reason": s.refusal_reason, "identity_verified_at": _iso(s.identity_verified_at),
            "certificate": None if s.certificate is None else {
                "serial": s.certificate.serial, "policy": s.certificate.policy, "issuer": s.certificate.issuer,
                "subject": s.certificate.subject, "one_time": s.certificate.one_time},
        } for s in collection.signers],
        "observers": [{"name": o.identity.display_name, "email": str(o.email)} for o in collection.observers],
        "documents": [{
            "id": d.id, "name": d.name, "original_sha256": d.ref.sha256, "original_size": d.ref.size,
            "final_sha256": d.latest.sha256,
            "versions": [{"kind": v.kind, "before": v.before, "after": v.after, "at": _iso(v.at),
                          "signer_id": v.signer_id} for v in d.versions],
        } for d in collection.documents],
        "events": [{
            "sequence": e.sequence, "kind": e.kind, "at": _iso(e.at), "actor": e.actor, "ip": e.ip,
            "user_agent": e.user_agent, "details": e.detail_dict(), "previous_hash": e.previous_hash, "hash": e.hash,
        } for e in chain],
        "audit_chain": {"valid": broken is None, "broken_at": broken.sequence if broken else None,
                        "last_hash": chain[-1].hash if chain else None},
    }


def evidence_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
