"""In Chromium: the pages a visitor sees before logging in are accessible, on a phone too."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, name", [
    ("/mot-de-passe/oublie", "30-mot-de-passe-oublie"),
    ("/mot-de-passe/reinitialiser/un-lien", "31-nouveau-mot-de-passe"),
    ("/invitation/lien-perime", "32-invitation-perimee"),
    ("/nulle-part", "33-page-introuvable"),
])
def test_public_pages_are_accessible_on_a_phone(live_server, browser, shoot, check_accessibility, path, name):
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
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


def test_the_login_page_logs_nothing_under_the_site_policy(live_server, browser, check_accessibility):
    # The context keeps the CSP (GuardedBrowser): htmx's inline style or a missing favicon would be
    # console errors, and the autouse check fails the test on any of them.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.wait_for_load_state("networkidle")  # htmx has initialised, the favicon has been asked
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status)") == 200
    check_accessibility(page)  # axe-core runs without lifting the policy
    context.close()


def test_the_console_check_catches_a_refused_inline_style(live_server, browser):
    from tests.browser.conftest import watch_page

    context = browser.unwatched.new_context(locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    watch_page(page, problems)
    page.goto(f"{live_server.url}/connexion")
    page.evaluate("""() => { const s = document.createElement('style'); s.textContent = 'p{}';
                            document.head.appendChild(s); }""")
    page.set_content("<title>Vérification <form method=post></title><h1>x</h1>")
    # The load handler reads the title through Playwright: let events be dispatched (each call
    # into Playwright does) until it has spoken, rather than closing the page under it.
    deadline = time.monotonic() + 10
    while not any("markup in the <title>" in problem for problem in problems) and time.monotonic() < deadline:
        page.evaluate("1")
    context.close()
    assert any("Content Security Policy" in problem for problem in problems)
    assert any("markup in the <title>" in problem for problem in problems)



def test_the_file_input_reads_in_french_and_names_the_chosen_file(live_server, browser, tmp_path, shoot,
                                                                  check_accessibility):
    context = browser.new_context(locale="en-US")  # the browser's own words would be English
    page = context.new_page()
    page.goto(f"{live_server.url}/verifier")
    form = page.locator("main form")
    assert "Choisir un fichier" in form.inner_text() and "Aucun fichier choisi" in form.inner_text()
    assert page.locator(".file-picker.enhanced").is_visible()
    # The native control is out of sight (no « Choose File ») yet still focusable, with its own label.
    assert page.evaluate("document.getElementById('fichier').getBoundingClientRect().width") <= 1
    page.locator("#fichier").focus()
    assert page.evaluate("document.activeElement.id") == "fichier"
    document = tmp_path / "lettre-signée.pdf"
    document.write_bytes(b"%PDF-1.7\n%%EOF\n")
    page.set_input_files("#fichier", str(document))
    assert page.locator(".file-picker-name").inner_text() == "lettre-signée.pdf"
    shoot(page, "34-verifier-fichier-choisi")
    check_accessibility(page)
    context.close()
