"""In Chromium, on a desktop and on a 390 px phone: a sent collection's page.

« Relancer » is disabled right after sending and says when the first reminder is possible; ↑/↓
show only on a sequential collection and a move is announced in the live region with the focus
kept on the buttons; cancelling asks a reason, refuses an empty one beside the field (focus on
it), and the page then shows it. Screenshots go to test-artifacts/browser/collection-page-*.png;
the browser fixture fails the test on any console error or markup in a title.
"""

from __future__ import annotations

import re

import pytest

from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints import french
from tests.intake import corpus

pytestmark = pytest.mark.browser

OWNER_EMAIL = "jessica.poussart@example.fr"
OWNER_PASSWORD = "correct horse battery"
VIEWPORTS = {"bureau": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def owner(live_server):
    return live_server.container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)


def _sent(live_server, owner, title: str, mode: InvitationMode) -> str:
    uc = live_server.container.use_cases
    collection_id = uc.create_collection_draft(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id,
                                               title=title, mode=mode)
    uc.add_collection_document(collection_id=collection_id, by_person_id=owner.person_id, name="mission.pdf",
                               content=corpus.minimal_pdf(1))
    for given, surname in (("Paul", "Martin"), ("Zoé", "Durand"), ("Léa", "Petit")):
        uc.add_signer(collection_id=collection_id, by_person_id=owner.person_id, kind=SignerKind.EXTERNAL,
                      level=SignatureLevel.SIMPLE, given_names=given, surname=surname,
                      email=f"{given.lower()}.{surname.lower()}@example.fr".replace("é", "e"))
    uc.send_collection(collection_id=collection_id, by_person_id=owner.person_id)
    return collection_id


def _details(live_server, owner, collection_id):
    return live_server.container.use_cases.collection_details(collection_id=collection_id,
                                                              by_person_id=owner.person_id)


def _login(live_server, browser, device: str):
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORTS[device])
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(OWNER_EMAIL)
    page.get_by_label("Mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/collectes$"))
    return context, page


@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_collection_page_after_sending(live_server, browser, owner, device, shoot, check_accessibility):
    sequential = _sent(live_server, owner, f"Lettre de mission ({device})", InvitationMode.SEQUENTIAL)
    parallel = _sent(live_server, owner, f"Bulletins ({device})", InvitationMode.PARALLEL)
    paul, zoe, lea = [s.signer_id for s in _details(live_server, owner, sequential).signers]
    context, page = _login(live_server, browser, device)
    try:
        # « Relancer » right after sending: disabled, and the first possible moment is said.
        page.goto(f"{live_server.url}/collectes/{sequential}")
        first_on = french.on_moment(_details(live_server, owner, sequential).signers[0].reminder_possible_at)
        remind = page.locator(f"#signataire-{paul} form[action$='/relancer'] button")
        assert remind.is_disabled()
        assert page.locator(f"#relance-{paul}").inner_text() == f"Première relance possible {first_on}"
        assert remind.get_attribute("aria-describedby") == f"relance-{paul}"
        shoot(page, f"collection-page-{device}-1-relance")
        check_accessibility(page)

        # ↓ on Paul: answered in place, announced, focus kept on his buttons.
        assert page.locator("#order-status").inner_text() == ""
        page.locator(f"button[value='descendre:{paul}']").click()
        page.wait_for_function("document.getElementById('order-status').textContent.length > 0")
        assert page.locator("#order-status").inner_text() == (
            "Ordre des signataires modifié\u00a0: Paul Martin est maintenant en position 2 sur 3.")
        assert page.evaluate("document.activeElement.value") in (f"descendre:{paul}", f"monter:{paul}")
        assert [s.signer_id for s in _details(live_server, owner, sequential).signers] == [zoe, paul, lea]
        assert page.locator("table.signers tbody th").all_inner_texts() == ["Zoé Durand", "Paul Martin", "Léa Petit"]
        shoot(page, f"collection-page-{device}-2-ordre")

        # A parallel collection: everyone is invited at once, no order to change.
        page.goto(f"{live_server.url}/collectes/{parallel}")
        assert page.locator("button[value^='monter:'], button[value^='descendre:']").count() == 0
        shoot(page, f"collection-page-{device}-3-parallele")

        # Cancelling asks why; an empty reason is refused beside the field, which takes the focus.
        page.goto(f"{live_server.url}/collectes/{sequential}")
        page.get_by_role("button", name="Annuler la collecte").or_(
            page.get_by_role("link", name="Annuler la collecte")).first.click()
        page.wait_for_url(re.compile(r".*/annuler$"))
        page.get_by_label("Je confirme l’annulation de cette collecte").check()
        page.get_by_role("button", name="Annuler la collecte").click()
        page.wait_for_load_state()
        assert page.locator("#reason-erreur").inner_text() == (
            "Indiquez le motif de l’annulation\u00a0: il est transmis aux signataires.")
        assert page.evaluate("document.activeElement.id") == "reason"
        shoot(page, f"collection-page-{device}-4-motif-requis")
        check_accessibility(page)
        page.get_by_label("Motif de l’annulation").fill("Le client a changé d’avis.")
        page.get_by_label("Je confirme l’annulation de cette collecte").check()
        page.get_by_role("button", name="Annuler la collecte").click()
        page.wait_for_url(re.compile(rf".*/collectes/{sequential}$"))
        assert "Le client a changé d’avis." in page.locator("#motif-annulation + p").inner_text()
        assert _details(live_server, owner, sequential).summary.status is CollectionStatus.CANCELLED
        shoot(page, f"collection-page-{device}-5-annulee")
        check_accessibility(page)
    finally:
        context.close()
