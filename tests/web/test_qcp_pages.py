"""« Souscrire à un certificat qualifié » page by page (guide, part 1), on the fake container:
the simulator decides at once (``set_outcome`` for the other outcomes), codes come from the
recorded job queue, the phone is a second client following the QR link."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from domain.model.identity import DocumentType, ExtractedIdentity
from domain.model.values import PersonName
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.identity import PNG
from tests.web.conftest import OWNER_EMAIL, OWNER_PASSWORD, csrf, error_for, login, post_form
from tests.web.qcp_helpers import (
    CAPTURE_STEPS,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    appoint_officer,
    browser_link,
    enrollment_id_from,
    latest_code,
    notifications,
    qr_link,
    register_lcp,
)


def qcp_container(tmp_path: Any, **settings: Any) -> Any:
    """The fake container on today's time: pyHanko checks the LCP certificate that signs the
    request against the real clock, so certificates must not start in the future."""

    built = build_container(Settings(data_dir=tmp_path, dev_mode=True, **settings), fakes=True)
    built.adapters.clock().set(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    return built


@pytest.fixture
def container(tmp_path: Any) -> Any:
    return qcp_container(tmp_path)


@pytest.fixture
def lcp(container: Any, owner: Any) -> Any:
    return register_lcp(container, owner.person_id, owner.cabinet_id)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start(client: TestClient, owner: Any) -> str:
    """« Souscrire à un certificat qualifié » then « Envoyer le code »: the enrollment's id."""
    entry = client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert entry.status_code == 200
    assert "<h1>Accès protégé</h1>" in entry.text and "Envoyer le code" in entry.text
    sent = post_form(client, f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert sent.status_code == 303
    return enrollment_id_from(sent.headers["location"])


def through_email(client: TestClient, container: Any, eid: str) -> None:
    page = client.get(f"/qcp/{eid}")
    assert "Un code vous a été envoyé par e-mail" in page.text and 'name="code"' in page.text
    done = post_form(client, f"/qcp/{eid}/verifier-email", {"code": latest_code(container, "email")})
    assert done.status_code == 303


def through_consents(client: TestClient, container: Any, eid: str) -> str:
    """Up to the QR page; returns its HTML."""
    through_email(client, container, eid)
    identity = client.get(f"/qcp/{eid}")
    assert "Jessica" in identity.text and "Poussart" in identity.text and "06 24 00 00 13" in identity.text
    assert post_form(client, f"/qcp/{eid}/identite").status_code == 303
    prerequisites = client.get(f"/qcp/{eid}")
    assert "Je confirme que je possède une pièce d’identité valide au nom de Jessica Poussart" in prerequisites.text
    assert "Je confirme que mon numéro de mobile est 06 24 00 00 13" in prerequisites.text
    assert post_form(client, f"/qcp/{eid}/prealables", {"has_valid_id_document": "on",
                                                        "mobile_is_theirs": "on"}).status_code == 303
    consent = client.get(f"/qcp/{eid}")
    assert "<h1>Étape de vérification de votre identité</h1>" in consent.text
    assert "Conditions Générales d’Utilisation" in consent.text
    assert post_form(client, f"/qcp/{eid}/consentements", {"id_data_and_terms": "on",
                                                           "privacy_policy": "on"}).status_code == 303
    qr = client.get(f"/qcp/{eid}")
    assert "Scannez le QR code avec votre smartphone pour continuer." in qr.text
    assert "<svg" in qr.text and "Continuez ici dans votre navigateur." in qr.text
    return qr.text


def capture(phone: TestClient, start_path: str, device: str = "phone") -> str:
    """The capture pages from the intro to « Merci ! »; returns the last page's HTML."""
    intro = phone.get(start_path, follow_redirects=True)
    assert intro.status_code == 200, intro.text
    path = urlsplit(str(intro.url)).path
    assert "Voici les étapes à venir" in intro.text
    assert "J’ai compris" in phone.get(path, params={"device": device, "etape": "preparer", "pret": "oui"}).text
    steps = phone.get(path, params={"device": device, "etape": "document"}).text
    for wording in ("ÉTAPE 1", "Centrez votre document", "ÉTAPE 2", "Inclinez lentement votre document", "ÉTAPE 3",
                    "Placez votre photo de portrait dans la zone", "Lancer la capture"):
        assert wording in steps
    page = phone.get(path, params={"device": device, "etape": "photo", "vu": "1"})
    for step in CAPTURE_STEPS:
        assert f'name="step" value="{step}"' in page.text, step
        assert 'accept="image/*" capture=' in page.text
        sent = phone.post(f"{path}/photo", data={"_csrf_token": csrf(phone), "device": device, "step": step},
                          files={"image": ("photo.png", PNG, "image/png")}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        page = phone.get(sent.headers["location"])
        if step == "document_portrait":
            for wording in ("Centrez votre visage", "Tournez lentement la tête", "Couvrez votre œil avec votre main",
                            "Lancer la capture"):
                assert wording in page.text
            page = phone.get(path, params={"device": device, "etape": "photo", "vu": "1"})
    return page.text


@pytest.fixture
def phone(client: TestClient) -> Any:
    with TestClient(client.app, base_url="http://testserver.local") as other:
        yield other


def to_validation(client, container, owner, phone) -> str:
    login(client)
    eid = start(client, owner)
    qr = through_consents(client, container, eid)
    done = capture(phone, _path(qr_link(qr)))
    assert "Merci ! Maintenant, vous pouvez continuer sur votre ordinateur." in done
    return eid


def test_the_whole_enrollment_page_by_page(client, container, owner, lcp, phone):
    eid = to_validation(client, container, owner, phone)
    validate = client.get(f"/qcp/{eid}")
    assert "Votre pièce d’identité a été validée" in validate.text
    assert "JESSICA" in validate.text and "POUSSART" in validate.text and "15 juin 1985" in validate.text
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"}).status_code == 303

    request = client.get(f"/qcp/{eid}")
    assert "<h1>Demande de certificat</h1>" in request.text and "J’ai lu et j’accepte le document." in request.text
    image = client.get(f"/qcp/{eid}/demande/pages/1")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    assert client.get(f"/qcp/{eid}/demande.pdf").content.startswith(b"%PDF")
    digest = re.search(r'name="document_digest" value="([0-9a-f]+)"', request.text).group(1)
    unticked = post_form(client, f"/qcp/{eid}/accepter", {"document_digest": digest})
    assert unticked.status_code == 400 and "J’ai lu et j’accepte le document." in error_for(unticked.text, "accepted")
    assert post_form(client, f"/qcp/{eid}/accepter", {"document_digest": digest, "accepted": "on"}).status_code == 303

    sign = client.get(f"/qcp/{eid}")
    assert "Un code vous a été envoyé par SMS au 06 ** ** 13" in sign.text and "Code non reçu ? Renvoyer" in sign.text
    wrong = post_form(client, f"/qcp/{eid}/signer", {"code": "000000"})
    assert wrong.status_code == 422 and "incorrect" in error_for(wrong.text, "code")
    container.adapters.clock().advance(timedelta(minutes=2))
    assert post_form(client, f"/qcp/{eid}/code-sms").status_code == 303
    assert "Un nouveau code vous a été envoyé par SMS" in client.get(f"/qcp/{eid}").text
    signed_response = post_form(client, f"/qcp/{eid}/signer", {"code": latest_code(container, "sms")})
    assert signed_response.status_code == 303, re.findall(r'role="alert"[^>]*>(.*?)<', signed_response.text)

    # Automatic validation: the certificate is issued at once, and the page says so (no « lorsque
    # votre demande sera validée »), with « Mes certificats » leading to the certificates.
    finalised = client.get(f"/qcp/{eid}")
    assert "<h1>Votre certificat qualifié (QCP) a été émis</h1>" in finalised.text
    assert "lorsque votre demande sera validée" not in finalised.text
    assert '<a href="/mes-certificats" role="button">Mes certificats</a>' in finalised.text
    signed = client.get(f"/qcp/{eid}/demande-signee.pdf")
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF") and b"/ByteRange" in signed.content
    issued = notifications(container, "qcp_certificate_issued")
    assert issued and issued[0].context_dict()["holder"] == "JESSICA POUSSART"


def test_the_phone_link_serves_once_and_the_desktop_moves_on_by_itself(client, container, owner, lcp, phone):
    login(client)
    eid = start(client, owner)
    qr = through_consents(client, container, eid)
    link = _path(qr_link(qr))
    assert phone.get(link, follow_redirects=False).status_code == 303
    assert phone.get(link, follow_redirects=False).status_code == 410  # single use
    status = client.get(f"/qcp/{eid}/statut").json()
    assert status["next_step"] == "capture"
    # A fresh link for the next scan; the page keeps the capture open meanwhile.
    assert post_form(client, f"/qcp/{eid}/nouveau-qr-code").status_code == 303
    capture(phone, _path(qr_link(client.get(f"/qcp/{eid}").text)))
    assert client.get(f"/qcp/{eid}/statut").json()["next_step"] == "validate_identity"


def test_the_waiting_page_refreshes_itself_without_javascript(client, container, owner, lcp, phone):
    container.adapters.identity_verifier().decision_delay = timedelta(minutes=3)
    eid = to_validation(client, container, owner, phone)
    waiting = client.get(f"/qcp/{eid}")
    assert "<h1>Vérification en cours</h1>" in waiting.text
    assert "Temps estimé : entre 3 et 6 minutes." in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text and f'data-qcp-status="/qcp/{eid}/statut"' in waiting.text
    container.adapters.clock().advance(timedelta(minutes=4))
    assert "Votre pièce d’identité a été validée" in client.get(f"/qcp/{eid}").text


def test_continuing_in_the_browser_comes_back_to_the_enrollment(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    qr = through_consents(client, container, eid)
    capture(client, browser_link(qr), device="browser")
    assert "Votre pièce d’identité a été validée" in client.get(f"/qcp/{eid}").text


def test_the_capture_asks_for_the_checkbox_and_a_photo(client, container, owner, lcp, phone):
    login(client)
    eid = start(client, owner)
    qr = through_consents(client, container, eid)
    intro = phone.get(_path(qr_link(qr)), follow_redirects=True)
    path = urlsplit(str(intro.url)).path
    unticked = phone.get(path, params={"device": "phone", "etape": "preparer"})
    assert unticked.status_code == 400 and "Cochez la case pour continuer." in unticked.text
    empty = phone.post(f"{path}/photo", data={"_csrf_token": csrf(phone), "device": "phone",
                                              "step": "document_centre"},
                       files={"image": ("photo.png", b"", "image/png")}, follow_redirects=False)
    assert empty.status_code == 400 and "Prenez la photo" in empty.text
    assert client.get(f"/qcp/{eid}/statut").json()["next_step"] == "capture"


def _capture_photo_page(client, container, owner, phone) -> str:
    """Up to the capture's first photo on the phone; the capture page's path."""
    login(client)
    eid = start(client, owner)
    qr = through_consents(client, container, eid)
    intro = phone.get(_path(qr_link(qr)), follow_redirects=True)
    return urlsplit(str(intro.url)).path


def _send_photo(phone, path: str, photo: bytes) -> Any:
    return phone.post(f"{path}/photo", data={"_csrf_token": csrf(phone), "device": "phone", "step": "document_centre"},
                      files={"image": ("photo.png", photo, "image/png")}, follow_redirects=False)


def test_a_photo_at_the_limit_is_taken_from_the_spooled_file(client, container, owner, lcp, phone, monkeypatch):
    from ports.identity import MAX_CAPTURE_IMAGE_BYTES
    from ports.uploads import UploadedFile

    path = _capture_photo_page(client, container, owner, phone)
    verifier = container.adapters.identity_verifier()
    original, handed = verifier.submit_capture, []

    def recording(session_ref, step, image, content_type):
        handed.append(image)
        return original(session_ref, step, image, content_type)

    monkeypatch.setattr(verifier, "submit_capture", recording)
    sent = _send_photo(phone, path, PNG + b"\0" * (MAX_CAPTURE_IMAGE_BYTES - len(PNG)))
    assert sent.status_code == 303, sent.text
    assert len(handed) == 1 and isinstance(handed[0], UploadedFile) and not isinstance(handed[0], bytes)
    assert handed[0].size == MAX_CAPTURE_IMAGE_BYTES


def test_a_photo_over_the_limit_is_refused_in_french(client, container, owner, lcp, phone):
    from entrypoints.web.pages.capture import PHOTO_BODY_LIMIT
    from ports.identity import MAX_CAPTURE_IMAGE_BYTES

    path = _capture_photo_page(client, container, owner, phone)
    # One byte over the photo's limit: the body fits the form's margin, the provider refuses it.
    over = _send_photo(phone, path, PNG + b"\0" * (MAX_CAPTURE_IMAGE_BYTES + 1 - len(PNG)))
    assert over.status_code == 422
    assert "Cette photo n’a pas pu être prise en compte" in over.text and "10\u00a0Mo au plus" in over.text
    # A body over the route's limit is refused as it arrives, before the provider sees it.
    too_big = _send_photo(phone, path, PNG + b"\0" * PHOTO_BODY_LIMIT)
    assert too_big.status_code == 413
    assert too_big.headers["content-type"].startswith("text/html") and "trop volumineux" in too_big.text
    page = phone.get(path, params={"device": "phone", "etape": "photo", "vu": "1"})
    assert 'name="step" value="document_centre"' in page.text  # nothing was taken


def test_wrong_email_code_five_times_kills_it_and_a_new_code_works(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    right = latest_code(container, "email")
    wrong = "111111" if right != "111111" else "222222"
    for _attempt in range(5):
        response = post_form(client, f"/qcp/{eid}/verifier-email", {"code": wrong})
        assert 400 <= response.status_code < 500
    assert "trop d’essais" in error_for(response.text, "code")
    refused = post_form(client, f"/qcp/{eid}/verifier-email", {"code": right})
    assert 400 <= refused.status_code < 500 and "Code non reçu ? Renvoyer" in refused.text
    container.adapters.clock().advance(timedelta(minutes=2))
    assert post_form(client, f"/qcp/{eid}/code-email").status_code == 303
    assert post_form(client, f"/qcp/{eid}/verifier-email", {"code": latest_code(container, "email")}).status_code == 303
    assert "<h1>Vos informations</h1>" in client.get(f"/qcp/{eid}").text


def test_an_expired_email_code_is_refused(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    code = latest_code(container, "email")
    container.adapters.clock().advance(timedelta(minutes=11))
    expired = post_form(client, f"/qcp/{eid}/verifier-email", {"code": code})
    assert expired.status_code == 410 and "Ce code a expiré" in error_for(expired.text, "code")
    empty = post_form(client, f"/qcp/{eid}/verifier-email", {"code": ""})
    assert empty.status_code == 400 and error_for(empty.text, "code") == "Saisissez le code reçu."


def test_unticked_prerequisites_and_consents_are_refused(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    through_email(client, container, eid)
    post_form(client, f"/qcp/{eid}/identite")
    one = post_form(client, f"/qcp/{eid}/prealables", {"has_valid_id_document": "on"})
    assert one.status_code == 400 and "Cochez les deux cases pour commencer." in one.text
    post_form(client, f"/qcp/{eid}/prealables", {"has_valid_id_document": "on", "mobile_is_theirs": "on"})
    refused = post_form(client, f"/qcp/{eid}/consentements", {"privacy_policy": "on"})
    assert refused.status_code == 400 and "Les deux consentements sont nécessaires" in refused.text


def test_a_rejection_shows_the_reason_and_a_retry_succeeds(client, container, owner, lcp, phone):
    verifier = container.adapters.identity_verifier()
    verifier.set_outcome(None, approved=False, reason="document_unreadable")
    eid = to_validation(client, container, owner, phone)
    rejected = client.get(f"/qcp/{eid}")
    assert "Votre pièce d’identité n’a pas pu être lue sur les photos." in rejected.text
    assert "Il vous reste 2 tentatives." in rejected.text
    verifier.set_outcome(None, approved=True)
    assert post_form(client, f"/qcp/{eid}/verification").status_code == 303
    capture(phone, _path(qr_link(client.get(f"/qcp/{eid}").text)))
    assert "Votre pièce d’identité a été validée" in client.get(f"/qcp/{eid}").text


def test_three_rejections_close_the_enrollment_and_a_new_one_can_start(client, container, owner, lcp, phone):
    container.adapters.identity_verifier().set_outcome(None, approved=False, reason="face_mismatch")
    eid = to_validation(client, container, owner, phone)
    for _ in range(2):
        post_form(client, f"/qcp/{eid}/verification")
        capture(phone, _path(qr_link(client.get(f"/qcp/{eid}").text)))
    closed = client.get(f"/qcp/{eid}")
    assert "Le nombre maximal de vérifications d’identité pour cette demande est atteint." in closed.text
    assert "Commencer une nouvelle demande" in closed.text
    again = post_form(client, f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert again.status_code == 303 and enrollment_id_from(again.headers["location"]) != eid


def _officer_client(client: TestClient) -> TestClient:
    officer = TestClient(client.app, base_url="http://testserver.local")
    officer.__enter__()
    login(officer, OFFICER_EMAIL, OFFICER_PASSWORD)
    return officer


def test_a_data_mismatch_goes_to_manual_review_and_the_officer_resolves_it(client, container, owner, lcp, phone):
    appoint_officer(container)
    container.adapters.identity_verifier().set_outcome(None, approved=True, extracted=ExtractedIdentity(
        name=PersonName("JESSICA", "POUSSARD"), birth_date=date(1985, 6, 15), document_type=DocumentType.ID_CARD,
        document_number="X4RTBPFW4"))
    eid = to_validation(client, container, owner, phone)
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"}).status_code == 303
    review = client.get(f"/qcp/{eid}")
    assert "Votre demande est vérifiée par un opérateur" in review.text
    assert "diffèrent de celles de votre certificat LCP" in review.text
    # Not an officer: the back-office does not exist.
    assert client.get("/back-office").status_code == 404
    assert 'href="/back-office"' not in client.get("/ma-signature").text

    officer = _officer_client(client)
    try:
        home = officer.get("/back-office")
        assert home.status_code == 200 and f'id="demande-{eid}"' in home.text and "POUSSARD" in home.text
        assert 'href="/back-office">Back-office</a>' in home.text  # in the officer's menu
        no_reason = post_form(officer, f"/back-office/demandes/{eid}", {"decision": "reject"})
        assert no_reason.status_code == 400 and "Indiquez le motif du refus." in no_reason.text
        assert post_form(officer, f"/back-office/demandes/{eid}", {"decision": "approve"}).status_code == 303
        assert "Demande validée." in officer.get("/back-office").text
    finally:
        officer.__exit__(None, None, None)
    assert "<h1>Demande de certificat</h1>" in client.get(f"/qcp/{eid}").text
    assert notifications(container, "qcp_identity_result")


def test_disputing_the_extracted_data_also_goes_to_manual_review(client, container, owner, lcp, phone):
    eid = to_validation(client, container, owner, phone)
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "non"}).status_code == 303
    assert "Vous avez indiqué que les informations lues" in client.get(f"/qcp/{eid}").text


def test_cancelling_closes_the_enrollment(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    through_email(client, container, eid)
    cancelled = post_form(client, f"/qcp/{eid}/annuler")
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/ma-signature"
    assert "Votre demande de certificat qualifié est annulée." in client.get("/ma-signature").text
    assert "Vous avez annulé cette demande." in client.get(f"/qcp/{eid}").text
    entry = client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert entry.status_code == 200 and "Envoyer le code" in entry.text


def test_resuming_after_a_new_login_lands_on_the_same_step_with_a_new_qr_code(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    first = qr_link(through_consents(client, container, eid))
    post_form(client, "/deconnexion")
    assert client.get(f"/qcp/{eid}", follow_redirects=False).status_code == 303  # to the login form
    login(client)
    entry = client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp", follow_redirects=False)
    assert entry.status_code == 303 and entry.headers["location"] == f"/qcp/{eid}"
    page = client.get(f"/qcp/{eid}")
    assert "Scannez le QR code avec votre smartphone pour continuer." in page.text
    assert qr_link(page.text) != first


def test_someone_else_cannot_see_the_enrollment(client, container, owner, lcp):
    login(client)
    eid = start(client, owner)
    container.use_cases.appoint_officer(email="autre@seing.test", given_names="Paul", surname="Autre",
                                        password="another horse battery")
    post_form(client, "/deconnexion")
    login(client, "autre@seing.test", "another horse battery")
    assert client.get(f"/qcp/{eid}").status_code == 404
    assert client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp").status_code == 404


def test_without_an_lcp_the_enrollment_is_refused(client, container, owner):
    login(client)
    refused = post_form(client, f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert refused.status_code in (403, 409, 422)
    assert "Un certificat LCP actif dans ce cabinet est nécessaire" in refused.text


def test_manual_officer_validation_issues_from_the_back_office(tmp_path, owner_factory=None):
    from tests.apps import app_for
    from tests.web.conftest import SIREN

    container = qcp_container(tmp_path, qcp_officer_validation="manual")
    owner = container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    with TestClient(app_for(container), base_url="http://testserver.local") as client, \
            TestClient(client.app, base_url="http://testserver.local") as phone:
        eid = to_validation(client, container, owner, phone)
        post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"})
        digest = re.search(r'name="document_digest" value="([0-9a-f]+)"', client.get(f"/qcp/{eid}").text).group(1)
        post_form(client, f"/qcp/{eid}/accepter", {"document_digest": digest, "accepted": "on"})
        post_form(client, f"/qcp/{eid}/signer", {"code": latest_code(container, "sms")})
        waiting = client.get(f"/qcp/{eid}")
        assert "Votre demande est en cours de traitement par l’opérateur d’enregistrement." in waiting.text
        officer = _officer_client(client)
        try:
            assert "Demandes signées à valider" in officer.get("/back-office").text
            assert post_form(officer, f"/back-office/demandes/{eid}", {"decision": "approve"}).status_code == 303
        finally:
            officer.__exit__(None, None, None)
        assert "Votre certificat qualifié (QCP) a été émis" in client.get(f"/qcp/{eid}").text


def test_the_officer_reviews_captured_images_with_the_manual_provider(tmp_path):
    from adapters.identity.manual import ManualReviewIdentityVerifier
    from tests.apps import app_for
    from tests.web.conftest import SIREN

    container = qcp_container(tmp_path)
    manual = ManualReviewIdentityVerifier(public_url=container.settings().resolved_public_url,
                                          clock=container.adapters.clock())
    container.adapters.identity_verifier.override(manual)
    owner = container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    with TestClient(app_for(container), base_url="http://testserver.local") as client, \
            TestClient(client.app, base_url="http://testserver.local") as phone:
        eid = to_validation(client, container, owner, phone)
        assert "<h1>Vérification en cours</h1>" in client.get(f"/qcp/{eid}").text
        officer = _officer_client(client)
        try:
            home = officer.get("/back-office")
            ref = re.search(r'href="/back-office/identite/([^"]+)"', home.text).group(1)
            review = officer.get(f"/back-office/identite/{ref}")
            assert review.status_code == 200 and review.text.count("<img ") == 6
            image = officer.get(f"/back-office/identite/{ref}/image/document_centre")
            assert image.status_code == 200 and image.content == PNG
            missing = post_form(officer, f"/back-office/identite/{ref}", {"decision": "approve", "given_names": "Jessica",
                                                                         "surname": "Poussart"})
            assert missing.status_code == 400 and "date de naissance" in missing.text
            approved = post_form(officer, f"/back-office/identite/{ref}", {
                "decision": "approve", "given_names": "Jessica", "surname": "Poussart", "birth_date": "1985-06-15",
                "document_type": "id_card", "document_number": "X4RTBPFW4", "document_expiry": "2031-01-01"})
            assert approved.status_code == 303
        finally:
            officer.__exit__(None, None, None)
        page = client.get(f"/qcp/{eid}")
        assert "Votre pièce d’identité a été validée" in page.text and "15 juin 1985" in page.text


def test_the_provider_callback_needs_no_csrf_token(client):
    response = client.post("/identity/callback", content=b'{"session_ref": "unknown"}',
                           headers={"content-type": "application/json"})
    assert response.status_code != 403
    assert response.json()["code"] == "identity.callback_refused"


def test_the_back_office_is_hidden_from_non_officers_and_anonymous(client, owner):
    assert client.get("/back-office", follow_redirects=False).status_code == 303
    login(client)
    assert client.get("/back-office").status_code == 404


def test_an_expired_enrollment_is_closed_and_a_new_one_can_start(client, container, owner, lcp):
    from domain.model.qcp_enrollment import ENROLLMENT_VALIDITY

    login(client)
    eid = start(client, owner)
    container.adapters.clock().advance(ENROLLMENT_VALIDITY + timedelta(minutes=1))
    assert "Cette demande a expiré." in client.get(f"/qcp/{eid}").text
    entry = client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert entry.status_code == 200 and "Envoyer le code" in entry.text


def test_the_enrollment_pages_speak_english_too(client, container, owner, lcp):
    login(client)
    post_form(client, "/langue", {"locale": "en", "suivant": "/"})
    page = client.get(f"/signature-personnelle/{owner.cabinet_id}/qcp")
    assert "<h1>Protected access</h1>" in page.text and "Send the code" in page.text


def test_switching_language_on_a_capture_page_stays_on_the_same_step(client, container, owner, lcp, phone):
    login(client)
    eid = start(client, owner)
    intro = phone.get(_path(qr_link(through_consents(client, container, eid))), follow_redirects=True)
    here = _path(str(intro.url)) + "&etape=document"
    page = phone.get(here)
    assert f'name="suivant" value="{here.replace("&", "&amp;")}"' in page.text
    switched = post_form(phone, "/langue", {"locale": "en", "suivant": here})
    assert switched.status_code == 303 and switched.headers["location"] == here
    assert "Start the capture" in phone.get(here).text


def test_in_dev_mode_the_simulator_decides_at_once_on_demand(client, container, owner, lcp, phone):
    container.adapters.identity_verifier().decision_delay = timedelta(minutes=3)
    eid = to_validation(client, container, owner, phone)
    waiting = client.get(f"/qcp/{eid}")
    assert "Approuver maintenant" in waiting.text
    assert post_form(client, f"/qcp/{eid}/simulateur", {"decision": "reject"}).status_code == 303
    rejected = client.get(f"/qcp/{eid}")
    assert "Votre pièce d’identité n’a pas pu être lue sur les photos." in rejected.text


def test_the_status_poll_asks_again_when_the_store_refuses_a_racing_write(client, container, owner, lcp, monkeypatch):
    from domain.model.errors import Conflict
    from domain.services.qcp_enrollment import QcpEnrollmentUseCases

    login(client)
    eid = start(client, owner)
    real = QcpEnrollmentUseCases.identity_check_status
    refusals = iter([Conflict("another transaction wrote first")])

    def racing(self, **kwargs):
        for refusal in refusals:  # the first call loses the race, the next one goes through
            raise refusal
        return real(self, **kwargs)

    monkeypatch.setattr(QcpEnrollmentUseCases, "identity_check_status", racing)
    status = client.get(f"/qcp/{eid}/statut")
    assert status.status_code == 200 and "next_step" in status.json()


def test_a_signing_code_the_operator_refuses_is_shown_on_the_signing_page(client, container, owner, lcp, phone):
    from entrypoints.worker import Worker

    eid = to_validation(client, container, owner, phone)
    assert post_form(client, f"/qcp/{eid}/valider-identite", {"confirmed": "oui"}).status_code == 303
    digest = re.search(r'name="document_digest" value="([0-9a-f]+)"', client.get(f"/qcp/{eid}").text).group(1)
    assert post_form(client, f"/qcp/{eid}/accepter", {"document_digest": digest, "accepted": "on"}).status_code == 303
    worker = Worker(container.adapters.job_store(), container.job_handlers(), container.adapters.clock(),
                    max_attempts=8, on_failure=container.job_failure_handlers())
    while worker.run_once():  # every message so far leaves (the LCP's codes, the first signing code)
        pass
    assert "n’a pas pu être remis" not in client.get(f"/qcp/{eid}").text
    container.adapters.clock().advance(timedelta(minutes=2))
    assert post_form(client, f"/qcp/{eid}/code-sms").status_code == 303
    container.adapters.sms_sender().fail_next(permanent=True, message="21211 invalid To", code="21211")
    while worker.run_once():
        pass

    sign = client.get(f"/qcp/{eid}")
    [alert] = re.findall(r'<p class="alert alert-error" role="alert" id="sms-non-remis">(.*?)</p>', sign.text, re.S)
    assert alert.startswith("Le SMS contenant votre code n’a pas pu être remis au 06 ")
    assert "demandez un nouveau code" in alert and "Renvoyer" in sign.text

    container.adapters.clock().advance(timedelta(minutes=2))
    assert post_form(client, f"/qcp/{eid}/code-sms").status_code == 303
    assert "n’a pas pu être remis" not in client.get(f"/qcp/{eid}").text
