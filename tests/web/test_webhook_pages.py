"""« Webhooks » in the cabinet's settings: add (secret shown once), refusals in French, the delivery
log with « Renvoyer », secret rotation, deletion; only the owner sees them."""

from __future__ import annotations

import re

import pytest

from adapters.memory.webhooks import RecordingWebhookSender
from domain.model.cabinet import Role
from domain.model.webhooks import WebhookEvent, event_job
from tests.web.conftest import OWNER_PASSWORD, login, post_form

HOST = "hooks.poussart.test"


@pytest.fixture
def sender(container) -> RecordingWebhookSender:
    sender = container.adapters.webhook_sender()
    sender.hosts.update({HOST: ["93.184.216.34"], "nas.poussart.test": ["192.168.1.20"]})
    return sender


@pytest.fixture
def logged_in(client, owner, sender):
    login(client)
    return client


def add(client, url=f"https://{HOST}/seing", events=("collection.completed",)):
    return post_form(client, "/cabinet/webhooks", {"url": url, **{f"event_{e}": "on" for e in events}})


def test_the_owner_adds_a_webhook_and_sees_its_secret_once(logged_in):
    page = logged_in.get("/cabinet/webhooks")
    assert page.status_code == 200 and "Ajouter un webhook" in page.text and "Seing-Signature" in page.text
    answer = add(logged_in, events=["collection.completed", "signer.signed"])
    assert answer.status_code == 200, answer.text
    secret = re.search(r"whsec_[\w-]+", answer.text)
    assert secret and "Copiez-le maintenant" in answer.text
    again = logged_in.get("/cabinet/webhooks")
    assert f"https://{HOST}/seing" in again.text and "Collecte terminée" in again.text
    assert secret.group(0) not in again.text


def test_a_private_address_is_refused_with_a_french_message(logged_in):
    answer = add(logged_in, url="https://nas.poussart.test/hook")
    assert answer.status_code == 422
    assert "Cette adresse est refusée" in answer.text and 'aria-invalid="true"' in answer.text
    assert "https://nas.poussart.test/hook" in answer.text  # the form keeps what was typed
    answer = add(logged_in, events=[])
    assert answer.status_code == 422 and "Choisissez au moins un événement." in answer.text
    answer = add(logged_in, url="")
    assert answer.status_code == 400 and "Indiquez l’adresse (URL)" in answer.text


def test_the_log_lists_attempts_and_renvoyer_sends_again(logged_in, container, owner, sender):
    add(logged_in)
    [endpoint] = container.use_cases.list_webhook_endpoints(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id)
    sender.script = [503]
    with container.adapters.uow() as tx:
        tx.jobs.enqueue(event_job(WebhookEvent.COLLECTION_COMPLETED, cabinet_id=owner.cabinet_id,
                                  occurred_at=container.adapters.clock().now(), collection_id="col-1"))
        tx.commit()
    worker = container.worker()
    while worker.run_once():
        pass
    log = logged_in.get(f"/cabinet/webhooks/{endpoint.endpoint_id}")
    assert log.status_code == 200 and "HTTP 503" in log.text and "En cours" in log.text
    action = re.search(r'action="(/cabinet/webhooks/[^"]+/renvoyer)"', log.text).group(1)
    answer = post_form(logged_in, action)
    assert answer.status_code == 303
    while worker.run_once():
        pass
    log = logged_in.get(answer.headers["location"])
    assert "Envoi programmé" in log.text and "Remis" in log.text and "HTTP 200" in log.text
    assert len(sender.sent) == 2


def test_rotating_shows_the_new_secret_and_deleting_removes_the_webhook(logged_in, container, owner):
    add(logged_in)
    [endpoint] = container.use_cases.list_webhook_endpoints(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id)
    answer = post_form(logged_in, f"/cabinet/webhooks/{endpoint.endpoint_id}/secret")
    assert answer.status_code == 200 and re.search(r"whsec_[\w-]+", answer.text)
    assert "L’ancien secret reste valable 24 heures" in answer.text
    answer = post_form(logged_in, f"/cabinet/webhooks/{endpoint.endpoint_id}/supprimer")
    assert answer.status_code == 303
    page = logged_in.get("/cabinet/webhooks")
    assert "Webhook supprimé." in page.text and "Aucun webhook pour l’instant." in page.text
    assert logged_in.get(f"/cabinet/webhooks/{endpoint.endpoint_id}").status_code == 404


def test_a_collaborator_is_told_only_owners_manage_webhooks(client, container, owner, sender):
    uc = container.use_cases
    uc.invite_member(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id, email="irina@cs.expert",
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR, delegations=frozenset())
    job = [j for j in container.adapters.job_store().list(limit=100) if j.spec.kind == "notify"][0]
    uc.accept_invitation(token=job.spec.as_notification().context_dict()["token"], password=OWNER_PASSWORD,
                         mobile=None)
    login(client, "irina@cs.expert")
    assert 'href="/cabinet/webhooks"' not in client.get("/cabinet/membres").text
    page = client.get("/cabinet/webhooks")
    assert page.status_code == 403 and "Ajouter un webhook" not in page.text
    assert add(client).status_code == 403
