"""A refused invitation told to the preparer through the real adapters: the Pony job store,
unit of work and audit trail on SQLite, run by the container's worker (and its own clock:
nothing here depends on the date)."""

from __future__ import annotations

from dependency_injector import providers

from adapters.memory.messaging import RecordingMailer
from adapters.persistence.migrations import upgrade
from domain.model.audit import verify_chain
from domain.model.collection import EventKind
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake import corpus


def test_a_refused_invitation_lands_in_the_stored_timeline_and_trail(tmp_path):
    settings = Settings(data_dir=tmp_path, public_url="http://127.0.0.1:9")
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    container.init_resources()
    try:
        mailer = RecordingMailer()
        container.adapters.mailer.override(providers.Object(mailer))
        uc = container.use_cases
        created = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                    owner_surname="Poussart", owner_email="jessica@poussart.fr",
                                    owner_mobile="06 24 00 00 13", password="correct horse battery")
        owner = created.person_id
        cid = uc.create_collection_draft(cabinet_id=created.cabinet_id, by_person_id=owner, title="Lettre")
        uc.add_collection_document(collection_id=cid, by_person_id=owner, name="lettre.pdf",
                                   content=corpus.minimal_pdf(pages=1))
        uc.add_signer(collection_id=cid, by_person_id=owner, kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE,
                      given_names="Anne", surname="Exemple", email="anne@exemple.fr")
        uc.send_collection(collection_id=cid, by_person_id=owner)
        mailer.fail_next(times=100, permanent=True, message="550 5.1.1 no such user", code="550")

        container.worker().run_once()

        timeline = uc.collection_timeline(collection_id=cid, by_person_id=owner)
        [failed] = [e for e in timeline if e.kind is EventKind.DELIVERY_FAILED]
        assert failed.detail == {"name": "Anne Exemple", "channel": "email", "reason": "refused",
                                 "provider_code": "550"}
        with container.adapters.uow() as tx:
            trail = tx.audit.of_collection(cid)
        assert [e.kind for e in trail].count("delivery_failed") == 1
        assert verify_chain(trail) is None
        details = uc.collection_details(collection_id=cid, by_person_id=owner)
        assert details.signers[0].delivery_failed == "email"
    finally:
        container.shutdown_resources()
