"""The signing ceremony on the real adapters and PostgreSQL: ten signers at the same moment,
with the in-process lock switched off so that only the database's refusal of lost updates
(optimistic check on the collection row) and the audit chain's primary key keep them apart."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from dependency_injector import providers

from adapters.persistence.migrations import upgrade
from domain.model.audit import verify_chain
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake import corpus

pytestmark = pytest.mark.postgres


class _NoLocks:
    @contextmanager
    def hold(self, key):
        yield


def test_ten_signers_at_the_same_moment_on_postgresql_all_end_up_in_the_pdf(make_postgres_database, tmp_path):
    url = make_postgres_database()
    upgrade(url)
    container = build_container(Settings(data_dir=tmp_path, database_url=url, public_url="http://127.0.0.1:9"))
    container.init_resources()
    try:
        container.adapters.ca().init_hierarchy()
        container.adapters.locks.override(providers.Object(_NoLocks()))
        uc = container.use_cases
        created = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                    owner_surname="Poussart", owner_email="jessica@poussart.fr",
                                    owner_mobile="06 24 00 00 13", password="correct horse battery")
        owner = created.person_id
        cid = uc.create_collection_draft(cabinet_id=created.cabinet_id, by_person_id=owner, title="Lettre",
                                         mode=InvitationMode.PARALLEL)
        uc.add_collection_document(collection_id=cid, by_person_id=owner, name="lettre.pdf",
                                   content=corpus.minimal_pdf(pages=1))
        for n in range(10):
            uc.add_signer(collection_id=cid, by_person_id=owner, kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE,
                          given_names="Signataire", surname="Numero" + "abcdefghij"[n], email=f"s{n}@exemple.fr")
        uc.send_collection(collection_id=cid, by_person_id=owner)

        def notifications(template):
            jobs = container.adapters.job_store().list(limit=1000)
            return [j.spec.as_notification() for j in reversed(jobs)
                    if j.spec.kind == "notify" and j.spec.payload_dict()["template"] == template]

        tokens = {n.to: n.context_dict()["token"] for n in notifications("collection_invitation")}
        codes = {}
        for email, token in tokens.items():
            uc.open_ceremony(token=token)
            uc.request_signing_code(token=token)
            codes[token] = [n for n in notifications("signing_code") if n.to == email][-1].context_dict()["code"]
        barrier = threading.Barrier(10)
        results, errors = [], []

        def go(token, code):
            barrier.wait()
            try:
                results.append(uc.sign(token=token, code=code).status)
            except Exception:  # reported below
                import traceback
                errors.append(traceback.format_exc())

        threads = [threading.Thread(target=go, args=item) for item in codes.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not errors, errors[0]
        assert sorted(results) == ["completed"] + ["signed"] * 9
        # Completion is the worker's job, enqueued once by the last signature.
        (finalise,) = [j for j in container.adapters.job_store().list(limit=1000)
                       if j.spec.kind == "finalise_collection"]
        container.job_handlers()["finalise_collection"](finalise)
        with container.adapters.uow() as tx:
            collection = tx.collections.get(cid)
            trail = tx.audit.of_collection(cid)
        assert collection.status is CollectionStatus.COMPLETED and collection.evidence is not None
        assert verify_chain(trail) is None
        pdf = container.adapters.document_store().read(collection.documents[0].latest.sha256)
        report = uc.verify_pdf(content=pdf)
        assert len([s for s in report.signatures if s.kind == "signature"]) == 10 and report.all_ok
    finally:
        container.shutdown_resources()
