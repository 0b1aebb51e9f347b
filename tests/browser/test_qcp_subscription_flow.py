"""Issue 15, « QCP subscription and the registration officer », in Chromium on a desktop and on a
390 px phone: the LCP prerequisite explained on « Ma signature personnelle » and the flows
chained, the stepper, the QR page worded for a phone, the request pages enlarged, the capture's
framing overlay with « Envoyer » only after « Prendre la photo » (and « Reprendre »), and the
registration officer's file of a signed request (page images, photos, evidence, dates).
Screenshots under test-artifacts/browser/qcp15-*.png; no page may log a console error."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any, Iterator

import pytest

from domain.model.identity import CaptureStep
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    _ensure_static_assets,
    _free_port,
    serve,
    watch_page,
)
from tests.web.qcp_helpers import OFFICER_EMAIL, OFFICER_PASSWORD, appoint_officer, latest_code, register_lcp

pytestmark = pytest.mark.browser

PASSWORD = "a member's long password"
DESKTOP = {"viewport": {"width": 1100, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0 Mobile Safari/537.36"}
DEVICES = (("bureau", DESKTOP), ("telephone", PHONE))


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real adapters with manual officer validation, photos kept a day, and the simulator
    deciding at once."""
    from adapters.persistence.migrations import upgrade
    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings

    _ensure_static_assets()
    data_dir = tmp_path_factory.mktemp("seing-qcp15")
    os.environ["SEING_DATA_DIR"] = str(data_dir)
    port = _free_port()
    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port, dev_mode=True, mail_backend="outbox",
                        qcp_officer_validation="manual", identity_image_retention_hours=24,
                        identity_decision_delay_seconds=0)
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    container.adapters.identity_verifier().decision_delay = timedelta(0)
    container.adapters.ca().init_hierarchy()
    with serve(container, port) as server:
        yield server


def photo_png(width: int = 86, height: int = 54) -> bytes:
    """A real (decodable) PNG, a plain card-shaped picture: what the officer's page shows."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((40, 90, 160)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _valid_sirens():
    """Distinct SIRENs the domain accepts, as many as the tests of one process ask for."""
    import itertools

    from domain.model.errors import InvalidSiren
    from domain.model.values import Siren

    for number in itertools.count(732829320):
        try:
            yield str(Siren(str(number)).value)
        except InvalidSiren:
            continue


_SIRENS = _valid_sirens()


def new_member(container: Any, email: str) -> Any:
    return container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren=next(_SIRENS), owner_given_names="Jessica",
        owner_surname="Poussart", owner_email=email, owner_mobile="06 24 00 00 13", password=PASSWORD)


def log_in(page: Any, url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def to_consents(container: Any, owner: Any) -> Any:
    """Through the use cases up to the consents: the next page starts the identity check."""
    uc = container.use_cases.qcp()
    enrollment = uc.start(person_id=owner.person_id, cabinet_id=owner.cabinet_id)
    uc.send_email_code(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.check_email_code(person_id=owner.person_id, enrollment_id=enrollment.id, code=latest_code(container, "email"))
    uc.confirm_identity(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.confirm_prerequisites(person_id=owner.person_id, enrollment_id=enrollment.id, has_valid_id_document=True,
                             mobile_is_theirs=True)
    uc.consent(person_id=owner.person_id, enrollment_id=enrollment.id, id_data_and_terms=True, privacy_policy=True)
    return enrollment


def to_request(container: Any, owner: Any) -> Any:
    """Through the use cases, the photos handed to the simulator, up to « Demande de certificat »."""
    enrollment = to_consents(container, owner)
    uc = container.use_cases.qcp()
    started = uc.start_identity_check(person_id=owner.person_id, enrollment_id=enrollment.id)
    verifier = container.adapters.identity_verifier()
    for step in CaptureStep:
        verifier.submit_capture(started.session_ref, step, photo_png(), "image/png")
    verifier.finish_capture(started.session_ref)
    uc.identity_capture_finished(session_ref=started.session_ref)
    uc.identity_check_status(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.validate_identity(person_id=owner.person_id, enrollment_id=enrollment.id)
    return enrollment


def to_signed_request(container: Any, owner: Any) -> Any:
    """A whole enrollment through the use cases: the signed request awaits the officer."""
    enrollment = to_request(container, owner)
    uc = container.use_cases.qcp()
    document = uc.request_document(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.accept_request(person_id=owner.person_id, enrollment_id=enrollment.id, document_digest=document.digest)
    uc.send_signing_code(person_id=owner.person_id, enrollment_id=enrollment.id)
    uc.sign_request(person_id=owner.person_id, enrollment_id=enrollment.id, code=latest_code(container, "sms"))
    return enrollment


def test_a_fresh_member_learns_the_lcp_comes_first_and_is_offered_the_qcp_after_it(live_server, browser, shoot,
                                                                                 check_accessibility):
    container = live_server.container
    owner = new_member(container, "fresh.member@example.fr")
    for device, options in DEVICES:
        context = browser.new_context(locale="fr-FR", **options)
        page = context.new_page()
        log_in(page, live_server.url, "fresh.member@example.fr")
        page.goto(f"{live_server.url}/ma-signature")
        hint = page.locator(".qcp-prerequisite")
        assert hint.is_visible() and "S’enregistrer" in hint.inner_text()
        assert page.locator(f'a[href="/signature-personnelle/{owner.cabinet_id}/qcp"]').count() == 0
        shoot(page, f"qcp15-01-{device}-ma-signature-sans-lcp")
        check_accessibility(page)
        context.close()

    register_lcp(container, owner.person_id, owner.cabinet_id)
    for device, options in DEVICES:
        context = browser.new_context(locale="fr-FR", **options)
        page = context.new_page()
        log_in(page, live_server.url, "fresh.member@example.fr")
        page.goto(f"{live_server.url}/signature-personnelle/{owner.cabinet_id}/enregistrement")
        page.get_by_role("heading", name="Votre certificat est émis").wait_for()
        offer = page.get_by_role("button", name="Souscrire à un certificat qualifié")
        assert offer.is_visible()
        shoot(page, f"qcp15-02-{device}-lcp-emis-qcp-propose")
        check_accessibility(page)
        if device == "telephone":
            offer.click()
            page.wait_for_url(re.compile(r"/signature-personnelle/[^/]+/qcp$"))
            stepper = page.get_by_role("navigation", name="Étapes de la souscription")
            assert stepper.is_visible()
            assert page.locator("[aria-current=step]").inner_text().strip() == "Accès protégé"
            shoot(page, f"qcp15-03-{device}-acces-protege-etapes")
            check_accessibility(page)
        context.close()


def test_on_a_phone_the_qr_page_and_the_request_speak_to_the_phone(live_server, browser, shoot, check_accessibility):
    container = live_server.container
    owner = new_member(container, "phone.member@example.fr")
    register_lcp(container, owner.person_id, owner.cabinet_id)
    enrollment = to_consents(container, owner)
    context = browser.new_context(locale="fr-FR", **PHONE)
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, live_server.url, "phone.member@example.fr")
    page.goto(f"{live_server.url}/qcp/{enrollment.id}")
    assert "votre ordinateur" not in page.content()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="Continuer sur ce téléphone").wait_for()
    assert "votre ordinateur" not in page.content() and "avec votre smartphone" not in page.content()
    assert not page.locator(".qcp-qr svg").is_visible()  # inside « Utiliser un autre appareil »
    assert page.locator("[aria-current=step]").inner_text().strip() == "Pièce d’identité"
    shoot(page, "qcp15-04-telephone-qr-sur-le-telephone")
    check_accessibility(page)
    # The same page on a desktop keeps the QR code.
    desktop_context = browser.new_context(locale="fr-FR", **DESKTOP)
    desktop = desktop_context.new_page()
    log_in(desktop, live_server.url, "phone.member@example.fr")
    desktop.goto(f"{live_server.url}/qcp/{enrollment.id}")
    assert desktop.locator(".qcp-qr svg").is_visible()
    assert "Votre ordinateur doit alors être équipé d’une caméra." in desktop.content()
    shoot(desktop, "qcp15-05-bureau-qr")
    desktop_context.close()
    context.close()


def test_on_a_phone_the_request_pages_open_enlarged(live_server, browser, shoot, check_accessibility):
    container = live_server.container
    owner = new_member(container, "reader.member@example.fr")
    register_lcp(container, owner.person_id, owner.cabinet_id)
    enrollment = to_request(container, owner)
    context = browser.new_context(locale="fr-FR", **PHONE)
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, live_server.url, "reader.member@example.fr")
    page.goto(f"{live_server.url}/qcp/{enrollment.id}")
    assert page.locator("h1").inner_text() == "Demande de certificat"
    assert page.get_by_role("link", name="Ouvrir le document (PDF)").is_visible()
    first = page.locator(".qcp-document a.page-zoom").first
    first.locator("img").wait_for()
    page.wait_for_function("(() => { const i = document.querySelector('.qcp-document img');"
                           " return i.complete && i.naturalWidth > 0; })()")
    shoot(page, "qcp15-10-telephone-demande-de-certificat")
    check_accessibility(page)
    first.click()
    page.wait_for_url(re.compile(r"/demande/page/1$"))
    page.wait_for_function("(() => { const i = document.querySelector('.page-zoomed img');"
                           " return i.complete && i.naturalWidth >= 1600; })()")
    # Wider than the phone: the reader scrolls it sideways (or pinch-zooms).
    assert page.evaluate("document.querySelector('.page-zoomed').scrollWidth") > 390
    shoot(page, "qcp15-11-telephone-page-agrandie")
    check_accessibility(page)
    page.get_by_role("link", name="Retour à la demande").click()
    page.wait_for_url(f"{live_server.url}/qcp/{enrollment.id}")
    context.close()


def test_the_capture_frames_the_document_and_sends_only_a_taken_photo(live_server, browser, shoot):
    """On a phone-sized page with a (fake) camera: the framing overlay over the live view,
    « Envoyer la photo » hidden until « Prendre la photo », then « Reprendre » or send."""
    container = live_server.container
    owner = new_member(container, "camera.member@example.fr")
    register_lcp(container, owner.person_id, owner.cabinet_id)
    enrollment = to_consents(container, owner)
    started = container.use_cases.qcp().start_identity_check(person_id=owner.person_id, enrollment_id=enrollment.id)
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    problems: list[str] = []
    try:
        context = with_camera.new_context(locale="fr-FR", **PHONE)
        context.grant_permissions(["camera"], origin=live_server.url)
        context.set_default_timeout(30_000)
        page = context.new_page()
        watch_page(page, problems)
        path = started.qr_url.split("://", 1)[1].split("/", 1)[1]
        page.goto(f"{live_server.url}/{path}")
        page.get_by_label(re.compile("J’ai pris connaissance des étapes")).check()
        page.get_by_role("button", name="Continuer").click()
        page.get_by_role("button", name="J’ai compris").click()
        page.get_by_role("button", name=re.compile("Lancer la capture")).click()
        shoot_button = page.get_by_role("button", name="Prendre la photo")
        shoot_button.wait_for()
        page.wait_for_function("document.querySelector('video').videoWidth > 0")
        frame = page.locator(".capture-frame-document")
        assert frame.is_visible()
        box, video = frame.bounding_box(), page.locator("video").bounding_box()
        assert video["x"] <= box["x"] and box["x"] + box["width"] <= video["x"] + video["width"]
        send = page.get_by_role("button", name="Envoyer la photo")
        assert not send.is_visible() and not page.get_by_role("button", name="Reprendre").is_visible()
        shoot(page, "qcp15-06-telephone-cadrage-document")
        shoot_button.click()
        send.wait_for()
        assert page.get_by_role("button", name="Reprendre").is_visible() and not shoot_button.is_visible()
        shoot(page, "qcp15-07-telephone-photo-prise")
        page.get_by_role("button", name="Reprendre").click()
        shoot_button.wait_for()
        assert not send.is_visible()
        shoot_button.click()
        send.wait_for()
        with page.expect_navigation():
            send.click()
        assert "Photo 2 sur 6" in page.content()
        context.close()
    finally:
        with_camera.close()
    assert not problems, problems


def test_the_officer_validates_a_signed_request_seeing_it_and_the_evidence(live_server, browser, shoot,
                                                                          check_accessibility):
    container = live_server.container
    owner = new_member(container, "signed.member@example.fr")
    register_lcp(container, owner.person_id, owner.cabinet_id)
    appoint_officer(container)
    enrollment = to_signed_request(container, owner)
    # The member's finish page while the officer has not decided: it says a mail will follow, not « émis ».
    members = {}
    for device, options in DEVICES:
        members[device] = browser.new_context(locale="fr-FR", **options).new_page()
        log_in(members[device], live_server.url, "signed.member@example.fr")
        members[device].goto(f"{live_server.url}/qcp/{enrollment.id}")
        text = members[device].locator("main").inner_text()
        assert members[device].locator("h1").inner_text() == "Votre demande de certificat qualifié (QCP) a été finalisée"
        assert "lorsque votre demande sera validée" in text and "a été émis" not in text
        assert members[device].locator("[aria-current=step]").inner_text().strip() == "Certificat"
        shoot(members[device], f"qcp15-12-{device}-demande-finalisee-attente-operateur")
    for device, options in DEVICES:
        context = browser.new_context(locale="fr-FR", **options)
        context.set_default_timeout(30_000)
        page = context.new_page()
        log_in(page, live_server.url, OFFICER_EMAIL, OFFICER_PASSWORD)
        page.wait_for_url(f"{live_server.url}/back-office")  # the officer lands on the back-office
        card = page.locator(f"#demande-{enrollment.id}")
        assert "Demande signée par le demandeur" in card.inner_text()
        shoot(page, f"qcp15-08-{device}-back-office")
        card.get_by_role("button", name=re.compile("Examiner la demande")).click()
        page.get_by_role("heading", name="Identité du certificat LCP du demandeur").wait_for()
        for image in page.locator(".qcp-document img, .review-images img").all():
            image.scroll_into_view_if_needed()  # the request's pages load lazily, as the officer scrolls
        page.wait_for_function("Array.from(document.querySelectorAll('.qcp-document img, .review-images img'))"
                               ".every(img => img.complete && img.naturalWidth > 0)")
        assert page.locator(".review-images img").count() == 6
        assert page.locator(".qcp-document img").count() >= 1
        text = page.locator("main").inner_text()
        for wording in ("Pièce d’identité approuvée", "Numéro du document", "Demande signée", "Photos envoyées"):
            assert wording in text, wording
        shoot(page, f"qcp15-09-{device}-dossier-de-la-demande")
        check_accessibility(page)
        if device == "telephone":
            page.get_by_role("button", name="Valider").click()
            page.wait_for_url(f"{live_server.url}/back-office")
            assert "Demande validée." in page.content()
        context.close()
    view = container.use_cases.qcp().view(person_id=owner.person_id, enrollment_id=enrollment.id)
    assert view.next_step.value == "done"
    # Validated: the member's waiting page moves on by itself (it polls its step) and now says « émis »
    # (not « lorsque … sera validée ») and leads to « Mes certificats ».
    for device, page in members.items():
        page.get_by_role("heading", name="Votre certificat qualifié (QCP) a été émis").wait_for(timeout=30_000)
        text = page.locator("main").inner_text()
        assert page.locator("h1").inner_text() == "Votre certificat qualifié (QCP) a été émis"
        assert "lorsque votre demande sera validée" not in text
        shoot(page, f"qcp15-13-{device}-certificat-emis")
        check_accessibility(page)
        page.get_by_role("button", name="Mes certificats").click()
        page.wait_for_url(f"{live_server.url}/mes-certificats")
        page.context.close()
