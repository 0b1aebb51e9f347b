"""In Chromium: the pages a visitor sees before logging in are accessible, on a phone too."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, name", [
    ("/mot-de-passe/oublie", "30-mot-de-passe-oublie"),
    ("/mot-de-passe/reinitialiser/un-lien", "31-nouveau-mot-de-passe"),
    ("/invitation/lien-perime", "32-invitation-perimee"),
    ("/nulle-part", "33-page-introuvable"),
])
def test_public_pages_are_accessible_on_a_phone(live_server, browser, shoot, check_accessibility, path, name):
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740}, bypass_csp=True)
    page = context.new_page()
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status in (200, 404, 410)
    assert page.locator("h1").count() == 1
    # Nothing wider than the screen: no horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shoot(page, name)
    check_accessibility(page)
    context.close()


def test_forgotten_password_form_by_keyboard_only(live_server, browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    # The skip link is the first thing the keyboard reaches on every page.
    first = page.evaluate("document.querySelector('a[href], button, input:not([type=hidden]), select').textContent")
    assert first == "Aller au contenu"
    page.get_by_role("link", name="Mot de passe oublié").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/mot-de-passe/oublie")
    page.keyboard.type("quelqu.un@example.fr")  # the field has the focus
    page.keyboard.press("Enter")
    assert "Si un compte correspond à cette adresse" in page.get_by_role("status").inner_text()
    context.close()
