"""The QCP enrollment through the JSON API, step by step, on the fake container (the
simulator decides at once), with the capture and the officer's back-office."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.identity import PNG
from tests.api.conftest import ApiClient, problem_of
from tests.web.qcp_helpers import (
    CAPTURE_STEPS,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    appoint_officer,
    latest_code,
    register_lcp,
)


@pytest.fixture
def container(tmp_path):
    built = build_container(Settings(data_dir=tmp_path), fakes=True)
    # pyHanko checks the signing LCP certificate against the real time.
    built.adapters.clock().set(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    return built


@pytest.fixture
def lcp(container, cabinet):
    return register_lcp(container, cabinet.person_id, cabinet.cabinet_id)


@pytest.fixture
def phone(app):
    with TestClient(app, base_url="http://testserver.local") as client:
        yield ApiClient(client)


def _base(eid: str) -> str:
    return f"/api/v1/qcp-enrollments/{eid}"


def to_identity_check(api, container, cabinet) -> dict:
    api.login()
    started = api.post("/api/v1/qcp-enrollments", json={"cabinet_id": cabinet.cabinet_id})
    assert started.status_code == 201, started.text
    enrollment = started.json()
    assert enrollment["next_step"] == "send_email_code" and enrollment["mobile"] == "+33624000013"
    eid = enrollment["id"]
    sent = api.post(f"{_base(eid)}/email-code")
    assert sent.status_code == 200 and sent.json()["channel"] == "email"
    checked = api.post(f"{_base(eid)}/email-code/check", json={"code": latest_code(container, "email")})
    assert checked.json()["next_step"] == "confirm_identity"
    assert api.post(f"{_base(eid)}/identity-confirmation").json()["next_step"] == "confirm_prerequisites"
    assert api.post(f"{_base(eid)}/prerequisites", json={"has_valid_id_document": True,
                                                         "mobile_is_theirs": True}).json()["next_step"] == "consent"
    assert api.post(f"{_base(eid)}/consents", json={"id_data_and_terms": True,
                                                    "privacy_policy": True}).json()["next_step"] == "start_identity_check"
    check = api.post(f"{_base(eid)}/identity-check")
    assert check.status_code == 200, check.text
    return check.json()


def capture_all(phone, session_ref: str) -> None:
    for step in CAPTURE_STEPS:
        answer = phone.post(f"/api/v1/identity-captures/{session_ref}/images/{step}", content=PNG,
                            headers={"content-type": "image/png"})
        assert answer.status_code == 200, answer.text
    assert phone.get(f"/api/v1/identity-captures/{session_ref}").json()["remaining"] == []
    assert phone.post(f"/api/v1/identity-captures/{session_ref}/completion").status_code == 200


def test_the_whole_enrollment_through_the_api(api, container, cabinet, lcp, phone):
    check = to_identity_check(api, container, cabinet)
    eid = check["enrollment"]["id"]
    assert "/qcp/capture/" in check["qr_url"] and check["browser_url"]
    # The phone follows the QR link (a page), then captures through the API.
    assert phone.client.get(urlsplit(check["qr_url"]).path, follow_redirects=False).status_code == 303
    capture_all(phone, check["session_ref"])
    status = api.get(f"{_base(eid)}/identity-check").json()
    assert status["next_step"] == "validate_identity" and status["extracted"]["birth_date"] == "1985-06-15"
    assert api.post(f"{_base(eid)}/identity-validation", json={"confirmed": True}).json()["next_step"] == "read_request"
    document = api.get(f"{_base(eid)}/request").json()
    assert api.get(document["pdf_url"]).content.startswith(b"%PDF")
    changed = api.post(f"{_base(eid)}/request/acceptance", json={"document_digest": "0" * 64})
    assert problem_of(changed, 409)["code"] == "qcp.request_document_changed"
    accepted = api.post(f"{_base(eid)}/request/acceptance", json={"document_digest": document["digest"]})
    assert accepted.json()["next_step"] == "sign_request"
    assert api.post(f"{_base(eid)}/signing-code").json()["destination"] == "06 ** ** 13"
    wrong = api.post(f"{_base(eid)}/signature", json={"code": "000000"})
    assert problem_of(wrong, 422)["code"] == "otp.invalid"
    signed = api.post(f"{_base(eid)}/signature", json={"code": latest_code(container, "sms")})
    assert signed.status_code == 200, signed.text
    assert signed.json()["next_step"] == "done" and signed.json()["certificate_id"]
    assert b"/ByteRange" in api.get(f"{_base(eid)}/signed-request").content


def test_an_open_enrollment_is_named_when_starting_again_and_resumed(api, container, cabinet, lcp):
    check = to_identity_check(api, container, cabinet)
    again = api.post("/api/v1/qcp-enrollments", json={"cabinet_id": cabinet.cabinet_id})
    assert problem_of(again, 409)["code"] == "qcp.already_open"
    current = api.get("/api/v1/qcp-enrollments/current", params={"cabinet_id": cabinet.cabinet_id})
    assert current.json()["id"] == check["enrollment"]["id"] and current.json()["next_step"] == "capture"
    renewed = api.post(f"{_base(check['enrollment']['id'])}/identity-check/link").json()
    assert renewed["qr_url"] != check["qr_url"] and renewed["session_ref"] == check["session_ref"]


def test_wrong_codes_and_missing_consents_are_problems(api, container, cabinet, lcp):
    api.login()
    eid = api.post("/api/v1/qcp-enrollments", json={"cabinet_id": cabinet.cabinet_id}).json()["id"]
    api.post(f"{_base(eid)}/email-code")
    for _ in range(5):
        answer = api.post(f"{_base(eid)}/email-code/check", json={"code": "000000"})
    assert answer.status_code in (410, 422)
    dead = api.post(f"{_base(eid)}/email-code/check", json={"code": latest_code(container, "email")})
    assert problem_of(dead, 410)["code"] == "otp.dead"
    too_soon = api.post(f"{_base(eid)}/email-code")
    assert problem_of(too_soon, 429)["code"].startswith("otp.resend")
    container.adapters.clock().advance(timedelta(minutes=2))
    api.post(f"{_base(eid)}/email-code")
    api.post(f"{_base(eid)}/email-code/check", json={"code": latest_code(container, "email")})
    api.post(f"{_base(eid)}/identity-confirmation")
    api.post(f"{_base(eid)}/prerequisites", json={"has_valid_id_document": True, "mobile_is_theirs": True})
    refused = api.post(f"{_base(eid)}/consents", json={"id_data_and_terms": True, "privacy_policy": False})
    assert problem_of(refused, 422)["code"] == "qcp.consent_missing"
    shape = api.post(f"{_base(eid)}/consents", json={"id_data_and_terms": "yes", "privacy_policy": True})
    assert shape.status_code == 422
    cancelled = api.post(f"{_base(eid)}/cancellation")
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["next_step"] == "closed"


def test_unsafe_calls_need_the_csrf_header(api, raw, cabinet, lcp):
    api.login()
    answer = raw.post("/api/v1/qcp-enrollments", json={"cabinet_id": cabinet.cabinet_id})
    assert answer.status_code == 403


def test_a_rejection_then_a_retry(api, container, cabinet, lcp, phone):
    verifier = container.adapters.identity_verifier()
    verifier.set_outcome(None, approved=False, reason="document_unreadable")
    check = to_identity_check(api, container, cabinet)
    capture_all(phone, check["session_ref"])
    eid = check["enrollment"]["id"]
    rejected = api.get(f"{_base(eid)}/identity-check").json()
    assert rejected["next_step"] == "retry_identity_check" and rejected["rejection_reason"] == "document_unreadable"
    assert rejected["attempts_left"] == 2
    verifier.set_outcome(None, approved=True)
    retry = api.post(f"{_base(eid)}/identity-check").json()
    capture_all(phone, retry["session_ref"])
    assert api.get(f"{_base(eid)}/identity-check").json()["next_step"] == "validate_identity"


def test_the_officer_resolves_a_manual_review_through_the_back_office_api(api, container, cabinet, lcp, phone,
                                                                         second_browser):
    from domain.model.identity import DocumentType, ExtractedIdentity
    from domain.model.values import PersonName

    appoint_officer(container)
    container.adapters.identity_verifier().set_outcome(None, approved=True, extracted=ExtractedIdentity(
        name=PersonName("JESSIKA", "POUSSART"), birth_date=date(1990, 1, 1), document_type=DocumentType.PASSPORT,
        document_number="17AB12345"))
    check = to_identity_check(api, container, cabinet)
    capture_all(phone, check["session_ref"])
    eid = check["enrollment"]["id"]
    review = api.post(f"{_base(eid)}/identity-validation", json={"confirmed": True}).json()
    assert review["next_step"] == "wait_for_manual_review"
    assert problem_of(api.get("/api/v1/back-office/enrollments"), 404)
    second_browser.login(OFFICER_EMAIL, OFFICER_PASSWORD)
    queue = second_browser.get("/api/v1/back-office/enrollments").json()
    assert [e["id"] for e in queue] == [eid] and queue[0]["review_reason"] == "extracted_identity_differs_from_lcp"
    # The file the officer decides on: the LCP identity beside what the document says, the evidence, the dates.
    assert problem_of(api.get(f"/api/v1/back-office/enrollments/{eid}"), 404)
    file = second_browser.get(f"/api/v1/back-office/enrollments/{eid}").json()
    assert file["enrollment"]["id"] == eid and file["lcp_name"] == "Jessica POUSSART"
    assert file["document_read"]["given_names"] == "JESSIKA" and file["document_read"]["document_type"] == "passport"
    assert file["provider_decision"] == "approved" and file["provider_decided_at"]
    assert len(file["images"]) == 6 and not any(image["retained"] for image in file["images"])
    assert file["has_signed_request"] is False and file["identity_submitted_at"]
    assert problem_of(second_browser.get(f"/api/v1/back-office/enrollments/{eid}/images/document_centre"), 404)
    assert problem_of(second_browser.get(f"/api/v1/back-office/enrollments/{eid}/signed-request"), 404)
    decided = second_browser.post(f"/api/v1/back-office/enrollments/{eid}/decision", json={"approved": True})
    assert decided.status_code == 200 and decided.json()["next_step"] == "read_request"
    assert api.get(_base(eid)).json()["next_step"] == "read_request"


def test_identity_reviews_with_the_manual_provider(tmp_path, second_browser=None):
    from adapters.identity.manual import ManualReviewIdentityVerifier
    from tests.api.conftest import OWNER_EMAIL, PASSWORD, SIREN
    from tests.apps import app_for

    container = build_container(Settings(data_dir=tmp_path), fakes=True)
    container.adapters.clock().set(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    container.adapters.identity_verifier.override(ManualReviewIdentityVerifier(
        public_url=container.settings().resolved_public_url, clock=container.adapters.clock()))
    cabinet = container.use_cases.create_cabinet(name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica",
                                                 owner_surname="Poussart", owner_email=OWNER_EMAIL,
                                                 owner_mobile="06 24 00 00 13", password=PASSWORD)
    register_lcp(container, cabinet.person_id, cabinet.cabinet_id)
    appoint_officer(container)
    app = app_for(container)
    with TestClient(app, base_url="http://testserver.local") as a, \
            TestClient(app, base_url="http://testserver.local") as b:
        api, officer = ApiClient(a), ApiClient(b)
        check = to_identity_check(api, container, cabinet)
        capture_all(api, check["session_ref"])
        officer.login(OFFICER_EMAIL, OFFICER_PASSWORD)
        pending = officer.get("/api/v1/back-office/identity-reviews").json()
        assert [p["session_ref"] for p in pending] == [check["session_ref"]]
        file = officer.get(f"/api/v1/back-office/identity-reviews/{check['session_ref']}").json()
        assert len(file["images"]) == 6 and file["given_names"] == "Jessica"
        bad = officer.post(f"/api/v1/back-office/identity-reviews/{check['session_ref']}/decision",
                           json={"approved": True, "given_names": "Jessica", "surname": "Poussart",
                                 "birth_date": "15/06/1985"})
        assert problem_of(bad, 422)["code"] == "value.invalid"
        good = officer.post(f"/api/v1/back-office/identity-reviews/{check['session_ref']}/decision",
                            json={"approved": True, "given_names": "Jessica", "surname": "Poussart",
                                  "birth_date": "1985-06-15", "document_number": "X4RTBPFW4"})
        assert good.status_code == 200 and good.json() == {"recorded": True}
        status = api.get(f"/api/v1/qcp-enrollments/{check['enrollment']['id']}").json()
        assert status["next_step"] == "validate_identity"


def _photo(size: int) -> bytes:
    return PNG + b"\0" * (size - len(PNG))


def _submitted_images(container, monkeypatch) -> list:
    """What the identity provider is handed, photo by photo."""
    verifier = container.adapters.identity_verifier()
    original = verifier.submit_capture
    handed: list = []

    def recording(session_ref, step, image, content_type):
        handed.append(image)
        return original(session_ref, step, image, content_type)

    monkeypatch.setattr(verifier, "submit_capture", recording)
    return handed


def test_a_photo_at_the_limit_reaches_the_provider_as_the_spooled_file(api, container, cabinet, lcp, phone,
                                                                         monkeypatch):
    from ports.identity import MAX_CAPTURE_IMAGE_BYTES
    from ports.uploads import UploadedFile

    check = to_identity_check(api, container, cabinet)
    handed = _submitted_images(container, monkeypatch)
    answer = phone.post(f"/api/v1/identity-captures/{check['session_ref']}/images/document_centre",
                        content=_photo(MAX_CAPTURE_IMAGE_BYTES), headers={"content-type": "image/png"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["done"] == ["document_centre"]
    assert len(handed) == 1 and isinstance(handed[0], UploadedFile) and not isinstance(handed[0], bytes)
    assert not handed[0].path.exists()  # removed once answered; the provider kept its own copy


def test_a_photo_over_the_limit_is_refused_with_problem_details_before_the_provider(api, container, cabinet, lcp,
                                                                                     phone, monkeypatch):
    from ports.identity import MAX_CAPTURE_IMAGE_BYTES

    check = to_identity_check(api, container, cabinet)
    handed = _submitted_images(container, monkeypatch)
    answer = phone.post(f"/api/v1/identity-captures/{check['session_ref']}/images/document_centre",
                        content=_photo(MAX_CAPTURE_IMAGE_BYTES + 1), headers={"content-type": "image/png"})
    assert problem_of(answer, 413)["code"] == "http.payload_too_large"
    assert handed == []
    assert phone.get(f"/api/v1/identity-captures/{check['session_ref']}").json()["done"] == []
