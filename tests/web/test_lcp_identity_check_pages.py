"""« S'enregistrer » with SEING_LCP_REQUIRE_IDENTITY_CHECK: the document-only identity check
between « Confirmez votre identité » and the terms, with the QCP's QR page, capture pages and
« Vérification en cours »; the fake container's simulator decides at once unless told to wait."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.identity import PNG
from tests.web.conftest import csrf, login, post_form
from tests.web.lcp_helpers import latest_code
from tests.web.qcp_helpers import browser_link, qr_link

DOCUMENT_STEPS = ("document_centre", "document_tilt", "document_portrait")


@pytest.fixture
def container(tmp_path: Any) -> Any:
    return build_container(Settings(data_dir=tmp_path, dev_mode=True, lcp_require_identity_check=True), fakes=True)


@pytest.fixture
def pki(container):
    container.adapters.ca().init_hierarchy()
    return container.adapters.ca()


@pytest.fixture
def flow(owner):
    return f"/signature-personnelle/{owner.cabinet_id}/enregistrement"


@pytest.fixture
def phone(client: TestClient) -> Any:
    with TestClient(client.app, base_url="http://testserver.local") as other:
        yield other


def current_step(html: str) -> str:
    match = re.search(r'<li class="current" aria-current="step">\s*(.*?)\s*</li>', html, re.S)
    assert match, "no current step shown"
    return match.group(1)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def to_identity_check(client, container, flow) -> str:
    """Logged in, codes verified, identity confirmed: the page of the check."""
    login(client)
    assert post_form(client, flow).status_code == 303
    post_form(client, f"{flow}/code-email")
    assert post_form(client, f"{flow}/code-email/verification",
                     {"code": latest_code(container, "email")}).status_code == 303
    assert post_form(client, f"{flow}/code-sms/verification",
                     {"code": latest_code(container, "sms")}).status_code == 303
    assert post_form(client, f"{flow}/identite").status_code == 303
    page = client.get(flow).text
    assert current_step(page) == "Pièce d’identité"
    return page


def capture_document(device_client: TestClient, start_path: str, device: str = "phone") -> str:
    """The shared capture pages, document only: three photos, no face."""
    intro = device_client.get(start_path, follow_redirects=True)
    assert intro.status_code == 200, intro.text
    path = urlsplit(str(intro.url)).path
    page = device_client.get(path, params={"device": device, "etape": "photo", "vu": "1"})
    assert "Centrez votre visage" not in page.text
    for step in DOCUMENT_STEPS:
        assert f'name="step" value="{step}"' in page.text, step
        sent = device_client.post(f"{path}/photo", data={"_csrf_token": csrf(device_client), "device": device,
                                                         "step": step},
                                  files={"image": ("photo.png", PNG, "image/png")}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        page = device_client.get(sent.headers["location"])
    return page.text


def test_the_check_comes_after_the_identity_and_the_certificate_after_the_check(client, container, owner, pki,
                                                                               flow, phone):
    page = to_identity_check(client, container, flow)
    assert "<h2 id=\"etape-titre\">Vérification de votre identité</h2>" in page
    assert "aucune photo de votre visage n’est demandée" in page
    assert "Accepter et obtenir mon certificat" not in page

    # Accepting the terms now (a stale page, a crafted form) is refused with a French reason.
    refused = post_form(client, f"{flow}/conditions", {"accept_terms": "oui",
                                                      "terms_version": container.settings().lcp_terms_version})
    assert refused.status_code in (409, 422)
    assert "Votre pièce d’identité doit d’abord être vérifiée" in refused.text

    assert post_form(client, f"{flow}/verification").status_code == 303
    qr = client.get(flow).text
    assert "Scannez le QR code avec votre smartphone pour continuer." in qr
    assert "<svg" in qr and "Continuez ici dans votre navigateur." in qr
    assert f'data-qcp-status="{flow}/statut"' in qr and 'data-qcp-step="capturing"' in qr
    link = qr_link(qr)
    assert "/signature-personnelle/capture/" in link

    done = capture_document(phone, _path(link))
    assert "Merci" in done
    # The QR link served once.
    assert phone.get(_path(link), follow_redirects=False).status_code == 410

    status = client.get(f"{flow}/statut").json()
    assert status == {"next_step": "accept_terms", "url": flow}
    terms = client.get(flow).text
    assert current_step(terms) == "Conditions"
    issued = post_form(client, f"{flow}/conditions", {"accept_terms": "oui",
                                                     "terms_version": container.settings().lcp_terms_version})
    assert issued.status_code == 303
    assert "Votre certificat est émis" in client.get(flow).text


def test_waiting_for_the_decision_shows_verification_en_cours_and_resumes(client, container, owner, pki, flow,
                                                                          phone):
    container.adapters.identity_verifier().decision_delay = timedelta(minutes=3)
    to_identity_check(client, container, flow)
    post_form(client, f"{flow}/verification")
    capture_document(phone, _path(qr_link(client.get(flow).text)))
    waiting = client.get(flow).text
    assert "Vérification en cours" in waiting
    assert "Temps estimé\u00a0: entre 3 et 6 minutes." in waiting and "revenir plus tard" in waiting
    assert '<meta http-equiv="refresh"' in waiting and 'data-qcp-step="pending"' in waiting
    assert client.get(f"{flow}/statut").json()["next_step"] == "pending"

    # Closing the browser and logging in again lands on the same step.
    client.cookies.clear()
    login(client)
    assert "Vérification en cours" in client.get(flow).text

    container.adapters.clock().advance(timedelta(minutes=4))
    assert current_step(client.get(flow).text) == "Conditions"


def test_a_rejection_shows_the_reason_and_a_new_attempt_passes(client, container, owner, pki, flow, phone):
    to_identity_check(client, container, flow)
    post_form(client, f"{flow}/verification")
    qr = client.get(flow).text
    session_ref = re.search(r"/identity/capture/([^?\"]+)", browser_link(qr)).group(1)
    container.adapters.identity_verifier().set_outcome(session_ref, approved=False, reason="document_expired")
    capture_document(phone, _path(qr_link(qr)))

    rejected = client.get(flow).text
    assert "Votre identité n’a pas pu être vérifiée" in rejected
    assert "Votre pièce d’identité est expirée." in rejected
    refused = post_form(client, f"{flow}/conditions", {"accept_terms": "oui",
                                                      "terms_version": container.settings().lcp_terms_version})
    assert "Votre pièce d’identité doit d’abord être vérifiée" in refused.text

    assert post_form(client, f"{flow}/verification").status_code == 303
    capture_document(phone, _path(qr_link(client.get(flow).text)))
    assert current_step(client.get(flow).text) == "Conditions"


def test_continuing_in_the_browser_comes_back_to_the_registration(client, container, owner, pki, flow):
    to_identity_check(client, container, flow)
    post_form(client, f"{flow}/verification")
    start = browser_link(client.get(flow).text)
    intro = client.get(start, follow_redirects=True)
    path = urlsplit(str(intro.url)).path
    for step in DOCUMENT_STEPS:
        sent = client.post(f"{path}/photo", data={"_csrf_token": csrf(client), "device": "browser", "step": step},
                           files={"image": ("photo.png", PNG, "image/png")}, follow_redirects=False)
        assert sent.status_code == 303
    end = client.get(sent.headers["location"], follow_redirects=False)
    assert end.status_code == 303 and end.headers["location"] == flow
    assert current_step(client.get(flow).text) == "Conditions"


def test_in_dev_mode_the_simulator_decides_at_once_on_demand(client, container, owner, pki, flow, phone):
    container.adapters.identity_verifier().decision_delay = timedelta(minutes=3)
    to_identity_check(client, container, flow)
    post_form(client, f"{flow}/verification")
    capture_document(phone, _path(qr_link(client.get(flow).text)))
    assert "Refuser maintenant" in client.get(flow).text
    assert post_form(client, f"{flow}/simulateur", {"decision": "reject"}).status_code == 303
    assert "Votre identité n’a pas pu être vérifiée" in client.get(flow).text


def test_the_page_speaks_english_too(client, container, owner, pki, flow):
    to_identity_check(client, container, flow)
    post_form(client, "/langue", {"locale": "en"})
    page = client.get(flow).text
    assert "Identity document" in page


def test_without_the_flag_the_registration_has_no_identity_check(tmp_path):
    from tests.apps import app_for

    container = build_container(Settings(data_dir=tmp_path, dev_mode=True), fakes=True)
    container.adapters.ca().init_hierarchy()
    owner = container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email="jessica.poussart@example.fr", owner_mobile="06 24 00 00 13", password="correct horse battery")
    flow = f"/signature-personnelle/{owner.cabinet_id}/enregistrement"
    with TestClient(app_for(container), base_url="http://testserver.local") as client:
        login(client)
        page = client.get(flow).text
        assert "Pièce d’identité" not in page and "En quatre étapes" in page
        post_form(client, flow)
        post_form(client, f"{flow}/code-email")
        post_form(client, f"{flow}/code-email/verification", {"code": latest_code(container, "email")})
        post_form(client, f"{flow}/code-sms/verification", {"code": latest_code(container, "sms")})
        post_form(client, f"{flow}/identite")
        assert current_step(client.get(flow).text) == "Conditions"
        assert post_form(client, f"{flow}/verification").status_code == 303  # not a step here: sent back
        assert current_step(client.get(flow).text) == "Conditions"


def test_with_manual_review_the_waiting_page_says_an_officer_decides_and_emails(client, container, owner, pki, flow,
                                                                                phone):
    from adapters.identity.manual import ManualReviewIdentityVerifier

    container.adapters.identity_verifier.override(ManualReviewIdentityVerifier(
        public_url=container.settings().resolved_public_url, clock=container.adapters.clock()))
    to_identity_check(client, container, flow)
    post_form(client, f"{flow}/verification")
    capture_document(phone, _path(qr_link(client.get(flow).text)))
    waiting = client.get(flow).text
    assert "Vérification en cours" in waiting and "entre 3 et 6 minutes" not in waiting
    assert "Un opérateur d’enregistrement va examiner les photos de votre pièce d’identité." in waiting
    assert "Vous recevrez un e-mail dès sa décision" in waiting


def test_on_a_phone_the_check_offers_to_continue_on_this_phone(client, container, owner, pki, flow):
    to_identity_check(client, container, flow)
    phone_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    before = client.get(flow, headers={"User-Agent": phone_agent}).text
    assert "avec l’appareil photo de ce téléphone" in before and "votre ordinateur" not in before
    post_form(client, f"{flow}/verification")
    page = client.get(flow, headers={"User-Agent": phone_agent}).text
    assert "Continuer sur ce téléphone" in page and "votre ordinateur" not in page
    assert "Scannez le QR code avec votre smartphone" not in page
