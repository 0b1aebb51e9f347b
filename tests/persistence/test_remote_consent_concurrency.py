"""The provider's redirect brought back twice at the same moment (a double click, a browser
retrying): the consent's state serves once, so one return signs and the other is refused, on
the real unit of work (SQLite, PostgreSQL). The PDF signing and the QTSP are fakes that really
sign (``FakePdfSigning``, ``FakeConsentingQtsp``): the race is the database's."""

from __future__ import annotations

import threading

import pytest
from dependency_injector import providers

from adapters.memory.pdf_signing import FakePdfSigning
from adapters.persistence.migrations import upgrade
from domain.model.errors import RemoteConsentUnusable
from domain.model.identity import CheckMode
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.remote_signing import RemoteSigningRoutes
from tests.ceremony.consent_fakes import FakeConsentingQtsp
from tests.intake import corpus

EMAIL = "juliette.remote@example.fr"
SIREN = "732829320"
REDIRECT = "http://127.0.0.1:9/signature/consentement"


def _two_returns_at_once(settings: Settings) -> None:
    container = build_container(settings)
    container.init_resources()
    try:
        qtsp = FakeConsentingQtsp(EMAIL)
        container.adapters.pdf_signing.override(providers.Object(FakePdfSigning(container.adapters.clock())))
        container.adapters.remote_signing.override(
            providers.Object(RemoteSigningRoutes(service=qtsp, cabinets={SIREN})))
        uc = container.use_cases
        created = uc.create_cabinet(name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica",
                                    owner_surname="Poussart", owner_email="jessica@poussart.fr",
                                    owner_mobile="06 24 00 00 13", password="correct horse battery")
        owner = created.person_id
        cid = uc.create_collection_draft(cabinet_id=created.cabinet_id, by_person_id=owner, title="Lettre")
        for n in range(2):
            uc.add_collection_document(collection_id=cid, by_person_id=owner, name=f"lettre-{n}.pdf",
                                       content=corpus.minimal_pdf(pages=1, text=f"Lettre {n}"))
        uc.add_signer(collection_id=cid, by_person_id=owner, kind=SignerKind.EXTERNAL,
                      level=SignatureLevel.ADVANCED_QUALIFIED, given_names="Juliette", surname="Remote",
                      email=EMAIL, mobile="06 12 34 56 78")
        uc.send_collection(collection_id=cid, by_person_id=owner)
        (invitation,) = [j.spec.as_notification() for j in container.adapters.job_store().list(limit=1000)
                         if j.spec.kind == "notify"
                         and j.spec.payload_dict()["template"] == "collection_invitation"]
        token = invitation.context_dict()["token"]
        uc.open_ceremony(token=token)
        verifier = container.adapters.identity_verifier()
        session = uc.start_identity_check(token=token)
        for step in CheckMode.DOCUMENT_AND_FACE.steps:
            verifier.submit_capture(session.session_ref, step, b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
        verifier.finish_capture(session.session_ref)
        verifier.decide_now(session.session_ref)
        assert uc.identity_check_outcome(token=token) == "approved"
        back = qtsp.consent(uc.start_remote_consent(token=token, redirect_uri=REDIRECT).url)

        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        refused: list[Exception] = []
        errors: list[str] = []

        def come_back() -> None:
            barrier.wait()
            try:
                outcomes.append(uc.finish_remote_consent(token=token, state=back["state"], code=back["code"],
                                                         error=None, redirect_uri=REDIRECT).status)
            except RemoteConsentUnusable as refusal:
                refused.append(refusal)
            except Exception:  # reported below
                import traceback

                errors.append(traceback.format_exc())

        threads = [threading.Thread(target=come_back) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors[0]
        assert outcomes == ["completed"] and len(refused) == 1
        assert qtsp.exchanges == 1 and len(qtsp.signed) == 1  # the provider's code spent once, one signHash
        with container.adapters.uow() as tx:
            collection = tx.collections.get(cid)
            trail = tx.audit.of_collection(cid)
        assert collection.signers[0].status is SignerStatus.SIGNED
        assert len([e for e in trail if e.kind == "document_signed"]) == 2  # once per document
        assert [e.kind for e in trail].count("consent_given") == 1
        store = container.adapters.document_store()
        for document in collection.documents:
            assert FakePdfSigning.signature_fields(store.read(document.latest.sha256))[-1][1]
    finally:
        container.shutdown_resources()


def test_two_returns_with_the_same_state_at_once_sign_once_on_sqlite(tmp_path):
    settings = Settings(data_dir=tmp_path, public_url="http://127.0.0.1:9")
    upgrade(settings.resolved_database_url)
    _two_returns_at_once(settings)


@pytest.mark.postgres
def test_two_returns_with_the_same_state_at_once_sign_once_on_postgresql(tmp_path, make_postgres_database):
    url = make_postgres_database()
    upgrade(url)
    _two_returns_at_once(Settings(data_dir=tmp_path, database_url=url, public_url="http://127.0.0.1:9"))
