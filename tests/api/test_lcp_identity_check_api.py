"""« S'enregistrer » through the JSON API with SEING_LCP_REQUIRE_IDENTITY_CHECK: the identity
check step (start, QR link, status), the refused terms until it passes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from domain.model.identity import CheckMode
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.identity import PNG
from tests.api.conftest import problem_of
from tests.web.lcp_helpers import latest_code


@pytest.fixture
def container(tmp_path):
    return build_container(Settings(data_dir=tmp_path, lcp_require_identity_check=True), fakes=True)


@pytest.fixture
def owner(api, cabinet, container):
    container.adapters.ca().init_hierarchy()
    api.login()
    return api


@pytest.fixture
def base(cabinet):
    return f"/api/v1/cabinets/{cabinet.cabinet_id}/lcp-registration"


def to_identity_check(client, container, base) -> dict:
    assert client.post(base).status_code == 201
    client.post(f"{base}/email-code")
    client.post(f"{base}/email-code/verification", json={"code": latest_code(container, "email")})
    client.post(f"{base}/sms-code")
    client.post(f"{base}/sms-code/verification", json={"code": latest_code(container, "sms")})
    return client.post(f"{base}/identity-confirmation").json()


def capture(container, session_ref: str) -> None:
    verifier = container.adapters.identity_verifier()
    for step in CheckMode.DOCUMENT_ONLY.steps:
        verifier.submit_capture(session_ref, step, PNG, "image/png")
    verifier.finish_capture(session_ref)


def session_of(browser_url: str) -> str:
    return urlsplit(browser_url).path.rsplit("/", 1)[-1]


def test_the_identity_check_step_gates_the_certificate(owner, container, base):
    confirmed = to_identity_check(owner, container, base)
    assert (confirmed["next_action"], confirmed["identity_check"]) == ("start_identity_check", "not_started")
    version = owner.get(base).json()["current_terms_version"]

    early = problem_of(owner.post(f"{base}/terms-acceptance", json={"terms_version": version}), 409)
    assert early["code"] == "lcp_registration.identity_check_required"
    assert "pièce d’identité" in early["detail"]

    started = owner.post(f"{base}/identity-check")
    assert started.status_code == 200, started.text
    check = started.json()
    assert check["check"] == "capturing" and "/signature-personnelle/capture/" in check["qr_url"]
    assert check["qr_expires_at"] and "/identity/capture/" in check["browser_url"]
    assert owner.get(f"{base}/identity-check").json()["check"] == "capturing"
    renewed = owner.post(f"{base}/identity-check/link").json()
    assert renewed["qr_url"] != check["qr_url"]

    capture(container, session_of(check["browser_url"]))
    assert owner.get(f"{base}/identity-check").json()["check"] == "passed"
    assert owner.get(base).json()["registration"]["next_action"] == "accept_terms"
    problem_of(owner.post(f"{base}/identity-check/link"), 410)

    issued = owner.post(f"{base}/terms-acceptance", json={"terms_version": version})
    assert issued.status_code == 201, issued.text
    assert issued.json()["policy"] == "LCP"


def test_a_rejection_is_reported_with_its_reason(owner, container, base):
    to_identity_check(owner, container, base)
    check = owner.post(f"{base}/identity-check").json()
    ref = session_of(check["browser_url"])
    container.adapters.identity_verifier().set_outcome(ref, approved=False, reason="document_expired")
    capture(container, ref)
    status = owner.get(f"{base}/identity-check").json()
    assert (status["check"], status["reason"]) == ("rejected", "document_expired")
    registration = owner.get(base).json()["registration"]
    assert (registration["identity_check"], registration["identity_check_reason"]) == ("rejected",
                                                                                       "document_expired")
    version = owner.get(base).json()["current_terms_version"]
    refused = problem_of(owner.post(f"{base}/terms-acceptance", json={"terms_version": version}), 409)
    assert refused["code"] == "lcp_registration.identity_check_required"
    assert owner.post(f"{base}/identity-check").json()["check"] == "capturing"  # a new attempt


def test_without_the_flag_there_is_no_identity_check_step(tmp_path):
    from litestar.testing import TestClient

    from tests.api.conftest import ApiClient, app_for

    container = build_container(Settings(data_dir=tmp_path), fakes=True)
    container.adapters.ca().init_hierarchy()
    cabinet = container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email="jessica@poussart.fr", owner_mobile="06 24 00 00 13", password="correct horse battery")
    base = f"/api/v1/cabinets/{cabinet.cabinet_id}/lcp-registration"
    with TestClient(app_for(container), base_url="http://testserver.local") as raw:
        client = ApiClient(raw)
        client.login()
        confirmed = to_identity_check(client, container, base)
        assert (confirmed["next_action"], confirmed["identity_check"]) == ("accept_terms", None)
        assert problem_of(client.post(f"{base}/identity-check"), 409)["code"] == "lcp_registration.wrong_step"
        assert client.get(f"{base}/identity-check").json()["check"] == "not_required"
