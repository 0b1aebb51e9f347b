"""The wizard after issue 15: values kept after a refusal, one deadline rule, the draft's own address
after a mixed upload, « Supprimer le brouillon », every page of a long PDF, default boxes on blank room."""

from __future__ import annotations

import re
from typing import Any

import pytest

from domain.model.collection import DEADLINE_TZ
from domain.model.errors import NotFound
from tests.intake import corpus
from tests.web.conftest import error_for, login, post_form
from tests.web.test_collection_wizard_pages import add_external, details, new_draft, upload


def selected_level(html: str, select_id: str) -> str:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, html
    chosen = re.findall(r'<option value="(\d)" selected>', select.group(1))
    assert len(chosen) <= 1
    return chosen[0] if chosen else ""


def trail_kinds(container: Any, collection_id: str) -> list[str]:
    with container.adapters.uow() as tx:
        return [e.kind for e in tx.audit.of_collection(collection_id)]


# -- forms keep every value after a refusal -------------------------------------------------------------


@pytest.mark.parametrize("level", ["1", "2", "3"])
def test_autre_keeps_the_level_chosen_after_a_refused_mobile(client, container, owner, level):
    login(client)
    collection_id = new_draft(client)
    response = add_external(client, collection_id, mobile="12", level=level)
    assert response.status_code == 422
    assert error_for(response.text, "mobile")
    assert selected_level(response.text, "other-level") == level
    assert 'value="Paul"' in response.text and 'value="12"' in response.text
    assert details(container, owner, collection_id).signers == ()


# -- the deadline is a day ------------------------------------------------------------------------------


def test_the_recap_shows_the_same_deadline_before_and_after_the_options_are_saved(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    before = client.get(f"/collectes/{collection_id}/recapitulatif")
    deadline = details(container, owner, collection_id).summary.deadline.astimezone(DEADLINE_TZ)
    assert (deadline.hour, deadline.minute) == (23, 59)
    shown = re.search(r"<dt>Date limite</dt><dd>(.*?)</dd>", before.text)
    assert shown and re.search(r"à\s23\s*h\s*59$", shown.group(1)), shown and shown.group(1)
    saved = post_form(client, f"/collectes/{collection_id}/options",
                      {"deadline": deadline.date().isoformat(), "every_days": "3", "max_count": "3"})
    assert saved.status_code == 303
    after = client.get(f"/collectes/{collection_id}/recapitulatif")
    assert re.search(r"<dt>Date limite</dt><dd>(.*?)</dd>", after.text).group(1) == shown.group(1)


# -- a mixed first upload lands on the draft's own address ----------------------------------------------


def test_a_first_upload_with_a_refused_file_lands_on_the_new_draft(client, container, owner):
    login(client)
    response = upload(client, "/collectes/nouvelle", ("photo.pdf", corpus.png_image()),
                      ("lettre.pdf", corpus.minimal_pdf(1)))
    assert response.status_code == 303
    match = re.fullmatch(r"/collectes/([\w-]+)/documents", response.headers["location"])
    assert match
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert '<strong class="file-name">photo.pdf</strong>' in page.text
    assert [d.name for d in details(container, owner, match.group(1)).documents] == ["lettre.pdf"]
    # Said once: a reload shows the draft alone.
    assert "photo.pdf" not in client.get(response.headers["location"]).text


def test_a_first_upload_refused_whole_stays_on_the_new_collection_page(client, owner):
    login(client)
    response = upload(client, "/collectes/nouvelle", ("photo.pdf", corpus.png_image()))
    assert response.status_code == 422
    assert '<strong class="file-name">photo.pdf</strong>' in response.text


# -- « Supprimer le brouillon » ---------------------------------------------------------------------------


def test_a_draft_is_discarded_after_confirmation_and_the_trail_keeps_it(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    step = client.get(f"/collectes/{collection_id}/signataires")
    assert f'href="/collectes/{collection_id}/supprimer?depuis=signataires"' in step.text
    confirm = client.get(f"/collectes/{collection_id}/supprimer?depuis=signataires")
    assert confirm.status_code == 200
    assert "Supprimer le brouillon «\u00a0lettre-de-mission\u00a0»\u00a0?" in confirm.text
    assert f'href="/collectes/{collection_id}/signataires"' in confirm.text  # « Garder le brouillon »
    assert details(container, owner, collection_id).summary.title  # the GET changed nothing
    done = post_form(client, f"/collectes/{collection_id}/supprimer")
    assert done.status_code == 303 and done.headers["location"] == "/collectes"
    assert "Brouillon supprimé." in client.get("/collectes").text
    with pytest.raises(NotFound):
        details(container, owner, collection_id)
    assert trail_kinds(container, collection_id)[-1] == "draft_discarded"
    assert client.get(f"/collectes/{collection_id}/documents").status_code == 404


def test_the_bytes_of_a_discarded_draft_go_unless_another_collection_holds_them(client, container, owner):
    login(client)
    shared, own = corpus.minimal_pdf(1), corpus.minimal_pdf(3)
    kept = new_draft(client, ("commun.pdf", shared))
    doomed = new_draft(client, ("commun.pdf", shared), ("propre.pdf", own))
    digests = {d.name: d.sha256 for d in details(container, owner, doomed).documents}
    assert post_form(client, f"/collectes/{doomed}/supprimer").status_code == 303
    store = container.adapters.document_store()
    assert store.read(digests["commun.pdf"]) == shared
    assert not store.exists(digests["propre.pdf"])
    assert [d.name for d in details(container, owner, kept).documents] == ["commun.pdf"]


def test_a_sent_collection_cannot_be_discarded(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    assert post_form(client, f"/collectes/{collection_id}/envoyer").status_code == 303
    moved = client.get(f"/collectes/{collection_id}/supprimer", follow_redirects=False)
    assert moved.headers["location"] == f"/collectes/{collection_id}"
    refused = post_form(client, f"/collectes/{collection_id}/supprimer")
    assert refused.status_code in (409, 422) and "<html" in refused.text
    assert details(container, owner, collection_id).summary.title


# -- placement: every page of a long PDF, default boxes on blank room -------------------------------------


def test_every_page_of_a_long_document_is_offered_for_placement_and_loaded_lazily(client, container, owner):
    login(client)
    collection_id = new_draft(client, ("long.pdf", corpus.minimal_pdf(36)))
    post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    document_id = details(container, owner, collection_id).documents[0].document_id
    page = client.get(f"/collectes/{collection_id}/placement")
    images = re.findall(rf'<img src="/collectes/{collection_id}/documents/{document_id}/pages/(\d+)\?largeur=600" '
                        r'width="600" height="(\d+)"[^>]*loading="lazy"', page.text)
    assert [int(n) for n, _ in images] == list(range(1, 37))
    assert {h for _, h in images} == {str(round(600 * 842 / 595))}
    assert f'id="document-{document_id}-page-36"' in page.text
    assert f'href="#document-{document_id}-page-36"' in page.text  # the default box's page, one click away


def _char_boxes(pdf: bytes, page: int) -> list[tuple[float, float, float, float]]:
    import pypdfium2

    text = pypdfium2.PdfDocument(pdf)[page - 1].get_textpage()
    return [text.get_charbox(i) for i in range(text.count_chars()) if not text.get_text_range(i, 1).isspace()]


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
def test_default_boxes_land_on_blank_room_and_cover_no_text(client, container, owner):
    login(client)
    pdf = corpus.text_pdf(3, last_fill=0.6, footer=True)
    collection_id = new_draft(client, ("contrat.pdf", pdf))
    for n in range(3):
        added = add_external(client, collection_id, given_names=("Paul", "Anne", "Luc")[n], email=f"signataire{n}@example.fr")
        assert added.status_code == 303, added.text[added.text.find("<main"):]
    placements = [p.placement for p in details(container, owner, collection_id).documents[0].placements]
    assert len(placements) == 3 and {p.page for p in placements} == {3}
    chars = _char_boxes(pdf, 3)
    for p in placements:
        assert not any(p.x < c[2] and c[0] < p.x + p.width and p.y < c[3] and c[1] < p.y + p.height
                       for c in chars), p
    assert len({(p.x, p.y) for p in placements}) == 3


# -- reordering says what it did ---------------------------------------------------------------------------


def test_moving_a_signer_without_script_says_the_order_was_saved(client, container, owner):
    login(client)
    collection_id = new_draft(client)
    add_external(client, collection_id)
    add_external(client, collection_id, given_names="Anne", email="anne@example.fr")
    second = details(container, owner, collection_id).signers[1].signer_id
    moved = post_form(client, f"/collectes/{collection_id}/signataires", {"action": f"monter:{second}"})
    assert moved.status_code == 303
    page = client.get(moved.headers["location"])
    status = re.search(r'<div role="status" aria-live="polite">(.*?)\n    </div>', page.text, re.S)
    assert status and '<div class="alert alert-success">Ordre des signataires enregistré.</div>' in status.group(1)
    assert details(container, owner, collection_id).signers[0].signer_id == second
    # The live region the script fills knows how to say a move.
    assert 'data-moved="%(name)s\u00a0: position %(position)s sur %(count)s."' in page.text


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
def test_a_document_without_blank_room_shows_its_added_signature_page_with_the_boxes(client, container, owner):
    login(client)
    collection_id = new_draft(client, ("plein.pdf", corpus.text_pdf(2)))
    for n in range(2):
        added = add_external(client, collection_id, given_names=("Paul", "Anne")[n], email=f"signataire{n}@example.fr")
        assert added.status_code == 303, added.text[added.text.find("<main"):]
    document = details(container, owner, collection_id).documents[0]
    assert document.page_count == 3 and document.signature_page
    assert {p.placement.page for p in document.placements} == {3}
    page = client.get(f"/collectes/{collection_id}/placement")
    images = re.findall(rf'/collectes/{collection_id}/documents/{document.document_id}/pages/(\d+)\?', page.text)
    assert [int(n) for n in images] == [1, 2, 3]
    canvas = page.text[page.text.find(f'id="document-{document.document_id}-page-3"'):]
    assert canvas.count('class="signature-box default"') == 2
    assert "une page de signatures a été ajoutée à la fin (page 3), où sont placés tous les cadres" in page.text
    image = client.get(f"/collectes/{collection_id}/documents/{document.document_id}/pages/3?largeur=600")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
def test_the_signer_one_too_many_for_the_blank_room_brings_the_signature_page_for_every_box(client, container, owner):
    login(client)
    pdf = corpus.text_pdf(1, last_fill=0.9)  # room for two boxes under the text
    collection_id = new_draft(client, ("mission.pdf", pdf))
    for n in range(3):
        added = add_external(client, collection_id, given_names=("Paul", "Anne", "Luc")[n],
                             email=f"signataire{n}@example.fr")
        assert added.status_code == 303, added.text[added.text.find("<main"):]
        document = details(container, owner, collection_id).documents[0]
        assert document.signature_page is (n == 2) and not document.stacked_defaults, n
        told = "L’espace libre de «\u00a0mission.pdf\u00a0» ne suffit plus pour tous les signataires"
        assert (told in client.get(added.headers["location"]).text) is (n == 2), n
    assert document.page_count == 2 and {p.placement.page for p in document.placements} == {2}
    page = client.get(f"/collectes/{collection_id}/placement")
    canvas = page.text[page.text.find(f'id="document-{document.document_id}-page-2"'):]
    assert canvas.count('class="signature-box default"') == 3
    assert "ne suffit pas pour tous les signataires\u00a0: une page de signatures a été ajoutée à la fin (page 2)" in page.text
    image = client.get(f"/collectes/{collection_id}/documents/{document.document_id}/pages/2?largeur=600")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
def test_a_signature_page_that_cannot_be_written_leaves_the_signer_added_and_the_placement_step_says_so(
        client, container, owner):
    from dependency_injector import providers

    from adapters.memory.pdf_signing import FakePdfSigning
    from domain.model.errors import SigningFailed

    class PageRefused(FakePdfSigning):
        def append_signature_page_file(self, source, destination, page):
            raise SigningFailed("the page could not be written")

    container.adapters.pdf_signing.override(providers.Object(PageRefused(container.adapters.clock())))
    login(client)
    collection_id = new_draft(client, ("mission.pdf", corpus.text_pdf(1, last_fill=0.9)))
    for n in range(3):
        added = add_external(client, collection_id, given_names=("Paul", "Anne", "Luc")[n],
                             email=f"signataire{n}@example.fr")
        assert added.status_code == 303, added.text[added.text.find("<main"):]
    document = details(container, owner, collection_id).documents[0]
    assert len(document.placements) == 3 and document.page_count == 1
    assert document.stacked_defaults and not document.signature_page and not document.carries_signatures
    page = client.get(f"/collectes/{collection_id}/placement").text
    assert "la page de signatures n’a pas pu y être ajoutée" in page and "porte déjà des signatures" not in page


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
def test_an_already_signed_document_keeps_its_pages_and_the_placement_step_says_why(client, container, owner):
    login(client)
    collection_id = new_draft(client, ("signe.pdf", corpus.signed_pdf(corpus.text_pdf(1))))
    post_form(client, f"/collectes/{collection_id}/signataires/ajouter", {"kind": "myself"})
    document = details(container, owner, collection_id).documents[0]
    assert document.stacked_defaults and not document.signature_page and document.page_count == 1
    assert document.carries_signatures
    page = client.get(f"/collectes/{collection_id}/placement")
    assert "il porte déjà des signatures" in page.text and "n’a pas pu y être ajoutée" not in page.text
    assert f"/documents/{document.document_id}/pages/{document.page_count + 1}?" not in page.text
