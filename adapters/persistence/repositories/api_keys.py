"""API keys and idempotency records on Pony.

Keys are frozen domain objects: the repository writes a changed key back when ``save`` is
called (no identity map needed). Idempotency records are reserved by inserting their row:
the composite primary key makes the second of two concurrent first requests fail, on
SQLite and PostgreSQL alike, and that failure surfaces as ``UniqueViolation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.persistence.mappers import from_column, to_column
from domain.model.api_keys import ApiKey, ApiScope, IdempotencyRecord, StoredResponse
from domain.model.errors import NotFound

__all__ = ["PonyApiKeyRepository", "PonyIdempotencyRepository"]


def _key_columns(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "cabinet_id": key.cabinet_id, "name": key.name,
            "scopes": ",".join(sorted(s.value for s in key.scopes)), "secret_hash": key.secret_hash,
            "created_by": key.created_by, "created_at": to_column(key.created_at),
            "last_used_at": to_column(key.last_used_at), "revoked_at": to_column(key.revoked_at)}


def _key_from_row(row: Any) -> ApiKey:
    return ApiKey(id=row.id, cabinet_id=row.cabinet_id, name=row.name,
                  scopes=frozenset(ApiScope(v) for v in row.scopes.split(",") if v),
                  secret_hash=row.secret_hash, created_by=row.created_by, created_at=from_column(row.created_at),
                  last_used_at=from_column(row.last_used_at), revoked_at=from_column(row.revoked_at))


def _record_columns(record: IdempotencyRecord) -> dict[str, Any]:
    response = record.response
    return {"principal": record.principal, "idempotency_key": record.key, "fingerprint": record.fingerprint,
            "created_at": to_column(record.created_at), "expires_at": to_column(record.expires_at),
            "response_status": response.status if response else None,
            "response_content_type": response.content_type if response else None,
            "response_location": response.location if response else None,
            "response_body": response.body if response else None}


def _record_from_row(row: Any) -> IdempotencyRecord:
    response = None
    if row.response_status is not None:
        response = StoredResponse(status=row.response_status, content_type=row.response_content_type,
                                  location=row.response_location, body=bytes(row.response_body or b""))
    return IdempotencyRecord(principal=row.principal, key=row.idempotency_key, fingerprint=row.fingerprint,
                             created_at=from_column(row.created_at), expires_at=from_column(row.expires_at),
                             response=response)


class PonyApiKeyRepository:
    def __init__(self, uow: Any) -> None:
        self._uow = uow
        self._rows = uow.entity("ApiKeyRow")

    def add(self, key: ApiKey) -> None:
        with self._uow.storage_errors_translated():
            self._rows(**_key_columns(key))

    def find(self, key_id: str) -> ApiKey | None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=key_id)
        return None if row is None else _key_from_row(row)

    def save(self, key: ApiKey) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=key.id)
            if row is None:
                raise NotFound(f"api key {key.id} not found")
            row.set(**{k: v for k, v in _key_columns(key).items() if k != "id"})

    def of_cabinet(self, cabinet_id: str) -> list[ApiKey]:
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda k: k.cabinet_id == cabinet_id).order_by(lambda k: (k.created_at, k.id))
            return [_key_from_row(row) for row in rows]


class PonyIdempotencyRepository:
    def __init__(self, uow: Any) -> None:
        self._uow = uow
        self._rows = uow.entity("IdempotencyRow")

    def add(self, record: IdempotencyRecord) -> None:
        with self._uow.storage_errors_translated():
            self._rows(**_record_columns(record))

    def _row(self, principal: str, key: str) -> Any:
        with self._uow.storage_errors_translated():
            return self._rows.get(principal=principal, idempotency_key=key)

    def find(self, principal: str, key: str) -> IdempotencyRecord | None:
        row = self._row(principal, key)
        return None if row is None else _record_from_row(row)

    def save(self, record: IdempotencyRecord) -> None:
        row = self._row(record.principal, record.key)
        if row is None:
            raise NotFound("idempotency record not found")
        with self._uow.storage_errors_translated():
            row.set(**{k: v for k, v in _record_columns(record).items() if k not in ("principal", "idempotency_key")})

    def remove(self, principal: str, key: str) -> None:
        row = self._row(principal, key)
        if row is not None:
            with self._uow.storage_errors_translated():
                row.delete()

    def purge_expired(self, now: datetime) -> int:
        moment = to_column(now)
        with self._uow.storage_errors_translated():
            rows = list(self._rows.select(lambda r: r.expires_at <= moment))
            for row in rows:
                row.delete()
            return len(rows)
