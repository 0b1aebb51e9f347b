"""Where the audit trail is kept: append-only, per collection, in the unit of work's transaction."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.audit import AuditEvent

__all__ = ["AuditTrail"]


@runtime_checkable
class AuditTrail(Protocol):
    def append(self, event: AuditEvent) -> None:
        """Store the event in the current transaction. Raise UniqueViolation when the
        collection already has an event with this sequence: two transactions raced to
        extend one chain and the later one must retry on the fresh chain."""
        ...

    def last(self, collection_id: str) -> AuditEvent | None:
        """The event with the highest sequence of that collection, None for an empty chain."""
        ...

    def last_with_detail(self, collection_id: str, key: str) -> AuditEvent | None:
        """The event with the highest sequence whose details name ``key`` (whatever its value),
        None when no event of that collection does. Appending to the trail reads only this and
        ``last``, never the whole chain."""
        ...

    def of_collection(self, collection_id: str) -> list[AuditEvent]:
        """The collection's chain, in sequence order, every field exactly as appended."""
        ...

    def collection_ids(self) -> list[str]:
        """Every collection that has a chain, sorted (``seing audit verify`` walks them all)."""
        ...
