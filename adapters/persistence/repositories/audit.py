"""The audit trail of each collection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pony.orm import desc
from pony.orm import select as pony_select

from adapters.persistence import mappers
from domain.model.audit import AuditEvent

if TYPE_CHECKING:
    from adapters.persistence.unit_of_work import PonyUnitOfWork

__all__ = ["PonyAuditTrail"]

_PAGE = 8


class PonyAuditTrail:
    """The audit trail's rows; events are immutable, so they are written at once, never tracked."""

    def __init__(self, uow: PonyUnitOfWork) -> None:
        self._uow = uow
        self._rows = uow.entity("AuditEventRow")

    def append(self, event: AuditEvent) -> None:
        with self._uow.storage_errors_translated():
            self._rows(collection_id=event.collection_id, sequence=event.sequence, kind=event.kind,
                       at=mappers.to_column(event.at), actor=event.actor, ip=event.ip, user_agent=event.user_agent,
                       details=json.dumps(dict(event.details), ensure_ascii=False, sort_keys=True),
                       previous_hash=event.previous_hash, hash=event.hash)

    def _event(self, row: Any) -> AuditEvent:
        return AuditEvent(collection_id=row.collection_id, sequence=row.sequence, kind=row.kind,
                          at=mappers.from_column(row.at), actor=row.actor, ip=row.ip, user_agent=row.user_agent,
                          details=json.loads(row.details), previous_hash=row.previous_hash, hash=row.hash)

    def last(self, collection_id: str) -> AuditEvent | None:
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda e: e.collection_id == collection_id).order_by(
                lambda e: desc(e.sequence))[:1]
            return self._event(rows[0]) if rows else None

    def last_with_detail(self, collection_id: str, key: str) -> AuditEvent | None:
        # ``details`` is JSON written with sorted keys and the default separators, so a key reads
        # `"key": ` while a value spelling it has its quotes escaped. The database walks the
        # chain's primary key backwards and stops at the first candidate; parsing confirms it.
        needle = json.dumps(key, ensure_ascii=False) + ": "
        with self._uow.storage_errors_translated():
            candidates = self._rows.select(
                lambda e: e.collection_id == collection_id and needle in e.details).order_by(
                lambda e: desc(e.sequence))
            offset = 0
            while True:
                rows = candidates[offset:offset + _PAGE]
                for row in rows:
                    event = self._event(row)
                    if key in event.detail_dict():
                        return event
                if len(rows) < _PAGE:
                    return None
                offset += _PAGE

    def of_collection(self, collection_id: str) -> list[AuditEvent]:
        with self._uow.storage_errors_translated():
            return [self._event(r) for r in self._rows.select(lambda e: e.collection_id == collection_id)
                    .order_by(lambda e: e.sequence)]

    def collection_ids(self) -> list[str]:
        with self._uow.storage_errors_translated():
            rows = self._rows
            return sorted(pony_select(e.collection_id for e in rows).distinct()[:])
