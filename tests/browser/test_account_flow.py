"""In Chromium: « Mon compte » turns on the TOTP second factor, then login asks for the code."""

from __future__ import annotations

import re

import pyotp
import pytest

pytestmark = pytest.mark.browser

EMAIL = "paul.martin@example.fr"
PASSWORD = "paul's long password"


def test_owner_enables_totp_and_logs_in_with_it(live_server, browser, shoot, check_accessibility):
    live_server.container.use_cases.create_cabinet(
        name="Cabinet Martin", siren="552100554", owner_given_names="Paul", owner_surname="Martin",
        owner_email=EMAIL, owner_mobile="06 98 76 54 32", password=PASSWORD)
    clock = live_server.container.adapters.clock()
    context = browser.new_context(locale="fr-FR", viewport={"width": 1024, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()

    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")  # the form submits from the keyboard
    page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »

    page.locator("summary", has_text="Paul Martin").click()
    page.get_by_role("link", name="Mon compte").click()
    page.wait_for_url(f"{live_server.url}/mon-compte")
    shoot(page, "20-mon-compte")
    check_accessibility(page)
    page.get_by_role("button", name="Activer la double authentification").click()
    page.wait_for_url(re.compile(r"/mon-compte"))
    assert page.locator("figure.qr-code svg").is_visible()
    secret = page.locator("code.secret").inner_text().strip()
    shoot(page, "21-totp-qr-code")
    check_accessibility(page)

    page.get_by_label("Code à 6 chiffres").fill("000000")
    page.get_by_role("button", name="Activer", exact=True).click()
    assert "Ce code n’est pas valide" in page.locator("#code-erreur").inner_text()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Activer", exact=True).click()
    assert page.locator("ul.recovery-codes li").count() >= 5
    shoot(page, "22-codes-de-recuperation")
    check_accessibility(page)

    page.locator("summary", has_text="Paul Martin").click()
    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_url(f"{live_server.url}/connexion")
    assert "Vous êtes déconnecté." in page.get_by_role("status").inner_text()

    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/connexion/code")
    shoot(page, "23-second-facteur")
    check_accessibility(page)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »
    page.goto(f"{live_server.url}/mon-compte")
    assert "La double authentification est activée" in page.content()
    context.close()
