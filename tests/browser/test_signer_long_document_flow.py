"""In Chromium, on a desktop and on a 390 px phone: the signer of a 36-page document keeps the action
bar in sight while reading, jumps to their signature box (highlighted on the page image), sees the
digest their code binds; only the pages near the screen are fetched at first. Then a refusal: the
other signer is told by email, their link says the collection is refused, and the preparer's page
shows each signer's state. Screenshots of the screen (not the 45,000 px page) under test-artifacts/."""

from __future__ import annotations

import re

import pytest

from adapters.messaging.outbox import read_outbox
from domain.model.collection import InvitationMode
from domain.model.signer import SignatureLevel, SignerKind
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_ceremony_flow import (
    OWNER,
    PASSWORD,
    _deliver,
    _main,
    _newest,
    cabinet,  # noqa: F401 - the module's cabinet fixture
)
from tests.intake import corpus

pytestmark = pytest.mark.browser

PAGES = 36
SCREENS = {
    "bureau": dict(viewport={"width": 1280, "height": 800}),
    "telephone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True),
}


def _context(browser, screen: str):
    context = browser.new_context(locale="fr-FR", **SCREENS[screen])
    context.set_default_timeout(30_000)
    return context


def _screen(page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def _send(live_server, cabinet_id: str, owner_id: str, title: str, signers: list[dict],
          mode: InvitationMode = InvitationMode.SEQUENTIAL, documents: tuple = (("rapport-annuel.pdf", PAGES),)) -> str:
    uc = live_server.container.use_cases
    cid = uc.create_collection_draft(cabinet_id=cabinet_id, by_person_id=owner_id, title=title,
                                     message="Bonjour,\nvoici le rapport annuel à signer.")
    uc.update_collection_options(collection_id=cid, by_person_id=owner_id, mode=mode)
    for name, pages in documents:
        uc.add_collection_document(collection_id=cid, by_person_id=owner_id, name=name,
                                   content=corpus.minimal_pdf(pages=pages, text=name))
    for signer in signers:
        uc.add_signer(collection_id=cid, by_person_id=owner_id, **signer)
    uc.send_collection(collection_id=cid, by_person_id=owner_id)
    return cid


def _external(given: str, email: str) -> dict:
    return dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names=given, surname="Long", email=email)


def _bar_on_screen(page) -> bool:
    return page.evaluate("""() => { const r = document.getElementById('accepter').getBoundingClientRect();
                                    return r.top >= 0 && r.bottom <= window.innerHeight + 1 && r.height > 0; }""")


def _visible_above_the_bar(page, selector: str) -> bool:
    return page.evaluate(f"""() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();
                                      const bar = document.getElementById('accepter').getBoundingClientRect();
                                      return r.height > 0 && r.top >= 0 && r.bottom <= bar.top + 1; }}""")


def _pages_seen(page) -> int:
    return int(re.search(r": (\d+) sur", page.locator("#pages-vues").inner_text()).group(1))


def _read_to_the_end(page) -> None:
    """Scroll from the top to the bottom half a screen at a time, letting the page paint after each step."""
    page.evaluate("""async () => {
        const painted = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
        const end = document.documentElement.scrollHeight - window.innerHeight;
        for (let y = 0; ; y = Math.min(end, y + Math.round(window.innerHeight / 2))) {
            window.scrollTo({top: y, behavior: "instant"});
            await painted();
            if (y >= end) { break; }
        }
    }""")


@pytest.mark.parametrize("screen", ["bureau", "telephone"])
def test_a_long_document_keeps_the_action_bar_in_sight_and_leads_to_the_signature_box(
        live_server, browser, cabinet, screen, check_accessibility):  # noqa: F811
    email = f"lecteur.{screen}@example.fr"
    cid = _send(live_server, *cabinet, f"Rapport annuel ({screen})", [_external("Lecteur", email)],
                documents=(("rapport-annuel.pdf", PAGES), ("annexe.pdf", 2)))
    report, annex = live_server.container.use_cases.collection_details(collection_id=cid,
                                                                       by_person_id=cabinet[1]).documents
    pages, zone_page = report.page_count + annex.page_count, report.placements[0].placement.page
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = _context(browser, screen)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "/pages/" in request.url else None)

    page.goto(link)
    page.wait_for_load_state("networkidle")
    # The first screen: the bar with the box and the button, without scrolling; only nearby pages fetched.
    assert _bar_on_screen(page)
    assert page.get_by_label("J’ai lu et j’accepte les documents.").is_visible()
    assert page.get_by_role("button", name="Recevoir mon code").is_visible()
    assert 0 < len(set(fetched)) < pages // 2, f"{len(set(fetched))} page images fetched on the first screen"
    text = _main(page)
    assert "Les 2 documents à signer" in text and "rapport-annuel.pdf" in text and "annexe.pdf" in text
    assert f"{report.page_count} pages · votre signature en page {zone_page}" in text
    assert "Empreinte liée à votre code" in text
    # The preparer's message keeps its line break, as typed.
    assert page.locator(".signer-message blockquote").inner_text() == "Bonjour,\nvoici le rapport annuel à signer."
    page.wait_for_function("!document.querySelector('[data-reading-progress]').hidden")
    assert re.search(rf"Pages parcourues : \d+ sur {pages}", _main(page))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[screen]["viewport"]["width"], f"the page scrolls sideways ({width}px)"
    _screen(page, f"80-signataire-long-document-{screen}")
    check_accessibility(page)

    # Halfway through at once, the bar is still there; the pages jumped over are not counted as read.
    page.evaluate("window.scrollTo({top: document.documentElement.scrollHeight / 2, behavior: 'instant'})")
    page.wait_for_function("document.getElementById('pages-vues').textContent.match(/: (\\d+)/)[1] > 0")
    assert _bar_on_screen(page)
    halfway = _pages_seen(page)
    assert 0 < halfway < pages // 2
    # Straight to the end: the last page is on screen, above the bar, but stops above the middle of the
    # screen (the bar and the footer take the bottom); it is read all the same, and counted.
    page.evaluate("window.scrollTo({top: document.documentElement.scrollHeight, behavior: 'instant'})")
    page.wait_for_function(f"document.getElementById('pages-vues').textContent.match(/: (\\d+)/)[1] > {halfway}",
                           timeout=5_000)
    assert _pages_seen(page) == halfway + 1
    assert page.locator("[data-page-seen]").last.get_attribute("data-seen") is not None
    # Read from the top to the end, half a screen at a time: every page counts.
    _read_to_the_end(page)
    page.wait_for_function(f"document.getElementById('pages-vues').textContent.includes('{pages} sur {pages}')",
                           timeout=5_000)
    assert f"Pages parcourues : {pages} sur {pages}" in _main(page).replace("\u00a0", " ")
    assert page.locator("[data-reading-progress] progress").evaluate("p => p.value") == pages
    assert _bar_on_screen(page)
    _screen(page, f"80b-signataire-derniere-page-lue-{screen}")

    # « Aller à mes zones de signature »: each box in turn is on screen, above the bar, over its page.
    for zone in ("zone-1", "zone-2", "zone-1"):
        page.get_by_role("link", name="Aller à mes zones de signature").click()
        page.wait_for_function(f"""(() => {{ const r = document.getElementById('{zone}').getBoundingClientRect();
                                            return r.top >= 0 && r.bottom <= window.innerHeight; }})()""")
        assert _visible_above_the_bar(page, f"#{zone}")
    image = f"img[alt*='rapport-annuel.pdf, page {zone_page} sur {report.page_count}']"
    page.wait_for_function(f"document.querySelector(\"{image}\").naturalWidth > 0")
    assert "Vous signez ici" in page.locator("#zone-1-texte").text_content()
    _screen(page, f"81-signataire-zone-de-signature-{screen}")

    # The button without the box: the error shows in the bar, on screen, and the bar keeps its progress.
    page.get_by_role("button", name="Recevoir mon code").click()
    page.locator("#accepte-erreur").wait_for()
    page.wait_for_function("!document.querySelector('[data-reading-progress]').hidden")
    assert _bar_on_screen(page)
    assert page.evaluate("""() => { const r = document.getElementById('accepte-erreur').getBoundingClientRect();
                                    return r.top >= 0 && r.bottom <= window.innerHeight; }""")
    _screen(page, f"82-signataire-case-non-cochee-barre-{screen}")

    # The box and the button, from the bar, at once; the code page repeats the digest the code binds.
    digest = page.locator("#empreinte-code").inner_text()
    page.get_by_label("J’ai lu et j’accepte les documents.").check()
    page.get_by_role("button", name="Recevoir mon code").click()
    page.wait_for_url(re.compile(r"/code\?"))
    assert digest in _main(page)
    _screen(page, f"83-signataire-code-empreinte-{screen}")
    context.close()


@pytest.mark.parametrize("screen", ["bureau", "telephone"])
def test_after_a_refusal_the_other_signer_is_told_and_every_page_shows_where_each_stands(
        live_server, browser, cabinet, screen, check_accessibility):  # noqa: F811
    refuser, other = f"refus.{screen}@example.fr", f"autre.{screen}@example.fr"
    cid = _send(live_server, *cabinet, f"Avenant refusé ({screen})",
                [_external("Roger", refuser), _external("Odile", other)], mode=InvitationMode.PARALLEL,
                documents=(("avenant.pdf", 2),))
    refuser_link = _newest(live_server, "email", refuser, r"(https?://\S+/signature/[\w-]+)")
    other_link = _newest(live_server, "email", other, r"(https?://\S+/signature/[\w-]+)")
    context = _context(browser, screen)
    page = context.new_page()
    page.goto(refuser_link)
    page.get_by_role("link", name="Refuser").click()
    page.get_by_label("Raison de votre refus").fill("Les chiffres du rapport sont faux.")
    page.get_by_label("Je confirme refuser de signer.").check()
    page.get_by_role("button", name="Refuser").click()
    page.wait_for_selector("#refus-enregistre")
    assert "nous avons prévenu Hélène Martin ainsi que l’autre signataire" in _main(page)

    # The other signer's email says the collection was refused, without the reason.
    _deliver(live_server)
    told = [m for m in read_outbox(live_server.outbox_dir) if m["to"] == other and "refusée" in (m["subject"] or "")]
    assert len(told) == 1
    assert "aucun document signé ne sera envoyé" in told[0]["text"].replace("\u00a0", " ")
    assert "chiffres du rapport" not in told[0]["text"]
    # Their link says so.
    page.goto(other_link)
    assert "Cette collecte a été refusée" in _main(page)
    _screen(page, f"84-signataire-collecte-refusee-{screen}")
    check_accessibility(page)

    # The preparer's page: Roger refused, Odile did not sign because of it (not « Invité »).
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(OWNER)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/collectes/{cid}")
    roger = page.locator("tr", has_text="Roger Long").inner_text()
    odile = page.locator("tr", has_text="Odile Long").inner_text()
    assert "A refusé" in roger
    assert "N’a pas signé : collecte refusée" in odile.replace("\u00a0", " ") and "Invité" not in odile
    _screen(page, f"85-collecte-refusee-etats-{screen}", full_page=True)
    check_accessibility(page)
    context.close()


def test_without_javascript_the_bar_and_the_link_to_the_box_still_work(live_server, browser, cabinet):  # noqa: F811
    email = "sans.javascript@example.fr"
    _send(live_server, *cabinet, "Rapport annuel (sans JavaScript)", [_external("Simone", email)],
          documents=(("rapport-annuel.pdf", 12),))
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = browser.new_context(locale="fr-FR", java_script_enabled=False, **SCREENS["telephone"])
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(link)
    assert _bar_on_screen(page)
    assert not page.locator("[data-reading-progress]").is_visible()  # nothing to count without the script
    page.get_by_role("link", name="Aller à ma zone de signature").click()
    page.wait_for_function("""(() => { const r = document.getElementById('zone-1').getBoundingClientRect();
                                       return r.top >= 0 && r.bottom <= window.innerHeight; })()""")
    _screen(page, "86-signataire-sans-javascript-zone")
    context.close()
