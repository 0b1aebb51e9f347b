"""In Chromium: the owner opens « Clés d'API » from the menu, creates a key (shown once), a
program uses it, the list shows its last use, the owner revokes it. Every page passes axe."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser

OWNER_EMAIL = "jessica.poussart@example.fr"
OWNER_PASSWORD = "correct horse battery"


def test_owner_creates_uses_and_revokes_an_api_key(live_server, browser, shoot, check_accessibility):
    owner = live_server.container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica",
        owner_surname="Poussart", owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(OWNER_EMAIL)
    page.get_by_label("Mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »

    page.get_by_role("link", name="Clés d’API").click()
    page.wait_for_url(f"{live_server.url}/cabinet/cles-api")
    assert page.locator("h1").inner_text().startswith("Clés d’API")
    shoot(page, "api-keys-01-vide")
    check_accessibility(page)

    page.get_by_role("button", name="Créer la clé").click()  # nothing filled in
    assert "Donnez un nom à la clé" in page.locator("#name-erreur").inner_text()
    check_accessibility(page)

    page.get_by_label("Nom de la clé").fill("Logiciel de paie")
    page.get_by_label("Préparation").check()
    page.get_by_role("button", name="Créer la clé").click()
    secret = page.get_by_label("Clé d’API", exact=True).input_value()
    assert secret.startswith("seing.")
    assert "elle ne sera plus jamais affichée" in page.get_by_role("status").first.inner_text()
    shoot(page, "api-keys-02-creee")
    check_accessibility(page)

    used = httpx.get(f"{live_server.url}/api/v1/collections", params={"cabinet_id": owner.cabinet_id},
                     headers={"Authorization": f"Bearer {secret}"})
    assert used.status_code == 200, used.text

    page.goto(f"{live_server.url}/cabinet/cles-api")
    row = page.locator("tr", has_text="Logiciel de paie")
    assert secret not in page.content() and "Jamais utilisée" not in row.inner_text()
    row.get_by_role("button", name="Révoquer").click()
    page.wait_for_url(f"{live_server.url}/cabinet/cles-api")
    assert "Clé d’API révoquée" in page.get_by_role("status").first.inner_text()
    assert "Révoquée le" in page.locator("tr", has_text="Logiciel de paie").inner_text()
    shoot(page, "api-keys-03-revoquee")
    check_accessibility(page)
    refused = httpx.get(f"{live_server.url}/api/v1/collections", params={"cabinet_id": owner.cabinet_id},
                        headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
    context.close()
