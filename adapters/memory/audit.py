"""In-memory audit trail: a list per collection, inside the unit of work's working copy."""

from __future__ import annotations

from domain.model.audit import AuditEvent
from domain.model.errors import UniqueViolation

__all__ = ["InMemoryAuditTrail"]


class InMemoryAuditTrail:
    def __init__(self, rows: dict[str, list[AuditEvent]] | None = None) -> None:
        self._rows: dict[str, list[AuditEvent]] = {} if rows is None else rows

    def append(self, event: AuditEvent) -> None:
        chain = self._rows.setdefault(event.collection_id, [])
        if any(e.sequence == event.sequence for e in chain):
            raise UniqueViolation(f"event {event.sequence} of collection {event.collection_id} already stored")
        chain.append(event)
        chain.sort(key=lambda e: e.sequence)

    def last(self, collection_id: str) -> AuditEvent | None:
        chain = self._rows.get(collection_id) or []
        return chain[-1] if chain else None

    def last_with_detail(self, collection_id: str, key: str) -> AuditEvent | None:
        chain = self._rows.get(collection_id) or []
        return next((e for e in reversed(chain) if key in e.detail_dict()), None)

    def of_collection(self, collection_id: str) -> list[AuditEvent]:
        return list(self._rows.get(collection_id) or [])

    def collection_ids(self) -> list[str]:
        return sorted(k for k, v in self._rows.items() if v)
