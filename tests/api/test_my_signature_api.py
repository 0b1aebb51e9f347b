"""« S'enregistrer », « Ma signature personnelle » and « Mes certificats » through the JSON API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509

from domain.model.cabinet import Delegation, Role
from tests.api.conftest import PASSWORD, problem_of
from tests.web.lcp_helpers import latest_code


@pytest.fixture
def owner(api, cabinet, container):
    container.adapters.ca().init_hierarchy()
    api.login()
    return api


@pytest.fixture
def base(cabinet):
    return f"/api/v1/cabinets/{cabinet.cabinet_id}/lcp-registration"


def register(client, container, base) -> dict:
    assert client.post(base).status_code == 201
    assert client.post(f"{base}/email-code").status_code == 200
    assert client.post(f"{base}/email-code/verification", json={"code": latest_code(container, "email")}).status_code == 200
    assert client.post(f"{base}/sms-code").status_code == 200
    assert client.post(f"{base}/sms-code/verification", json={"code": latest_code(container, "sms")}).status_code == 200
    assert client.post(f"{base}/identity-confirmation").status_code == 200
    version = client.get(base).json()["current_terms_version"]
    issued = client.post(f"{base}/terms-acceptance", json={"terms_version": version})
    assert issued.status_code == 201, issued.text
    return issued.json()


def test_registration_goes_step_by_step_and_issues_an_lcp(owner, container, base, cabinet):
    status = owner.get(base).json()
    assert status["registration"] is None and status["terms_url"] == "/pki/cgu"

    started = owner.post(base)
    assert started.status_code == 201 and started.headers["location"] == base
    assert started.json()["next_action"] == "verify_email" and started.json()["mobile_masked"] == "06 ** ** 13"

    sent = owner.post(f"{base}/email-code").json()
    assert sent["channel"] == "email" and sent["destination"] == "j•••@poussart.fr" and sent["expires_at"]
    step = owner.post(f"{base}/email-code/verification", json={"code": latest_code(container, "email")}).json()
    assert step["state"] == "email_verified" and step["next_action"] == "verify_mobile"

    assert owner.post(f"{base}/sms-code").json()["destination"] == "06 ** ** 13"
    step = owner.post(f"{base}/sms-code/verification", json={"code": latest_code(container, "sms")}).json()
    assert step["next_action"] == "confirm_identity"
    step = owner.post(f"{base}/identity-confirmation").json()
    assert (step["given_names"], step["surname"], step["next_action"]) == ("Jessica", "Poussart", "accept_terms")

    version = owner.get(base).json()["current_terms_version"]
    issued = owner.post(f"{base}/terms-acceptance", json={"terms_version": version})
    assert issued.status_code == 201
    certificate = issued.json()
    assert certificate["policy"] == "LCP" and certificate["policy_oid"] == "0.4.0.2042.1.3"
    assert certificate["status"] == "active" and certificate["cabinet_id"] == cabinet.cabinet_id
    assert issued.headers["location"] == f"/api/v1/me/certificates/{certificate['certificate_id']}"
    done = owner.get(base).json()["registration"]
    assert done["state"] == "issued" and done["next_action"] is None
    assert done["certificate_id"] == certificate["certificate_id"]


def test_my_signature_shows_the_lcp_and_the_qcp_subscription(owner, container, base, cabinet):
    before = owner.get("/api/v1/me/signature").json()
    assert before[0]["registration_needed"] is True and before[0]["lcp"] is None
    assert before[0]["delegations"] == ["sign", "seal", "prepare"]
    certificate = register(owner, container, base)
    after = owner.get("/api/v1/me/signature").json()[0]
    assert after["lcp"]["serial"] == certificate["serial"] and after["registration_needed"] is False
    assert after["can_subscribe_qcp"] is True
    assert after["links"]["qcp_subscription"] == f"/signature-personnelle/{cabinet.cabinet_id}/qcp"


def test_certificates_list_detail_and_download_as_pem_and_der(owner, container, base):
    certificate = register(owner, container, base)
    listed = owner.get("/api/v1/me/certificates").json()
    assert [c["certificate_id"] for c in listed] == [certificate["certificate_id"]]
    detail = owner.get(f"/api/v1/me/certificates/{certificate['certificate_id']}")
    assert detail.json()["serial"] == certificate["serial"]

    pem = owner.get(certificate["pem_url"])
    der = owner.get(certificate["der_url"])
    assert pem.headers["content-type"].startswith("application/x-pem-file") and b"PRIVATE" not in pem.content
    assert der.headers["content-type"] == "application/pkix-cert"
    assert x509.load_pem_x509_certificate(pem.content) == x509.load_der_x509_certificate(der.content)
    by_query = owner.get(f"/api/v1/me/certificates/{certificate['certificate_id']}?format=der")
    assert by_query.content == der.content

    body = problem_of(owner.get(f"/api/v1/me/certificates/{certificate['certificate_id']}?format=key"), 422)
    assert body["code"] == "value.invalid" and body["errors"][0]["field"] == "format"
    problem_of(owner.get("/api/v1/me/certificates/not-mine.pem"), 404)


def test_revocation_by_the_holder_is_published_and_cannot_be_repeated(owner, container, base):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    certificate = register(owner, container, base)
    body = problem_of(owner.post(f"/api/v1/me/certificates/{certificate['certificate_id']}/revocation",
                                 json={"reason": "because"}), 422)
    assert body["errors"][0]["field"] == "reason"
    revoked = owner.post(f"/api/v1/me/certificates/{certificate['certificate_id']}/revocation",
                         json={"reason": "key_compromise"})
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked" and revoked.json()["revocation_reason"] == "key_compromise"
    again = problem_of(owner.post(f"/api/v1/me/certificates/{certificate['certificate_id']}/revocation",
                                  json={"reason": "key_compromise"}), 409)
    assert again["code"] == "certificate.revoked"

    leaf = x509.load_der_x509_certificate(owner.get(certificate["der_url"]).content)
    issuer = x509.load_der_x509_certificate(owner.client.get("/pki/ca/lcp.der").content)
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()
    answer = owner.client.post("/pki/ocsp", content=request.public_bytes(serialization.Encoding.DER),
                               headers={"Content-Type": "application/ocsp-request"})
    assert ocsp.load_der_ocsp_response(answer.content).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_wrong_codes_are_counted_then_the_code_dies(owner, container, base):
    owner.post(base)
    owner.post(f"{base}/email-code")
    right = latest_code(container, "email")
    wrong = "000000" if right != "000000" else "111111"
    first = problem_of(owner.post(f"{base}/email-code/verification", json={"code": wrong}), 422)
    assert first["code"] == "otp.invalid" and first["params"]["remaining_tries"] == 4
    assert first["errors"][0]["field"] == "code"
    for _ in range(4):
        owner.post(f"{base}/email-code/verification", json={"code": wrong})
    dead = problem_of(owner.post(f"{base}/email-code/verification", json={"code": right}), 410)
    assert dead["code"] == "otp.dead"


def test_an_expired_code_is_a_410_and_resending_at_once_a_429(owner, container, base):
    owner.post(base)
    owner.post(f"{base}/email-code")
    code = latest_code(container, "email")
    throttled = owner.post(f"{base}/email-code")
    body = problem_of(throttled, 429)
    assert body["code"] == "otp.resend_too_soon" and int(throttled.headers["retry-after"]) > 0
    container.adapters.clock().advance(timedelta(minutes=11))
    assert problem_of(owner.post(f"{base}/email-code/verification", json={"code": code}), 410)["code"] == "otp.expired"


def test_steps_out_of_order_and_bad_bodies_are_problems(owner, base):
    owner.post(base)
    body = problem_of(owner.post(f"{base}/identity-confirmation"), 409)
    assert body["code"] == "lcp_registration.wrong_step"
    body = problem_of(owner.post(base), 409)
    assert body["code"] == "lcp_registration.in_progress" and body["params"]["registration_id"]
    problem_of(owner.post(f"{base}/email-code/verification", json={"code": 123456}), 422)
    problem_of(owner.post(f"{base}/email-code/verification", content=b"{", headers={"Content-Type": "application/json"}), 400)
    problem_of(owner.post(f"{base}/terms-acceptance", json={}), 422)


def test_outdated_terms_are_refused(owner, container, base):
    owner.post(base)
    owner.post(f"{base}/email-code")
    owner.post(f"{base}/email-code/verification", json={"code": latest_code(container, "email")})
    owner.post(f"{base}/sms-code")
    owner.post(f"{base}/sms-code/verification", json={"code": latest_code(container, "sms")})
    owner.post(f"{base}/identity-confirmation")
    body = problem_of(owner.post(f"{base}/terms-acceptance", json={"terms_version": "cgu-1999"}), 409)
    assert body["code"] == "lcp_registration.terms_outdated"


def test_cancelling_ends_the_registration_and_a_new_one_can_start(owner, base):
    owner.post(base)
    cancelled = owner.delete(base)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    problem_of(owner.delete(base), 404)
    assert owner.post(base).status_code == 201


def test_a_member_without_sign_is_refused_with_a_403(owner, second_browser, container, cabinet, sent):
    container.use_cases.invite_member(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id,
                                      email="irina@poussart.fr", given_names="Irina", surname="Faron",
                                      role=Role.COLLABORATOR, delegations=frozenset({Delegation.PREPARE}))
    token = sent("member_invitation")[-1].context_dict()["token"]
    container.use_cases.accept_invitation(token=token, password=PASSWORD, mobile="06 11 22 33 44")
    second_browser.login(email="irina@poussart.fr")
    body = problem_of(second_browser.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/lcp-registration"), 403)
    assert body["code"] == "member.missing_delegation"
    assert second_browser.get("/api/v1/me/signature").json()[0]["can_sign"] is False


def test_everything_needs_a_session_and_unsafe_methods_the_csrf_header(raw, api, cabinet, base):
    problem_of(api.get("/api/v1/me/certificates"), 401)
    problem_of(api.get(base), 401)
    api.login()
    body = problem_of(raw.post(base), 403)
    assert body["code"] == "csrf.failed"
    problem_of(api.get("/api/v1/cabinets/not-mine/lcp-registration"), 404)


def test_the_openapi_document_names_every_signature_operation(raw):
    operations = {op.get("operationId") for path in raw.get("/schema/openapi.json").json()["paths"].values()
                  for op in path.values() if isinstance(op, dict)}
    assert {"getMySignature", "listMyCertificates", "getMyCertificate", "revokeMyCertificate", "getLcpRegistration",
            "startLcpRegistration", "cancelLcpRegistration", "sendLcpEmailCode", "verifyLcpEmailCode",
            "sendLcpSmsCode", "verifyLcpSmsCode", "confirmLcpIdentity", "acceptLcpTerms"} <= operations
