"""The consents awaited at the QTSP on Pony, each stored whole as JSON (frozen domain objects:
``save`` writes the use back explicitly)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from adapters.persistence.mappers import to_column
from domain.model.remote_consent import ConsentedDocument, RemoteConsent

__all__ = ["PonyRemoteConsentRepository", "consent_from_json", "consent_to_json"]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def consent_to_json(c: RemoteConsent) -> str:
    return json.dumps({
        "id": c.id, "state_hash": c.state_hash, "collection_id": c.collection_id, "signer_id": c.signer_id,
        "credential_id": c.credential_id, "code_verifier": c.code_verifier, "signed_at": _time(c.signed_at),
        "created_at": _time(c.created_at), "expires_at": _time(c.expires_at), "used_at": _time(c.used_at),
        "documents": [{"document_id": d.document_id, "base": d.base, "prepared": d.prepared,
                       "document_digest": base64.b64encode(d.document_digest).decode(),
                       "reserved_start": d.reserved_start, "reserved_end": d.reserved_end,
                       "digest": base64.b64encode(d.digest).decode(), "hash_algorithm": d.hash_algorithm}
                      for d in c.documents],
    }, sort_keys=True)


def consent_from_json(text: str) -> RemoteConsent:
    d = json.loads(text)
    return RemoteConsent(
        id=d["id"], state_hash=d["state_hash"], collection_id=d["collection_id"], signer_id=d["signer_id"],
        credential_id=d["credential_id"], code_verifier=d["code_verifier"],
        signed_at=_parse(d["signed_at"]), created_at=_parse(d["created_at"]),  # type: ignore[arg-type]
        expires_at=_parse(d["expires_at"]), used_at=_parse(d["used_at"]),  # type: ignore[arg-type]
        documents=tuple(ConsentedDocument(
            document_id=x["document_id"], base=x["base"], prepared=x["prepared"],
            document_digest=base64.b64decode(x["document_digest"]), reserved_start=x["reserved_start"],
            reserved_end=x["reserved_end"], digest=base64.b64decode(x["digest"]), hash_algorithm=x["hash_algorithm"])
            for x in d["documents"]))


class PonyRemoteConsentRepository:
    def __init__(self, uow: Any) -> None:
        self._uow = uow
        self._rows = uow.entity("RemoteConsentRow")

    def add(self, consent: RemoteConsent) -> None:
        with self._uow.storage_errors_translated():
            self._rows(id=consent.id, state_hash=consent.state_hash, expires_at=to_column(consent.expires_at),
                       data=consent_to_json(consent))

    def by_state_hash(self, state_hash: str) -> RemoteConsent | None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(state_hash=state_hash) if state_hash else None
        return None if row is None else consent_from_json(row.data)

    def save(self, consent: RemoteConsent) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=consent.id)
            if row is None:
                raise KeyError(consent.id)
            row.set(data=consent_to_json(consent))

    def lapsed(self, *, before: datetime, limit: int = 100) -> list[RemoteConsent]:
        moment = to_column(before)
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda r: r.expires_at < moment).order_by(
                lambda r: (r.expires_at, r.id))[:limit]
            return [consent_from_json(r.data) for r in rows]

    def remove(self, consent_id: str) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=consent_id)
            if row is not None:
                row.delete()

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        # The JSON names each document's base and prepared digest: the database narrows, the
        # consent confirms.
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda r: r.id != excluding and sha256 in r.data)[:]
            return any(sha256 in (d.base, d.prepared) for r in rows for d in consent_from_json(r.data).documents)
