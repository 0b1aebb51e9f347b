"""In Chromium: a collaborator holding « Sceller » asks for the cabinet's seal certificate, the owner
approves it under « Cachet du cabinet », the collaborator seals two PDFs with « Sceller un document »
and downloads one; every page passes axe."""

from __future__ import annotations

import pytest

from domain.model.cabinet import Delegation, Role
from tests.intake import corpus

pytestmark = pytest.mark.browser

OWNER_EMAIL = "claire.vidal@example.fr"
SEALER_EMAIL = "paul.morel@example.fr"
PASSWORD = "correct horse battery"


def _login(context, url: str, email: str):
    page = context.new_page()
    page.goto(f"{url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return page


def test_a_member_requests_the_owner_approves_and_the_member_seals_a_batch(live_server, browser, shoot,
                                                                          check_accessibility, tmp_path):
    uc = live_server.container.use_cases
    live_server.container.adapters.ca().init_hierarchy()  # what `seing ca init` does (idempotent)
    owner = uc.create_cabinet(name="Vidal Expertise", siren="404833048", owner_given_names="Claire",
                              owner_surname="Vidal", owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 14",
                              password=PASSWORD)
    uc.invite_member(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id, email=SEALER_EMAIL,
                     given_names="Paul", surname="Morel", role=Role.COLLABORATOR,
                     delegations=frozenset({Delegation.SEAL}))
    jobs = live_server.container.adapters.job_store().list(limit=1000)
    token = next(j.spec.as_notification().context_dict()["token"] for j in jobs if j.spec.kind == "notify"
                 and j.spec.as_notification().template == "member_invitation"
                 and j.spec.as_notification().to == SEALER_EMAIL)
    uc.accept_invitation(token=token, password=PASSWORD, mobile=None)

    sealer = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    sealer.set_default_timeout(30_000)
    page = _login(sealer, live_server.url, SEALER_EMAIL)
    page.get_by_role("link", name="Cachet du cabinet").click()
    page.wait_for_url(f"{live_server.url}/cabinet/cachet")
    assert page.locator("h1").inner_text().startswith("Cachet du cabinet")
    check_accessibility(page)
    page.get_by_role("button", name="Demander le certificat").click()
    page.wait_for_url(f"{live_server.url}/cabinet/cachet")
    assert "Demande de certificat de cachet envoyée" in page.get_by_role("status").first.inner_text()
    shoot(page, "seal-01-demande")
    check_accessibility(page)

    manager = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    manager.set_default_timeout(30_000)
    owner_page = _login(manager, live_server.url, OWNER_EMAIL)
    owner_page.goto(f"{live_server.url}/cabinet/cachet")
    owner_page.get_by_role("button", name="Approuver et émettre le certificat").click()
    owner_page.wait_for_load_state()
    assert owner_page.url == f"{live_server.url}/cabinet/cachet", owner_page.locator("main").inner_text()
    assert "Actif" in owner_page.get_by_role("table").inner_text()
    shoot(owner_page, "seal-02-approuve")
    check_accessibility(owner_page)

    page.goto(f"{live_server.url}/cabinet/cachet")
    page.get_by_role("button", name="Sceller un document").click()
    page.wait_for_url(f"{live_server.url}/cabinet/cachet/sceller")
    check_accessibility(page)
    files = []
    for name in ("bilan.pdf", "liasse.pdf"):
        path = tmp_path / name
        path.write_bytes(corpus.minimal_pdf())
        files.append(str(path))
    page.locator("#fichiers").set_input_files(files)
    page.get_by_role("button", name="Sceller", exact=True).click()
    page.wait_for_url(f"{live_server.url}/cabinet/cachet/scellements/**")
    assert page.locator("h1").inner_text() == "Cachet de Vidal Expertise"
    assert "Documents scellés avec le cachet du cabinet." in page.get_by_role("status").first.inner_text()
    shoot(page, "seal-03-scelle")
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="bilan.pdf").click()
    assert download.value.suggested_filename == "bilan-scellé.pdf"  # the sealed copy says so
    sealer.close()
    manager.close()
