"""« Cachet du cabinet »: request the seal certificate, the owner approves, « Sceller un document »
(single and batch), downloads; refusals are French sentences on the page, never a 500."""

from __future__ import annotations

import re

import pytest
from dependency_injector import providers

from adapters.memory.pdf_signing import FakePdfSigning
from tests.intake import corpus
from tests.web.conftest import csrf, login, post_form


@pytest.fixture(autouse=True)
def fake_signing(container):
    # The PAdES side is tested on real signing in tests/ceremony/test_seal_pdfs.py.
    signing = FakePdfSigning(container.adapters.clock())
    container.adapters.pdf_signing.override(providers.Object(signing))
    return signing


def _upload(client, files):
    return client.post("/cabinet/cachet/sceller", data={"_csrf_token": csrf(client)},
                       files=[("fichiers", (name, content, "application/pdf")) for name, content in files],
                       follow_redirects=False)


def _certificate(client):
    assert post_form(client, "/cabinet/cachet/demandes", {"profil": "qualified"}).status_code == 303
    page = client.get("/cabinet/cachet")
    assert "Demande de certificat de cachet en attente" in page.text
    request_id = re.search(r'id="demande-([^"]+)"', page.text).group(1)
    assert post_form(client, f"/cabinet/cachet/demandes/{request_id}/approuver").status_code == 303
    return request_id


def test_the_owner_requests_approves_and_sees_the_certificate_under_mes_certificats(client, owner):
    login(client)
    page = client.get("/cabinet/cachet")
    assert page.status_code == 200 and "<h1>Cachet du cabinet" in page.text
    assert "Aucun certificat de cachet pour l’instant." in page.text
    assert 'href="/cabinet/cachet"' in page.text  # in the menu
    _certificate(client)
    page = client.get("/cabinet/cachet")
    assert "Demande approuvée" in page.text
    assert "Mes certificats" in page.text and "Actif" in page.text and "QCP-l" in page.text
    assert 'id="sceller"' in page.text


def test_sealing_a_batch_leads_to_the_sealed_documents_and_the_evidence(client, owner, fake_signing):
    login(client)
    _certificate(client)
    response = _upload(client, [("bilan.pdf", corpus.minimal_pdf()), ("liasse.pdf", corpus.minimal_pdf(pages=2))])
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "Documents scellés avec le cachet du cabinet." in page.text
    assert "Cachet de Cabinet Poussart &amp; Associés" in page.text
    links = re.findall(r'href="(/cabinet/cachet/scellements/[^"]+/documents/[^"]+)"', page.text)
    assert len(links) == 2
    download = client.get(links[0])
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert 'filename="bilan-scelle.pdf"' in download.headers["content-disposition"]
    assert "filename*=UTF-8''bilan-scell%C3%A9.pdf" in download.headers["content-disposition"]
    evidence = client.get(response.headers["location"] + "/dossier-de-preuve.pdf")
    assert evidence.status_code == 200 and evidence.content.startswith(b"%PDF")
    assert len([r for r in fake_signing.signed if r.field_name.startswith("Cachet-")]) == 2


def test_bad_uploads_are_refused_in_french(client, owner):
    login(client)
    page = _upload(client, [])
    assert page.status_code == 400 and "Choisissez au moins un fichier PDF." in page.text
    refused = _upload(client, [("a.pdf", corpus.minimal_pdf())])
    assert refused.status_code == 409
    assert "Le cabinet n’a pas de certificat de cachet valide" in refused.text
    _certificate(client)
    not_pdf = _upload(client, [("a.pdf", b"hello, not a PDF")])
    assert 400 <= not_pdf.status_code < 500 and "Sceller un document" in not_pdf.text


def test_a_collaborator_without_the_seal_delegation_sees_no_menu_entry_and_is_refused(client, container, owner):
    from tests.web.test_cabinet_pages import COLLABORATOR, COLLABORATOR_PASSWORD, _join_as_collaborator

    _join_as_collaborator(client, container, owner)  # delegation « Signer » only
    login(client, COLLABORATOR, COLLABORATOR_PASSWORD)
    assert 'href="/cabinet/cachet"' not in client.get("/cabinet/membres").text
    refused = post_form(client, "/cabinet/cachet/demandes", {"profil": "advanced"})
    assert refused.status_code == 403
    assert "Sceller au nom du cabinet demande la délégation" in refused.text
    assert client.get("/cabinet/cachet/scellements/inconnu").status_code == 404


def test_the_member_chooses_where_the_visible_stamp_goes(client, owner, fake_signing):
    login(client)
    _certificate(client)
    form = client.get("/cabinet/cachet/sceller")
    assert 'name="page_cachet"' in form.text and 'name="position_cachet"' in form.text
    assert "Dernière page" in form.text and "En haut à gauche" in form.text
    response = client.post("/cabinet/cachet/sceller",
                           data={"_csrf_token": csrf(client), "page_cachet": "first", "position_cachet": "top_left"},
                           files=[("fichiers", ("bilan.pdf", corpus.minimal_pdf(pages=2), "application/pdf"))],
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    [seal] = [r for r in fake_signing.signed if r.field_name.startswith("Cachet-")]
    appearance = seal.appearance
    assert appearance is not None and appearance.title == "Cachet électronique"
    assert appearance.signer_name == "Cabinet Poussart & Associés"
    assert appearance.box.page == 0 and appearance.box.x < 100 and appearance.box.y > 400  # top left of page 1
    refused = client.post("/cabinet/cachet/sceller",
                          data={"_csrf_token": csrf(client), "page_cachet": "middle"},
                          files=[("fichiers", ("bilan.pdf", corpus.minimal_pdf(), "application/pdf"))],
                          follow_redirects=False)
    assert refused.status_code in (400, 422), refused.status_code
    assert "Le cachet visible se place sur la première ou la dernière page, dans l’un de ses coins." in refused.text


def _text_at_the_bottom() -> bytes:
    """One A4 page whose lower part is text from margin to margin (a block of legal mentions), blank above."""
    line = "Mention legale obligatoire du document, " * 3
    stream = "\n".join(f"BT /F1 10 Tf 40 {44 + 13 * n} Td ({line}) Tj ET" for n in range(16)).encode()
    return corpus.pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def _char_boxes(pdf: bytes) -> list[tuple[float, float, float, float]]:
    import pypdfium2

    text = pypdfium2.PdfDocument(pdf)[0].get_textpage()
    return [text.get_charbox(i) for i in range(text.count_chars()) if not text.get_text_range(i, 1).isspace()]


def test_by_default_the_stamp_goes_where_the_page_is_blank_and_a_chosen_corner_is_kept(client, owner, fake_signing):
    login(client)
    _certificate(client)
    form = client.get("/cabinet/cachet/sceller").text
    assert re.search(r'<select id="position_cachet" name="position_cachet">\s*<option value="blank_room">'
                     r'Dans un espace libre \(à défaut en bas à droite\)</option>', form), "the first choice: the default"
    pdf = _text_at_the_bottom()
    chars = _char_boxes(pdf)
    assert max(c[3] for c in chars) > 200 and max(c[2] for c in chars) > 500, "the text covers the bottom corners"
    for corner in ("", "bottom_right"):
        response = client.post("/cabinet/cachet/sceller", data={"_csrf_token": csrf(client), "position_cachet": corner},
                               files=[("fichiers", ("mentions.pdf", pdf, "application/pdf"))], follow_redirects=False)
        assert response.status_code == 303, response.text
        box = [r for r in fake_signing.signed if r.field_name.startswith("Cachet-")][-1].appearance.box
        covers = any(box.x < c[2] and c[0] < box.x + box.width and box.y < c[3] and c[1] < box.y + box.height
                     for c in chars)
        if corner:  # the member's own choice, even over the text
            assert (box.x + box.width, box.y) == (595 - 36, 36) and covers
        else:  # right-aligned, above the text
            assert box.x + box.width == pytest.approx(595 - 36) and box.y > 200 and not covers, box


def test_a_refused_sealing_keeps_the_page_and_position_chosen(client, owner):
    login(client)
    _certificate(client)
    refused = client.post("/cabinet/cachet/sceller",
                          data={"_csrf_token": csrf(client), "page_cachet": "first", "position_cachet": "top_left"},
                          follow_redirects=False)
    assert refused.status_code == 400
    assert '<option value="first" selected>' in refused.text and '<option value="top_left" selected>' in refused.text
