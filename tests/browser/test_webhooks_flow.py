"""In Chromium: the owner adds a webhook (a private address refused first), copies the secret shown
once, reads the delivery log of a failed delivery and sends it again with « Renvoyer »."""

from __future__ import annotations

import re

import pytest
from dependency_injector import providers

from adapters.memory.webhooks import RecordingWebhookSender
from domain.model.webhooks import WebhookEvent, event_job

pytestmark = pytest.mark.browser

OWNER_EMAIL = "jessica.poussart@example.fr"
OWNER_PASSWORD = "correct horse battery"
HOST = "hooks.poussart.test"


def test_owner_adds_a_webhook_and_resends_a_failed_delivery(live_server, browser, shoot, check_accessibility):
    container = live_server.container
    # The live server delivers nothing to the Internet: this fake answers, and says where names point.
    sender = RecordingWebhookSender({HOST: ["93.184.216.34"], "nas.poussart.test": ["192.168.1.20"]})
    container.adapters.webhook_sender.override(providers.Object(sender))
    owner = container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren="732829320", owner_given_names="Jessica",
        owner_surname="Poussart", owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(OWNER_EMAIL)
    page.get_by_label("Mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »

    page.get_by_role("link", name="Webhooks").click()
    page.wait_for_url(f"{live_server.url}/cabinet/webhooks")
    assert page.locator("h1").inner_text().startswith("Webhooks")
    shoot(page, "webhooks-01-vide")
    check_accessibility(page)

    page.get_by_label("Adresse (URL) qui recevra les événements").fill("https://nas.poussart.test/seing")
    page.get_by_label(re.compile("Collecte terminée")).check()
    page.get_by_role("button", name="Ajouter le webhook").click()
    assert "Cette adresse est refusée" in page.locator("#url-erreur").inner_text()
    shoot(page, "webhooks-02-adresse-refusee")
    check_accessibility(page)

    page.get_by_label("Adresse (URL) qui recevra les événements").fill(f"https://{HOST}/seing")
    page.get_by_role("button", name="Ajouter le webhook").click()
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("whsec_") and "Copiez-le maintenant" in page.get_by_role("status").inner_text()
    shoot(page, "webhooks-03-secret")
    check_accessibility(page)

    sender.script = [503]
    with container.adapters.uow() as tx:
        tx.jobs.enqueue(event_job(WebhookEvent.COLLECTION_COMPLETED, cabinet_id=owner.cabinet_id,
                                  occurred_at=container.adapters.clock().now(), collection_id="col-1"))
        tx.commit()
    worker = container.worker()
    while worker.run_once():
        pass

    page.get_by_role("link", name=f"Journal des envois de https://{HOST}/seing").click()
    assert "HTTP 503" in page.locator("table").inner_text() and "En cours" in page.locator("table").inner_text()
    shoot(page, "webhooks-04-journal")
    check_accessibility(page)
    page.get_by_role("button", name=re.compile("Renvoyer")).click()
    assert "Envoi programmé" in page.get_by_role("status").inner_text()
    while worker.run_once():
        pass
    page.reload()
    assert "Remis" in page.locator("table").inner_text() and "HTTP 200" in page.locator("table").inner_text()
    shoot(page, "webhooks-05-renvoye")
    check_accessibility(page)
    assert len(sender.sent) == 2 and sender.sent[0].body == sender.sent[1].body
    context.close()
