"""API keys and idempotency records: the rules, without any store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from attrs.exceptions import FrozenInstanceError

from domain.model.api_keys import (
    ApiKey,
    ApiScope,
    IdempotencyRecord,
    StoredResponse,
    hash_secret,
    idempotency_key,
    parse_api_key,
)
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

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
SECRET = "q" * 43


def key(*scopes: str, name: str = "Logiciel de paie") -> ApiKey:
    return ApiKey.issue(id="k-1", cabinet_id="c-1", name=name, scopes=scopes or ("read",), secret=SECRET,
                        created_by="p-1", now=T0)


def test_only_the_hash_of_the_secret_is_kept():
    issued = key()
    assert issued.secret_hash == hash_secret(SECRET) and SECRET not in repr(issued)
    assert ApiKey.compose("k-1", SECRET) == f"seing.k-1.{SECRET}"
    assert parse_api_key(f"seing.k-1.{SECRET}") == ("k-1", SECRET)
    issued.authenticate(SECRET)
    with pytest.raises(ApiKeyRejected):
        issued.authenticate("r" * 43)


@pytest.mark.parametrize("presented", ["", "seing", "seing.k-1", f"other.k-1.{SECRET}", "seing..x" + SECRET,
                                       "seing.k-1.short", f"seing.k-1.{SECRET}.extra"])
def test_a_malformed_key_is_rejected_before_any_lookup(presented):
    with pytest.raises(ApiKeyRejected):
        parse_api_key(presented)


def test_a_key_is_frozen_and_revoked_once():
    issued = key()
    with pytest.raises(FrozenInstanceError):
        issued.revoked_at = T0  # type: ignore[misc]
    revoked = issued.revoke(T0 + timedelta(hours=1))
    assert issued.active and not revoked.active and revoked.revoked_at == T0 + timedelta(hours=1)
    with pytest.raises(ApiKeyRejected):
        revoked.authenticate(SECRET)
    with pytest.raises(ApiKeyAlreadyRevoked):
        revoked.revoke(T0 + timedelta(hours=2))
    assert issued.used(T0 + timedelta(minutes=5)).last_used_at == T0 + timedelta(minutes=5)


def test_scopes_are_checked_and_admin_includes_the_others():
    reader = key("read")
    reader.require(ApiScope.READ)
    with pytest.raises(ApiKeyScopeMissing) as refused:
        reader.require(ApiScope.PREPARE)
    assert refused.value.code == "api_key.scope_missing" and refused.value.params == {"scope": "prepare"}
    admin = key("admin")
    assert all(admin.allows(scope) for scope in ApiScope)


def test_a_key_needs_a_name_and_a_scope():
    with pytest.raises(InvalidApiKeyName):
        key(name="   ")
    with pytest.raises(InvalidApiKeyName):
        key(name="x" * 81)
    assert key(name="  Logiciel   de paie ").name == "Logiciel de paie"
    with pytest.raises(ApiKeyScopesMissing):
        ApiKey.issue(id="k", cabinet_id="c", name="n", scopes=(), secret=SECRET, created_by="p", now=T0)
    with pytest.raises(InvalidValue) as unknown:
        key("everything")
    assert unknown.value.field == "scopes"


@pytest.mark.parametrize("raw", ["", "x" * 256, "avec espace", "é"])
def test_an_idempotency_key_is_visible_ascii(raw):
    with pytest.raises(InvalidIdempotencyKey):
        idempotency_key(raw)


def test_an_idempotency_record_lives_24_hours_and_accepts_only_the_same_request():
    record = IdempotencyRecord.begin(principal="key:k-1", key="commande-1", fingerprint="a" * 64, now=T0)
    assert not record.expired(T0 + timedelta(hours=23, minutes=59)) and record.expired(T0 + timedelta(hours=24))
    record.check_same_request("a" * 64)
    with pytest.raises(IdempotencyKeyReused):
        record.check_same_request("b" * 64)
    assert record.abandoned(T0 + timedelta(minutes=5))
    answered = record.answered(StoredResponse(status=201, content_type="application/json", location=None, body=b"{}"))
    assert not answered.abandoned(T0 + timedelta(hours=1))
