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
