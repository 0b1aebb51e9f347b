"""On a 390 px phone, the pages of a cabinet owner (the longest menu) fit the screen: nothing scrolls
sideways. The check itself runs on every page every browser test loads at phone width (conftest);
this test makes sure the owner's pages are among them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

EMAIL = "lea.garnier@example.fr"
PASSWORD = "léa's long password"
PAGES = ("/collectes", "/collectes/nouvelle", "/cabinet/membres", "/cabinet/cachet", "/cabinet/cles-api",
         "/cabinet/webhooks", "/ma-signature", "/mes-certificats", "/mon-compte", "/verifier")


def test_every_page_of_an_owner_fits_a_390_px_phone(live_server, browser, shoot):
    live_server.container.use_cases.create_cabinet(
        name="Cabinet Garnier & Associés", siren="732829320", owner_given_names="Léa", owner_surname="Garnier",
        owner_email=EMAIL, owner_mobile="06 11 22 33 44", password=PASSWORD)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/collectes")
    too_wide = {}
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    shoot(page, "90-telephone-verifier")
    page.goto(f"{live_server.url}/cabinet/membres")
    shoot(page, "91-telephone-membres")
    assert not too_wide, too_wide
