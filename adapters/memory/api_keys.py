"""API keys and idempotency records kept in dicts (the in-memory unit of work's tables)."""

from __future__ import annotations

from datetime import datetime

from domain.model.api_keys import ApiKey, IdempotencyRecord
from domain.model.errors import NotFound, UniqueViolation


class InMemoryApiKeyRepository:
    def __init__(self, rows: dict[str, ApiKey]) -> None:
        self.rows = rows

    def add(self, key: ApiKey) -> None:
        if key.id in self.rows:
            raise UniqueViolation("an API key with this id exists")
        self.rows[key.id] = key

    def find(self, key_id: str) -> ApiKey | None:
        return self.rows.get(key_id)

    def save(self, key: ApiKey) -> None:
        if key.id not in self.rows:
            raise NotFound(f"api key {key.id} not found")
        self.rows[key.id] = key

    def of_cabinet(self, cabinet_id: str) -> list[ApiKey]:
        return sorted((k for k in self.rows.values() if k.cabinet_id == cabinet_id),
                      key=lambda k: (k.created_at, k.id))


class InMemoryIdempotencyRepository:
    def __init__(self, rows: dict[str, IdempotencyRecord]) -> None:
        self.rows = rows

    @staticmethod
    def _key(principal: str, key: str) -> str:
        return f"{principal}\n{key}"

    def add(self, record: IdempotencyRecord) -> None:
        slot = self._key(record.principal, record.key)
        if slot in self.rows:
            raise UniqueViolation("this idempotency key is taken")
        self.rows[slot] = record

    def find(self, principal: str, key: str) -> IdempotencyRecord | None:
        return self.rows.get(self._key(principal, key))

    def save(self, record: IdempotencyRecord) -> None:
        slot = self._key(record.principal, record.key)
        if slot not in self.rows:
            raise NotFound("idempotency record not found")
        self.rows[slot] = record

    def remove(self, principal: str, key: str) -> None:
        self.rows.pop(self._key(principal, key), None)

    def purge_expired(self, now: datetime) -> int:
        gone = [slot for slot, record in self.rows.items() if record.expired(now)]
        for slot in gone:
            del self.rows[slot]
        return len(gone)
