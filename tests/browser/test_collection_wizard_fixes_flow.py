"""In Chromium, on a desktop and on a 390 px phone: the wizard's fixes of issue 15, one after the other.

A first upload with a refused file lands on the draft's own address; the recap's deadline is a day
(23 h 59) from the start; « Autre » keeps its level after a refused mobile; ↑ says the new order in the
live region; every page of a 36-page PDF can be reached for placement (lazy images, « Aller à la
page »), the default boxes sitting on the blank part of the last page; « Remplacer » shows only the
part of the form the chosen radio is about; « Supprimer le brouillon » asks, then deletes. Screenshots
go to test-artifacts/browser/collecte-15-*.png; any console error fails the test (conftest).
"""

from __future__ import annotations

import re

import pytest

from domain.model.cabinet import Delegation, Role
from domain.model.signer import SignatureLevel, SignerKind
from tests.browser.conftest import ARTIFACTS
from tests.intake import corpus

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
VIEWPORTS = {
    "bureau": {"viewport": {"width": 1280, "height": 900}},
    "mobile": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
               "has_touch": True},
}
CABINETS = {"bureau": ("732829320", "jessica.poussart@example.fr"), "mobile": ("552100554", "marc.durand@example.fr")}


def _cabinet(container, name: str):
    siren, email = CABINETS[name]
    uc = container.use_cases
    owner = uc.create_cabinet(name=f"Cabinet {name}", siren=siren, owner_given_names="Jessica",
                              owner_surname="Poussart", owner_email=email, owner_mobile="06 24 00 00 13",
                              password=PASSWORD)
    member_email = f"irina.{name}@example.fr"
    uc.invite_member(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id, email=member_email,
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR,
                     delegations=frozenset({Delegation.SIGN}))
    for job in container.adapters.job_store().list(limit=500):
        if "channel" not in job.spec.payload_dict():
            continue  # not a message (a webhook, a completion step)
        notification = job.spec.as_notification()
        if notification.template == "member_invitation" and notification.to == member_email:
            uc.accept_invitation(token=notification.context_dict()["token"], password="irina chooses a long one",
                                 mobile="06 11 22 33 44")
    return owner, email


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_wizard_fixes_on_a_desktop_and_a_phone(live_server, browser, shoot, check_accessibility, device):
    container = live_server.container
    uc = container.use_cases
    owner, email = _cabinet(container, device)
    context = browser.new_context(locale="fr-FR", **VIEWPORTS[device])
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()

    # A first upload mixing a refused file and a good one: the draft's own address, the refusal said there.
    page.goto(f"{live_server.url}/collectes/nouvelle")
    long_pdf = corpus.text_pdf(36, last_fill=0.5, footer=True)
    page.locator("#fichiers").set_input_files(files=[
        {"name": "photo.pdf", "mimeType": "application/pdf", "buffer": corpus.png_image()},
        {"name": "Contrat.pdf", "mimeType": "application/pdf", "buffer": long_pdf}])
    page.locator("#fichiers").evaluate("(input) => input.form.requestSubmit()")
    page.wait_for_url(re.compile(r".*/collectes/[\w-]+/documents$"))
    collection_id = page.url.rsplit("/", 2)[-2]
    assert "photo.pdf" in page.locator("ul.refusals").inner_text()
    assert page.locator(".document-name").all_inner_texts() == ["Contrat.pdf"]
    shoot(page, f"collecte-15-envoi-mixte-{device}")

    def details():
        return uc.collection_details(collection_id=collection_id, by_person_id=owner.person_id)

    # The recap's deadline is a day, as the options step will keep it.
    page.goto(f"{live_server.url}/collectes/{collection_id}/recapitulatif")
    deadline = page.locator("dt", has_text="Date limite").locator("xpath=following-sibling::dd[1]").inner_text()
    assert re.search(r"à\s23\s*h\s*59$", deadline), deadline

    # « Autre » with a mobile too short: the level chosen stays chosen.
    page.goto(f"{live_server.url}/collectes/{collection_id}/signataires")
    # Nothing is wider than the phone (the owner's long menu used to widen the page to 485 px).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.evaluate("window.innerWidth") == VIEWPORTS[device]["viewport"]["width"]
    page.locator("summary", has_text="Autre").click()
    other = page.locator("#other-form")
    other.locator("#given_names").fill("Paul")
    other.locator("#surname").fill("Martin")
    other.locator("#email").fill("paul.martin@example.fr")
    other.get_by_label("Mobile").fill("12")
    other.locator("#other-level").select_option("2")
    other.get_by_role("button", name="Ajouter cette personne").click()
    page.wait_for_load_state()
    assert page.locator("#mobile-erreur").is_visible()
    assert page.locator("#other-level").input_value() == "2"
    assert page.locator("#given_names").input_value() == "Paul"
    shoot(page, f"collecte-15-autre-erreur-{device}")
    page.locator("#mobile").fill("06 12 34 56 78")
    page.get_by_role("button", name="Ajouter cette personne").click()
    page.wait_for_load_state()
    assert [s.level for s in details().signers] == [SignatureLevel.ADVANCED]
    # The signers' table scrolls sideways in its frame: the phone's page stays 390 px wide.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.evaluate("window.innerWidth") == VIEWPORTS[device]["viewport"]["width"]
    page.locator("summary", has_text="Autre").click()
    page.locator("#given_names").fill("Anne")
    page.locator("#surname").fill("Leroy")
    page.locator("#email").fill("anne.leroy@example.fr")
    page.locator("#other-level").select_option("1")
    page.get_by_role("button", name="Ajouter cette personne").click()
    page.wait_for_load_state()

    # ↑ on Anne's row: saved in the background, said in the live region, focus kept in her row.
    paul, anne = [s.signer_id for s in details().signers]
    page.get_by_role("button", name="Monter Anne Leroy").click()
    page.wait_for_function("() => document.getElementById('signers-status').textContent.includes('Anne')")
    assert page.locator("#signers-status").inner_text() == "Anne Leroy\u00a0: position 1 sur 2."
    assert page.evaluate("document.activeElement.closest('tr').id") == f"signataire-{anne}"
    assert [s.signer_id for s in details().signers] == [anne, paul]
    shoot(page, f"collecte-15-ordre-annonce-{device}")
    check_accessibility(page)

    # Placement: all 36 pages, loaded as they come; « Aller à la page » 36; the default boxes on the
    # blank lower half of the last page.
    page.goto(f"{live_server.url}/collectes/{collection_id}/placement")
    document_id = details().documents[0].document_id
    assert page.locator(".page-canvas").count() == 36
    assert page.locator(".page-canvas img[loading=lazy]").count() == 36
    page.get_by_label("Aller à la page").fill("36")
    page.get_by_role("button", name="Afficher").click()
    last = page.locator(f"#document-{document_id}-page-36")
    last_image = last.locator("img")
    page.wait_for_function(f"() => {{ const i = document.querySelector('#document-{document_id}-page-36 img');"
                           " return i.complete && i.naturalWidth > 0; }")
    assert last.locator(".signature-box").count() == 2
    for box in last.locator(".signature-box").all():
        assert box.is_visible()
        top = box.bounding_box()["y"] - last_image.bounding_box()["y"]
        assert top > last_image.bounding_box()["height"] / 2  # the lower, blank half
    placements = [p.placement for p in details().documents[0].placements]
    assert {p.page for p in placements} == {36} and all(p.y + p.height < 842 / 2 for p in placements)
    last.scroll_into_view_if_needed()
    # The viewport only: the whole page is 36 pages tall.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"collecte-15-placement-page-36-{device}.png"))
    check_accessibility(page)

    # « Remplacer » on a sent collection: the member list hides while « Une autre personne » is chosen.
    sent_id = uc.create_collection_draft(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id, title="Mandat")
    uc.add_collection_document(collection_id=sent_id, by_person_id=owner.person_id, name="mandat.pdf",
                               content=corpus.minimal_pdf(1))
    uc.add_signer(collection_id=sent_id, by_person_id=owner.person_id, kind=SignerKind.EXTERNAL,
                  level=SignatureLevel.SIMPLE, given_names="Luc", surname="Bernard", email="luc@example.fr")
    uc.send_collection(collection_id=sent_id, by_person_id=owner.person_id)
    luc = uc.collection_details(collection_id=sent_id, by_person_id=owner.person_id).signers[0].signer_id
    page.goto(f"{live_server.url}/collectes/{sent_id}/signataires/{luc}/remplacer")
    assert page.get_by_label("Une autre personne").is_checked()
    assert not page.locator("#member_id").is_visible()
    assert page.locator("#given_names").is_visible()
    shoot(page, f"collecte-15-remplacer-autre-{device}")
    page.get_by_label("Un membre du cabinet").check()
    assert page.locator("#member_id").is_visible()
    assert not page.locator("#given_names").is_visible()
    shoot(page, f"collecte-15-remplacer-membre-{device}")
    check_accessibility(page)

    # « Supprimer le brouillon »: asked, then done; the dashboard says so.
    page.goto(f"{live_server.url}/collectes/{collection_id}/placement")
    page.get_by_role("link", name="Supprimer le brouillon").click()
    page.wait_for_url(re.compile(r".*/supprimer\?depuis=placement$"))
    assert "Contrat" in page.locator("h1").inner_text()
    shoot(page, f"collecte-15-supprimer-brouillon-{device}")
    check_accessibility(page)
    page.get_by_role("button", name="Supprimer le brouillon").click()
    page.wait_for_url(f"{live_server.url}/collectes")
    assert page.get_by_role("status").filter(has_text="Brouillon supprimé.").is_visible()
    drafts = uc.list_collections(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id).items
    assert collection_id not in {c.collection_id for c in drafts}
    context.close()
