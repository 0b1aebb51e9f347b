"""« Clés d'API »: an owner creates, lists and revokes the cabinet's keys; the API
authenticates a key, and makes creating and sending POSTs idempotent.

A key acts for the owner who created it, inside its cabinet only: if that person is no
longer an owner of the cabinet, the key stops working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from attrs import frozen

from domain.model.api_keys import ApiKey, ApiScope, IdempotencyRecord, StoredResponse, parse_api_key
from domain.model.cabinet import Member
from domain.model.errors import (
    ApiKeyNotFound,
    ApiKeyRejected,
    ApiKeyScopeMissing,
    IdempotentRequestInProgress,
    NotFound,
    UniqueViolation,
)
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.repositories import UnitOfWork

__all__ = ["ApiKeyCreated", "ApiKeyView", "ApiPrincipal", "authenticate_api_key", "begin_idempotent_request",
           "abandon_idempotent_request", "collection_cabinet", "create_api_key", "finish_idempotent_request",
           "list_api_keys", "purge_idempotency_records", "revoke_api_key"]

UowFactory = Callable[[], UnitOfWork]


@frozen
class ApiKeyView:
    key_id: str
    name: str
    prefix: str
    scopes: tuple[ApiScope, ...]
    created_at: datetime
    created_by_name: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@frozen
class ApiKeyCreated:
    key: ApiKeyView
    secret: str  # the whole key, shown once: only its hash is kept


@frozen
class ApiPrincipal:
    """Who calls the API with a key: the person it acts for, confined to one cabinet."""

    key_id: str
    cabinet_id: str
    person_id: str
    scopes: frozenset[ApiScope]

    def require(self, scope: ApiScope) -> None:
        if scope not in self.scopes and ApiScope.ADMIN not in self.scopes:
            raise ApiKeyScopeMissing(scope=scope.value)

    def require_cabinet(self, cabinet_id: str | None) -> None:
        """Another cabinet does not exist for this key (404, as for an outsider)."""
        if cabinet_id != self.cabinet_id:
            raise NotFound("cabinet not found")


def _owner(tx: UnitOfWork, cabinet_id: str, person_id: str) -> Member:
    member = tx.members.find(cabinet_id, person_id)
    if member is None:
        raise NotFound("cabinet not found")
    member.require_owner()
    return member


_SCOPE_ORDER = list(ApiScope)


def _view(tx: UnitOfWork, key: ApiKey) -> ApiKeyView:
    try:
        creator = tx.persons.get(key.created_by).display_name
    except NotFound:
        creator = ""
    return ApiKeyView(key_id=key.id, name=key.name, prefix=key.display_prefix,
                      scopes=tuple(sorted(key.scopes, key=_SCOPE_ORDER.index)), created_at=key.created_at,
                      created_by_name=creator, last_used_at=key.last_used_at, revoked_at=key.revoked_at)


def create_api_key(*, uow: UowFactory, clock: Clock, ids: IdGenerator, cabinet_id: str, by_person_id: str,
                   name: str, scopes: Iterable[ApiScope | str]) -> ApiKeyCreated:
    """A new key for the cabinet (owner only); the returned secret is never shown again."""
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        secret = ids.new_token()
        key = ApiKey.issue(id=ids.new_id(), cabinet_id=cabinet_id, name=name, scopes=frozenset(scopes),
                           secret=secret, created_by=by_person_id, now=clock.now())
        tx.api_keys.add(key)
        view = _view(tx, key)
        tx.commit()
    return ApiKeyCreated(key=view, secret=ApiKey.compose(key.id, secret))


def list_api_keys(*, uow: UowFactory, cabinet_id: str, by_person_id: str) -> list[ApiKeyView]:
    """The cabinet's keys, revoked ones included, newest first (owner only)."""
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        return [_view(tx, key) for key in reversed(tx.api_keys.of_cabinet(cabinet_id))]


def revoke_api_key(*, uow: UowFactory, clock: Clock, cabinet_id: str, by_person_id: str, key_id: str) -> None:
    """The key stops working at once (owner only)."""
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        key = tx.api_keys.find(key_id)
        if key is None or key.cabinet_id != cabinet_id:
            raise ApiKeyNotFound("no such key in this cabinet")
        tx.api_keys.save(key.revoke(clock.now()))
        tx.commit()


def authenticate_api_key(*, uow: UowFactory, clock: Clock, presented: str) -> ApiPrincipal:
    """The principal of a ``Bearer`` key, its use recorded; ApiKeyRejected for anything wrong."""
    key_id, secret = parse_api_key(presented)
    with uow() as tx:
        key = tx.api_keys.find(key_id)
        if key is None:
            raise ApiKeyRejected("unknown API key")
        key.authenticate(secret)
        creator = tx.members.find(key.cabinet_id, key.created_by)
        if creator is None or not creator.is_owner:
            raise ApiKeyRejected("the owner who created this key has left the cabinet")
        tx.api_keys.save(key.used(clock.now()))
        tx.commit()
    return ApiPrincipal(key_id=key.id, cabinet_id=key.cabinet_id, person_id=key.created_by, scopes=key.scopes)


def collection_cabinet(*, uow: UowFactory, collection_id: str) -> str | None:
    """The cabinet a collection belongs to (None when there is no such collection)."""
    with uow() as tx:
        try:
            return tx.collections.get(collection_id).cabinet_id
        except NotFound:
            return None


def _replay_or_wait(record: IdempotencyRecord, fingerprint: str) -> StoredResponse:
    record.check_same_request(fingerprint)
    if record.response is None:
        raise IdempotentRequestInProgress("the first request with this key is still running")
    return record.response


def begin_idempotent_request(*, uow: UowFactory, clock: Clock, principal: str, key: str,
                             fingerprint: str) -> StoredResponse | None:
    """None: this is the first request with ``key`` (now reserved), go ahead and answer it.
    Otherwise the answer given to the first one, for the same request; IdempotencyKeyReused
    for another request; IdempotentRequestInProgress while the first one runs."""
    now = clock.now()
    with uow() as tx:
        record = tx.idempotency.find(principal, key)
        if record is not None and (record.expired(now) or record.abandoned(now)):
            tx.idempotency.remove(principal, key)
            record = None
        if record is not None:
            return _replay_or_wait(record, fingerprint)
        try:
            tx.idempotency.add(IdempotencyRecord.begin(principal=principal, key=key, fingerprint=fingerprint,
                                                       now=now))
            tx.commit()
            return None
        except UniqueViolation:
            pass  # a concurrent first request reserved it between our read and our write
    with uow() as tx:
        record = tx.idempotency.find(principal, key)
        if record is None:  # pragma: no cover - reserved and dropped between two reads
            raise IdempotentRequestInProgress("the first request with this key is still running")
        return _replay_or_wait(record, fingerprint)


def finish_idempotent_request(*, uow: UowFactory, principal: str, key: str, response: StoredResponse) -> None:
    with uow() as tx:
        record = tx.idempotency.find(principal, key)
        if record is not None:
            tx.idempotency.save(record.answered(response))
            tx.commit()


def abandon_idempotent_request(*, uow: UowFactory, principal: str, key: str) -> None:
    """The first request failed on our side (5xx): a retry with the same key may try again."""
    with uow() as tx:
        tx.idempotency.remove(principal, key)
        tx.commit()


def purge_idempotency_records(*, uow: UowFactory, clock: Clock) -> int:
    """Periodic: forget the keys whose 24 hours are over."""
    with uow() as tx:
        count = tx.idempotency.purge_expired(clock.now())
        tx.commit()
        return count
