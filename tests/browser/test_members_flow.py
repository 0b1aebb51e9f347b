"""In Chromium: the owner logs in, invites a collaborator, the collaborator opens the link from
the outbox and sets a password, the owner grants SIGN and PREPARE."""

from __future__ import annotations

import re

import pytest

from adapters.messaging.outbox import read_outbox
from domain.model.cabinet import Delegation

pytestmark = pytest.mark.browser

OWNER_EMAIL = "jessica.poussart@example.fr"
OWNER_PASSWORD = "correct horse battery"
COLLABORATOR_EMAIL = "irina.faron@example.fr"
COLLABORATOR_PASSWORD = "irina chooses a long one"


def _invitation_link(live_server) -> str:
    for message in read_outbox(live_server.outbox_dir):
        if message["to"] == COLLABORATOR_EMAIL:
            match = re.search(r"https?://\S+/invitation/[\w-]+", message["text"] or "")
            if match:
                return match.group(0)
    raise AssertionError(f"no invitation email for {COLLABORATOR_EMAIL} in {live_server.outbox_dir}")


def test_owner_invites_a_collaborator_who_joins_and_receives_delegations(live_server, browser, shoot,
                                                                           check_accessibility):
    owner = live_server.container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica",
        owner_surname="Poussart", owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)

    owner_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    owner_context.set_default_timeout(30_000)
    page = owner_context.new_page()

    # Log in.
    page.goto(f"{live_server.url}/connexion")
    assert page.locator("h1").inner_text() == "Connexion"
    shoot(page, "01-connexion")
    check_accessibility(page)
    page.get_by_label("Adresse e-mail").fill(OWNER_EMAIL)
    page.get_by_label("Mot de passe").fill("wrong password!")
    page.get_by_role("button", name="Se connecter").click()
    assert "Adresse e-mail ou mot de passe incorrect" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Adresse e-mail").input_value() == OWNER_EMAIL
    shoot(page, "02-connexion-erreur")
    check_accessibility(page)
    page.get_by_label("Mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »
    page.get_by_role("link", name="Membres du cabinet").click()
    page.wait_for_url(f"{live_server.url}/cabinet/membres")
    assert "Membres du cabinet" in page.locator("h1").inner_text()
    shoot(page, "03-membres")
    check_accessibility(page)

    # The user menu (keyboard: it is a <details>, Enter opens it).
    page.locator("summary", has_text="Jessica Poussart").focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("link", name="Ma signature personnelle").is_visible()
    shoot(page, "04-menu-utilisateur")
    check_accessibility(page)
    page.get_by_role("link", name="Ma signature personnelle").click()
    page.wait_for_url(f"{live_server.url}/ma-signature")
    shoot(page, "05-ma-signature")
    check_accessibility(page)
    page.goto(f"{live_server.url}/cabinet/membres")

    # Invite a collaborator, with no delegation yet.
    page.get_by_label("Prénom").fill("Irina")
    page.locator("#surname").fill("Faron")
    page.locator("#email").fill(COLLABORATOR_EMAIL)
    page.get_by_role("button", name="Envoyer l’invitation").click()
    page.wait_for_url(f"{live_server.url}/cabinet/membres")
    assert f"Invitation envoyée à {COLLABORATOR_EMAIL}." in page.get_by_role("status").inner_text()
    assert COLLABORATOR_EMAIL in page.locator("section[aria-labelledby='invitations-en-attente']").inner_text()
    shoot(page, "06-invitation-envoyee")
    check_accessibility(page)

    # The worker delivers the email into the dev outbox; the owner can see it at /dev/outbox.
    assert live_server.deliver_mail() >= 1
    page.goto(f"{live_server.url}/dev/outbox")
    assert page.locator("a[href*='/invitation/']").count() >= 1
    shoot(page, "07-outbox")
    check_accessibility(page)
    link = _invitation_link(live_server)

    # The collaborator, in their own browser, opens the link and sets a password.
    collaborator_context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    collaborator_context.set_default_timeout(30_000)
    mobile = collaborator_context.new_page()
    mobile.goto(link)
    assert "Cabinet Poussart & Associés" in mobile.content().replace("&amp;", "&")
    shoot(mobile, "08-invitation")
    check_accessibility(mobile)
    mobile.get_by_label("Mot de passe", exact=False).first.fill(COLLABORATOR_PASSWORD)
    mobile.get_by_label("Confirmez le mot de passe").fill("not the same one")
    mobile.get_by_role("button", name="Rejoindre le cabinet").click()
    assert "Les deux mots de passe ne correspondent pas." in mobile.locator("#password_confirm-erreur").inner_text()
    shoot(mobile, "09-invitation-erreur")
    check_accessibility(mobile)
    mobile.locator("#password").fill(COLLABORATOR_PASSWORD)
    mobile.get_by_label("Confirmez le mot de passe").fill(COLLABORATOR_PASSWORD)
    mobile.get_by_role("button", name="Rejoindre le cabinet").click()
    mobile.wait_for_url(f"{live_server.url}/ma-signature")
    assert "Collaborateur" in mobile.content()
    shoot(mobile, "10-collaborateur-ma-signature")
    check_accessibility(mobile)

    # The owner grants SIGN and PREPARE with the plain forms of the members page.
    page.goto(f"{live_server.url}/cabinet/membres")
    for label in ("Signer", "Préparer"):
        page.get_by_role("button", name=re.compile(rf"Accorder la délégation\W+{label}\W+à Irina Faron")).click()
        page.wait_for_load_state()
        assert "Délégation accordée." in page.get_by_role("status").inner_text()
    shoot(page, "11-delegations-accordees")
    check_accessibility(page)

    members = live_server.container.use_cases.list_members(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id)
    irina = next(m for m in members.members if m.email == COLLABORATOR_EMAIL)
    assert irina.delegations == {Delegation.SIGN, Delegation.PREPARE}

    # The collaborator sees the change; an English visitor gets English pages.
    mobile.goto(f"{live_server.url}/ma-signature")
    assert "Signer, Préparer" in mobile.content()
    mobile.get_by_role("button", name="English").click()
    mobile.wait_for_url(f"{live_server.url}/ma-signature")
    assert mobile.locator("h1").inner_text() == "My personal signature"
    assert "Sign, Prepare" in mobile.content() and "Collaborator" in mobile.content()
    shoot(mobile, "12-english")
    check_accessibility(mobile)

    owner_context.close()
    collaborator_context.close()
