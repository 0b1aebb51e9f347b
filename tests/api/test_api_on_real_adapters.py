"""The API on the real stack (Pony on SQLite and on PostgreSQL, Argon2): handlers run use
cases in worker threads, and Pony binds its sessions to a thread, so this is worth checking
end to end.

Without PostgreSQL the ``postgres`` variant is a loud skip (a failure under CI=true).
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from litestar.testing import TestClient

from adapters.persistence.migrations import upgrade
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.api.conftest import OWNER_EMAIL, PASSWORD, SIREN, ApiClient, app_for, problem_of

# The session-scoped factory of throw-away PostgreSQL databases the persistence tests use.
from tests.persistence.conftest import make_postgres_database  # noqa: F401


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    if request.param == "sqlite":
        return ""  # the default: a SQLite file under the data directory
    return request.getfixturevalue("make_postgres_database")()


@pytest.fixture
def real_container(tmp_path, database_url) -> Iterator[Any]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, mail_backend="outbox")
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    yield container
    container.shutdown_resources()


def test_owner_invites_collaborator_who_joins_and_gets_delegations(real_container):
    real_container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile=None, password=PASSWORD)
    app = app_for(real_container)
    with TestClient(app) as owner_client, TestClient(app) as invitee_client:
        owner, invitee = ApiClient(owner_client), ApiClient(invitee_client)
        owner.login()
        [cabinet] = owner.get("/api/v1/cabinets").json()
        base = f"/api/v1/cabinets/{cabinet['cabinet_id']}"
        problem_of(owner.post(f"{base}/invitations", json={"email": "bad@", "given_names": "I",
                                                           "surname": "F"}), 422)
        created = owner.post(f"{base}/invitations", json={"email": "irina@cs.expert", "given_names": "Irina",
                                                          "surname": "Faron"})
        assert created.status_code == 201, created.text
        jobs = real_container.adapters.job_store().list(limit=100)
        [invitation] = [j.spec.as_notification() for j in jobs
                        if j.spec.kind == "notify" and j.spec.as_notification().template == "member_invitation"]
        token = invitation.context_dict()["token"]
        assert invitee.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD}).status_code == 200
        member_id = next(m["member_id"] for m in owner.get(f"{base}/members").json()["members"]
                         if m["email"] == "irina@cs.expert")
        assert owner.put(f"{base}/members/{member_id}/delegations/sign").status_code == 204
        invitee.login("irina@cs.expert")
        assert invitee.get("/api/v1/cabinets").json()[0]["delegations"] == ["sign"]
        problem_of(invitee.put(f"{base}/members/{member_id}/delegations/seal"), 403)


def test_a_ghostscript_pdf_2_0_is_sent_and_a_certified_pdf_is_refused_at_upload(real_container):
    # Seen in the field: Ghostscript's PDF 2.0 passed the intake, then sending answered 500.
    from tests.conftest import require_service
    from tests.intake import corpus

    require_service(corpus.ghostscript_available(), "Ghostscript (Debian package ghostscript)")
    real_container.use_cases.create_cabinet(
        name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile=None, password=PASSWORD)
    with TestClient(app_for(real_container)) as client:
        api = ApiClient(client)
        api.login()
        [cabinet] = api.get("/api/v1/cabinets").json()
        refused = api.post("/api/v1/collections", data={"cabinet_id": cabinet["cabinet_id"]},
                           files=[("files", ("certifie.pdf", corpus.signed_pdf(certify=1), "application/pdf"))])
        body = problem_of(refused, 422)
        assert body["code"] == "document.locked"
        assert "Demandez à son auteur une version non certifiée" in body["errors"][0]["message"]

        created = api.post("/api/v1/collections", data={"cabinet_id": cabinet["cabinet_id"]},
                           files=[("files", ("lettre.pdf", corpus.ghostscript_pdf("2.0"), "application/pdf"))])
        assert created.status_code == 201, created.text
        collection_id = created.json()["collection_id"]
        signer = api.post(f"/api/v1/collections/{collection_id}/signers",
                          json={"kind": "external", "level": 1, "given_names": "Paul", "surname": "Martin",
                                "email": "paul@example.fr"})
        assert signer.status_code == 201, signer.text
        sent = api.post(f"/api/v1/collections/{collection_id}/send")
        assert sent.status_code in (200, 204), sent.text
        assert api.get(f"/api/v1/collections/{collection_id}").json()["summary"]["status"] != "draft"
