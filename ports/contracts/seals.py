"""Contract of the seal's repositories (ports/seals.py): certificate requests and sealings.

Subclass ``SealRepositoriesContract`` once per adapter and implement ``make_adapter``: every
call in one test returns a new unit of work over the same storage, empty when the test starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from attrs import evolve

from domain.model.cabinet import Delegation, Member, Role
from domain.model.errors import UniqueViolation
from domain.model.seals import (
    SealCertificate,
    SealCertificateRequest,
    SealedDocument,
    Sealing,
    SealingNotFound,
    SealProfile,
    SealRequestNotFound,
    SealRequestState,
)
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)
OWNER = Member(id="m-1", cabinet_id="c-1", person_id="p-1", role=Role.OWNER, delegations=frozenset(Delegation))


def _request(request_id: str, cabinet_id: str = "c-1", at: datetime = T0) -> SealCertificateRequest:
    member = evolve(OWNER, cabinet_id=cabinet_id) if cabinet_id != "c-1" else OWNER
    return SealCertificateRequest.make(id=request_id, member=member, profile=SealProfile.QUALIFIED, now=at)


def _sealing(sealing_id: str, cabinet_id: str = "c-1", at: datetime = T0) -> Sealing:
    return Sealing(id=sealing_id, cabinet_id=cabinet_id, cabinet_name="Cabinet Poussart", member_id="m-1",
                   sealed_by="p-1", sealed_by_name="Jessica Poussart", certificate_serial="0a1b",
                   profile=SealProfile.ADVANCED, sealed_at=at, via="api_key:k-1",
                   documents=[SealedDocument(id="d-1", name="bilan é.pdf", original_sha256="a" * 64,
                                             original_size=10, sealed_sha256="b" * 64, sealed_size=20)],
                   evidence_pdf_sha256="c" * 64, evidence_json_sha256="d" * 64)


class SealRepositoriesContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    def test_a_request_and_its_certificate_survive_a_round_trip(self) -> None:
        with self.make_adapter() as tx:
            tx.seal_requests.add(_request("r-1"))
            tx.commit()
        certificate = SealCertificate(serial="0a1b", issuer="qcp", subject="CN=Cabinet Poussart", not_before=T0,
                                      not_after=T0 + timedelta(days=1095), key_id="k-1", der=b"\x30\x03\x02\x01\x01")
        with self.make_adapter() as tx:
            approved = tx.seal_requests.get("r-1").approve(by=OWNER, now=T0 + timedelta(hours=1),
                                                           certificate=certificate)
            tx.seal_requests.save(approved)
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.seal_requests.get("r-1") == approved
            assert tx.seal_requests.get("r-1").state is SealRequestState.ISSUED

    def test_requests_are_listed_per_cabinet_newest_first(self) -> None:
        with self.make_adapter() as tx:
            tx.seal_requests.add(_request("r-1"))
            tx.seal_requests.add(_request("r-2", at=T0 + timedelta(minutes=1)))
            tx.seal_requests.add(_request("r-3", cabinet_id="c-2"))
            tx.commit()
        with self.make_adapter() as tx:
            assert [r.id for r in tx.seal_requests.of_cabinet("c-1")] == ["r-2", "r-1"]
            assert tx.seal_requests.of_cabinet("c-9") == []

    def test_unknown_ids_are_not_found_and_duplicates_refused(self) -> None:
        with self.make_adapter() as tx:
            tx.seal_requests.add(_request("r-1"))
            tx.sealings.add(_sealing("s-1"))
            tx.commit()
        with self.make_adapter() as tx:
            for missing in ("r-9", "", " r-1"):
                try:
                    tx.seal_requests.get(missing)
                    raise AssertionError(f"{missing!r} found")
                except SealRequestNotFound:
                    pass
            try:
                tx.sealings.get("s-9")
                raise AssertionError("s-9 found")
            except SealingNotFound:
                pass
        try:
            with self.make_adapter() as tx:
                tx.sealings.add(_sealing("s-1"))
                tx.commit()
            raise AssertionError("a second sealing s-1 was stored")
        except UniqueViolation:
            pass

    def test_a_sealing_survives_a_round_trip_and_lists_newest_first(self) -> None:
        with self.make_adapter() as tx:
            tx.sealings.add(_sealing("s-1"))
            tx.sealings.add(_sealing("s-2", at=T0 + timedelta(seconds=1)))
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.sealings.get("s-1") == _sealing("s-1")
            assert [s.id for s in tx.sealings.of_cabinet("c-1")] == ["s-2", "s-1"]
            assert [s.id for s in tx.sealings.of_cabinet("c-1", limit=1)] == ["s-2"]

    def test_nothing_is_kept_without_a_commit(self) -> None:
        with self.make_adapter() as tx:
            tx.seal_requests.add(_request("r-1"))
        with self.make_adapter() as tx:
            assert tx.seal_requests.of_cabinet("c-1") == []

    def test_a_renewed_sealing_is_saved_with_its_archive_states(self) -> None:
        from domain.model.archive import ArchiveState
        from domain.model.seals import SEALING_EVIDENCE

        with self.make_adapter() as tx:
            tx.sealings.add(_sealing("s-1"))
            tx.commit()
        state = ArchiveState(deadline=T0 + timedelta(days=900), proof_ends=T0 + timedelta(days=1200),
                             last_renewed_at=T0)
        renewed = _sealing("s-1").renewed("d-1", before="b" * 64, sha256="e" * 64, size=30, state=state)
        renewed = renewed.with_archive(SEALING_EVIDENCE, state.failed(at=T0, code="tsa.down"))
        with self.make_adapter() as tx:
            tx.sealings.save(renewed)
            tx.commit()
        with self.make_adapter() as tx:
            found = tx.sealings.get("s-1")
            assert found == renewed
            assert found.document("d-1").earlier_sha256s == ("b" * 64,) and found.evidence_archive.failures == 1
            assert [s.id for s in tx.sealings.archives_kept()] == ["s-1"]
            try:
                tx.sealings.save(_sealing("s-9"))
                raise AssertionError("saved a sealing never added")
            except SealingNotFound:
                pass

    def test_retention_finds_what_outlived_its_time_and_keeps_shared_bytes(self) -> None:
        with self.make_adapter() as tx:
            tx.sealings.add(_sealing("s-old"))
            tx.sealings.add(_sealing("s-new", at=T0 + timedelta(days=40)))
            tx.commit()
        documents_before, evidence_before = T0 + timedelta(days=30), T0 - timedelta(days=1)
        with self.make_adapter() as tx:
            assert [s.id for s in tx.sealings.retention_due(documents_before=documents_before,
                                                            evidence_before=evidence_before)] == ["s-old"]
            # Both sealings name the same original: the other one still keeps it.
            assert tx.sealings.references_document("a" * 64, excluding="s-old")
            purged, doomed = tx.sealings.get("s-old").without_documents(documents_before)
            assert doomed == {"a" * 64, "b" * 64}
            tx.sealings.save(purged)
            tx.commit()
        with self.make_adapter() as tx:
            assert tx.sealings.retention_due(documents_before=documents_before, evidence_before=evidence_before) == []
            assert not tx.sealings.references_document("b" * 64, excluding="s-new")  # s-old's are gone
            assert [s.id for s in tx.sealings.archives_kept()] == ["s-old", "s-new"]  # s-old: its evidence
