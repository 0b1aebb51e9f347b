"""Where API keys and idempotency records are kept."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.api_keys import ApiKey, IdempotencyRecord


@runtime_checkable
class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None:
        """Store a new key (UniqueViolation for an id already used)."""
        ...

    def find(self, key_id: str) -> ApiKey | None: ...

    def save(self, key: ApiKey) -> None:
        """Replace the stored key of the same id (keys are frozen: revoke and use give new ones)."""
        ...

    def of_cabinet(self, cabinet_id: str) -> list[ApiKey]:
        """The cabinet's keys, revoked ones included, oldest first."""
        ...


@runtime_checkable
class IdempotencyRepository(Protocol):
    def add(self, record: IdempotencyRecord) -> None:
        """Reserve (principal, key); UniqueViolation when it is already taken, at once or at commit."""
        ...

    def find(self, principal: str, key: str) -> IdempotencyRecord | None: ...

    def save(self, record: IdempotencyRecord) -> None:
        """Replace the record of the same (principal, key)."""
        ...

    def remove(self, principal: str, key: str) -> None: ...

    def purge_expired(self, now: datetime) -> int:
        """Forget the records whose 24 hours are over; return how many."""
        ...
