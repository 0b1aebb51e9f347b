"""In Chromium, in French, two browser contexts: « S'enregistrer » with the identity check
required (SEING_LCP_REQUIRE_IDENTITY_CHECK): on the desktop, the codes, the identity, the QR
code, « Vérification en cours », the terms and the certificate; on a phone-sized context, the
QR link and the document-only capture pages. Screenshots under test-artifacts/browser/lcpid-*.png."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Iterator

import pytest

from ports.contracts.identity import PNG
from tests.browser.conftest import LiveServer, _ensure_static_assets, _free_port, serve
from tests.web.lcp_helpers import latest_code

pytestmark = pytest.mark.browser

EMAIL = "jessica.poussart@example.fr"
PASSWORD = "jessica's long password"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Mobile Safari/537.36"}


def _container(data_dir: Any, port: int) -> Any:
    from adapters.persistence.migrations import upgrade
    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings

    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port, dev_mode=True, mail_backend="outbox",
                        lcp_require_identity_check=True, identity_decision_delay_seconds=0)
    upgrade(settings.resolved_database_url)
    return build_container(settings)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _ensure_static_assets()
    port = _free_port()
    container = _container(tmp_path_factory.mktemp("seing-lcpid"), port)
    with serve(container, port) as server:
        yield server


def test_a_member_registers_with_an_identity_check_on_a_phone(live_server, browser, shoot, check_accessibility,
                                                              tmp_path):
    container = live_server.container
    container.adapters.ca().init_hierarchy()
    owner = container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=EMAIL, owner_mobile="06 24 00 00 13", password=PASSWORD)
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

    flow = f"{live_server.url}/signature-personnelle/{owner.cabinet_id}/enregistrement"
    desktop.goto(flow)
    assert "En cinq étapes" in desktop.content()
    shoot(desktop, "lcpid-01-cinq-etapes")
    desktop.get_by_role("button", name=re.compile("^S’enregistrer")).click()
    desktop.get_by_role("button", name="Envoyer le code").click()
    desktop.get_by_label("Code reçu par e-mail").fill(latest_code(container, "email"))
    desktop.get_by_role("button", name="Valider", exact=True).click()
    desktop.get_by_label("Code reçu par SMS").fill(latest_code(container, "sms"))
    desktop.get_by_role("button", name="Valider", exact=True).click()
    assert desktop.locator("h2").first.inner_text() == "Confirmez votre identité"
    desktop.get_by_role("button", name="Valider", exact=True).click()

    assert desktop.locator("[aria-current=step]").inner_text().strip() == "Pièce d’identité"
    assert desktop.locator("h2").first.inner_text() == "Vérification de votre identité"
    shoot(desktop, "lcpid-02-verification-identite")
    check_accessibility(desktop)
    desktop.get_by_role("button", name="Continuer").click()

    assert "Scannez le QR code avec votre smartphone pour continuer." in desktop.content()
    assert desktop.locator(".qcp-qr svg").is_visible()
    assert desktop.get_by_role("link", name="Continuez ici dans votre navigateur.").is_visible()
    qr_url = desktop.locator(".qcp-qr").get_attribute("data-qr-url")
    shoot(desktop, "lcpid-03-qr-code")
    check_accessibility(desktop)

    phone_context = browser.new_context(locale="fr-FR", **PHONE)
    phone_context.set_default_timeout(30_000)
    phone = phone_context.new_page()
    phone.goto(qr_url)
    assert "Voici les étapes à venir" in phone.content()
    assert "Centrez votre visage" not in phone.content()
    shoot(phone, "lcpid-04-telephone-introduction")
    phone.get_by_label(re.compile("J’ai pris connaissance des étapes")).check()
    phone.get_by_role("button", name="Continuer").click()
    phone.get_by_role("button", name="J’ai compris").click()
    phone.get_by_role("button", name=re.compile("Lancer la capture")).click()
    # The simulator decides a few seconds after the last photo: the desktop shows « Vérification en cours ».
    container.adapters.identity_verifier().decision_delay = timedelta(seconds=4)
    for number in range(1, 4):
        assert f"Photo {number} sur 3" in phone.content()
        shoot(phone, f"lcpid-{4 + number:02d}-telephone-photo-{number}")
        phone.locator("input[type=file]").set_input_files(str(photo))
        with phone.expect_navigation():
            phone.get_by_role("button", name="Envoyer la photo").click()
    assert "Merci" in phone.locator("h1").inner_text()
    shoot(phone, "lcpid-08-telephone-merci")

    desktop.get_by_role("heading", name="Vérification en cours").wait_for()
    assert "entre 3 et 6 minutes" in desktop.content()
    shoot(desktop, "lcpid-09-verification-en-cours")
    check_accessibility(desktop)
    desktop.get_by_role("heading", name="Conditions générales").wait_for(timeout=30_000)
    assert desktop.locator("[aria-current=step]").inner_text().strip() == "Conditions"
    desktop.get_by_label(re.compile("J’ai lu et j’accepte")).check()
    shoot(desktop, "lcpid-10-conditions")
    desktop.get_by_role("button", name="Accepter et obtenir mon certificat").click()
    assert desktop.locator("h2").first.inner_text() == "Votre certificat est émis"
    shoot(desktop, "lcpid-11-certificat-emis")
    check_accessibility(desktop)
