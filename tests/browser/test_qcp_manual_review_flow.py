"""Issue 15, « With manual review the page still promises « entre 3 et 6 minutes » », in Chromium on
a desktop and on a 390 px phone: with the manual-review identity provider (`identity_provider =
"manual"`), the « Vérification en cours » page says an officer examines the photos and that an
e-mail follows the decision, and promises no delay. Screenshots under
test-artifacts/browser/qcp15-14-*.png; no page may log a console error."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

from domain.model.identity import CaptureStep
from tests.browser.conftest import LiveServer, _ensure_static_assets, _free_port, serve
from tests.browser.test_qcp_subscription_flow import DEVICES, log_in, new_member, photo_png, to_consents
from tests.web.qcp_helpers import register_lcp

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real adapters with the manual-review identity provider chosen by configuration."""
    from adapters.persistence.migrations import upgrade
    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings

    _ensure_static_assets()
    data_dir = tmp_path_factory.mktemp("seing-qcp15-manual")
    os.environ["SEING_DATA_DIR"] = str(data_dir)
    port = _free_port()
    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port, dev_mode=True, mail_backend="outbox",
                        identity_provider="manual")
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    container.adapters.ca().init_hierarchy()
    with serve(container, port) as server:
        yield server


def _photos_sent(container: Any, owner: Any) -> Any:
    """Through the use cases, the photos handed to the manual-review provider: the check waits
    for an officer."""
    enrollment = to_consents(container, owner)
    uc = container.use_cases.qcp()
    started = uc.start_identity_check(person_id=owner.person_id, enrollment_id=enrollment.id)
    verifier = container.adapters.identity_verifier()
    for step in CaptureStep:
        verifier.submit_capture(started.session_ref, step, photo_png(), "image/png")
    verifier.finish_capture(started.session_ref)
    uc.identity_capture_finished(session_ref=started.session_ref)
    return enrollment


def test_with_manual_review_the_waiting_page_says_an_officer_decides_and_promises_no_delay(
        live_server, browser, shoot, check_accessibility):
    container = live_server.container
    assert type(container.adapters.identity_verifier()).__name__ == "ManualReviewIdentityVerifier"
    owner = new_member(container, "manual.review@example.fr")
    register_lcp(container, owner.person_id, owner.cabinet_id)
    enrollment = _photos_sent(container, owner)
    for device, options in DEVICES:
        context = browser.new_context(locale="fr-FR", **options)
        page = context.new_page()
        log_in(page, live_server.url, "manual.review@example.fr")
        page.goto(f"{live_server.url}/qcp/{enrollment.id}")
        page.get_by_role("heading", name="Vérification en cours").wait_for()
        text = page.locator("main").inner_text()
        assert "Un opérateur d’enregistrement va examiner les photos" in text
        assert "Vous recevrez un e-mail dès sa décision" in text
        assert "entre 3 et 6 minutes" not in text
        shoot(page, f"qcp15-14-{device}-verification-manuelle")
        check_accessibility(page)
        context.close()
