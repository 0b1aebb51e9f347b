"""API keys and Idempotency-Key on the real stack (Pony on SQLite and on PostgreSQL): the key's
use is written from the middleware's worker thread, and concurrent first requests with one
Idempotency-Key are told apart by the database's primary key.

Without PostgreSQL the ``postgres`` variant is a loud skip (a failure under CI=true).
"""

from __future__ import annotations

import threading
from typing import Any

from litestar.testing import TestClient

from domain.model.errors import IdempotentRequestInProgress
from tests.api.conftest import OWNER_EMAIL, PASSWORD, SIREN, ApiClient, app_for, problem_of
from tests.api.test_api_on_real_adapters import database_url, real_container  # noqa: F401
from tests.intake import corpus
from tests.persistence.conftest import make_postgres_database  # noqa: F401


def test_a_key_creates_once_and_stops_when_revoked(real_container: Any):  # noqa: F811 - the fixture
    real_container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile=None, password=PASSWORD)
    app = app_for(real_container)
    with TestClient(app) as owner_client, TestClient(app) as program:
        owner = ApiClient(owner_client)
        owner.login()
        [cabinet] = owner.get("/api/v1/cabinets").json()
        base = f"/api/v1/cabinets/{cabinet['cabinet_id']}/api-keys"
        created = owner.post(base, json={"name": "Logiciel de paie", "scopes": ["prepare"]})
        assert created.status_code == 201, created.text
        headers = {"Authorization": f"Bearer {created.json()['secret']}", "Idempotency-Key": "lot-2026-11"}

        def upload() -> Any:
            return program.post("/api/v1/collections", headers=headers, data={"cabinet_id": cabinet["cabinet_id"]},
                                files=[("files", ("mission.pdf", corpus.minimal_pdf(1), "application/pdf"))])

        first, again = upload(), upload()
        assert first.status_code == 201, first.text
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        listed = owner.get("/api/v1/collections", params={"cabinet_id": cabinet["cabinet_id"]}).json()
        assert listed["total"] == 1
        [key] = owner.get(base).json()
        assert key["last_used_at"] is not None
        assert owner.delete(f"{base}/{key['key_id']}").status_code == 204
        assert problem_of(upload(), 401)["code"] == "api_key.rejected"


def test_concurrent_first_requests_with_one_key_run_once(real_container: Any):  # noqa: F811 - the fixture
    real_container.use_cases.purge_idempotency_records()  # opens the database before the race
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def first_request() -> None:
        barrier.wait()
        try:
            stored = real_container.use_cases.begin_idempotent_request(principal="key:k-1", key="commande-1",
                                                                         fingerprint="a" * 64)
            outcomes.append("run" if stored is None else "replay")
        except IdempotentRequestInProgress:
            outcomes.append("wait")

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["run", "wait", "wait", "wait"]


def test_one_call_sends_on_the_database_and_a_refusal_stores_nothing(real_container: Any):  # noqa: F811 - the fixture
    """The rehearsal runs in a unit of work of the real database that is never committed."""
    import json

    real_container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile=None, password=PASSWORD)
    app = app_for(real_container)
    with TestClient(app) as owner_client, TestClient(app) as program:
        owner = ApiClient(owner_client)
        owner.login()
        [cabinet] = owner.get("/api/v1/cabinets").json()
        created = owner.post(f"/api/v1/cabinets/{cabinet['cabinet_id']}/api-keys",
                             json={"name": "Logiciel", "scopes": ["read", "prepare"]})
        headers = {"Authorization": f"Bearer {created.json()['secret']}"}
        signer = {"kind": "external", "level": 1, "given_names": "Anne", "surname": "Martin",
                  "email": "anne@exemple.fr"}

        def send(**box: Any) -> Any:
            plan = {"cabinet_id": cabinet["cabinet_id"], "signers": [{**signer, "fields": [box]} if box else signer]}
            return program.post("/api/v1/collections:send", headers=headers,
                                files=[("collection", (None, json.dumps(plan))),
                                       ("files", ("mission.pdf", corpus.minimal_pdf(1), "application/pdf"))])

        problem_of(send(document=0, page=1, x=590, y=10), 422)  # off the page
        listed = owner.get("/api/v1/collections", params={"cabinet_id": cabinet["cabinet_id"]}).json()
        assert listed["total"] == 0
        sent = send(document=0, page=1, x=72, y=72)
        assert sent.status_code == 201, sent.text
        read = program.get(sent.headers["location"], headers=headers).json()
        assert read["summary"]["status"] == "in_progress" and read["signers"][0]["status"] == "invited"
        assert owner.get("/api/v1/collections", params={"cabinet_id": cabinet["cabinet_id"]}).json()["total"] == 1


def test_parallel_calls_with_one_key_each_create_their_collection(real_container: Any):  # noqa: F811 - the fixture
    """An integrator's program sends several uploads at once with its one key: none is a conflict."""
    real_container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile=None, password=PASSWORD)
    app = app_for(real_container)
    with TestClient(app) as owner_client:
        owner = ApiClient(owner_client)
        owner.login()
        [cabinet] = owner.get("/api/v1/cabinets").json()
        created = owner.post(f"/api/v1/cabinets/{cabinet['cabinet_id']}/api-keys",
                             json={"name": "Logiciel de paie", "scopes": ["prepare"]})
        secret = created.json()["secret"]
    barrier, answers = threading.Barrier(4), []

    # One client (one app lifespan) shared by four threads: its portal runs their requests at once.
    with TestClient(app) as program:
        def upload(n: int) -> None:
            barrier.wait()
            answer = program.post("/api/v1/collections", headers={"Authorization": f"Bearer {secret}"},
                                  data={"cabinet_id": cabinet["cabinet_id"]},
                                  files=[("files", (f"mission-{n}.pdf", corpus.minimal_pdf(1), "application/pdf"))])
            answers.append((answer.status_code, answer.text[:300]))

        threads = [threading.Thread(target=upload, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert [status for status, _ in answers] == [201] * 4, answers
