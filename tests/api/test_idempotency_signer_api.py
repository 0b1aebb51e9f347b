"""``Idempotency-Key`` on the signer's routes: the link (its token) is the principal, so a
phone app that retries « recevoir le code » sends one code, and a retried signature signs once."""

from __future__ import annotations

from typing import Iterator

import pytest
from litestar.testing import TestClient

from domain.model.signer import SignatureLevel, SignerKind
from tests.apps import app_for
from tests.ceremony.harness import Ceremony


@pytest.fixture
def world(tmp_path) -> Ceremony:
    return Ceremony(tmp_path)


@pytest.fixture
def raw(world: Ceremony) -> Iterator[TestClient]:
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        yield client


def test_a_retried_code_request_and_signature_happen_once(world, raw):
    world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Bruno",
                           surname="Exemple", email="bruno@exemple.fr", mobile=None)])
    base = f"/api/v1/signature/{world.token_of('bruno@exemple.fr')}"
    first = raw.post(f"{base}/code", json={"accepted": True}, headers={"Idempotency-Key": "code-1"})
    assert first.status_code == 201, first.text
    again = raw.post(f"{base}/code", json={"accepted": True}, headers={"Idempotency-Key": "code-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(world.notifications("signing_code")) == 1
    unthrottled = raw.post(f"{base}/code", json={"accepted": True})  # no key: the resend throttle answers
    assert unthrottled.status_code == 429
    code = world.latest_code()
    signed = raw.post(f"{base}/signature", json={"code": code}, headers={"Idempotency-Key": "sign-1"})
    assert signed.status_code == 200, signed.text
    replayed = raw.post(f"{base}/signature", json={"code": code}, headers={"Idempotency-Key": "sign-1"})
    assert replayed.status_code == 200 and replayed.json() == signed.json()
    other = raw.post(f"{base}/signature", json={"code": "000000"}, headers={"Idempotency-Key": "sign-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
