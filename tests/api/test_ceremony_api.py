"""The signer's JSON API (token in the path, no session, no CSRF token), download links and
POST /api/v1/verifications, on the fake container with the real CA and PAdES signing."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

import pytest
from litestar.testing import TestClient

from domain.model.identity import CheckMode
from domain.model.signer import SignatureLevel, SignerKind
from tests.ceremony.harness import Ceremony

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _external(level: SignatureLevel, name: str, email: str, mobile: str | None = "06 12 34 56 78") -> dict:
    return dict(kind=SignerKind.EXTERNAL, level=level, given_names=name, surname="Exemple", email=email,
                mobile=mobile)


@pytest.fixture
def world(tmp_path) -> Ceremony:
    return Ceremony(tmp_path)


@pytest.fixture
def raw(world: Ceremony) -> Iterator[TestClient]:
    """A client with no session and no CSRF cookie, as a phone app or a script would call."""
    from tests.apps import app_for

    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        yield client


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["detail"]
    return body


def test_a_level_2_signer_opens_asks_a_code_and_signs_without_session_or_csrf(world, raw):
    cid = world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")], documents=2)
    token = world.token_of("anne@exemple.fr")
    base = f"/api/v1/signature/{token}"
    opened = raw.post(f"{base}/open")
    assert opened.status_code == 200, opened.text
    view = opened.json()
    assert view["level"] == 2 and view["code_channel"] == "sms" and view["masked_destination"] == "06 ** ** 78"
    assert view["next_action"] == "request_code" and len(view["documents"]) == 2
    pdf = raw.get(view["documents"][0]["url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    sent = raw.post(f"{base}/code", json={"accepted": True})
    assert sent.status_code == 201, sent.text
    assert sent.json()["channel"] == "sms"
    # The digest the view announces is the one the code sent is bound to.
    (challenge,) = world.store.tables["one_time_codes"].values()
    assert view["code_digest"] == challenge.payload_digest
    signed = raw.post(f"{base}/signature", json={"code": world.latest_code()})
    assert signed.status_code == 200, signed.text
    assert signed.json() == {"status": "completed", "collection_status": "completed"}
    # The worker completes the collection (B-LTA, evidence, links); the signer polls meanwhile.
    assert raw.get(base).json()["signer_status"] == "finalising"
    assert "seing_session" not in raw.cookies
    assert world.get(cid).status.value == "completed"
    assert world.run_jobs("finalise_collection") == 1
    assert raw.get(base).json()["signer_status"] == "signed"


def test_the_code_needs_the_documents_accepted_and_json(world, raw):
    world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)])
    base = f"/api/v1/signature/{world.token_of('bruno@exemple.fr')}"
    _problem(raw.post(f"{base}/code", json={"accepted": False}), 422, "value.invalid")
    assert raw.post(f"{base}/code", data={"accepted": "true"}).status_code == 415
    assert raw.post(f"{base}/code", json={"accepted": True, "extra": 1}).status_code == 422
    assert world.notifications("signing_code") == []
    assert raw.post(f"{base}/code", json={"accepted": True}).json()["channel"] == "email"


def test_wrong_codes_expired_codes_and_resend_throttle_are_problems(world, raw):
    world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")])
    base = f"/api/v1/signature/{world.token_of('anne@exemple.fr')}"
    raw.post(f"{base}/code", json={"accepted": True})
    good = world.latest_code()
    wrong = "000000" if good != "000000" else "111111"
    _problem(raw.post(f"{base}/signature", json={"code": wrong}), 422, "otp.invalid")
    for _ in range(4):
        raw.post(f"{base}/signature", json={"code": wrong})
    assert raw.post(f"{base}/signature", json={"code": good}).json()["code"] == "otp.dead"
    too_soon = raw.post(f"{base}/code", json={"accepted": True})
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "otp.resend_too_soon"
    world.clock.advance(timedelta(seconds=61))
    assert raw.post(f"{base}/code", json={"accepted": True}).status_code == 201
    world.clock.advance(timedelta(hours=1))
    assert raw.post(f"{base}/signature", json={"code": world.latest_code()}).json()["code"] == "otp.expired"


def test_refusal_needs_a_reason_and_ends_the_collection(world, raw):
    cid = world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")])
    base = f"/api/v1/signature/{world.token_of('anne@exemple.fr')}"
    _problem(raw.post(f"{base}/refusal", json={"reason": "  "}), 422, "value.invalid")
    refused = raw.post(f"{base}/refusal", json={"reason": "Le montant est faux"})
    assert refused.status_code == 200 and refused.json()["signer_status"] == "refused"
    assert world.get(cid).status.value == "refused"
    _problem(raw.post(f"{base}/code", json={"accepted": True}), 410, "collection.link_unusable")


def test_a_dead_link_is_a_410_problem(world, raw):
    _problem(raw.get("/api/v1/signature/inconnu"), 410, "collection.link_unusable")
    _problem(raw.post("/api/v1/signature/inconnu/open"), 410, "collection.link_unusable")
    _problem(raw.post("/api/v1/signature/inconnu/signature", json={"code": "123456"}), 410,
             "collection.link_unusable")


def test_the_identity_check_of_an_external_level_3_signer(world, raw):
    cid = world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    base = f"/api/v1/signature/{world.token_of('marc@exemple.fr')}"
    assert raw.post(f"{base}/open").json()["next_action"] == "identity_check"
    _problem(raw.post(f"{base}/code", json={"accepted": True}), 409, "ceremony.identity_check_required")
    assert raw.get(f"{base}/identity-check").json()["status"] == "none"
    started = raw.post(f"{base}/identity-check")
    assert started.status_code == 201 and started.json()["phone_url"] and started.json()["browser_url"]
    session_ref = started.json()["session_ref"]
    assert raw.get(f"{base}/identity-check").json()["status"] == "pending"
    verifier = world.container.adapters.identity_verifier()
    for step in CheckMode.DOCUMENT_AND_FACE.steps:
        verifier.submit_capture(session_ref, step, PNG, "image/png")
    verifier.finish_capture(session_ref)
    verifier.decide_now(session_ref)
    assert raw.get(f"{base}/identity-check").json()["status"] == "approved"
    assert raw.post(f"{base}/code", json={"accepted": True}).status_code == 201
    assert raw.post(f"{base}/signature", json={"code": world.latest_code()}).json()["status"] == "completed"
    assert world.get(cid).signers[0].identity_verified_at is not None


def test_download_links_give_the_signed_pdfs_and_the_evidence(world, raw):
    world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)], observers=1)
    world.sign_as("bruno@exemple.fr")
    world.run_jobs("finalise_collection")
    download = [n for n in world.notifications() if n.context_dict().get("download_token")][-1] \
        .context_dict()["download_token"]
    overview = raw.get(f"/api/v1/downloads/{download}")
    assert overview.status_code == 200, overview.text
    body = overview.json()
    assert body["collection_status"] == "completed" and len(body["documents"]) == 1 and len(body["evidence"]) == 2
    assert raw.get(body["documents"][0]["url"]).content.startswith(b"%PDF-")
    assert raw.get(f"/api/v1/downloads/{download}/evidence.pdf").content.startswith(b"%PDF-")
    assert raw.get(f"/api/v1/downloads/{download}/evidence.json").json()
    world.clock.advance(timedelta(days=31))
    _problem(raw.get(f"/api/v1/downloads/{download}"), 410, "download.link_unusable")
    _problem(raw.get("/api/v1/downloads/inconnu/evidence.pdf"), 410, "download.link_unusable")


def test_verifications_report_each_signature_and_refuse_bad_files(world, raw):
    cid = world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)])
    world.sign_as("bruno@exemple.fr")
    world.run_jobs("finalise_collection")
    report = raw.post("/api/v1/verifications", content=world.document_bytes(cid)[0],
                      headers={"Content-Type": "application/pdf"})
    assert report.status_code == 200, report.text
    body = report.json()
    signatures = [s for s in body["signatures"] if s["kind"] == "signature"]
    assert signatures[0]["level"] == 1 and signatures[0]["certificate_status"] == "good"
    assert not any(s["qualified"] for s in body["signatures"])
    assert signatures[0]["proven_level"] == "B-LTA" and signatures[0]["proven_at"] == signatures[0]["signing_time"]
    _problem(raw.post("/api/v1/verifications", content=b"not a pdf", headers={"Content-Type": "application/pdf"}),
             422, "verification.not_verifiable")
    assert raw.post("/api/v1/verifications", json={"a": 1}).status_code == 415


def test_verifications_report_a_foreign_signature_as_valid_from_an_unknown_authority(world, raw):
    from tests.intake import corpus

    cid = world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)],
                           contents=[corpus.signed_pdf()])
    world.sign_as("bruno@exemple.fr")
    body = raw.post("/api/v1/verifications", content=world.document_bytes(cid)[0],
                    headers={"Content-Type": "application/pdf"}).json()
    by_field = {s["field_name"]: s for s in body["signatures"]}
    assert by_field["Signature1"]["valid_unknown_authority"] and not by_field["Signature1"]["ok"]
    assert all(s["ok"] for name, s in by_field.items() if name != "Signature1")
    assert body["all_ok"] is True


def test_the_signer_routes_are_in_the_openapi_document(raw):
    schema = raw.get("/schema/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {"getSignerCeremony", "openSignerCeremony", "requestSigningCode", "signCeremony", "refuseCeremony",
            "startSignerIdentityCheck", "getSignerIdentityCheck", "getDownloadLink", "downloadSignedDocument",
            "downloadEvidencePdf", "downloadEvidenceJson", "verifyPdf"} <= operations


def test_the_preparer_downloads_the_signed_pdf_and_the_evidence_with_their_session(world, raw):
    cid = world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)])
    base = f"/api/v1/collections/{cid}"
    assert raw.get(f"{base}/evidence.pdf").status_code == 401
    world.sign_as("bruno@exemple.fr")
    world.run_jobs("finalise_collection")
    csrf = raw.get("/api/v1/csrf").json()["token"]
    logged = raw.post("/api/v1/session", json={"email": "jessica@poussart.fr", "password": "correct horse battery"},
                      headers={"X-CSRFToken": csrf})
    assert logged.status_code in (200, 201), logged.text
    assert raw.get(f"{base}/evidence.pdf").content.startswith(b"%PDF-")
    assert raw.get(f"{base}/evidence.json").json()
    document_id = world.get(cid).documents[0].id
    assert raw.get(f"{base}/signed-documents/{document_id}").content.startswith(b"%PDF-")
    _problem(raw.get("/api/v1/collections/inconnue/evidence.pdf"), 404, "not_found")
