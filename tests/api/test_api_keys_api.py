"""« Clés d'API »: an owner creates, lists and revokes keys; a key works on /api/v1 as
``Authorization: Bearer``, within its scopes and its cabinet only, without CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import PASSWORD, problem_of
from tests.intake import corpus

PDF = "application/pdf"
OTHER_OWNER = "marc@berthier-conseil.fr"


def make_key(api: Any, cabinet_id: str, *scopes: str, name: str = "Logiciel de production") -> dict[str, Any]:
    answer = api.post(f"/api/v1/cabinets/{cabinet_id}/api-keys", json={"name": name, "scopes": list(scopes)})
    assert answer.status_code == 201, answer.text
    return answer.json()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def upload(client: Any, cabinet_id: str, secret: str, title: str = "Lettre de mission") -> Any:
    return client.post("/api/v1/collections", headers=bearer(secret),
                       data={"cabinet_id": cabinet_id, "title": title},
                       files=[("files", ("mission.pdf", corpus.minimal_pdf(1), PDF))])


@pytest.fixture
def keys(api, cabinet):
    """A logged-in owner with a read key and a prepare key for the cabinet."""
    api.login()
    return {"read": make_key(api, cabinet.cabinet_id, "read", name="Tableau de bord")["secret"],
            "prepare": make_key(api, cabinet.cabinet_id, "read", "prepare", name="Logiciel de paie")["secret"]}


@pytest.fixture
def other_cabinet(uc):
    return uc.create_cabinet(name="Berthier Conseil", siren="552100554", owner_given_names="Marc",
                             owner_surname="Berthier", owner_email=OTHER_OWNER, owner_mobile="06 11 22 33 44",
                             password=PASSWORD)


def test_the_secret_is_shown_once_and_the_list_shows_no_secret(api, cabinet, container):
    api.login()
    created = make_key(api, cabinet.cabinet_id, "read", "prepare")
    secret = created["secret"]
    assert secret.startswith(f"seing.{created['key']['key_id']}.") and len(secret) > 50
    assert created["key"]["scopes"] == ["read", "prepare"] and created["key"]["active"]
    listed = api.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys")
    assert listed.status_code == 200
    (key,) = listed.json()
    assert key["name"] == "Logiciel de production" and key["created_by"] == "Jessica Poussart"
    assert key["last_used_at"] is None and key["prefix"] == f"seing.{key['key_id']}.…"
    assert secret.split(".")[2] not in listed.text
    stored = container.adapters.store().tables["api_keys"][key["key_id"]]
    assert secret.split(".")[2] not in repr(stored)


def test_a_key_works_without_csrf_and_records_its_last_use(raw, api, cabinet, keys, container):
    clock = container.adapters.clock()
    clock.advance(timedelta(minutes=7))
    answer = upload(raw, cabinet.cabinet_id, keys["prepare"])  # no CSRF header, no session needed
    assert answer.status_code == 201, answer.text
    listed = {k["name"]: k for k in api.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys").json()}
    assert listed["Logiciel de paie"]["last_used_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert listed["Tableau de bord"]["last_used_at"] is None


def test_a_key_is_used_alone_even_beside_a_session_cookie(api, cabinet):
    api.login()
    forged = api.client.get("/api/v1/cabinets", headers=bearer("seing.nope." + "x" * 43))
    assert problem_of(forged, 401)["code"] == "api_key.rejected"
    assert "Authorization" in problem_of(forged, 401)["detail"]


def test_a_read_key_reads_but_cannot_prepare_nor_send(raw, api, cabinet, keys):
    draft = upload(raw, cabinet.cabinet_id, keys["prepare"]).json()["collection_id"]
    read = raw.get(f"/api/v1/collections/{draft}", headers=bearer(keys["read"]))
    assert read.status_code == 200 and read.json()["summary"]["status"] == "draft"
    listed = raw.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id}, headers=bearer(keys["read"]))
    assert listed.json()["total"] == 1
    send = raw.post(f"/api/v1/collections/{draft}/send", headers=bearer(keys["read"]))
    body = problem_of(send, 403)
    assert body["code"] == "api_key.scope_missing" and body["params"] == {"scope": "prepare"}
    assert body["detail"].startswith("Cette clé d’API n’a pas le droit de faire cela")
    assert problem_of(upload(raw, cabinet.cabinet_id, keys["read"]), 403)["code"] == "api_key.scope_missing"
    assert raw.get(f"/api/v1/collections/{draft}", headers=bearer(keys["read"])).json()["summary"]["status"] == "draft"


def test_a_prepare_key_sends_but_does_not_manage_members_nor_keys(raw, cabinet, keys, sent):
    draft = upload(raw, cabinet.cabinet_id, keys["prepare"]).json()["collection_id"]
    signer = raw.post(f"/api/v1/collections/{draft}/signers", headers=bearer(keys["prepare"]),
                      json={"kind": "external", "level": 1, "given_names": "Paul", "surname": "Martin",
                            "email": "paul@example.fr"})
    assert signer.status_code == 201, signer.text
    assert raw.post(f"/api/v1/collections/{draft}/send", headers=bearer(keys["prepare"])).status_code == 204
    assert [n.to for n in sent("collection_invitation")] == ["paul@example.fr"]
    invite = raw.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations", headers=bearer(keys["prepare"]),
                      json={"email": "luc@example.fr", "given_names": "Luc", "surname": "Copie"})
    assert problem_of(invite, 403)["code"] == "api_key.scope_missing"
    listing = raw.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys", headers=bearer(keys["prepare"]))
    assert problem_of(listing, 403)["code"] == "api_key.scope_missing"
    members = raw.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/members", headers=bearer(keys["prepare"]))
    assert members.status_code == 200


def test_an_admin_key_manages_keys(raw, api, cabinet):
    api.login()
    admin = make_key(api, cabinet.cabinet_id, "admin")["secret"]
    created = raw.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys", headers=bearer(admin),
                       json={"name": "Clé créée par une clé", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    assert upload(raw, cabinet.cabinet_id, admin).status_code == 201  # admin includes prepare


def test_a_revoked_key_is_refused(raw, api, cabinet, keys):
    key_id = keys["prepare"].split(".")[1]
    assert upload(raw, cabinet.cabinet_id, keys["prepare"]).status_code == 201
    assert api.delete(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys/{key_id}").status_code == 204
    assert problem_of(upload(raw, cabinet.cabinet_id, keys["prepare"]), 401)["code"] == "api_key.rejected"
    listed = {k["key_id"]: k for k in api.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys").json()}
    assert listed[key_id]["active"] is False and listed[key_id]["revoked_at"]
    again = api.delete(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys/{key_id}")
    assert problem_of(again, 409)["code"] == "api_key.already_revoked"


def test_a_wrong_secret_or_a_malformed_key_is_refused(raw, cabinet, keys):
    key_id = keys["read"].split(".")[1]
    for presented in (f"seing.{key_id}." + "A" * 43, "seing.inconnue." + "A" * 43, "n'importe quoi", ""):
        answer = raw.get("/api/v1/cabinets", headers=bearer(presented))
        assert problem_of(answer, 401)["code"] in {"api_key.rejected", "auth.required"}, presented


def test_a_key_sees_nothing_of_another_cabinet(raw, api, cabinet, keys, other_cabinet, second_browser):
    second_browser.login(OTHER_OWNER)
    theirs = second_browser.post("/api/v1/collections", data={"cabinet_id": other_cabinet.cabinet_id},
                                 files=[("files", ("bilan.pdf", corpus.minimal_pdf(1), PDF))])
    assert theirs.status_code == 201, theirs.text
    their_draft = theirs.json()["collection_id"]
    their_key = make_key(second_browser, other_cabinet.cabinet_id, "admin")["key"]["key_id"]
    mine = keys["prepare"]
    attempts = [
        raw.get(f"/api/v1/collections/{their_draft}", headers=bearer(mine)),
        raw.post(f"/api/v1/collections/{their_draft}/send", headers=bearer(mine)),
        raw.get("/api/v1/collections", params={"cabinet_id": other_cabinet.cabinet_id}, headers=bearer(mine)),
        raw.get(f"/api/v1/cabinets/{other_cabinet.cabinet_id}/members", headers=bearer(mine)),
        raw.get(f"/api/v1/cabinets/{other_cabinet.cabinet_id}/signer-choices", headers=bearer(mine)),
        raw.delete(f"/api/v1/cabinets/{other_cabinet.cabinet_id}/api-keys/{their_key}", headers=bearer(mine)),
        upload(raw, other_cabinet.cabinet_id, mine),
    ]
    for answer in attempts:
        assert problem_of(answer, 404)["code"] in {"not_found", "cabinet.not_found"}, answer.request.url
    assert second_browser.get(f"/api/v1/collections/{their_draft}").json()["summary"]["status"] == "draft"
    assert [c["cabinet_id"] for c in raw.get("/api/v1/cabinets", headers=bearer(mine)).json()] == \
        [cabinet.cabinet_id]
    # The owner cannot reach the other cabinet's keys with their session either.
    assert api.delete(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys/{their_key}").status_code == 404


def test_personal_operations_refuse_keys(raw, keys):
    for answer in (raw.get("/api/v1/me", headers=bearer(keys["prepare"])),
                   raw.get("/api/v1/me/certificates", headers=bearer(keys["prepare"])),
                   raw.delete("/api/v1/session", headers=bearer(keys["prepare"]))):
        assert problem_of(answer, 403)["code"] == "api_key.not_accepted", answer.request.url


def test_only_an_owner_creates_lists_or_revokes_keys(api, cabinet, uc, sent, second_browser):
    api.login()
    api.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations",
             json={"email": "luc@example.fr", "given_names": "Luc", "surname": "Copie", "role": "collaborator"})
    token = sent("member_invitation")[-1].context_dict()["token"]
    accepted = second_browser.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    second_browser.login("luc@example.fr")
    refused = second_browser.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys",
                                  json={"name": "Ma clé", "scopes": ["read"]})
    assert problem_of(refused, 403)["code"] == "member.not_owner"
    assert problem_of(second_browser.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys"), 403)


def test_a_key_needs_a_name_and_a_known_scope(api, cabinet):
    api.login()
    url = f"/api/v1/cabinets/{cabinet.cabinet_id}/api-keys"
    no_scope = problem_of(api.post(url, json={"name": "Paie", "scopes": []}), 422)
    assert no_scope["code"] == "api_key.scopes_missing" and no_scope["errors"][0]["field"] == "scopes"
    assert problem_of(api.post(url, json={"name": "  ", "scopes": ["read"]}), 422)["code"] == "api_key.name_invalid"
    unknown = problem_of(api.post(url, json={"name": "Paie", "scopes": ["everything"]}), 422)
    assert unknown["errors"][0]["field"].startswith("scopes")
