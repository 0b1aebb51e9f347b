"""« Souscrire à un certificat qualifié » as its users expect it (issue 15): the LCP prerequisite
explained and the two flows chained, a stepper, waiting pages that say what will happen, the
finish page per state, pages worded for the device in hand, the capture's framing, and the
registration officer's file of an enrollment (signed request, identity evidence, LCP identity,
dates), read without writing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.identity.manual import ManualReviewIdentityVerifier
from adapters.identity.simulator import SimulatorIdentityVerifier
from ports.contracts.identity import PNG
from tests.apps import app_for
from tests.web.conftest import OWNER_EMAIL, OWNER_PASSWORD, SIREN, login, post_form
from tests.web.qcp_helpers import (
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    appoint_officer,
    latest_code,
    qr_link,
    register_lcp,
)
from tests.web.test_qcp_pages import _path, capture, qcp_container, start, through_consents, to_validation

PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0 Mobile Safari/537.36")


@pytest.fixture
def container(tmp_path: Any) -> Any:
    return qcp_container(tmp_path)


@pytest.fixture
def phone(client: TestClient) -> Any:
    with TestClient(client.app, base_url="http://testserver.local") as other:
        yield other


def current_stage(html: str) -> str:
    match = re.search(r'<li class="current" aria-current="step">\s*(.*?)\s*</li>', html, re.S)
    assert match, "no current step in the stepper"
    return match.group(1)


def done_stages(html: str) -> list[str]:
    return [re.sub(r"<span.*", "", label).strip()
            for label in re.findall(r'<li class="done">\s*(.*?)</li>', html, re.S)]


def officer_client(app: Any) -> TestClient:
    officer = TestClient(app, base_url="http://testserver.local")
    officer.__enter__()
    login(officer, OFFICER_EMAIL, OFFICER_PASSWORD)
    return officer


def new_owner(container: Any) -> Any:
    return container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)


def sign_request(client: TestClient, container: Any, eid: str) -> None:
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"}).status_code == 303
    digest = re.search(r'name="document_digest" value="([0-9a-f]+)"', client.get(f"/qcp/{eid}").text).group(1)
    assert post_form(client, f"/qcp/{eid}/accepter", {"document_digest": digest, "accepted": "on"}).status_code == 303
    assert post_form(client, f"/qcp/{eid}/signer", {"code": latest_code(container, "sms")}).status_code == 303


# 1. The LCP comes first, and says so -------------------------------------------------------------


def test_without_an_lcp_my_signature_explains_that_the_qualified_certificate_comes_after_registering(
        client, container, owner):
    login(client)
    page = client.get("/ma-signature").text
    assert "Certificat qualifié (QCP)" in page
    assert "il vous faut d’abord votre certificat de signature (LCP)" in page
    assert "cliquez sur «\u00a0S’enregistrer\u00a0» ci-dessus" in page
    assert f'href="/signature-personnelle/{owner.cabinet_id}/qcp"' not in page


def test_once_the_lcp_is_issued_the_registration_page_offers_the_qualified_certificate(client, container, owner):
    register_lcp(container, owner.person_id, owner.cabinet_id)
    login(client)
    done = client.get(f"/signature-personnelle/{owner.cabinet_id}/enregistrement").text
    assert "Votre certificat est émis" in done
    assert f'<a href="/signature-personnelle/{owner.cabinet_id}/qcp" role="button">Souscrire à un certificat qualifié</a>' \
        in done
    overview = client.get("/ma-signature").text
    assert f'href="/signature-personnelle/{owner.cabinet_id}/qcp"' in overview
    assert "il vous faut d’abord votre certificat de signature" not in overview


# 2. A stepper through the ten pages --------------------------------------------------------------


def test_the_qualified_flow_shows_where_the_person_is_in_a_stepper(client, container, owner):
    register_lcp(container, owner.person_id, owner.cabinet_id)
    login(client)
    entry = client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp").text
    assert 'aria-label="Étapes de la souscription"' in entry and current_stage(entry) == "Accès protégé"
    eid = start(client, owner)
    qr = through_consents(client, container, eid)
    assert current_stage(qr) == "Pièce d’identité"
    assert done_stages(qr) == ["Accès protégé", "Vos informations", "Avant de commencer", "Consentements"]


# 3. Manual review: no promise of minutes ---------------------------------------------------------


def test_with_manual_review_the_waiting_page_says_an_officer_decides_and_emails(tmp_path):
    container = qcp_container(tmp_path)
    container.adapters.identity_verifier.override(ManualReviewIdentityVerifier(
        public_url=container.settings().resolved_public_url, clock=container.adapters.clock()))
    owner = new_owner(container)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    with TestClient(app_for(container), base_url="http://testserver.local") as client, \
            TestClient(client.app, base_url="http://testserver.local") as phone:
        eid = to_validation(client, container, owner, phone)
        waiting = client.get(f"/qcp/{eid}").text
    assert "<h1>Vérification en cours</h1>" in waiting
    assert "entre 3 et 6 minutes" not in waiting
    assert "Un opérateur d’enregistrement va examiner les photos" in waiting
    assert "Vous recevrez un e-mail dès sa décision" in waiting


def test_with_an_automatic_provider_the_waiting_page_keeps_the_estimate(client, container, owner, phone):
    register_lcp(container, owner.person_id, owner.cabinet_id)
    container.adapters.identity_verifier().decision_delay = timedelta(minutes=3)
    login(client)
    eid = start(client, owner)
    capture(phone, _path(qr_link(through_consents(client, container, eid))))
    waiting = client.get(f"/qcp/{eid}").text
    assert "<h1>Vérification en cours</h1>" in waiting and "entre 3 et 6 minutes" in waiting


# 4. The finish page per state --------------------------------------------------------------------


def test_with_manual_validation_the_finish_page_waits_for_the_officer_then_says_issued(tmp_path):
    container = qcp_container(tmp_path, qcp_officer_validation="manual")
    owner = new_owner(container)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    with TestClient(app_for(container), base_url="http://testserver.local") as client, \
            TestClient(client.app, base_url="http://testserver.local") as phone:
        eid = to_validation(client, container, owner, phone)
        sign_request(client, container, eid)
        waiting = client.get(f"/qcp/{eid}").text
        assert "<h1>Votre demande de certificat qualifié (QCP) a été finalisée</h1>" in waiting
        assert "lorsque votre demande sera validée" in waiting and "a été émis" not in waiting
        officer = officer_client(client.app)
        try:
            assert post_form(officer, f"/back-office/demandes/{eid}", {"decision": "approve"}).status_code == 303
        finally:
            officer.__exit__(None, None, None)
        issued = client.get(f"/qcp/{eid}").text
    assert "<h1>Votre certificat qualifié (QCP) a été émis</h1>" in issued
    assert "lorsque votre demande sera validée" not in issued
    assert 'href="/mes-certificats"' in issued


# 5. The officer's file ---------------------------------------------------------------------------


def _history(container: Any, eid: str) -> tuple[Any, int]:
    with container.adapters.uow() as tx:
        enrollment = tx.qcp_enrollments.get(eid)
        return enrollment.updated_at, len(enrollment.history)


def test_the_officer_sees_the_signed_request_the_evidence_the_lcp_identity_and_the_dates(tmp_path):
    container = qcp_container(tmp_path, qcp_officer_validation="manual", identity_image_retention_hours=24)
    # The photos are kept a day after the decision (the fake container's simulator keeps none).
    container.adapters.identity_verifier.override(SimulatorIdentityVerifier(
        public_url=container.settings().resolved_public_url, clock=container.adapters.clock(),
        decision_delay=timedelta(0), image_retention=timedelta(hours=24)))
    owner = new_owner(container)
    lcp = register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    with TestClient(app_for(container), base_url="http://testserver.local") as client, \
            TestClient(client.app, base_url="http://testserver.local") as phone:
        eid = to_validation(client, container, owner, phone)
        sign_request(client, container, eid)
        before = _history(container, eid)
        officer = officer_client(client.app)
        try:
            home = officer.get("/back-office").text
            assert f'<a href="/back-office/demandes/{eid}" role="button">Examiner la demande' in home
            file = officer.get(f"/back-office/demandes/{eid}")
            assert file.status_code == 200
            page = file.text
            # The LCP identity it was matched to.
            assert "Identité du certificat LCP du demandeur" in page
            assert "Numéro de série du certificat LCP" in page and lcp.serial in page
            assert "jessica.poussart@example.fr" in page and "06 24 00 00 13" in page
            # The provider's decision, its time, what was read.
            assert "Pièce d’identité approuvée" in page and "Référence de la vérification" in page
            assert "Numéro du document" in page and "Carte nationale d’identité" in page
            # The photos, while retained, and the signed request as page images.
            assert f'<img src="/back-office/demandes/{eid}/photos/document_centre"' in page
            assert f'<img src="/back-office/demandes/{eid}/demande/pages/1"' in page
            for label in ("Demande ouverte", "Consentements donnés", "Photos envoyées", "Demande signée"):
                assert label in page, label
            assert "vos informations" not in page.lower()
            photo = officer.get(f"/back-office/demandes/{eid}/photos/document_centre")
            assert photo.status_code == 200 and photo.content == PNG
            assert "no-store" in photo.headers["cache-control"]
            request_page = officer.get(f"/back-office/demandes/{eid}/demande/pages/1")
            assert request_page.status_code == 200 and request_page.content[:4] == b"\x89PNG"
            assert "no-store" in request_page.headers["cache-control"]
            signed = officer.get(f"/back-office/demandes/{eid}/demande-signee.pdf")
            assert signed.status_code == 200 and signed.content.startswith(b"%PDF")
            assert officer.get(f"/back-office/demandes/{eid}/demande/pages/99").status_code == 404
            assert officer.get(f"/back-office/demandes/{eid}/photos/not_a_step").status_code == 404
        finally:
            officer.__exit__(None, None, None)
        # Reading the file wrote nothing.
        assert _history(container, eid) == before
        # The applicant (not an officer) gets nothing.
        assert client.get(f"/back-office/demandes/{eid}").status_code == 404
        assert client.get(f"/back-office/demandes/{eid}/photos/document_centre").status_code == 404


def test_without_retention_the_file_says_the_photos_are_deleted_and_keeps_their_digests(tmp_path):
    container = qcp_container(tmp_path, qcp_officer_validation="manual")
    owner = new_owner(container)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    with TestClient(app_for(container), base_url="http://testserver.local") as client, \
            TestClient(client.app, base_url="http://testserver.local") as phone:
        eid = to_validation(client, container, owner, phone)
        sign_request(client, container, eid)
        officer = officer_client(client.app)
        try:
            page = officer.get(f"/back-office/demandes/{eid}").text
            assert "/photos/" not in page
            assert "Les photos ont été supprimées après la décision" in page
            assert len(re.findall(r'<code class="fingerprint">[0-9a-f]{64}</code>', page)) >= 6
            assert officer.get(f"/back-office/demandes/{eid}/photos/document_centre").status_code == 404
            no_reason = post_form(officer, f"/back-office/demandes/{eid}", {"decision": "reject"})
            assert no_reason.status_code == 400 and "Indiquez le motif du refus." in no_reason.text
            assert "Identité du certificat LCP du demandeur" in no_reason.text  # the same file, with the error
        finally:
            officer.__exit__(None, None, None)


def test_a_manual_review_card_speaks_of_the_applicant(client, container, owner, phone):
    from datetime import date

    from domain.model.identity import DocumentType, ExtractedIdentity
    from domain.model.values import PersonName

    register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    container.adapters.identity_verifier().set_outcome(None, approved=True, extracted=ExtractedIdentity(
        name=PersonName("JESSICA", "POUSSARD"), birth_date=date(1985, 6, 15), document_type=DocumentType.ID_CARD,
        document_number="X4RTBPFW4"))
    eid = to_validation(client, container, owner, phone)
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"}).status_code == 303
    officer = officer_client(client.app)
    try:
        home = officer.get("/back-office").text
        file = officer.get(f"/back-office/demandes/{eid}").text
    finally:
        officer.__exit__(None, None, None)
    for page in (home, file):
        assert "lues sur la pièce d’identité du demandeur diffèrent de celles de son certificat LCP" in page
        assert "votre certificat LCP" not in page
    assert "POUSSARD" in file and "Vérification manuelle" in file


# 6. Worded for the device in hand ----------------------------------------------------------------


def test_on_a_phone_the_qr_page_offers_to_continue_on_this_phone(client, container, owner):
    register_lcp(container, owner.person_id, owner.cabinet_id)
    login(client)
    eid = start(client, owner)
    through_consents(client, container, eid)
    on_phone = client.get(f"/qcp/{eid}", headers={"User-Agent": PHONE_AGENT}).text
    assert "Continuer sur ce téléphone" in on_phone and 'id="continuer-navigateur"' in on_phone
    assert "votre ordinateur" not in on_phone and "Scannez le QR code avec votre smartphone" not in on_phone
    hinted = client.get(f"/qcp/{eid}", headers={"Sec-CH-UA-Mobile": "?1"}).text
    assert "Continuer sur ce téléphone" in hinted
    desktop = client.get(f"/qcp/{eid}", headers={"Sec-CH-UA-Mobile": "?0", "User-Agent": PHONE_AGENT}).text
    assert "Scannez le QR code avec votre smartphone pour continuer." in desktop
    assert "Votre ordinateur doit alors être équipé d’une caméra." in desktop


def test_the_request_pages_open_enlarged_for_reading_on_a_phone(client, container, owner, phone):
    register_lcp(container, owner.person_id, owner.cabinet_id)
    eid = to_validation(client, container, owner, phone)
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"}).status_code == 303
    page = client.get(f"/qcp/{eid}").text
    assert f'<a href="/qcp/{eid}/demande/page/1" class="page-zoom">' in page
    assert page.index("Ouvrir le document (PDF)") < page.index('class="qcp-document"')
    enlarged = client.get(f"/qcp/{eid}/demande/page/1").text
    assert f'<img src="/qcp/{eid}/demande/pages/1?taille=grande"' in enlarged
    assert f'href="/qcp/{eid}">Retour à la demande</a>' in enlarged
    assert client.get(f"/qcp/{eid}/demande/page/99").status_code == 404
    normal = client.get(f"/qcp/{eid}/demande/pages/1")
    large = client.get(f"/qcp/{eid}/demande/pages/1", params={"taille": "grande"})
    assert large.status_code == 200 and large.content[:4] == b"\x89PNG"
    assert len(large.content) > len(normal.content)


# 7. The capture's framing ------------------------------------------------------------------------


def test_a_capture_step_frames_the_document_or_the_face_and_offers_to_retake(client, container, owner, phone):
    register_lcp(container, owner.person_id, owner.cabinet_id)
    login(client)
    eid = start(client, owner)
    intro = phone.get(_path(qr_link(through_consents(client, container, eid))), follow_redirects=True)
    path = str(intro.url).split("testserver.local", 1)[1].split("?", 1)[0]
    page = phone.get(path, params={"device": "phone", "etape": "photo", "vu": "1"}).text
    assert 'class="capture-frame capture-frame-document" aria-hidden="true"' in page
    assert "Placez votre document dans le cadre." in page
    assert page.index("Prendre la photo") < page.index("Reprendre") < page.index("Envoyer la photo")
    assert re.search(r'<button type="button" class="camera-retake secondary" hidden>', page)
