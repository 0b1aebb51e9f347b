"""A cabinet's webhooks through the JSON API: owner only, problem details, the log and « Renvoyer »."""

from __future__ import annotations

import pytest

from adapters.memory.webhooks import RecordingWebhookSender
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.api.conftest import PASSWORD, problem_of

HOST = "hooks.poussart.test"


@pytest.fixture
def container(tmp_path):
    # The default fake sender resolves from its table: this host is public, the other private.
    built = build_container(Settings(data_dir=tmp_path), fakes=True)
    sender: RecordingWebhookSender = built.adapters.webhook_sender()
    sender.hosts.update({HOST: ["93.184.216.34"], "intranet.poussart.test": ["10.0.0.12"]})
    return built


@pytest.fixture
def owner(api, cabinet):
    api.login()
    return api


def hooks(cabinet) -> str:
    return f"/api/v1/cabinets/{cabinet.cabinet_id}/webhooks"


def subscribe(api, cabinet, url=f"https://{HOST}/seing", events=("collection.completed",)):
    return api.post(hooks(cabinet), json={"url": url, "events": list(events)})


def test_an_owner_creates_lists_and_deletes_an_endpoint_and_sees_the_secret_once(owner, cabinet):
    answer = subscribe(owner, cabinet, events=["signer.signed", "collection.completed"])
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["secret"].startswith("whsec_") and created["url"] == f"https://{HOST}/seing"
    assert created["events"] == ["signer.signed", "collection.completed"]
    assert answer.headers["location"] == f"{hooks(cabinet)}/{created['endpoint_id']}"
    listed = owner.get(hooks(cabinet)).json()
    assert [e["endpoint_id"] for e in listed] == [created["endpoint_id"]] and "secret" not in listed[0]
    assert owner.delete(f"{hooks(cabinet)}/{created['endpoint_id']}").status_code == 204
    assert owner.get(hooks(cabinet)).json() == []
    problem_of(owner.delete(f"{hooks(cabinet)}/{created['endpoint_id']}"), 404)


def test_a_private_destination_is_a_422_problem(owner, cabinet):
    body = problem_of(subscribe(owner, cabinet, url="https://intranet.poussart.test/hook"), 422)
    assert body["code"] == "webhook.destination_refused" and "public" in body["detail"]
    body = problem_of(subscribe(owner, cabinet, url="https://169.254.169.254/latest/meta-data/"), 422)
    assert body["code"] == "webhook.destination_refused"
    assert owner.get(hooks(cabinet)).json() == []


@pytest.mark.parametrize(("body", "code"), [
    ({"url": "ftp://hooks.poussart.test/x", "events": ["collection.completed"]}, "webhook.url_invalid"),
    ({"url": "http://hooks.poussart.test/x", "events": ["collection.completed"]}, "webhook.url_invalid"),
    ({"url": "https://user:pw@hooks.poussart.test/x", "events": ["collection.completed"]}, "webhook.url_invalid"),
    ({"url": "https://hooks.poussart.test/x", "events": ["collection.exploded"]}, "webhook.event_unknown"),
    ({"url": "https://hooks.poussart.test/x", "events": []}, "webhook.events_missing"),
])
def test_bad_input_is_a_422_problem(owner, cabinet, body, code):
    assert problem_of(owner.post(hooks(cabinet), json=body), 422)["code"] == code


def test_a_stranger_learns_nothing_and_a_logged_out_caller_is_refused(api, owner, cabinet, second_browser, uc):
    uc.create_cabinet(name="Autre cabinet", siren="443061841", owner_given_names="Marc", owner_surname="Durand",
                      owner_email="marc@exemple.fr", owner_mobile=None, password=PASSWORD)
    created = subscribe(owner, cabinet).json()
    second_browser.login("marc@exemple.fr")
    problem_of(second_browser.get(hooks(cabinet)), 404)
    problem_of(second_browser.get(f"{hooks(cabinet)}/{created['endpoint_id']}/deliveries"), 404)
    problem_of(subscribe(second_browser, cabinet), 404)
    owner.delete("/api/v1/session")
    problem_of(owner.get(hooks(cabinet)), 401)


def test_the_log_shows_attempts_and_redeliver_starts_a_new_round(owner, cabinet, container):
    created = subscribe(owner, cabinet).json()
    sender: RecordingWebhookSender = container.adapters.webhook_sender()
    sender.script = [500]
    from domain.model.webhooks import WebhookEvent, event_job

    clock = container.adapters.clock()
    with container.adapters.uow() as tx:
        tx.jobs.enqueue(event_job(WebhookEvent.COLLECTION_COMPLETED, cabinet_id=cabinet.cabinet_id,
                                  occurred_at=clock.now(), collection_id="col-1"))
        tx.commit()
    worker = container.worker()
    while worker.run_once():
        pass
    log = owner.get(f"{hooks(cabinet)}/{created['endpoint_id']}/deliveries")
    assert log.status_code == 200, log.text
    [delivery] = log.json()
    assert delivery["status"] == "pending" and delivery["event"] == "collection.completed"
    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [(500, "HTTP 500")]
    again = owner.post(f"{hooks(cabinet)}/{created['endpoint_id']}/deliveries/{delivery['delivery_id']}/redeliver")
    assert again.status_code == 202, again.text
    while worker.run_once():
        pass
    [delivery] = owner.get(f"{hooks(cabinet)}/{created['endpoint_id']}/deliveries").json()
    assert delivery["status"] == "delivered" and [a["status_code"] for a in delivery["attempts"]] == [200, 500]
    assert len(sender.sent) == 2 and sender.sent[0].body == sender.sent[1].body
    problem_of(owner.post(f"{hooks(cabinet)}/{created['endpoint_id']}/deliveries/nope/redeliver"), 404)


def test_rotating_the_secret_gives_a_new_one_and_a_day_of_overlap(owner, cabinet):
    created = subscribe(owner, cabinet).json()
    answer = owner.post(f"{hooks(cabinet)}/{created['endpoint_id']}/secret")
    assert answer.status_code == 201, answer.text
    assert answer.json()["secret"].startswith("whsec_") and answer.json()["secret"] != created["secret"]
    [endpoint] = owner.get(hooks(cabinet)).json()
    assert endpoint["rotating_until"] is not None


def test_an_admin_key_manages_the_webhooks_and_other_keys_cannot(raw, owner, cabinet, uc):
    from tests.api.test_api_keys_api import bearer, make_key

    admin = bearer(make_key(owner, cabinet.cabinet_id, "admin", name="Intégration")["secret"])
    prepare = bearer(make_key(owner, cabinet.cabinet_id, "read", "prepare", name="Paie")["secret"])
    created = raw.post(hooks(cabinet), headers=admin,
                       json={"url": f"https://{HOST}/seing", "events": ["collection.completed"]})
    assert created.status_code == 201, created.text
    endpoint_id = created.json()["endpoint_id"]
    assert created.json()["secret"]
    assert [e["endpoint_id"] for e in raw.get(hooks(cabinet), headers=admin).json()] == [endpoint_id]
    assert raw.get(f"{hooks(cabinet)}/{endpoint_id}/deliveries", headers=admin).json() == []
    assert raw.post(f"{hooks(cabinet)}/{endpoint_id}/secret", headers=admin).json()["secret"]
    # Read and prepare keys neither read nor change them: the log holds the bodies sent.
    assert problem_of(raw.get(hooks(cabinet), headers=prepare), 403)["code"] == "api_key.scope_missing"
    assert problem_of(raw.post(hooks(cabinet), headers=prepare,
                               json={"url": f"https://{HOST}/autre", "events": ["collection.sent"]}),
                      403)["code"] == "api_key.scope_missing"
    # Another cabinet's webhooks do not exist for the key.
    other = uc.create_cabinet(name="Berthier Conseil", siren="552100554", owner_given_names="Marc",
                              owner_surname="Berthier", owner_email="marc@berthier-conseil.fr",
                              owner_mobile="06 11 22 33 44", password=PASSWORD)
    assert raw.get(f"/api/v1/cabinets/{other.cabinet_id}/webhooks", headers=admin).status_code == 404
    assert raw.delete(f"{hooks(cabinet)}/{endpoint_id}", headers=admin).status_code == 204
    assert raw.get(hooks(cabinet), headers=admin).json() == []


def test_a_webhook_secret_is_never_kept_for_a_replay(raw, owner, cabinet):
    from tests.api.test_api_keys_api import bearer, make_key

    admin = {**bearer(make_key(owner, cabinet.cabinet_id, "admin")["secret"]), "Idempotency-Key": "abonnement-1"}
    body = {"url": f"https://{HOST}/seing", "events": ["collection.completed"]}
    first, again = raw.post(hooks(cabinet), headers=admin, json=body), raw.post(hooks(cabinet), headers=admin, json=body)
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in again.headers and again.json()["secret"] != first.json()["secret"]
