"""In Chromium, on a desktop and on a 390 px phone: a document full of text gets a signature page on
upload (the desktop's case), one with room for two boxes gets it when a third signer is added (the
phone's case) (issue 15); the signer sees it as the last page, titled « Page de signatures », their
box drawn on it. Screenshots of the screen under test-artifacts/browser/; any console error fails
the test (conftest)."""

from __future__ import annotations

import pytest

from domain.model.collection import InvitationMode
from domain.model.signer import SignatureLevel, SignerKind
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_ceremony_flow import (
    _main,
    _newest,
    cabinet,  # noqa: F401 - the module's cabinet fixture
)
from tests.intake import corpus

pytestmark = pytest.mark.browser

SCREENS = {
    "bureau": dict(viewport={"width": 1280, "height": 800}),
    "telephone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True),
}
# One case a screen, so both ways to a signature page run without a second flow: (pages of text,
# how full the last one is, signers) -> the page is the document's page count plus one.
CASES = {"bureau": (2, 1.0, 2), "telephone": (1, 0.9, 3)}


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_signer_sees_the_added_signature_page_and_their_box_on_it(
        live_server, browser, cabinet, screen, check_accessibility):  # noqa: F811
    cabinet_id, owner_id = cabinet
    uc = live_server.container.use_cases
    cid = uc.create_collection_draft(cabinet_id=cabinet_id, by_person_id=owner_id, title=f"Contrat ({screen})")
    uc.update_collection_options(collection_id=cid, by_person_id=owner_id, mode=InvitationMode.PARALLEL)
    text_pages, last_fill, signers = CASES[screen]
    uc.add_collection_document(collection_id=cid, by_person_id=owner_id, name="contrat-plein.pdf",
                               content=corpus.text_pdf(text_pages, last_fill=last_fill))
    emails = [f"page.{screen}.{n}@example.fr" for n in range(signers)]
    for n, email in enumerate(emails):
        uc.add_signer(collection_id=cid, by_person_id=owner_id, kind=SignerKind.EXTERNAL,
                      level=SignatureLevel.SIMPLE, given_names=("Claire", "Marc", "Luc")[n], surname="Plein",
                      email=email)
    uc.send_collection(collection_id=cid, by_person_id=owner_id)
    (document,) = uc.collection_details(collection_id=cid, by_person_id=owner_id).documents
    pages = text_pages + 1
    assert document.page_count == pages and document.signature_page

    link = _newest(live_server, "email", emails[1], r"(https?://\S+/signature/[\w-]+)")
    context = browser.new_context(locale="fr-FR", **SCREENS[screen])
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(link)
    page.wait_for_load_state("networkidle")
    assert f"{pages} pages · votre signature en page {pages}" in _main(page)
    page.get_by_role("link", name="Aller à ma zone de signature").click()
    image = f"img[alt*='contrat-plein.pdf, page {pages} sur {pages}']"
    page.wait_for_function(f"document.querySelector(\"{image}\").naturalWidth > 0")
    page.wait_for_function("""(() => { const r = document.getElementById('zone-1').getBoundingClientRect();
                                       return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; })()""")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"collecte-15-page-de-signatures-{screen}.png"))
    check_accessibility(page)
    context.close()
