"""A message to a signer that never arrives is told to the preparer: on the collection's
timeline and trail, on the signer's row, and in the API's timeline; only once the worker gives up."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient

from domain.model.collection import EventKind
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints.worker import Worker
from tests.ceremony.harness import PASSWORD, Ceremony

ANNE = dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED, given_names="Anne", surname="Exemple",
            email="anne@exemple.fr", mobile="06 12 34 56 78")


@pytest.fixture
def world(tmp_path) -> Ceremony:
    return Ceremony(tmp_path, real_signing=False)


@pytest.fixture
def client(world: Ceremony) -> Iterator[TestClient]:
    from tests.apps import app_for

    with TestClient(app_for(world.container), base_url="http://testserver.local") as test_client:
        yield test_client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ").replace("&#39;", "'")


def _worker(world: Ceremony, max_attempts: int = 8) -> Worker:
    container = world.container
    return Worker(container.adapters.job_store(), container.job_handlers(), world.clock,
                  max_attempts=max_attempts, on_failure=container.job_failure_handlers())


def _signing_code_requested(world: Ceremony) -> str:
    cid = world.collection([ANNE])
    _worker(world).run_once()  # the invitation leaves
    token = world.token_of("anne@exemple.fr")
    world.uc.open_ceremony(token=token)
    world.uc.request_signing_code(token=token)
    return cid


def _failures(world: Ceremony, cid: str) -> list[Any]:
    return [e for e in world.get(cid).timeline if e.kind is EventKind.DELIVERY_FAILED]


def _collection_page(world: Ceremony, client: TestClient, cid: str) -> str:
    login = client.get("/connexion")
    csrf = client.cookies.get("seing_csrf")
    assert login.status_code == 200 and csrf
    answer = client.post("/connexion", data={"_csrf_token": csrf, "email": "jessica@poussart.fr",
                                             "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get(f"/collectes/{cid}")
    assert page.status_code == 200
    return _text(page.text)


def test_an_sms_code_the_operator_refuses_is_shown_to_the_preparer(world, client):
    cid = _signing_code_requested(world)
    world.container.adapters.sms_sender().fail_next(permanent=True, message="21211 invalid To", code="21211")

    _worker(world).run_once()

    [failure] = _failures(world, cid)
    assert failure.detail_dict() == {"name": "Anne Exemple", "channel": "sms", "reason": "refused",
                                     "provider_code": "21211"}
    trail = [e for e in world.trail(cid) if e.kind == "delivery_failed"]
    assert len(trail) == 1
    details = trail[0].detail_dict()
    assert details["channel"] == "sms" and details["reason"] == "refused"
    # Neither the code nor the message text outlives the SMS.
    assert "code" not in details and world.latest_code() not in str(details)
    text = _collection_page(world, client, cid)
    assert "SMS non remis à Anne Exemple : numéro refusé par l’opérateur" in text
    assert "Vérifiez le numéro, puis utilisez « Remplacer »" in text


def test_the_api_timeline_has_the_failed_delivery(world, client):
    cid = _signing_code_requested(world)
    world.container.adapters.sms_sender().fail_next(permanent=True, code="21211")
    _worker(world).run_once()
    csrf = client.get("/api/v1/csrf").json()["token"]
    assert client.post("/api/v1/session", json={"email": "jessica@poussart.fr", "password": PASSWORD},
                       headers={"X-CSRFToken": csrf}).status_code == 200
    timeline = client.get(f"/api/v1/collections/{cid}/timeline").json()
    failed = [e for e in timeline if e["kind"] == "delivery_failed"]
    assert len(failed) == 1
    assert failed[0]["detail"]["channel"] == "sms" and failed[0]["detail"]["reason"] == "refused"
    assert failed[0]["signer_id"] == world.get(cid).signers[0].id


def test_a_transient_failure_is_shown_only_once_the_retries_are_exhausted(world, client):
    cid = _signing_code_requested(world)
    world.container.adapters.sms_sender().fail_next(times=5, message="503 try later")
    worker = _worker(world, max_attempts=2)

    worker.run_once()
    assert _failures(world, cid) == [], "the worker still retries: nothing to tell yet"
    assert "non remis" not in _collection_page(world, client, cid)

    world.clock.advance(timedelta(minutes=5))
    worker.run_once()
    [failure] = _failures(world, cid)
    assert failure.detail_dict()["reason"] == "undelivered"
    text = _text(client.get(f"/collectes/{cid}").text)
    assert "SMS non remis à Anne Exemple : l’opérateur est resté injoignable malgré plusieurs essais" in text


def test_a_refused_invitation_email_is_shown_on_the_signers_row(world, client):
    world.container.adapters.mailer().fail_next(permanent=True, message="550 no such user")
    cid = world.collection([ANNE])
    _worker(world).run_once()
    [failure] = _failures(world, cid)
    assert failure.detail_dict()["channel"] == "email"
    text = _collection_page(world, client, cid)
    assert "E-mail non remis à Anne Exemple : adresse refusée par le serveur de messagerie" in text
    assert "Vérifiez l’adresse, puis utilisez « Remplacer »" in text


def test_once_replaced_the_signers_warning_is_gone(world, client):
    world.container.adapters.mailer().fail_next(permanent=True)
    cid = world.collection([ANNE])
    _worker(world).run_once()
    old = world.get(cid).signers[0].id
    world.uc.replace_signer(collection_id=cid, by_person_id=world.owner, signer_id=old, kind=SignerKind.EXTERNAL,
                            level=SignatureLevel.ADVANCED, given_names="Anne", surname="Exemple",
                            email="anne.exemple@exemple.fr", mobile="06 12 34 56 79")
    text = _collection_page(world, client, cid)
    assert "E-mail non remis à Anne Exemple" in text, "the timeline keeps what happened"
    assert "Vérifiez l’adresse" not in text


def test_a_message_about_no_collection_records_nothing(world):
    # A lost password email serves no collection: the job fails, no collection hears of it.
    cid = world.collection([ANNE])
    _worker(world).run_once()
    world.container.adapters.mailer().fail_next(permanent=True)
    world.uc.request_password_reset(email="jessica@poussart.fr")
    _worker(world).run_once()
    [reset] = [j for j in world.jobs("notify") if j.spec.as_notification().template == "password_reset"]
    assert reset.status.value == "failed"
    assert _failures(world, cid) == []


def test_the_failed_delivery_reads_in_english_too(world, client):
    cid = _signing_code_requested(world)
    world.container.adapters.sms_sender().fail_next(permanent=True)
    _worker(world).run_once()
    _collection_page(world, client, cid)
    csrf = client.cookies.get("seing_csrf")
    client.post("/langue", data={"_csrf_token": csrf, "locale": "en", "suivant": f"/collectes/{cid}"})
    text = _text(client.get(f"/collectes/{cid}").text)
    assert "Text message not delivered to Anne Exemple: number refused by the operator" in text
    assert "Check the number, then use “Replace”." in text
