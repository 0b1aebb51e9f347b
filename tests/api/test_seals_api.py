"""The cabinet's seal in the API: the certificate request flow, sealing with a ``seal`` key,
and RFC 9457 problems (French) on bad input, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers

from adapters.memory.pdf_signing import FakePdfSigning
from tests.api.conftest import problem_of
from tests.api.test_api_keys_api import bearer, make_key
from tests.intake import corpus

PDF = "application/pdf"


@pytest.fixture(autouse=True)
def fake_signing(container):
    # Real PAdES sealing is validated in tests/ceremony/test_seal_pdfs.py.
    signing = FakePdfSigning(container.adapters.clock())
    container.adapters.pdf_signing.override(providers.Object(signing))
    return signing


def _approved(api: Any, cabinet_id: str, profile: str = "qualified") -> dict[str, Any]:
    asked = api.post(f"/api/v1/cabinets/{cabinet_id}/seal/certificate-requests", json={"profile": profile})
    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "pending"
    approved = api.post(f"/api/v1/cabinets/{cabinet_id}/seal/certificate-requests/{asked.json()['request_id']}/approval")
    assert approved.status_code == 200, approved.text
    return approved.json()


def _seal(client: Any, cabinet_id: str, files: list[tuple[str, bytes]], **kwargs: Any) -> Any:
    return client.post(f"/api/v1/cabinets/{cabinet_id}/sealings",
                       files=[("files", (name, content, PDF)) for name, content in files], **kwargs)


def test_a_seal_key_seals_a_batch_and_the_answer_links_documents_and_evidence(api, raw, cabinet):
    api.login()
    issued = _approved(api, cabinet.cabinet_id)
    assert issued["state"] == "issued" and "NTRFR-" in issued["certificate"]["subject"]
    state = api.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/seal").json()
    assert state["current_request_id"] == issued["request_id"]
    key = make_key(api, cabinet.cabinet_id, "read", "seal", name="GED")["secret"]
    answer = _seal(raw, cabinet.cabinet_id, [("bilan.pdf", corpus.minimal_pdf()), ("liasse.pdf", corpus.minimal_pdf(2))],
                   headers=bearer(key))
    assert answer.status_code == 201, answer.text
    sealing = answer.json()
    assert [d["name"] for d in sealing["documents"]] == ["bilan.pdf", "liasse.pdf"]
    assert answer.headers["location"] == f"/api/v1/cabinets/{cabinet.cabinet_id}/sealings/{sealing['sealing_id']}"
    document = raw.get(sealing["documents"][0]["url"], headers=bearer(key))
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    evidence = raw.get(sealing["evidence_json_url"], headers=bearer(key))
    assert evidence.json()["sealing"]["via"].startswith("api_key:")


def test_a_key_without_the_seal_scope_is_refused(api, raw, cabinet):
    api.login()
    _approved(api, cabinet.cabinet_id)
    key = make_key(api, cabinet.cabinet_id, "read", "prepare")["secret"]
    body = problem_of(_seal(raw, cabinet.cabinet_id, [("a.pdf", corpus.minimal_pdf())], headers=bearer(key)), 403)
    assert body["code"] == "api_key.scope_missing"


def test_bad_input_answers_problems_in_french(api, cabinet):
    api.login()
    base = f"/api/v1/cabinets/{cabinet.cabinet_id}"
    assert problem_of(_seal(api, cabinet.cabinet_id, [("a.pdf", corpus.minimal_pdf())]), 409)["code"] == \
        "seal.no_certificate"
    assert problem_of(api.post(f"{base}/seal/certificate-requests", json={"profile": "gold"}), 422)["code"] == \
        "value.invalid"
    assert problem_of(api.post(f"{base}/seal/certificate-requests", json={"profile": 3}), 422)
    _approved(api, cabinet.cabinet_id)
    assert problem_of(api.post(f"{base}/sealings", data={"x": "y"}), 415)["code"] == "http.unsupported_media_type"
    no_file = api.post(f"{base}/sealings", files=[("note", ("a.txt", b"x", "text/plain"))], data={"x": "y"})
    assert problem_of(no_file, 422)["code"] == "request.invalid"
    not_pdf = problem_of(_seal(api, cabinet.cabinet_id, [("a.pdf", b"plain text")]), 422)
    assert not_pdf["detail"] and not_pdf["code"].startswith("document.")
    assert problem_of(api.post(f"{base}/seal/certificate-requests/inconnue/approval"), 404)["code"] == \
        "seal_request.not_found"
    assert problem_of(api.get(f"{base}/sealings/inconnu"), 404)["code"] == "sealing.not_found"


def test_a_second_pending_request_and_a_second_decision_are_conflicts(api, cabinet):
    api.login()
    base = f"/api/v1/cabinets/{cabinet.cabinet_id}/seal/certificate-requests"
    first = api.post(base, json={"profile": "advanced"}).json()
    assert problem_of(api.post(base, json={}), 409)["code"] == "seal_request.already_open"
    assert api.post(f"{base}/{first['request_id']}/rejection", json={"reason": "pas encore"}).status_code == 200
    assert problem_of(api.post(f"{base}/{first['request_id']}/approval"), 409)["code"] == "seal_request.state"


def test_the_stamp_goes_where_the_request_says_and_a_bad_place_is_a_problem(api, raw, cabinet, fake_signing):
    api.login()
    _approved(api, cabinet.cabinet_id)
    key = make_key(api, cabinet.cabinet_id, "read", "seal", name="GED")["secret"]
    answer = _seal(raw, cabinet.cabinet_id, [("bilan.pdf", corpus.minimal_pdf(2))], headers=bearer(key),
                   data={"stamp_page": "first", "stamp_corner": "bottom_left"})
    assert answer.status_code == 201, answer.text
    [seal] = [r for r in fake_signing.signed if r.field_name.startswith("Cachet-")]
    assert seal.appearance.box.page == 0 and seal.appearance.box.x < 100 and seal.appearance.box.y < 100
    bad = _seal(raw, cabinet.cabinet_id, [("bilan.pdf", corpus.minimal_pdf())], headers=bearer(key),
                data={"stamp_corner": "center"})
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "première ou la dernière page" in bad.json()["detail"]
