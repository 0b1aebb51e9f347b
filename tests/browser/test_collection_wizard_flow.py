"""In Chromium, in French: the whole collection wizard, from dropped PDFs to « Envoyer », then the dashboard.

Drag and drop is exercised twice (PDFs onto the drop zone, a signer's row by its handle), and so is
its keyboard alternative (the ↓ button of a row); the level dropdown offers level 3 only where it is
possible; « Invitations en parallèle » invites everyone at once. Screenshots of every step go to
test-artifacts/browser/collecte-*.png.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest

from domain.model.cabinet import Delegation, Role
from domain.model.collection import InvitationMode
from domain.model.signer import SignatureLevel, SignerStatus
from entrypoints.web.i18n import DISPLAY_TZ, format_moment
from tests.intake import corpus

pytestmark = pytest.mark.browser

OWNER_EMAIL = "jessica.poussart@example.fr"
OWNER_PASSWORD = "correct horse battery"
MEMBER_EMAIL = "irina.faron@cs-expert.fr"
LEVEL_1 = "Niv 1\u00a0: simple"
LEVEL_2 = "Niv 2\u00a0: avancée"
LEVEL_3 = "Niv 3\u00a0: avancée basée sur un certificat qualifié"


def _member_with_sign(container, owner) -> None:
    uc = container.use_cases
    uc.invite_member(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id, email=MEMBER_EMAIL,
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR,
                     delegations=frozenset({Delegation.SIGN}))
    for job in container.adapters.job_store().list(limit=100):
        notification = job.spec.as_notification()
        if notification.template == "member_invitation" and notification.to == MEMBER_EMAIL:
            uc.accept_invitation(token=notification.context_dict()["token"], password="irina chooses a long one",
                                 mobile="06 11 22 33 44")
            return
    raise AssertionError("no invitation queued for the member")


def _drop_files(page, selector: str, files: list[tuple[str, bytes]]) -> None:
    """What a person dragging files from their desktop does: a drop event carrying the files."""
    payload = [[name, base64.b64encode(content).decode("ascii")] for name, content in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, data] of files) {
                const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, {type: 'application/pdf'}));
            }
            return transfer;
        }""", payload)
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def _drag(page, source, target) -> None:
    """Drag with the mouse, in small steps, as SortableJS expects."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2 - 5, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 2, steps=15)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 1, steps=3)
    page.mouse.up()


def _options(select) -> list[str]:
    return [text.strip() for text in select.locator("option").all_inner_texts()]


def test_the_whole_wizard_in_french_then_the_dashboard(live_server, browser, shoot, check_accessibility):
    container = live_server.container
    uc = container.use_cases
    owner = uc.create_cabinet(name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica",
                              owner_surname="Poussart", owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13",
                              password=OWNER_PASSWORD)
    _member_with_sign(container, owner)

    def draft():
        drafts = uc.list_collections(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id).items
        assert len(drafts) == 1
        return uc.collection_details(collection_id=drafts[0].collection_id, by_person_id=owner.person_id)

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(OWNER_EMAIL)
    page.get_by_label("Mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()

    # The dashboard, empty, then « Nouvelle collecte ».
    page.get_by_role("link", name="Collectes").first.click()
    page.wait_for_url(f"{live_server.url}/collectes")
    assert "Aucune collecte ne correspond." in page.content(), page.locator("main").inner_text()
    page.get_by_role("button", name="Nouvelle collecte").click()
    page.wait_for_url(f"{live_server.url}/collectes/nouvelle")

    # 1 Documents: two PDFs dropped on the zone, then a renamed PNG through the plain file input.
    assert page.locator("[aria-current=step]").inner_text().strip() == "1 Documents"
    shoot(page, "collecte-01-documents")
    check_accessibility(page)
    with page.expect_navigation():
        _drop_files(page, "#dropzone", [("Lettre de mission.pdf", corpus.minimal_pdf(2)),
                                        ("Mandat SEPA.pdf", corpus.pdfium_pdf(1))])
    page.wait_for_url(re.compile(r".*/collectes/[\w-]+/documents$"))
    assert page.locator(".document-name").all_inner_texts() == ["Lettre de mission.pdf", "Mandat SEPA.pdf"]
    page.locator("#fichiers").set_input_files(files=[{"name": "photo.pdf", "mimeType": "application/pdf",
                                                      "buffer": corpus.png_image()}])
    page.get_by_role("button", name="Ajouter les documents").click()
    page.wait_for_load_state()
    refusal = page.locator("ul.refusals li").inner_text()
    assert "photo.pdf" in refusal and "Ce fichier n’est pas un PDF" in refusal
    assert page.locator(".document-name").count() == 2
    thumbnail = page.locator(".document-card img").first
    thumbnail.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", thumbnail.element_handle())
    shoot(page, "collecte-01b-documents-refus")
    check_accessibility(page)
    page.get_by_role("button", name="Continuer").click()

    # 2 Informations.
    page.wait_for_url(re.compile(r".*/informations$"))
    assert page.get_by_label("Titre de la collecte").input_value() == "Lettre de mission"
    page.get_by_label("Titre de la collecte").fill("Lettre de mission 2027")
    page.get_by_label("Message aux signataires").fill("Bonjour, merci de signer la lettre de mission.")
    shoot(page, "collecte-02-informations")
    check_accessibility(page)
    page.get_by_role("button", name="Continuer").click()

    # 3 Options: 15 days by default; an observer in copy.
    page.wait_for_url(re.compile(r".*/options$"))
    # 15 days after the draft was made, as a day in Paris.
    created = draft().summary.created_at
    assert page.get_by_label("Date limite de signature").input_value() == \
        (created + timedelta(days=15)).astimezone(DISPLAY_TZ).date().isoformat()
    page.locator("summary", has_text="Ajouter un destinataire en copie").click()
    page.locator("#observer_given_names").fill("Luc")
    page.locator("#observer_surname").fill("Copie")
    page.locator("#observer_email").fill("luc.copie@example.fr")
    page.get_by_role("button", name="Ajouter en copie").click()
    page.wait_for_load_state()
    assert "Luc Copie" in page.locator("ul.observers").inner_text()
    shoot(page, "collecte-03-options")
    check_accessibility(page)
    page.get_by_role("button", name="Continuer").click()

    # 4 Signataires, as in the guide.
    page.wait_for_url(re.compile(r".*/signataires$"))
    assert page.get_by_label("Invitations séquentielles").is_checked()
    page.get_by_role("button", name="M’ajouter").click()
    page.wait_for_load_state()
    page.locator("summary", has_text="Membres du cabinet").click()
    page.get_by_label("Membre ayant la délégation «\u00a0Signer\u00a0»").select_option(label=f"Irina Faron ({MEMBER_EMAIL})")
    page.get_by_role("button", name="Ajouter ce membre").click()
    page.wait_for_load_state()
    page.locator("summary", has_text="Autre").click()
    other = page.locator("#other-form")
    other.locator("#given_names").fill("Paul")
    other.locator("#surname").fill("Martin")
    other.locator("#email").fill("paul.martin@example.fr")
    other.get_by_label("Mobile").fill("06 12 34 56 78")
    other.get_by_label("Niveau de signature").select_option(label=LEVEL_3)
    other.get_by_role("button", name="Ajouter cette personne").click()
    page.wait_for_load_state()
    rows = page.locator("#signer-rows tr")
    assert rows.count() == 3
    assert [r.strip() for r in page.locator("#signer-rows td.surname").all_inner_texts()] == \
        ["Poussart", "Faron", "Martin"]
    assert "06 ** ** 13" in rows.nth(0).inner_text() and "06 ** ** 78" in rows.nth(2).inner_text()
    me, irina, paul = [s.signer_id for s in draft().signers]
    # Level 3 only where it is possible: neither Jessica nor Irina holds a qualified certificate.
    assert _options(page.get_by_label("Niveau de signature de Jessica Poussart")) == [LEVEL_1, LEVEL_2]
    assert _options(page.get_by_label("Niveau de signature d’Irina Faron")) == [LEVEL_1, LEVEL_2]
    assert _options(page.get_by_label("Niveau de signature de Paul Martin")) == [LEVEL_1, LEVEL_2, LEVEL_3]
    assert page.get_by_label("Niveau de signature de Paul Martin").input_value() == "3"
    shoot(page, "collecte-04-signataires")
    check_accessibility(page)

    # The level dropdown saves at once, in the background (no reload under the keyboard).
    page.get_by_label("Niveau de signature d’Irina Faron").select_option(label=LEVEL_1)
    page.wait_for_function("() => document.getElementById('signers-status').textContent.length > 0")
    assert page.locator("#signers-status").inner_text() == "Niveau de signature enregistré."
    assert [s.level for s in draft().signers] == [SignatureLevel.ADVANCED, SignatureLevel.SIMPLE,
                                                  SignatureLevel.ADVANCED_QUALIFIED]

    # Drag and drop: Paul's row by its handle, to the top; saved in the background and said in the
    # live region, for a screen reader.
    _drag(page, page.locator(f"#signataire-{paul} .drag-handle"), page.locator(f"#signataire-{me}"))
    page.wait_for_function("() => document.getElementById('signers-status').textContent.includes('position')")
    assert page.locator("#signers-status").inner_text() == "Paul Martin\u00a0: position 1 sur 3."
    assert [s.signer_id for s in draft().signers] == [paul, me, irina]
    assert [r.strip() for r in page.locator("#signer-rows td.surname").all_inner_texts()] == \
        ["Martin", "Poussart", "Faron"]
    shoot(page, "collecte-04b-signataires-glisser-deposer")

    # The keyboard alternative: focus « Descendre Jessica Poussart » and press Enter; the focus stays
    # in her row (on « Monter » once she is last) and the move is said.
    page.get_by_role("button", name="Descendre Jessica Poussart").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('signers-status').textContent.includes('Jessica')")
    assert page.locator("#signers-status").inner_text() == "Jessica Poussart\u00a0: position 3 sur 3."
    assert page.evaluate("document.activeElement.closest('tr').id") == f"signataire-{me}"
    assert [r.strip() for r in page.locator("#signer-rows td.surname").all_inner_texts()] == \
        ["Martin", "Faron", "Poussart"]
    assert [s.signer_id for s in draft().signers] == [paul, irina, me]

    # Invitations en parallèle, then « Valider ».
    page.get_by_label("Invitations en parallèle").check()
    shoot(page, "collecte-04c-signataires-parallele")
    page.get_by_role("button", name="Valider").click()

    # 5 Placement: default at the bottom of the last page; a click places Paul's box on page 1.
    page.wait_for_url(re.compile(r".*/placement$"))
    assert draft().mode is InvitationMode.PARALLEL
    assert "(par défaut)" in page.locator(".placements").first.inner_text()
    first_document = page.locator(".placement-document").first
    default_box = first_document.locator(".page-canvas[data-page='2'] .signature-box").first
    assert default_box.is_visible()
    page.get_by_label("1. Paul Martin").check()
    image = first_document.locator(".page-canvas[data-page='1'] img")
    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.25)
    placed = next(p for p in draft().documents[0].placements if p.signer_id == paul)
    assert placed.chosen and placed.placement.page == 1
    assert placed.placement.y > 842 / 2  # the upper half of the page, where the click was
    page.locator(f"#document-{draft().documents[0].document_id}").scroll_into_view_if_needed()
    shoot(page, "collecte-05-placement")
    check_accessibility(page)
    page.get_by_role("button", name="Continuer").click()

    # 6 Récapitulatif → Envoyer.
    page.wait_for_url(re.compile(r".*/recapitulatif$"))
    recap = page.locator("main").inner_text()
    assert "Invitations en parallèle" in recap and "Luc Copie" in recap
    assert re.search(r"Paul Martin.*Irina Faron.*Jessica Poussart", recap, re.S)
    shoot(page, "collecte-06-recapitulatif")
    check_accessibility(page)
    page.get_by_role("button", name="Envoyer").click()

    # The collection page: everyone is invited at once (parallel), the timeline is in French.
    page.wait_for_url(re.compile(r".*/collectes/[\w-]+$"))
    assert "Collecte envoyée" in page.get_by_role("status").inner_text()
    assert "0 sur 3 signé" in page.locator(".progress").inner_text()
    assert all(s.status is SignerStatus.INVITED for s in draft().signers)
    timeline = page.locator("ol.timeline").inner_text()
    assert "Invitation envoyée à Paul Martin" in timeline and "Invitation envoyée à Irina Faron" in timeline
    assert format_moment(draft().summary.sent_at, "fr") in timeline  # « 28 novembre 2026 à 10 h 00 », Paris time
    shoot(page, "collecte-07-suivi")
    check_accessibility(page)

    # The dashboard: the collection in progress, found by a signer's name.
    page.get_by_role("link", name="Toutes les collectes").click()
    page.wait_for_url(f"{live_server.url}/collectes")
    row = page.locator("table.collections tbody tr").first
    assert "Lettre de mission 2027" in row.inner_text() and "0 sur 3 signé" in row.inner_text()
    assert "En cours" in row.inner_text()
    page.get_by_label("Rechercher (titre ou signataire)").fill("faron")
    page.get_by_label("Statut").select_option(label="En cours")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    assert page.locator("table.collections tbody tr").count() == 1
    shoot(page, "collecte-08-tableau-de-bord")
    check_accessibility(page)
    assert not errors, errors
    context.close()
