"""API keys of a cabinet (« Clés d'API ») and the records that make a POST idempotent.

A key is ``seing.<key id>.<secret>``: the id finds the record, the secret (256 random bits
from the ``IdGenerator``) proves possession. Only the SHA-256 of the secret is stored: a
secret that carries 256 bits of entropy cannot be found from its hash by trying, so a slow
salted hash (argon2) would only slow every API call down, and an HMAC under a server key
would add a key to guard and rotate without making the database any less useless to a thief.

A key belongs to one cabinet and acts for the owner who created it, within that cabinet
only and within its scopes. ``admin`` includes the other scopes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import datetime, timedelta

from attrs import evolve, field, frozen

from domain.model.errors import (
    ApiKeyAlreadyRevoked,
    ApiKeyRejected,
    ApiKeyScopeMissing,
    ApiKeyScopesMissing,
    IdempotencyKeyReused,
    InvalidApiKeyName,
    InvalidIdempotencyKey,
    InvalidValue,
)

__all__ = ["API_KEY_PREFIX", "ApiKey", "ApiScope", "IDEMPOTENCY_RETENTION", "IdempotencyRecord",
           "StoredResponse", "hash_secret", "idempotency_key", "parse_api_key"]

API_KEY_PREFIX = "seing"
NAME_MAX = 80
IDEMPOTENCY_KEY_MAX = 255
IDEMPOTENCY_RETENTION = timedelta(hours=24)
# A first request that never answered (its process died) stops blocking its key after this.
IDEMPOTENCY_ABANDONED_AFTER = timedelta(minutes=5)


class ApiScope(enum.Enum):
    READ = "read"  # read collections, members, downloads
    PREPARE = "prepare"  # create, edit, send, remind, cancel collections
    SEAL = "seal"  # the cabinet's seal: ask for its certificate, seal documents (POST …/sealings)
    ADMIN = "admin"  # members, invitations, delegations, API keys; includes every other scope


def _scopes(values: object) -> frozenset[ApiScope]:
    try:
        return frozenset(ApiScope(v) for v in values)  # type: ignore[attr-defined]
    except ValueError:
        raise InvalidValue("scopes", "unknown API key scope") from None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_api_key(presented: str) -> tuple[str, str]:
    """``seing.<id>.<secret>`` → (id, secret); anything else is rejected without a lookup."""
    parts = presented.strip().split(".")
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or len(parts[2]) < 32:
        raise ApiKeyRejected("malformed API key")
    return parts[1], parts[2]


@frozen
class ApiKey:
    id: str
    cabinet_id: str
    name: str
    scopes: frozenset[ApiScope] = field(converter=_scopes)
    secret_hash: str
    created_by: str  # person id of the owner who created it; the key acts for them
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        name = " ".join(self.name.split())
        if not name or len(name) > NAME_MAX:
            raise InvalidApiKeyName(f"a key name has 1 to {NAME_MAX} characters")
        if name != self.name:
            object.__setattr__(self, "name", name)
        if not self.scopes:
            raise ApiKeyScopesMissing("a key needs at least one scope")

    @classmethod
    def issue(cls, *, id: str, cabinet_id: str, name: str, scopes: object, secret: str, created_by: str,
              now: datetime) -> ApiKey:
        return cls(id=id, cabinet_id=cabinet_id, name=name, scopes=scopes, secret_hash=hash_secret(secret),
                   created_by=created_by, created_at=now)

    @staticmethod
    def compose(key_id: str, secret: str) -> str:
        """The full key, shown once to its creator."""
        return f"{API_KEY_PREFIX}.{key_id}.{secret}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def display_prefix(self) -> str:
        """What lists show: enough to recognise a key, nothing that grants access."""
        return f"{API_KEY_PREFIX}.{self.id}.…"

    def authenticate(self, secret: str) -> None:
        if not hmac.compare_digest(self.secret_hash, hash_secret(secret)) or not self.active:
            raise ApiKeyRejected("unknown or revoked API key")

    def allows(self, scope: ApiScope) -> bool:
        return scope in self.scopes or ApiScope.ADMIN in self.scopes

    def require(self, scope: ApiScope) -> None:
        if not self.allows(scope):
            raise ApiKeyScopeMissing(scope=scope.value)

    def used(self, now: datetime) -> ApiKey:
        return evolve(self, last_used_at=now)

    def revoke(self, now: datetime) -> ApiKey:
        if not self.active:
            raise ApiKeyAlreadyRevoked("this key is already revoked")
        return evolve(self, revoked_at=now)


def idempotency_key(raw: str) -> str:
    """The client's ``Idempotency-Key``: 1 to 255 visible ASCII characters."""
    if not raw or len(raw) > IDEMPOTENCY_KEY_MAX or not all(33 <= ord(c) <= 126 for c in raw):
        raise InvalidIdempotencyKey(f"1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters")
    return raw


@frozen
class StoredResponse:
    """The answer given to the first request, replayed to the retries."""

    status: int
    content_type: str | None
    location: str | None
    body: bytes


@frozen
class IdempotencyRecord:
    """One ``Idempotency-Key`` of one principal (``key:<id>`` or ``person:<id>``).

    ``response`` is None while the first request is being answered.
    """

    principal: str
    key: str
    fingerprint: str  # SHA-256 of method, path and body: what "the same request" means
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None

    @classmethod
    def begin(cls, *, principal: str, key: str, fingerprint: str, now: datetime) -> IdempotencyRecord:
        return cls(principal=principal, key=idempotency_key(key), fingerprint=fingerprint, created_at=now,
                   expires_at=now + IDEMPOTENCY_RETENTION)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def abandoned(self, now: datetime) -> bool:
        return self.response is None and now >= self.created_at + IDEMPOTENCY_ABANDONED_AFTER

    def check_same_request(self, fingerprint: str) -> None:
        if not hmac.compare_digest(self.fingerprint, fingerprint):
            raise IdempotencyKeyReused("this Idempotency-Key was used for another request")

    def answered(self, response: StoredResponse) -> IdempotencyRecord:
        return evolve(self, response=response)
