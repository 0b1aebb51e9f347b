"""``POST /api/v1/collections:send``: one call creates and sends a collection (documents, signers,
boxes, options), with a ``prepare`` key and ``Idempotency-Key``; every refusal leaves nothing
behind; ``GET /api/v1/collections/{id}`` then gives status, each signer's progress and links."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import PASSWORD, problem_of
from tests.intake import corpus

PDF = "application/pdf"
SEND = "/api/v1/collections:send"


def anne(**extra: Any) -> dict[str, Any]:
    return {"kind": "external", "level": 1, "given_names": "Anne", "surname": "Martin",
            "email": "anne@exemple.fr", **extra}


def plan(cabinet_id: str, **extra: Any) -> dict[str, Any]:
    return {"cabinet_id": cabinet_id, "title": "Lettre de mission 2026", "message": "Merci de signer.",
            "signers": [anne()], **extra}


def send(client: Any, body: dict[str, Any], files: list[bytes] | None = None,
         headers: dict[str, str] | None = None) -> Any:
    # The plan as a part without a file name: multipart even when no file goes with it.
    parts = [("collection", (None, json.dumps(body))),
             *[("files", (f"lettre-{n + 1}.pdf", content, PDF)) for n, content in enumerate(files or [])]]
    return client.post(SEND, headers=headers or {}, files=parts)


def key(api: Any, cabinet_id: str, *scopes: str) -> dict[str, str]:
    answer = api.post(f"/api/v1/cabinets/{cabinet_id}/api-keys", json={"name": "Logiciel", "scopes": list(scopes)})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['secret']}"}


@pytest.fixture
def prepare(api, cabinet):
    api.login()
    return key(api, cabinet.cabinet_id, "read", "prepare")


def nothing_stored(api: Any, cabinet_id: str, container: Any, stored_before: int = 0) -> None:
    assert api.get("/api/v1/collections", params={"cabinet_id": cabinet_id}).json()["total"] == 0
    assert len(container.adapters.document_store().blobs) == stored_before
    assert not [j for j in container.adapters.job_store().list(limit=1000)
                if j.spec.kind == "notify" and j.spec.as_notification().template == "collection_invitation"]


def test_a_prepare_key_creates_and_sends_a_collection_in_one_call(raw, api, cabinet, prepare, sent):
    body = plan(cabinet.cabinet_id,
                signers=[anne(fields=[{"document": 1, "page": 2, "x": 72, "y": 100, "width": 200, "height": 50}]),
                         {"kind": "myself", "level": 2}],
                options={"mode": "parallel", "reminders": {"enabled": False}})
    answer = send(raw, body, [corpus.minimal_pdf(1), corpus.minimal_pdf(2)], prepare)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["location"] == f"/api/v1/collections/{created['summary']['collection_id']}"
    assert created["summary"]["status"] == "in_progress" and created["summary"]["progress"] == "0/2"
    assert created["mode"] == "parallel" and created["reminders"]["enabled"] is False
    assert [d["name"] for d in created["documents"]] == ["lettre-1.pdf", "lettre-2.pdf"]
    assert [(s["display_name"], s["level"], s["status"]) for s in created["signers"]] == \
        [("Anne Martin", 1, "invited"), ("Jessica Poussart", 2, "invited")]
    anne_id = created["signers"][0]["signer_id"]
    chosen = [p for p in created["documents"][1]["placements"] if p["signer_id"] == anne_id][0]
    assert (chosen["page"], chosen["x"], chosen["y"], chosen["width"], chosen["chosen"]) == (2, 72, 100, 200, True)
    assert created["links"]["signed_documents"] == [] and created["links"]["evidence_pdf"] is None
    assert created["documents"][0]["signed_url"] is None
    # Parallel mode: both signers invited at once.
    assert sorted(n.to for n in sent("collection_invitation")) == ["anne@exemple.fr", "jessica@poussart.fr"]
    read = raw.get(created["links"]["self"], headers=prepare)
    assert read.status_code == 200 and read.json()["signers"] == created["signers"]
    original = raw.get(created["documents"][0]["original_url"], headers=prepare)
    assert original.status_code == 200 and original.content == corpus.minimal_pdf(1)


def test_a_document_already_uploaded_in_the_cabinet_is_reused_by_reference(raw, api, cabinet, prepare):
    first = send(raw, plan(cabinet.cabinet_id), [corpus.minimal_pdf(3)], prepare).json()
    reference = {"collection_id": first["summary"]["collection_id"],
                 "document_id": first["documents"][0]["document_id"], "name": "mission-2027.pdf"}
    answer = send(raw, plan(cabinet.cabinet_id, documents=[reference]), headers=prepare)
    assert answer.status_code == 201, answer.text
    document = answer.json()["documents"][0]
    assert (document["name"], document["page_count"], document["sha256"]) == \
        ("mission-2027.pdf", 3, first["documents"][0]["sha256"])


def test_a_reference_to_another_cabinets_document_is_not_found(raw, api, cabinet, uc, second_browser):
    theirs = uc.create_cabinet(name="Berthier Conseil", siren="552100554", owner_given_names="Marc",
                               owner_surname="Berthier", owner_email="marc@berthier-conseil.fr",
                               owner_mobile="06 11 22 33 44", password=PASSWORD)
    second_browser.login("marc@berthier-conseil.fr")
    their = send(second_browser, plan(theirs.cabinet_id), [corpus.minimal_pdf(1)]).json()
    api.login()
    reference = {"collection_id": their["summary"]["collection_id"],
                 "document_id": their["documents"][0]["document_id"]}
    problem_of(send(api, plan(cabinet.cabinet_id, documents=[reference])), 404)
    # Nor may a key of this cabinet send in theirs.
    problem_of(send(raw, plan(theirs.cabinet_id), [corpus.minimal_pdf(1)], key(api, cabinet.cabinet_id, "prepare")),
               404)
    assert api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id}).json()["total"] == 0


@pytest.mark.parametrize("change, files, status", [
    ({"signers": [anne(fields=[{"document": 0, "page": 1, "x": 500, "y": 800}])]}, 1, 422),  # off the page
    ({"signers": [anne(fields=[{"document": 0, "page": 3, "x": 72, "y": 72}])]}, 1, 422),  # no such page
    ({"signers": [anne(fields=[{"document": 4, "page": 1, "x": 72, "y": 72}])]}, 1, 422),  # no such document
    ({"signers": [anne(level=2)]}, 1, 422),  # level 2 needs a mobile
    ({"signers": [anne(email="pas-une-adresse")]}, 1, 422),
    ({"signers": [{"kind": "member", "level": 1, "member_id": "inconnu"}]}, 1, 404),
    ({"signers": []}, 1, 409),  # nobody to sign (the wizard's « Envoyer » refusal)
    ({"documents": [{"file": 3}]}, 1, 422),
    ({}, 0, 422),  # no document
    ({"options": {"deadline": "2001-01-01T00:00:00+01:00"}}, 1, 422),
    ({"signers": [anne(level="1")]}, 1, 422),  # strict JSON types
])
def test_a_refusal_leaves_nothing_behind(raw, api, cabinet, prepare, container, change, files, status):
    answer = send(raw, plan(cabinet.cabinet_id, **change), [corpus.minimal_pdf(1)] * files, prepare)
    problem_of(answer, status)
    nothing_stored(api, cabinet.cabinet_id, container)


def test_a_refused_file_after_good_ones_leaves_nothing_behind(raw, api, cabinet, prepare, container):
    answer = send(raw, plan(cabinet.cabinet_id), [corpus.minimal_pdf(1), corpus.encrypted_pdf()], prepare)
    body = problem_of(answer, 422)
    assert [e["field"] for e in body["errors"]] == ["files[1]"]
    nothing_stored(api, cabinet.cabinet_id, container)


def test_a_read_key_cannot_send_and_a_missing_plan_is_a_problem(raw, api, cabinet, prepare, container):
    api.login()
    read = key(api, cabinet.cabinet_id, "read")
    assert problem_of(send(raw, plan(cabinet.cabinet_id), [corpus.minimal_pdf(1)], read), 403)["code"] == \
        "api_key.scope_missing"
    missing = raw.post(SEND, headers=prepare, files=[("files", ("a.pdf", corpus.minimal_pdf(1), PDF))])
    assert problem_of(missing, 422)["errors"][0]["field"] == "collection"
    assert raw.post(SEND, headers=prepare, json=plan(cabinet.cabinet_id)).status_code == 415
    nothing_stored(api, cabinet.cabinet_id, container)
    # The prepare scope alone is enough to send.
    only_prepare = key(api, cabinet.cabinet_id, "prepare")
    assert send(raw, plan(cabinet.cabinet_id), [corpus.minimal_pdf(1)], only_prepare).status_code == 201


def test_a_retry_with_the_same_idempotency_key_sends_once(raw, api, cabinet, prepare, sent):
    headers = {**prepare, "Idempotency-Key": "envoi-2026-0042"}
    body = plan(cabinet.cabinet_id)
    first = send(raw, body, [corpus.minimal_pdf(1)], headers)
    again = send(raw, body, [corpus.minimal_pdf(1)], headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id}).json()["total"] == 1
    assert len(sent("collection_invitation")) == 1
    other = send(raw, plan(cabinet.cabinet_id, title="Autre"), [corpus.minimal_pdf(1)], headers)
    problem_of(other, 422)


def test_the_one_call_is_described_in_the_openapi_document(raw):
    document = raw.get("/schema/openapi.json").json()
    operation = document["paths"]["/api/v1/collections:send"]["post"]
    assert operation["operationId"] == "sendNewCollection"
    body = operation["requestBody"]["content"]["multipart/form-data"]
    assert body["schema"]["required"] == ["collection"]
    assert set(body["schema"]["properties"]) == {"collection", "files"}
    assert body["encoding"]["collection"]["contentType"] == "application/json"
    assert "Idempotency-Key" in operation["description"]
