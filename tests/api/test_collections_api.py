"""The collections API: prepare a draft with its documents, send it, follow and manage it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.model.cabinet import Delegation, Role
from tests.api.conftest import PASSWORD, problem_of
from tests.intake import corpus

PDF = "application/pdf"


def create(api: Any, cabinet: Any, *files: tuple[str, bytes], **fields: str) -> Any:
    return api.post("/api/v1/collections", data={"cabinet_id": cabinet.cabinet_id, **fields},
                    files=[("files", (name, content, PDF)) for name, content in files])


@pytest.fixture
def draft(api, cabinet):
    api.login()
    answer = create(api, cabinet, ("mission.pdf", corpus.minimal_pdf(2)), title="Lettre de mission 2027",
                    message="Merci de signer.")
    assert answer.status_code == 201, answer.text
    return answer.json()["collection_id"]


def add_external(api: Any, collection_id: str, **overrides: Any) -> Any:
    body = {"kind": "external", "level": 2, "given_names": "Paul", "surname": "Martin",
            "email": "paul@example.fr", "mobile": "06 12 34 56 78"}
    body.update(overrides)
    return api.post(f"/api/v1/collections/{collection_id}/signers", json=body)


def test_a_draft_is_created_in_multipart_with_its_documents(api, cabinet):
    api.login()
    answer = create(api, cabinet, ("mission.pdf", corpus.minimal_pdf(2)), ("sepa.pdf", corpus.pdfium_pdf(1)))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["location"] == f"/api/v1/collections/{created['collection_id']}"
    details = api.get(f"/api/v1/collections/{created['collection_id']}").json()
    assert details["summary"]["title"] == "mission" and details["summary"]["status"] == "draft"
    assert [d["name"] for d in details["documents"]] == ["mission.pdf", "sepa.pdf"]
    assert [d["document_id"] for d in details["documents"]] == created["document_ids"]
    assert details["documents"][0]["page_count"] == 2 and len(details["documents"][0]["sha256"]) == 64


def test_one_refused_file_refuses_the_request_and_creates_nothing(api, cabinet, uc):
    api.login()
    answer = create(api, cabinet, ("mission.pdf", corpus.minimal_pdf(1)), ("photo.pdf", corpus.png_image()),
                    ("secret.pdf", corpus.encrypted_pdf()))
    body = problem_of(answer, 422)
    assert body["code"] == "document.not_pdf"
    assert body["errors"] == [
        {"field": "files[1]", "message": "Ce fichier n’est pas un PDF. Seuls les documents PDF peuvent être signés."},
        {"field": "files[2]", "message": "Ce PDF est protégé par un mot de passe ou chiffré. Enregistrez-le sans "
                                         "protection puis déposez-le de nouveau."}]
    assert uc.list_collections(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id).total == 0
    no_file = api.post("/api/v1/collections", data={"cabinet_id": cabinet.cabinet_id},
                       files={"note": ("note.txt", b"rien", "text/plain")})
    assert problem_of(no_file, 422)["errors"][0]["field"] == "files"


def test_adding_documents_keeps_the_draft_intact_when_one_is_refused(api, draft):
    refused = api.post(f"/api/v1/collections/{draft}/documents",
                       files=[("files", ("annexe.pdf", corpus.minimal_pdf(1), PDF)),
                              ("files", ("casse.pdf", corpus.truncated_pdf(), PDF))])
    assert problem_of(refused, 422)["code"] == "document.broken"
    assert len(api.get(f"/api/v1/collections/{draft}").json()["documents"]) == 1
    added = api.post(f"/api/v1/collections/{draft}/documents",
                     files=[("files", ("annexe.pdf", corpus.minimal_pdf(1), PDF))])
    assert added.status_code == 201
    (document_id,) = added.json()["document_ids"]
    original = api.get(f"/api/v1/collections/{draft}/documents/{document_id}/original")
    assert original.status_code == 200 and original.content == corpus.minimal_pdf(1)
    assert original.headers["content-type"] == PDF
    assert api.delete(f"/api/v1/collections/{draft}/documents/{document_id}").status_code == 204
    assert len(api.get(f"/api/v1/collections/{draft}").json()["documents"]) == 1


def test_uploads_need_the_csrf_header(raw, api, cabinet):
    api.login()
    answer = raw.post("/api/v1/collections", data={"cabinet_id": cabinet.cabinet_id},
                      files=[("files", ("mission.pdf", corpus.minimal_pdf(1), PDF))])
    assert problem_of(answer, 403)["code"] == "csrf.failed"


def test_info_options_and_observers(api, draft):
    assert api.put(f"/api/v1/collections/{draft}/info", json={"title": "Mandat", "message": ""}).status_code == 204
    options = {"deadline": "2026-12-20T18:00:00+01:00", "mode": "parallel",
               "reminders": {"enabled": True, "every_days": 2, "max_count": 5}}
    assert api.put(f"/api/v1/collections/{draft}/options", json=options).status_code == 204
    details = api.get(f"/api/v1/collections/{draft}").json()
    assert details["summary"]["title"] == "Mandat" and details["mode"] == "parallel"
    assert details["summary"]["deadline"] == "2026-12-20T17:00:00Z"
    assert details["reminders"] == {"enabled": True, "every_days": 2, "max_count": 5}
    past = api.put(f"/api/v1/collections/{draft}/options", json={"deadline": "2026-11-01T10:00:00+01:00"})
    assert problem_of(past, 422)["detail"] == "La date limite doit être dans le futur."
    naive = api.put(f"/api/v1/collections/{draft}/options", json={"deadline": "2026-12-20"})
    assert problem_of(naive, 422)["errors"][0]["field"] == "deadline"
    bad_mode = api.put(f"/api/v1/collections/{draft}/options", json={"mode": "shuffle"})
    assert problem_of(bad_mode, 422)["errors"][0]["field"] == "mode"
    observer = api.post(f"/api/v1/collections/{draft}/observers",
                        json={"given_names": "Luc", "surname": "Copie", "email": "luc@example.fr"})
    assert observer.status_code == 201
    again = api.post(f"/api/v1/collections/{draft}/observers",
                     json={"given_names": "Luc", "surname": "Copie", "email": "luc@example.fr"})
    assert problem_of(again, 409)["code"] == "collection.duplicate_observer"
    assert api.delete(f"/api/v1/collections/{draft}/observers/{observer.json()['observer_id']}").status_code == 204


def test_signers_levels_order_and_fields(api, draft, cabinet):
    choices = api.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/signer-choices").json()
    assert choices == [{"member_id": choices[0]["member_id"], "display_name": "Jessica Poussart",
                        "email": "jessica@poussart.fr", "masked_mobile": "06 ** ** 13", "levels": [1, 2]}]
    me = api.post(f"/api/v1/collections/{draft}/signers", json={"kind": "myself", "level": 2})
    assert me.status_code == 201
    paul = add_external(api, draft, level=3)
    assert paul.status_code == 201
    no_mobile = add_external(api, draft, email="zoe@example.fr", mobile=None)
    body = problem_of(no_mobile, 422)
    assert body["code"] == "collection.mobile_required"
    assert body["errors"] == [{"field": "mobile", "message": "Un numéro de mobile est obligatoire à partir du niveau 2."}]
    twice = add_external(api, draft)
    assert problem_of(twice, 409)["detail"] == "Cette personne figure déjà parmi les signataires."
    bad_level = add_external(api, draft, email="x@example.fr", level="2")
    assert problem_of(bad_level, 422)["errors"][0]["field"] == "level"
    me_id, paul_id = me.json()["signer_id"], paul.json()["signer_id"]
    qualified = api.put(f"/api/v1/collections/{draft}/signers/{me_id}/level", json={"level": 3})
    assert problem_of(qualified, 422)["detail"] == \
        "Le niveau 3 exige un certificat qualifié (QCP) actif pour ce membre."
    assert api.put(f"/api/v1/collections/{draft}/signers/{me_id}/level", json={"level": 1}).status_code == 204
    order = api.put(f"/api/v1/collections/{draft}/signers/order", json={"signer_ids": [paul_id, me_id]})
    assert order.status_code == 204
    incomplete = api.put(f"/api/v1/collections/{draft}/signers/order", json={"signer_ids": [paul_id]})
    assert problem_of(incomplete, 422)["code"] == "collection.invalid_order"
    details = api.get(f"/api/v1/collections/{draft}").json()
    assert [s["signer_id"] for s in details["signers"]] == [paul_id, me_id]
    assert [s["level"] for s in details["signers"]] == [3, 1]
    document_id = details["documents"][0]["document_id"]
    default = details["documents"][0]["placements"][0]
    assert default["page"] == 2 and default["chosen"] is False
    placed = api.put(f"/api/v1/collections/{draft}/documents/{document_id}/fields/{paul_id}",
                     json={"page": 1, "x": 100, "y": 100})
    assert placed.status_code == 204
    outside = api.put(f"/api/v1/collections/{draft}/documents/{document_id}/fields/{paul_id}",
                      json={"page": 1, "x": 590, "y": 100})
    assert problem_of(outside, 422)["code"] == "collection.field_out_of_page"
    first = api.get(f"/api/v1/collections/{draft}").json()["documents"][0]["placements"][0]
    assert (first["page"], first["x"], first["chosen"]) == (1, 100.0, True)
    assert api.delete(f"/api/v1/collections/{draft}/signers/{me_id}").status_code == 204


def test_send_remind_replace_cancel_and_the_timeline(api, draft, container, sent):
    nobody = api.post(f"/api/v1/collections/{draft}/send")
    assert problem_of(nobody, 409)["code"] == "collection.no_signer"
    paul = add_external(api, draft).json()["signer_id"]
    add_external(api, draft, given_names="Zoé", surname="Durand", email="zoe@example.fr")
    assert api.post(f"/api/v1/collections/{draft}/send").status_code == 204
    assert [n.to for n in sent("collection_invitation")] == ["paul@example.fr"]
    changed = api.post(f"/api/v1/collections/{draft}/signers", json={"kind": "myself", "level": 1})
    assert problem_of(changed, 409)["code"] == "collection.not_editable"
    listed = next(s for s in api.get(f"/api/v1/collections/{draft}").json()["signers"] if s["signer_id"] == paul)
    too_soon = api.post(f"/api/v1/collections/{draft}/signers/{paul}/reminders")
    problem = problem_of(too_soon, 429)
    assert problem["code"] == "collection.first_reminder_too_soon"  # no reminder was sent: the invitation was
    assert int(too_soon.headers["retry-after"]) == problem["params"]["retry_after_seconds"] > 0
    possible_at = datetime.fromisoformat(problem["params"]["possible_at"])
    assert possible_at == datetime.fromisoformat(listed["reminder_possible_at"].replace("Z", "+00:00"))
    assert "la première relance est possible une heure après" in problem["detail"]
    container.adapters.clock().advance(timedelta(hours=2))
    assert api.post(f"/api/v1/collections/{draft}/signers/{paul}/reminders").status_code == 204
    assert [n.to for n in sent("collection_reminder")] == ["paul@example.fr"]
    replacement = api.post(f"/api/v1/collections/{draft}/signers/{paul}/replacement",
                           json={"kind": "external", "level": 1, "given_names": "Léa", "surname": "Petit",
                                 "email": "lea@example.fr"})
    assert replacement.status_code == 201
    assert "lea@example.fr" in [n.to for n in sent("collection_invitation")]
    no_reason = api.post(f"/api/v1/collections/{draft}/cancellation", json={"reason": " "})
    assert problem_of(no_reason, 422)["code"] == "collection.cancel_reason_required"
    assert problem_of(api.post(f"/api/v1/collections/{draft}/cancellation"), 422)["errors"][0]["field"] == "reason"
    assert api.post(f"/api/v1/collections/{draft}/cancellation", json={"reason": "Doublon"}).status_code == 204
    assert api.get(f"/api/v1/collections/{draft}").json()["cancel_reason"] == "Doublon"
    # Once cancelled, the signers who had not signed are no longer « invited »: the API says why.
    signers = api.get(f"/api/v1/collections/{draft}").json()["signers"]
    assert {(s["status"], s["standing"]) for s in signers} == {("invited", "ended_by_cancellation"),
                                                                ("pending", "ended_by_cancellation")}
    again = api.post(f"/api/v1/collections/{draft}/cancellation")
    assert problem_of(again, 409)["code"] == "collection.ended"
    timeline = api.get(f"/api/v1/collections/{draft}/timeline").json()
    kinds = [event["kind"] for event in timeline]
    assert kinds[0] == "created" and kinds[-1] == "cancelled"
    assert {"sent", "invited", "reminded", "signer_replaced"} <= set(kinds)
    assert timeline[0]["at"].endswith("Z")


def test_the_list_filters_searches_and_pages(api, cabinet, draft):
    for title in ("Bulletin A", "Bulletin B", "Bulletin C"):
        create(api, cabinet, ("b.pdf", corpus.minimal_pdf(1)), title=title)
    add_external(api, draft)
    api.post(f"/api/v1/collections/{draft}/send")
    everything = api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id, "per_page": 2}).json()
    assert everything["total"] == 4 and everything["pages"] == 2 and len(everything["items"]) == 2
    second = api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id, "per_page": 2, "page": 2})
    assert len(second.json()["items"]) == 2
    running = api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id, "status": "in_progress"})
    (item,) = running.json()["items"]
    assert item["title"] == "Lettre de mission 2027" and item["progress"] == "0/1"
    both = api.get("/api/v1/collections", params=[("cabinet_id", cabinet.cabinet_id), ("status", "in_progress"),
                                                  ("status", "draft")]).json()
    assert both["total"] == 4
    found = api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id, "q": "martin"}).json()
    assert [i["title"] for i in found["items"]] == ["Lettre de mission 2027"]
    bogus = api.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id, "status": "bogus"})
    assert problem_of(bogus, 400)["errors"][0]["field"] == "status"


def test_a_member_without_prepare_is_refused_and_outsiders_learn_nothing(api, second_browser, cabinet, uc, sent,
                                                                         draft):
    uc.invite_member(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, email="irina@example.fr",
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR,
                     delegations=frozenset({Delegation.SIGN}))
    token = sent("member_invitation")[0].context_dict()["token"]
    uc.accept_invitation(token=token, password=PASSWORD, mobile=None)
    second_browser.login("irina@example.fr")
    listing = second_browser.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id})
    assert problem_of(listing, 403)["code"] == "member.missing_delegation"
    creating = create(second_browser, cabinet, ("a.pdf", corpus.minimal_pdf(1)))
    assert problem_of(creating, 403)["code"] == "member.missing_delegation"
    assert problem_of(second_browser.get(f"/api/v1/collections/{draft}"), 403)["code"] == \
        "member.missing_delegation"


def test_the_collections_need_a_session(raw, cabinet):
    answer = raw.get("/api/v1/collections", params={"cabinet_id": cabinet.cabinet_id})
    assert problem_of(answer, 401)["code"] == "auth.required"


def test_a_file_over_the_limit_is_a_413_problem_naming_the_limit(tmp_path):
    from litestar.testing import TestClient

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from tests.api.conftest import ApiClient, app_for

    container = build_container(Settings(data_dir=tmp_path, max_upload_mb=1), fakes=True)
    cabinet = container.use_cases.create_cabinet(
        name="Cabinet", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email="jessica@poussart.fr", owner_mobile="06 24 00 00 13", password=PASSWORD)
    with TestClient(app_for(container), base_url="http://testserver.local") as raw:
        api = ApiClient(raw)
        api.login()
        big = corpus.minimal_pdf(1) + b"%" + b"x" * (1024 * 1024)
        body = problem_of(create(api, cabinet, ("gros.pdf", big)), 413)
    assert body["code"] == "document.too_large"
    assert body["params"]["limit_mb"] == 1
    assert body["errors"][0]["field"] == "files[0]"
