"""``Idempotency-Key`` on the POSTs that create or send: a retry gets the first answer and
creates nothing more; the same key on another request is a 422 problem."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import problem_of
from tests.intake import corpus

PDF = "application/pdf"


def create(client: Any, cabinet_id: str, key: str | None, title: str = "Lettre de mission",
           headers: dict[str, str] | None = None) -> Any:
    headers = dict(headers or {})
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/collections", headers=headers, data={"cabinet_id": cabinet_id, "title": title},
                       files=[("files", ("mission.pdf", corpus.minimal_pdf(1), PDF))])


def total(api: Any, cabinet_id: str) -> int:
    return api.get("/api/v1/collections", params={"cabinet_id": cabinet_id}).json()["total"]


@pytest.fixture
def secret(api, cabinet):
    api.login()
    answer = api.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys",
                      json={"name": "Logiciel de paie", "scopes": ["prepare"]})
    return answer.json()["secret"]


@pytest.fixture
def key_headers(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_a_retried_creation_gets_the_first_answer_and_creates_nothing(raw, api, cabinet, key_headers):
    first = create(raw, cabinet.cabinet_id, "commande-4711", headers=key_headers)
    assert first.status_code == 201, first.text
    again = create(raw, cabinet.cabinet_id, "commande-4711", headers=key_headers)  # a new multipart boundary
    assert again.status_code == 201
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.headers["content-type"].startswith("application/json")
    # The replay goes out through the app like any answer: security headers included.
    assert again.headers["x-content-type-options"] == "nosniff" and again.headers["cache-control"] == "no-store"
    assert total(api, cabinet.cabinet_id) == 1


def test_the_same_key_with_another_body_is_a_problem(raw, api, cabinet, key_headers):
    assert create(raw, cabinet.cabinet_id, "commande-4711", headers=key_headers).status_code == 201
    other = create(raw, cabinet.cabinet_id, "commande-4711", title="Autre collecte", headers=key_headers)
    body = problem_of(other, 422)
    assert body["code"] == "idempotency.key_reused"
    assert body["detail"].startswith("Cette clé d’idempotence (Idempotency-Key) a déjà servi pour une autre requête")
    assert total(api, cabinet.cabinet_id) == 1
    elsewhere = raw.post("/api/v1/collections/inconnue/send", headers={**key_headers,
                                                                       "Idempotency-Key": "commande-4711"})
    assert elsewhere.status_code == 404  # another path is another request: the key's collection is unknown


def test_the_same_key_with_another_file_is_a_problem(raw, api, cabinet, key_headers):
    """Uploads are spooled to disk, not kept in memory: the key is compared with a digest of every
    part, the files' contents included."""
    headers = {**key_headers, "Idempotency-Key": "commande-4712"}

    def send(pages: int) -> Any:
        return raw.post("/api/v1/collections", headers=headers, data={"cabinet_id": cabinet.cabinet_id, "title": "Lot"},
                        files=[("files", ("mission.pdf", corpus.minimal_pdf(pages), PDF))])

    assert send(1).status_code == 201
    assert problem_of(send(2), 422)["code"] == "idempotency.key_reused"
    assert send(1).headers["idempotent-replayed"] == "true"
    assert total(api, cabinet.cabinet_id) == 1



def test_a_retried_sending_sends_once(api, cabinet, sent):
    api.login()
    draft = create(api, cabinet.cabinet_id, None).json()["collection_id"]
    api.post(f"/api/v1/collections/{draft}/signers", json={"kind": "external", "level": 1, "given_names": "Paul",
                                                           "surname": "Martin", "email": "paul@example.fr"})
    for _ in range(3):
        answer = api.post(f"/api/v1/collections/{draft}/send", headers={"Idempotency-Key": "envoi-1"})
        assert answer.status_code == 204, answer.text
    assert [n.to for n in sent("collection_invitation")] == ["paul@example.fr"]
    # Without the header, a second sending is refused by the collection's rules as before.
    assert problem_of(api.post(f"/api/v1/collections/{draft}/send"), 409)["code"] == "collection.not_editable"


def test_a_refusal_is_replayed_too(api, cabinet):
    api.login()
    draft = create(api, cabinet.cabinet_id, None).json()["collection_id"]
    first = api.post(f"/api/v1/collections/{draft}/send", headers={"Idempotency-Key": "envoi-vide"})
    assert problem_of(first, 409)["code"] == "collection.no_signer"
    again = api.post(f"/api/v1/collections/{draft}/send", headers={"Idempotency-Key": "envoi-vide"})
    assert problem_of(again, 409) == problem_of(first, 409)


def test_keys_are_scoped_per_principal(raw, api, cabinet, key_headers):
    """The owner's session and the owner's API key are two principals: one key each."""
    assert create(raw, cabinet.cabinet_id, "lot-1", headers=key_headers).status_code == 201
    mine = create(api, cabinet.cabinet_id, "lot-1")
    assert mine.status_code == 201 and "idempotent-replayed" not in mine.headers
    assert total(api, cabinet.cabinet_id) == 2


def test_a_key_is_kept_24_hours(raw, api, cabinet, key_headers, container, uc):
    assert create(raw, cabinet.cabinet_id, "quotidien", headers=key_headers).status_code == 201
    clock = container.adapters.clock()
    clock.advance(timedelta(hours=23))
    assert create(raw, cabinet.cabinet_id, "quotidien", headers=key_headers).headers.get("idempotent-replayed")
    clock.advance(timedelta(hours=1))
    assert uc.purge_idempotency_records() == 1
    fresh = create(raw, cabinet.cabinet_id, "quotidien", headers=key_headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert total(api, cabinet.cabinet_id) == 2


def test_a_malformed_key_is_refused(raw, cabinet, key_headers):
    answer = create(raw, cabinet.cabinet_id, "x" * 256, headers=key_headers)
    body = problem_of(answer, 422)
    assert body["code"] == "idempotency.key_invalid" and body["errors"][0]["field"] == "Idempotency-Key"


def test_the_key_does_not_bypass_csrf(raw, api, cabinet):
    api.login()
    forged = raw.post("/api/v1/collections", headers={"Idempotency-Key": "k"}, data={"cabinet_id": cabinet.cabinet_id},
                      files=[("files", ("mission.pdf", corpus.minimal_pdf(1), PDF))])
    assert problem_of(forged, 403)["code"] == "csrf.failed"
    assert total(api, cabinet.cabinet_id) == 0


def test_a_server_failure_is_not_kept_so_the_retry_runs(api, cabinet, container, sent):
    from dependency_injector import providers

    api.login()
    draft = create(api, cabinet.cabinet_id, None).json()["collection_id"]
    api.post(f"/api/v1/collections/{draft}/signers", json={"kind": "external", "level": 1, "given_names": "Paul",
                                                           "surname": "Martin", "email": "paul@example.fr"})

    def broken(**_kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    with container.use_cases.send_collection.override(providers.Callable(broken)):
        failed = api.post(f"/api/v1/collections/{draft}/send", headers={"Idempotency-Key": "envoi-1"})
    assert problem_of(failed, 500)["code"] == "internal"
    retried = api.post(f"/api/v1/collections/{draft}/send", headers={"Idempotency-Key": "envoi-1"})
    assert retried.status_code == 204 and "idempotent-replayed" not in retried.headers
    assert [n.to for n in sent("collection_invitation")] == ["paul@example.fr"]
