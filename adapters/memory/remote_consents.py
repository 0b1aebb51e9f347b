"""The consents awaited at the QTSP, kept in a dict (the in-memory unit of work's table)."""

from __future__ import annotations

from datetime import datetime

from domain.model.errors import UniqueViolation
from domain.model.remote_consent import RemoteConsent


class InMemoryRemoteConsentRepository:
    def __init__(self, rows: dict[str, RemoteConsent]) -> None:
        self.rows = rows

    def add(self, consent: RemoteConsent) -> None:
        if consent.id in self.rows or any(c.state_hash == consent.state_hash for c in self.rows.values()):
            raise UniqueViolation("a consent with this id or state exists")
        self.rows[consent.id] = consent

    def by_state_hash(self, state_hash: str) -> RemoteConsent | None:
        return next((c for c in self.rows.values() if c.state_hash == state_hash), None)

    def save(self, consent: RemoteConsent) -> None:
        if consent.id not in self.rows:
            raise KeyError(consent.id)
        self.rows[consent.id] = consent

    def lapsed(self, *, before: datetime, limit: int = 100) -> list[RemoteConsent]:
        found = [c for c in self.rows.values() if c.expires_at < before]
        return sorted(found, key=lambda c: (c.expires_at, c.id))[:limit]

    def remove(self, consent_id: str) -> None:
        self.rows.pop(consent_id, None)

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        return any(sha256 in (d.base, d.prepared) for c in self.rows.values() if c.id != excluding
                   for d in c.documents)
