"""In Chromium, in French, two browser contexts: on the desktop, « Souscrire à un certificat
qualifié » from « Ma signature personnelle » to « Votre demande de certificat qualifié (QCP) a
été finalisée »; on a phone-sized context, the QR link and the capture pages (the photos go
through the file input, as on a phone without camera access). Screenshots of every step
under test-artifacts/browser/qcp-*.png."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Iterator

import pytest

from ports.contracts.identity import PNG
from tests.browser.conftest import LiveServer, _build_container, _ensure_static_assets, _free_port, serve, watch_page
from tests.web.qcp_helpers import latest_code, register_lcp

pytestmark = pytest.mark.browser

EMAIL = "jessica.poussart@example.fr"
PASSWORD = "jessica's long password"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Mobile Safari/537.36"}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """As the shared live server, with the simulator deciding at once (tests slow it down
    on purpose to see « Vérification en cours »)."""
    _ensure_static_assets()
    data_dir = tmp_path_factory.mktemp("seing-qcp")
    os.environ["SEING_DATA_DIR"] = str(data_dir)
    os.environ["SEING_IDENTITY_DECISION_DELAY_SECONDS"] = "0"
    port = _free_port()
    try:
        container = _build_container(data_dir, port)
    finally:
        os.environ.pop("SEING_IDENTITY_DECISION_DELAY_SECONDS", None)
    verifier = container.adapters.identity_verifier()
    verifier.decision_delay = timedelta(0)
    with serve(container, port) as server:
        yield server


def _stage(page) -> str:
    """The step the stepper marks as current (« Étapes de la souscription »)."""
    return page.get_by_role("navigation", name="Étapes de la souscription").locator("[aria-current=step]") \
        .inner_text().strip()


def _done_stages(page) -> list[str]:
    return [item.inner_text().replace("(terminé)", "").strip()
            for item in page.locator(".stepper li.done").all()]


def test_a_member_subscribes_to_a_qualified_certificate_with_a_phone(live_server, browser, shoot,
                                                                      check_accessibility, tmp_path):
    container = live_server.container
    container.adapters.ca().init_hierarchy()
    owner = container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=EMAIL, owner_mobile="06 24 00 00 13", password=PASSWORD)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)

    desktop_context = browser.new_context(locale="fr-FR", viewport={"width": 1100, "height": 900})
    desktop_context.set_default_timeout(30_000)
    desktop = desktop_context.new_page()
    desktop.goto(f"{live_server.url}/connexion")
    desktop.get_by_label("Adresse e-mail").fill(EMAIL)
    desktop.get_by_label("Mot de passe").fill(PASSWORD)
    desktop.get_by_role("button", name="Se connecter").click()
    desktop.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »

    desktop.goto(f"{live_server.url}/ma-signature")
    shoot(desktop, "qcp-01-ma-signature")
    desktop.get_by_role("button", name="Souscrire à un certificat qualifié").click()
    desktop.wait_for_url(re.compile(r"/signature-personnelle/[^/]+/qcp$"))
    assert desktop.locator("h1").inner_text() == "Accès protégé"
    assert _stage(desktop) == "Accès protégé"
    shoot(desktop, "qcp-02-acces-protege")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Envoyer le code").click()
    desktop.wait_for_url(re.compile(r"/qcp/[^/]+$"))
    enrollment_url = desktop.url
    shoot(desktop, "qcp-03-code-email")
    check_accessibility(desktop)
    desktop.get_by_label("Code reçu par e-mail").fill(latest_code(container, "email"))
    desktop.get_by_role("button", name="Valider", exact=True).click()

    assert desktop.locator("h1").inner_text() == "Vos informations"
    assert _stage(desktop) == "Vos informations"
    assert "06 24 00 00 13" in desktop.content()
    shoot(desktop, "qcp-04-identite-et-mobile")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Valider", exact=True).click()

    desktop.get_by_label(re.compile("pièce d’identité valide au nom de Jessica Poussart")).check()
    desktop.get_by_label(re.compile("mon numéro de mobile est")).check()
    assert _stage(desktop) == "Avant de commencer"
    shoot(desktop, "qcp-05-avant-de-commencer")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Commencer").click()

    assert desktop.locator("h1").inner_text() == "Étape de vérification de votre identité"
    desktop.get_by_label(re.compile("données de ma pièce d’identité soient traitées")).check()
    desktop.get_by_label(re.compile("Je consens au traitement de mes données personnelles")).check()
    assert _stage(desktop) == "Consentements"
    shoot(desktop, "qcp-06-consentements")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Continuer").click()

    assert "Scannez le QR code avec votre smartphone pour continuer." in desktop.content()
    assert desktop.locator(".qcp-qr svg").is_visible()
    assert desktop.get_by_role("link", name="Continuez ici dans votre navigateur.").is_visible()
    qr_url = desktop.locator(".qcp-qr").get_attribute("data-qr-url")
    assert _stage(desktop) == "Pièce d’identité"
    shoot(desktop, "qcp-07-qr-code")
    check_accessibility(desktop)

    # The phone: the QR link, then the guide's capture windows.
    phone_context = browser.new_context(locale="fr-FR", **PHONE)
    phone_context.set_default_timeout(30_000)
    phone = phone_context.new_page()
    phone.goto(qr_url)
    assert "Voici les étapes à venir" in phone.content()
    shoot(phone, "qcp-10-telephone-introduction")
    check_accessibility(phone)
    phone.get_by_label(re.compile("J’ai pris connaissance des étapes")).check()
    phone.get_by_role("button", name="Continuer").click()
    assert phone.locator("h1").inner_text() == "Préparez votre pièce d’identité"
    shoot(phone, "qcp-11-telephone-preparez")
    phone.get_by_role("button", name="J’ai compris").click()
    for wording in ("Centrez votre document", "Inclinez lentement votre document",
                    "Placez votre photo de portrait dans la zone"):
        assert wording in phone.content()
    shoot(phone, "qcp-12-telephone-etapes-document")
    check_accessibility(phone)
    phone.get_by_role("button", name=re.compile("Lancer la capture")).click()
    # The simulator decides a few seconds after the last photo: the desktop shows « Vérification en cours ».
    container.adapters.identity_verifier().decision_delay = timedelta(seconds=4)
    for number in range(1, 7):
        if number == 4:
            for wording in ("Centrez votre visage", "Tournez lentement la tête", "Couvrez votre œil avec votre main"):
                assert wording in phone.content()
            shoot(phone, "qcp-16-telephone-etapes-visage")
            with phone.expect_navigation():
                phone.get_by_role("button", name=re.compile("Lancer la capture")).click()
        assert f"Photo {number} sur 6" in phone.content()
        shoot(phone, f"qcp-{12 + number if number < 4 else 13 + number:02d}-telephone-photo-{number}")
        if number == 1:
            check_accessibility(phone)
        phone.locator("input[type=file]").set_input_files(str(photo))
        with phone.expect_navigation():
            phone.get_by_role("button", name="Envoyer la photo").click()
    assert "Merci ! Maintenant, vous pouvez continuer sur votre ordinateur." in phone.locator("h1").inner_text() \
        .replace("\u00a0", " ")
    shoot(phone, "qcp-20-telephone-merci")
    check_accessibility(phone)

    # The desktop page moved on by itself: « Vérification en cours », then the result.
    desktop.get_by_role("heading", name="Vérification en cours").wait_for()
    assert "entre 3 et 6 minutes" in desktop.content()
    shoot(desktop, "qcp-21-verification-en-cours")
    check_accessibility(desktop)
    desktop.get_by_role("heading", name="Votre pièce d’identité a été validée").wait_for(timeout=30_000)
    assert "JESSICA" in desktop.content() and "POUSSART" in desktop.content()
    assert _stage(desktop) == "Vérification des informations"
    shoot(desktop, "qcp-22-identite-validee")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Valider", exact=True).click()

    assert desktop.locator("h1").inner_text() == "Demande de certificat"
    desktop.locator(".qcp-document img").first.wait_for()
    desktop.wait_for_function("Array.from(document.querySelectorAll('.qcp-document img'))"
                              ".every(img => img.complete && img.naturalWidth > 0)")
    assert _stage(desktop) == "Demande de certificat"
    assert _done_stages(desktop) == ["Accès protégé", "Vos informations", "Avant de commencer", "Consentements",
                                     "Pièce d’identité", "Vérification des informations"]
    shoot(desktop, "qcp-23-demande-de-certificat")
    check_accessibility(desktop)
    desktop.get_by_label("J’ai lu et j’accepte le document.").check()
    desktop.get_by_role("button", name="Continuer").click()

    assert "Un code vous a été envoyé par SMS au 06 ** ** 13." in desktop.content()
    assert desktop.get_by_role("button", name=re.compile("Code non reçu")).is_visible()
    assert _stage(desktop) == "Signature"
    shoot(desktop, "qcp-24-code-sms")
    check_accessibility(desktop)
    desktop.get_by_label("Code reçu par SMS").fill(latest_code(container, "sms"))
    desktop.get_by_role("button", name="Signer").click()

    # Automatic validation: issued at once, and the page says so rather than « lorsque … sera validée ».
    desktop.get_by_role("heading", name="Votre certificat qualifié (QCP) a été émis").wait_for(timeout=30_000)
    assert "lorsque votre demande sera validée" not in desktop.content()
    assert desktop.url == enrollment_url
    shoot(desktop, "qcp-25-demande-finalisee")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Mes certificats").click()
    desktop.wait_for_url(f"{live_server.url}/mes-certificats")

    desktop.goto(f"{live_server.url}/ma-signature")
    assert "QCP" in desktop.content()
    shoot(desktop, "qcp-26-mes-certificats")
    phone_context.close()
    desktop_context.close()


def test_continuing_in_the_browser_takes_the_photos_with_the_camera(live_server, browser, tmp_path):
    """« Continuez ici dans votre navigateur. » on a computer with a camera (Chromium's fake
    one): the photos come from getUserMedia, and the capture ends back on the enrollment."""
    from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    container = live_server.container
    container.adapters.ca().init_hierarchy()
    container.adapters.identity_verifier().decision_delay = timedelta(0)
    owner = container.use_cases.create_cabinet(
        name="Cabinet Faron", siren="552100554", owner_given_names="Irina", owner_surname="Faron",
        owner_email="irina.faron@example.fr", owner_mobile="06 11 22 33 44", password=PASSWORD)
    register_lcp(container, owner.person_id, owner.cabinet_id)
    uc = container.use_cases.qcp()
    enrollment = uc.start(person_id=owner.person_id, cabinet_id=owner.cabinet_id)
    uc.send_email_code(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.check_email_code(person_id=owner.person_id, enrollment_id=enrollment.id, code=latest_code(container, "email"))
    uc.confirm_identity(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.confirm_prerequisites(person_id=owner.person_id, enrollment_id=enrollment.id, has_valid_id_document=True,
                             mobile_is_theirs=True)
    uc.consent(person_id=owner.person_id, enrollment_id=enrollment.id, id_data_and_terms=True, privacy_policy=True)

    # A Chromium of its own, with a fake camera (the shared one has none).
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    try:
        context = with_camera.new_context(locale="fr-FR", viewport={"width": 1100, "height": 900})
        context.grant_permissions(["camera"], origin=live_server.url)
        context.set_default_timeout(30_000)
        page = context.new_page()
        # This browser is not the guarded one: give its page the CSP-proof wait_for_function
        # (Playwright's own compiles the predicate in the page, which « script-src 'self' » refuses).
        watch_page(page, [])
        page.goto(f"{live_server.url}/connexion")
        page.get_by_label("Adresse e-mail").fill("irina.faron@example.fr")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »
        page.goto(f"{live_server.url}/signature-personnelle/{owner.cabinet_id}/qcp")
        page.get_by_role("button", name="Continuer").click()  # the identity check starts
        page.get_by_role("link", name="Continuez ici dans votre navigateur.").click()
        page.get_by_label(re.compile("J’ai pris connaissance des étapes")).check()
        page.get_by_role("button", name="Continuer").click()
        page.get_by_role("button", name="J’ai compris").click()
        page.get_by_role("button", name=re.compile("Lancer la capture")).click()
        for number in range(1, 7):
            if number == 4:
                with page.expect_navigation():
                    page.get_by_role("button", name=re.compile("Lancer la capture")).click()
            shoot_button = page.get_by_role("button", name="Prendre la photo")
            shoot_button.wait_for()  # shown by qcp.js once the camera streams
            page.wait_for_function("document.querySelector('video').videoWidth > 0")
            if number == 1:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "qcp-30-navigateur-camera.png"), full_page=True)
            shoot_button.click()  # the frame is kept; « Envoyer la photo » shows only now
            send = page.get_by_role("button", name="Envoyer la photo")
            send.wait_for()
            with page.expect_navigation():
                send.click()
        page.get_by_role("heading", name="Votre pièce d’identité a été validée").wait_for(timeout=30_000)
        assert page.url == f"{live_server.url}/qcp/{enrollment.id}"
        page.screenshot(path=str(ARTIFACTS / "qcp-31-navigateur-retour.png"), full_page=True)
        context.close()
    finally:
        with_camera.close()
