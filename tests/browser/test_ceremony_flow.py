"""In Chromium on a phone-sized screen (390×844), in French: an external signer follows the
invitation link, reads the document page by page, accepts it, receives the SMS code (level 2)
or the email code (level 1) read back from the outbox, signs, and later downloads the signed
PDF and the evidence file from the completion email's link. Real adapters (SQLite, software
vault, built-in CA and TSA, outbox), screenshots of every step under test-artifacts/browser/."""

from __future__ import annotations

import re
import threading

import pytest

from adapters.messaging.outbox import read_outbox
from domain.model.signer import SignatureLevel, SignerKind
from tests.intake import corpus

pytestmark = pytest.mark.browser

OWNER = "helene.martin@example.fr"
PASSWORD = "helene's long password"
PHONE = {"width": 390, "height": 844}


def _main(page) -> str:
    """The page's text, French non-breaking spaces read as spaces."""
    return page.inner_text("main").replace("\u00a0", " ").replace("\u202f", " ")


def _deliver(live_server) -> None:
    """What ``seing worker --once`` does, until nothing is left (mail, SMS, completion, evidence).

    In a thread of its own, as a worker process would be: Playwright's sync API keeps an event
    loop running in the test's thread, and signing code may start one of its own."""
    def run() -> None:
        for _ in range(20):
            if not live_server.deliver_mail():
                return

    worker = threading.Thread(target=run, name="seing-worker-once")
    worker.start()
    worker.join(timeout=120)


def _newest(live_server, channel: str, to: str, pattern: str) -> str:
    _deliver(live_server)
    for message in read_outbox(live_server.outbox_dir):
        if message["channel"] == channel and message["to"] == to:
            match = re.search(pattern, message["text"] or "")
            if match:
                return match.group(1)
    raise AssertionError(f"no {channel} message to {to} matching {pattern}")


def _collection(live_server, cabinet_id: str, owner_id: str, title: str, signer: dict) -> str:
    uc = live_server.container.use_cases
    cid = uc.create_collection_draft(cabinet_id=cabinet_id, by_person_id=owner_id, title=title,
                                     message="Bonjour, merci de signer la lettre de mission pour 2027.")
    uc.add_collection_document(collection_id=cid, by_person_id=owner_id, name="lettre-de-mission.pdf",
                               content=corpus.minimal_pdf(pages=2, text="Lettre de mission 2027"))
    uc.add_signer(collection_id=cid, by_person_id=owner_id, **signer)
    uc.send_collection(collection_id=cid, by_person_id=owner_id)
    return cid


@pytest.fixture(scope="module")
def cabinet(live_server):
    container = live_server.container
    container.adapters.ca().init_hierarchy()
    created = container.use_cases.create_cabinet(
        name="Cabinet Martin", siren="552100554", owner_given_names="Hélène", owner_surname="Martin",
        owner_email=OWNER, owner_mobile="06 11 22 33 44", password=PASSWORD)
    return created.cabinet_id, created.person_id


def _phone(browser):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True, has_touch=True,
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    return context


def test_a_level_2_signer_signs_on_a_phone_with_the_sms_code(live_server, browser, cabinet, shoot,
                                                               check_accessibility):
    email = "paul.leroy@example.fr"
    _collection(live_server, *cabinet, "Lettre de mission 2027", dict(
        kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED, given_names="Paul", surname="Leroy",
        email=email, mobile="06 98 76 54 32"))
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = _phone(browser)
    page = context.new_page()

    page.goto(link)
    page.wait_for_selector("img[alt*='page 2 sur 2']")
    text = _main(page)
    assert "Lettre de mission 2027" in text and "merci de signer la lettre de mission" in text
    assert "Niveau 2" in text and "06 ** ** 32" in text
    page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    shoot(page, "60-signataire-documents-telephone")
    check_accessibility(page)

    page.get_by_role("button", name="Recevoir mon code").click()
    page.locator("#accepte-erreur").wait_for()  # htmx swaps the « Signer » section in place
    assert "Cochez « J’ai lu et j’accepte » pour recevoir votre code." in _main(page)
    shoot(page, "61-signataire-acceptation-requise")
    page.get_by_label("J’ai lu et j’accepte le document.").check()
    page.get_by_role("button", name="Recevoir mon code").click()
    page.wait_for_url(re.compile(r"/code\?"))
    assert "par SMS au 06 ** ** 32" in _main(page)
    assert page.get_by_role("button", name="Renvoyer").is_visible()
    shoot(page, "62-signataire-code-sms")
    check_accessibility(page)

    code = _newest(live_server, "sms", "+33698765432", r"\b(\d{6})\b")
    page.get_by_label("Code reçu").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Signer", exact=True).click()
    assert "Ce code est incorrect" in page.locator("#code-erreur").inner_text()
    shoot(page, "63-signataire-code-incorrect")
    check_accessibility(page)

    page.get_by_label("Code reçu").fill(code)
    page.get_by_role("button", name="Signer", exact=True).click()
    # The last signature: the page says the worker is completing the collection, then moves on.
    page.get_by_role("heading", name="Votre signature est en cours de finalisation").wait_for()
    _deliver(live_server)  # the worker's finalise_collection
    page.wait_for_selector("#signature-enregistree", timeout=20_000)  # signer.js reloaded the page
    assert "Votre signature est enregistrée" in _main(page)
    shoot(page, "64-signataire-signature-enregistree")
    check_accessibility(page)

    download_link = _newest(live_server, "email", email, r"(https?://\S+/telechargement/[\w-]+)")
    page.goto(download_link)
    assert "Documents signés" in _main(page)
    shoot(page, "65-signataire-telechargement")
    check_accessibility(page)
    with page.expect_download() as pdf:
        page.get_by_role("link", name="lettre-de-mission-signé.pdf").click()
    assert pdf.value.suggested_filename == "lettre-de-mission-signé.pdf"  # the signed copy says so
    with page.expect_download() as evidence:
        page.get_by_role("link", name="Dossier de preuve (PDF)").click()
    assert evidence.value.suggested_filename.startswith("dossier-de-preuve-")
    context.close()


def test_a_level_1_signer_signs_with_the_email_code_and_a_dead_link_is_explained(live_server, browser, cabinet,
                                                                                 shoot, check_accessibility):
    email = "lea.bernard@example.fr"
    _collection(live_server, *cabinet, "Mandat de prélèvement", dict(
        kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Léa", surname="Bernard", email=email))
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = _phone(browser)
    page = context.new_page()
    page.goto(link)
    assert "par e-mail à l***@example.fr" in _main(page)
    page.get_by_label("J’ai lu et j’accepte le document.").check()
    page.get_by_role("button", name="Recevoir mon code").click()
    page.wait_for_url(re.compile(r"/code\?"))
    shoot(page, "66-signataire-niveau-1-code-email")
    code = _newest(live_server, "email", email, r"\b(\d{6})\b")
    page.get_by_label("Code reçu").fill(code)
    page.get_by_role("button", name="Signer", exact=True).click()
    # The last signature: the page says the worker is completing the collection, then moves on.
    page.get_by_role("heading", name="Votre signature est en cours de finalisation").wait_for()
    _deliver(live_server)  # the worker's finalise_collection
    page.wait_for_selector("#signature-enregistree", timeout=20_000)  # signer.js reloaded the page
    shoot(page, "67-signataire-niveau-1-signee")

    page.goto(f"{live_server.url}/signature/lien-perime-ou-remplace")
    assert "Ce lien de signature n’est plus valable" in _main(page)
    shoot(page, "68-signataire-lien-mort")
    check_accessibility(page)
    context.close()


def test_asking_for_the_code_without_ticking_shows_the_error_by_the_box_with_the_focus(live_server, browser, cabinet,
                                                                                      shoot, check_accessibility):
    email = "marc.petit@example.fr"
    _collection(live_server, *cabinet, "Statuts modifiés", dict(
        kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Marc", surname="Petit", email=email))
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = _phone(browser)
    page = context.new_page()
    page.goto(link)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Recevoir mon code").click()
    error = page.locator("#accepte-erreur")
    error.wait_for()
    # htmx swapped the section in place: same page, no reload to the top; the box has the focus, on screen.
    assert page.url == link
    # The focus moves once htmx has settled the swap: wait for it (a loaded machine is slower).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'accepte'")
    assert page.evaluate("document.activeElement.id") == "accepte"
    assert "J’ai lu et j’accepte" in error.inner_text()
    assert page.evaluate("""() => { const r = document.getElementById('accepte-erreur').getBoundingClientRect();
                                    return r.top >= 0 && r.bottom <= window.innerHeight; }""")
    shoot(page, "69-signataire-case-non-cochee")
    check_accessibility(page)
    page.get_by_label("J’ai lu et j’accepte le document.").check()
    page.get_by_role("button", name="Recevoir mon code").click()
    page.wait_for_url(re.compile(r"/code\?envoye=email"))
    context.close()


def test_a_signer_refuses_on_a_phone(live_server, browser, cabinet, shoot, check_accessibility):
    email = "marc.petit@example.fr"
    _collection(live_server, *cabinet, "Avenant 2027", dict(
        kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED, given_names="Marc", surname="Petit", email=email,
        mobile="06 55 44 33 22"))
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = _phone(browser)
    page = context.new_page()
    page.goto(link)
    page.get_by_role("link", name="Refuser").click()
    page.get_by_label("Raison de votre refus").fill("Le montant des honoraires ne correspond pas.")
    shoot(page, "69-signataire-refus")
    check_accessibility(page)
    page.get_by_label("Je confirme refuser de signer.").check()
    page.get_by_role("button", name="Refuser").click()
    page.wait_for_selector("#refus-enregistre")
    shoot(page, "70-signataire-refus-enregistre")
    context.close()


def test_anyone_verifies_a_signed_pdf_on_the_public_page(live_server, browser, shoot, check_accessibility,
                                                         tmp_path):
    signed = None
    for message in read_outbox(live_server.outbox_dir):
        match = re.search(r"(https?://\S+/telechargement/[\w-]+)", message["text"] or "")
        if match and message["to"] == "paul.leroy@example.fr":
            signed = match.group(1)
            break
    context = _phone(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/verifier")
    shoot(page, "71-verifier-vide")
    check_accessibility(page)
    if signed is None:
        pytest.skip("no completed collection in this module's outbox")
    page.goto(signed)
    with page.expect_download() as pdf:
        page.get_by_role("link", name="lettre-de-mission-signé.pdf").click()
    path = tmp_path / "signe.pdf"
    pdf.value.save_as(path)
    page.goto(f"{live_server.url}/verifier")
    page.set_input_files("#fichier", str(path))
    page.get_by_role("button", name="Vérifier", exact=True).click()
    page.wait_for_selector("#rapport-titre")
    text = _main(page)
    assert "Toutes les signatures sont valides" in text
    assert "Niveau 2 : signature avancée" in text and "Paul Leroy" in text
    assert "aucune liste de confiance européenne n’est configurée" in text
    shoot(page, "72-verifier-rapport")
    check_accessibility(page)
    context.close()


def test_an_external_level_3_signer_checks_their_identity_then_signs_on_a_phone(live_server, browser, cabinet,
                                                                                shoot, check_accessibility,
                                                                                tmp_path):
    """Level 3 for an external signer: the identity check of the QCP flow first (the same capture
    pages, here « Continuez ici dans votre navigateur » with a file picked for each photo), then
    the SMS code. The built-in simulator decides at once for the test."""
    from datetime import timedelta

    from tests.browser.test_qcp_enrollment_flow import PNG

    live_server.container.adapters.identity_verifier().decision_delay = timedelta(0)
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    email = "marc.durand@example.fr"
    _collection(live_server, *cabinet, "Lettre de mission 2027 (niveau 3)", dict(
        kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED_QUALIFIED, given_names="Marc", surname="Durand",
        email=email, mobile="06 12 12 34 34"))
    link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
    context = _phone(browser)
    page = context.new_page()
    page.goto(link)
    assert "Niveau 3" in _main(page)
    page.get_by_role("button", name="Vérifier mon identité").click()
    page.get_by_role("link", name="Continuez ici dans votre navigateur.").wait_for()
    assert page.locator(".qr-code svg").is_visible()
    shoot(page, "73-signataire-niveau-3-qr-code")
    check_accessibility(page)
    page.get_by_role("link", name="Continuez ici dans votre navigateur.").click()
    page.get_by_label(re.compile("J’ai pris connaissance des étapes")).check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="J’ai compris").click()
    page.get_by_role("button", name=re.compile("Lancer la capture")).click()
    for number in range(1, 7):
        if number == 4:
            with page.expect_navigation():
                page.get_by_role("button", name=re.compile("Lancer la capture")).click()
        if number == 1:
            shoot(page, "74-signataire-niveau-3-capture")
        page.locator("input[type=file]").set_input_files(str(photo))
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer la photo").click()
    # Back on the signer's page once the provider approved.
    page.get_by_label("J’ai lu et j’accepte le document.").wait_for()
    shoot(page, "75-signataire-niveau-3-identite-verifiee")
    page.get_by_label("J’ai lu et j’accepte le document.").check()
    page.get_by_role("button", name="Recevoir mon code").click()
    page.wait_for_url(re.compile(r"/code\?"))
    page.get_by_label("Code reçu").fill(_newest(live_server, "sms", "+33612123434", r"\b(\d{6})\b"))
    page.get_by_role("button", name="Signer", exact=True).click()
    # The last signature: the page says the worker is completing the collection, then moves on.
    page.get_by_role("heading", name="Votre signature est en cours de finalisation").wait_for()
    _deliver(live_server)  # the worker's finalise_collection
    page.wait_for_selector("#signature-enregistree", timeout=20_000)  # signer.js reloaded the page
    shoot(page, "76-signataire-niveau-3-signee")
    context.close()


def test_when_trusted_time_is_down_the_page_says_finalising_and_updates_by_itself(live_server, browser, cabinet,
                                                                                   shoot, check_accessibility):
    """The TSA does not answer: nothing is signed without a token, the signer reads « en cours
    de finalisation »; once the worker finishes the signature, the open page moves on by itself."""
    from dependency_injector import providers

    from adapters.signing.pyhanko_signing import PyHankoPdfSigning
    from domain.model.errors import TimestampUnavailable

    adapters = live_server.container.adapters
    real_tsa = adapters.timestamp_authority()

    class SwitchableTsa:
        down = True

        def timestamp(self, digest, hash_algorithm, nonce=None):
            if self.down:
                raise TimestampUnavailable("the TSA does not answer")
            return real_tsa.timestamp(digest, hash_algorithm, nonce)

    tsa = SwitchableTsa()
    adapters.pdf_signing.override(providers.Object(PyHankoPdfSigning(
        vault=adapters.vault(), timestamp_authority=tsa, revocation_source=adapters.revocation_source(),
        clock=adapters.clock())))
    try:
        email = "nina.roux@example.fr"
        _collection(live_server, *cabinet, "Lettre de mission 2027 (horodatage)", dict(
            kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED, given_names="Nina", surname="Roux",
            email=email, mobile="06 77 66 55 44"))
        link = _newest(live_server, "email", email, r"(https?://\S+/signature/[\w-]+)")
        context = _phone(browser)
        page = context.new_page()
        page.goto(link)
        page.get_by_label("J’ai lu et j’accepte le document.").check()
        page.get_by_role("button", name="Recevoir mon code").click()
        page.wait_for_url(re.compile(r"/code\?"))
        page.get_by_label("Code reçu").fill(_newest(live_server, "sms", "+33677665544", r"\b(\d{6})\b"))
        page.get_by_role("button", name="Signer", exact=True).click()
        page.get_by_role("heading", name="Votre signature est en cours de finalisation").wait_for()
        shoot(page, "77-signataire-finalisation")
        check_accessibility(page)
        tsa.down = False
        _deliver(live_server)  # the worker's finalise_signature, now with a real token
        page.wait_for_selector("#signature-enregistree", timeout=20_000)  # signer.js reloaded the page
        shoot(page, "78-signataire-finalisee")
        context.close()
    finally:
        adapters.pdf_signing.reset_override()
