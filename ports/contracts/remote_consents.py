"""Contract of ``RemoteConsentRepository`` (ports/remote_signing.py), inside a unit of work.

Subclass ``RemoteConsentRepositoryContract`` once per adapter and implement ``make_adapter``: every
call in one test returns a new unit of work over the same storage, empty when the test starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.model.errors import RemoteConsentUnusable, UniqueViolation
from domain.model.remote_consent import CONSENT_VALIDITY, ConsentedDocument, RemoteConsent
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)


def _consent(consent_id: str = "rc-1", state_hash: str = "a" * 64) -> RemoteConsent:
    documents = [ConsentedDocument(document_id=f"d-{n}", base=f"{n}" * 64, prepared=f"{n + 2}" * 64,
                                   document_digest=bytes([n]) * 32, reserved_start=1000 + n, reserved_end=9000 + n,
                                   digest=bytes([n + 5]) * 32, hash_algorithm="sha256") for n in range(2)]
    return RemoteConsent.start(id=consent_id, state_hash=state_hash, collection_id="c-1", signer_id="s-1",
                               credential_id="qtsp/signer", code_verifier="v" * 64, signed_at=T0,
                               documents=documents, now=T0)


class RemoteConsentRepositoryContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def test_a_consent_and_its_prepared_documents_survive_a_round_trip(self) -> None:
        consent = _consent()
        with self.make_adapter() as tx:
            tx.remote_consents.add(consent)
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.remote_consents.by_state_hash("a" * 64) == consent
            assert tx.remote_consents.by_state_hash("b" * 64) is None
            assert tx.remote_consents.by_state_hash("") is None

    def test_its_use_is_kept_and_a_second_use_refused(self) -> None:
        with self.make_adapter() as tx:
            tx.remote_consents.add(_consent())
            tx.commit()
        with self.make_adapter() as tx:
            used = tx.remote_consents.by_state_hash("a" * 64).use(T0 + timedelta(minutes=1))  # type: ignore[union-attr]
            tx.remote_consents.save(used)
            tx.commit()
        with self.make_adapter() as tx:
            again = tx.remote_consents.by_state_hash("a" * 64)
            assert again == used and again.used_at == T0 + timedelta(minutes=1)
            try:
                again.use(T0 + timedelta(minutes=2))
            except RemoteConsentUnusable:
                return
            raise AssertionError("a consent used twice")

    def test_an_uncommitted_use_is_forgotten(self) -> None:
        with self.make_adapter() as tx:
            tx.remote_consents.add(_consent())
            tx.commit()
        with self.make_adapter() as tx:
            tx.remote_consents.save(tx.remote_consents.by_state_hash("a" * 64).use(T0))  # type: ignore[union-attr]
        with self.make_adapter() as tx:
            assert tx.remote_consents.by_state_hash("a" * 64).used_at is None  # type: ignore[union-attr]

    def test_a_state_serves_one_consent(self) -> None:
        with self.make_adapter() as tx:
            tx.remote_consents.add(_consent())
            tx.commit()
        try:
            with self.make_adapter() as tx:
                tx.remote_consents.add(_consent("rc-2"))
                tx.commit()
        except UniqueViolation:
            return
        raise AssertionError("two consents under one state")

    def test_lapsed_consents_are_listed_oldest_first_and_can_be_removed(self) -> None:
        with self.make_adapter() as tx:
            tx.remote_consents.add(_consent("rc-1", "a" * 64))
            tx.remote_consents.add(_consent("rc-2", "b" * 64))
            tx.commit()
        expiry = T0 + CONSENT_VALIDITY
        with self.make_adapter() as tx:
            assert tx.remote_consents.lapsed(before=expiry) == []  # not before its expiry
            assert [c.id for c in tx.remote_consents.lapsed(before=expiry + timedelta(seconds=1))] == ["rc-1", "rc-2"]
            assert [c.id for c in tx.remote_consents.lapsed(before=expiry + timedelta(seconds=1), limit=1)] == ["rc-1"]
            tx.remote_consents.remove("rc-1")
            tx.remote_consents.remove("rc-absent")
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.remote_consents.by_state_hash("a" * 64) is None
            assert [c.id for c in tx.remote_consents.lapsed(before=expiry + timedelta(days=1))] == ["rc-2"]

    def test_a_document_named_by_another_consent_is_referenced(self) -> None:
        consent = _consent()
        with self.make_adapter() as tx:
            tx.remote_consents.add(consent)
            tx.commit()
        with self.make_adapter() as tx:
            prepared, base = consent.documents[1].prepared, consent.documents[0].base
            assert tx.remote_consents.references_document(prepared, excluding="other")
            assert tx.remote_consents.references_document(base, excluding="other")
            assert not tx.remote_consents.references_document(prepared, excluding=consent.id)
            assert not tx.remote_consents.references_document("f" * 64, excluding="other")
