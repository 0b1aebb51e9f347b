"""Contract of the collection repository (ports/collections.py), reached as ``uow.collections``.

Subclass ``CollectionRepositoryContract`` once per adapter and implement ``make_adapter``: each
call in one test returns a new unit of work over the same storage, empty when the test starts
(as in ports/contracts/repositories.py). A database adapter must keep everything the aggregate
holds: signers in order with their link hashes, documents with page sizes and fields, observers,
the timeline, and find collections by link hash and by ``next_due_at()``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Callable

from domain.model.cabinet import Delegation, Member, Role
from domain.model.collection import Collection, CollectionStatus, InvitationMode, ReminderPolicy
from domain.model.document import Document, DocumentRef, FieldPlacement, PageSize
from domain.model.errors import NotFound
from domain.model.signer import Identity, SignatureLevel, SignerKind, SignerStatus
from domain.model.tokens import hash_token
from domain.model.values import Email, Mobile, PersonName
from ports.collections import CollectionRepository
from ports.repositories import UnitOfWork

T0 = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)
PREPARER = Member(id="mem-1", cabinet_id="cab-1", person_id="per-1", role=Role.OWNER,
                  delegations=frozenset(Delegation), joined_at=T0)


def _identity(n: int, *, mobile: bool = True) -> Identity:
    return Identity(name=PersonName("Hélène", f"Dupont-{chr(64 + n)}"), email=Email(f"p{n}@example.org"),
                    mobile=Mobile(f"06 12 34 56 {n:02d}") if mobile else None)


class _Tokens:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.issued: list[str] = []

    def __call__(self) -> str:
        self.issued.append(f"{self.prefix}-token-{len(self.issued) + 1}")
        return self.issued[-1]


def a_collection(n: int = 1, *, cabinet_id: str = "cab-1", title: str | None = None, signers: int = 2,
                 created: datetime = T0, mode: InvitationMode = InvitationMode.SEQUENTIAL) -> Collection:
    by = PREPARER if cabinet_id == "cab-1" else Member(id=f"mem-{cabinet_id}", cabinet_id=cabinet_id,
                                                       person_id="per-x", role=Role.OWNER,
                                                       delegations=frozenset(Delegation), joined_at=T0)
    c = Collection.draft(id=f"col-{n}", by=by, preparer=_identity(1), cabinet_name="Cabinet Été",
                         title=title or f"Lettre de mission {n}", message="Bonjour,\nmerci de signer.",
                         now=created, mode=mode, reminders=ReminderPolicy(every_days=2, max_count=3))
    sha = hashlib.sha256(f"doc-{n}".encode()).hexdigest()
    c.add_document(by=by, document=Document(id=f"doc-{n}", name="lettre été.pdf", ref=DocumentRef(sha, 1234),
                                            page_sizes=[PageSize(595, 842), PageSize(612, 792.5)], added_at=created),
                   now=created)
    for k in range(signers):
        c.add_signer(by=by, signer_id=f"sig-{n}-{k}", kind=SignerKind.EXTERNAL, identity=_identity(k + 2),
                     level=SignatureLevel.ADVANCED if k else SignatureLevel.SIMPLE, now=created)
    return c


def _sent(c: Collection, at: datetime = T0) -> _Tokens:
    tokens = _Tokens(c.id)
    c.send(by=PREPARER if c.cabinet_id == "cab-1" else _member_of(c), now=at, new_token=tokens)
    return tokens


def _member_of(c: Collection) -> Member:
    return Member(id=c.prepared_by, cabinet_id=c.cabinet_id, person_id="per-x", role=Role.OWNER,
                  delegations=frozenset(Delegation), joined_at=T0)


class CollectionRepositoryContract:
    def make_adapter(self) -> UnitOfWork:
        raise NotImplementedError

    # helpers

    def _repo(self, tx: UnitOfWork) -> CollectionRepository:
        return tx.collections  # type: ignore[attr-defined,no-any-return]

    def _store(self, *collections: Collection) -> None:
        with self.make_adapter() as tx:
            for c in collections:
                self._repo(tx).add(c)
            tx.commit()

    def _change(self, collection_id: str, change: Callable[[Collection], object]) -> None:
        with self.make_adapter() as tx:
            change(self._repo(tx).get(collection_id))
            tx.commit()

    def _get(self, collection_id: str) -> Collection:
        with self.make_adapter() as tx:
            return self._repo(tx).get(collection_id)

    # tests

    def test_conforms_to_the_port(self) -> None:
        with self.make_adapter() as tx:
            assert isinstance(self._repo(tx), CollectionRepository)

    def test_a_stored_draft_reads_back_whole(self) -> None:
        original = a_collection()
        original.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-1-1",
                             placement=FieldPlacement(page=2, x=10.5, y=20.25, width=150, height=50))
        original.add_observer(by=PREPARER, observer_id="obs-1", identity=_identity(9, mobile=False), now=T0)
        self._store(original)
        c = self._get("col-1")
        assert (c.id, c.cabinet_id, c.title, c.message) == ("col-1", "cab-1", original.title, original.message)
        assert c.preparer == original.preparer and c.prepared_by == "mem-1"
        assert (c.created_at, c.deadline, c.mode, c.reminders) == (T0, original.deadline, original.mode,
                                                                   original.reminders)
        assert c.status is CollectionStatus.DRAFT and c.sent_at is None and c.ended_at is None
        assert [(s.id, s.kind, s.identity, s.level, s.status, s.member_id) for s in c.signers] == [
            (s.id, s.kind, s.identity, s.level, s.status, s.member_id) for s in original.signers]
        d = c.document("doc-1")
        assert (d.name, d.ref, d.page_sizes, d.added_at) == ("lettre été.pdf", original.documents[0].ref,
                                                             (PageSize(595, 842), PageSize(612, 792.5)), T0)
        assert d.fields == {"sig-1-1": FieldPlacement(page=2, x=10.5, y=20.25, width=150, height=50)}
        assert [(o.id, o.identity) for o in c.observers] == [("obs-1", _identity(9, mobile=False))]
        assert c.timeline == original.timeline

    def test_blank_room_of_a_document_reads_back(self) -> None:
        original = a_collection()
        slots = (FieldPlacement(page=2, x=36, y=36, width=180, height=60),
                 FieldPlacement(page=1, x=228, y=300.5, width=180, height=60))
        original.documents[0].free_slots = slots
        self._store(original)
        assert self._get("col-1").document("doc-1").free_slots == slots

    def test_a_removed_draft_is_gone_with_its_links_and_others_stay(self) -> None:
        self._store(a_collection(1), a_collection(2))
        with self.make_adapter() as tx:
            doomed = self._repo(tx).get("col-1")
            doomed.update_info(by=PREPARER, title="Changed before removal", message="", now=T0)
            self._repo(tx).remove(doomed)
            tx.commit()
        with self.make_adapter() as tx:
            try:
                self._repo(tx).get("col-1")
            except NotFound:
                pass
            else:
                raise AssertionError("a removed collection must be NotFound")
            assert self._repo(tx).get("col-2").title == "Lettre de mission 2"
            assert [c.id for c in self._repo(tx).search("cab-1")[0]] == ["col-2"]

    def test_get_of_an_unknown_collection_is_not_found(self) -> None:
        with self.make_adapter() as tx:
            try:
                self._repo(tx).get("col-404")
            except NotFound:
                pass
            else:
                raise AssertionError("get must raise NotFound")
            for blank in (" ", "\u00a0", "\t"):
                try:
                    self._repo(tx).get(blank)
                except NotFound:
                    continue
                raise AssertionError("a blank id must be NotFound")

    def test_changes_are_saved_by_commit_and_dropped_without_it(self) -> None:
        self._store(a_collection())
        self._change("col-1", lambda c: c.reorder(by=PREPARER, signer_ids=["sig-1-1", "sig-1-0"], now=T0))
        with self.make_adapter() as tx:
            self._repo(tx).get("col-1").update_info(by=PREPARER, title="Jamais enregistré", message="", now=T0)
        c = self._get("col-1")
        assert [s.id for s in c.signers] == ["sig-1-1", "sig-1-0"]
        assert c.title == "Lettre de mission 1"

    def test_a_running_collection_keeps_its_signers_state_and_links(self) -> None:
        c = a_collection()
        tokens = _sent(c)
        c.open(signer_id="sig-1-0", now=T0 + timedelta(hours=1))
        c.record_signature(signer_id="sig-1-0", now=T0 + timedelta(hours=2), new_token=tokens)
        c.remind(signer_id="sig-1-1", now=T0 + timedelta(days=2), new_token=tokens)
        self._store(c)
        back = self._get("col-1")
        assert back.status is CollectionStatus.IN_PROGRESS and back.sent_at == T0
        first, second = back.signers
        assert (first.status, first.invited_at, first.opened_at, first.signed_at) == (
            SignerStatus.SIGNED, T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
        assert second.status is SignerStatus.INVITED and second.reminders_sent == 1
        assert second.last_reminded_at == T0 + timedelta(days=2)
        assert second.token_hashes == c.signers[1].token_hashes and len(second.token_hashes) == 2

    def test_a_refused_collection_keeps_the_reason(self) -> None:
        c = a_collection(mode=InvitationMode.PARALLEL)
        _sent(c)
        c.refuse(signer_id="sig-1-1", reason="Montant erroné", now=T0 + timedelta(hours=1))
        self._store(c)
        back = self._get("col-1")
        assert back.status is CollectionStatus.REFUSED and back.ended_at == T0 + timedelta(hours=1)
        assert back.signer("sig-1-1").refusal_reason == "Montant erroné"

    def test_a_collection_is_found_by_any_of_its_link_hashes(self) -> None:
        c, other = a_collection(1), a_collection(2)
        tokens = _sent(c)
        c.remind(signer_id="sig-1-0", now=T0 + timedelta(days=2), new_token=tokens)
        _sent(other)
        self._store(c, other)
        with self.make_adapter() as tx:
            for token in tokens.issued:
                found = self._repo(tx).by_token_hash(hash_token(token))
                assert found is not None and found.id == "col-1"
            assert self._repo(tx).by_token_hash(hash_token("unknown")) is None

    def test_a_link_issued_in_the_transaction_finds_the_collection_before_commit(self) -> None:
        c = a_collection()
        tokens = _sent(c)
        self._store(c)
        with self.make_adapter() as tx:
            loaded = self._repo(tx).get("col-1")
            loaded.remind(signer_id="sig-1-0", now=T0 + timedelta(days=2), new_token=tokens)
            assert self._repo(tx).by_token_hash(hash_token(tokens.issued[-1])) is loaded

    def test_a_dead_link_no_longer_finds_the_collection(self) -> None:
        c = a_collection()
        tokens = _sent(c)
        self._store(c)
        self._change("col-1", lambda c: c.replace_signer(
            by=PREPARER, signer_id="sig-1-0", new_signer_id="sig-new", kind=SignerKind.EXTERNAL,
            identity=_identity(8), level=SignatureLevel.SIMPLE, now=T0, new_token=tokens))
        with self.make_adapter() as tx:
            assert self._repo(tx).by_token_hash(hash_token(tokens.issued[0])) is None
            assert self._repo(tx).by_token_hash(hash_token(tokens.issued[1])).id == "col-1"  # type: ignore[union-attr]

    def test_search_filters_by_cabinet_status_and_text_newest_first(self) -> None:
        drafts = [a_collection(n, created=T0 + timedelta(minutes=n)) for n in range(1, 4)]
        running = a_collection(4, title="Bilan Société Générale", created=T0 + timedelta(minutes=4))
        _sent(running, T0 + timedelta(minutes=5))
        elsewhere = a_collection(5, cabinet_id="cab-2", created=T0 + timedelta(minutes=5))
        self._store(*drafts, running, elsewhere)
        with self.make_adapter() as tx:
            repo = self._repo(tx)
            items, total = repo.search("cab-1")
            assert [c.id for c in items] == ["col-4", "col-3", "col-2", "col-1"] and total == 4
            items, total = repo.search("cab-1", statuses=frozenset({CollectionStatus.IN_PROGRESS}))
            assert [c.id for c in items] == ["col-4"] and total == 1
            items, _ = repo.search("cab-1", text="societe generale")
            assert [c.id for c in items] == ["col-4"]
            items, _ = repo.search("cab-1", text="DUPONT-C")  # a signer's surname, any case
            assert len(items) == 4
            items, _ = repo.search("cab-1", text="p3@example")
            assert len(items) == 4
            items, total = repo.search("cab-1", offset=1, limit=2)
            assert [c.id for c in items] == ["col-3", "col-2"] and total == 4
            assert repo.search("cab-9") == ([], 0)

    def test_due_lists_running_collections_whose_next_action_has_come(self) -> None:
        soon = a_collection(1)
        _sent(soon)  # first reminder due at T0 + 2 days
        later = a_collection(2)
        _sent(later, T0 + timedelta(days=1))  # due at T0 + 3 days
        draft = a_collection(3)
        done = a_collection(4, signers=1)
        _sent(done)
        done.record_signature(signer_id="sig-4-0", now=T0, new_token=_Tokens("x"))
        self._store(soon, later, draft, done)
        with self.make_adapter() as tx:
            repo = self._repo(tx)
            assert repo.due(T0 + timedelta(days=1)) == []
            assert [c.id for c in repo.due(T0 + timedelta(days=2))] == ["col-1"]
            assert [c.id for c in repo.due(T0 + timedelta(days=3))] == ["col-1", "col-2"]
            assert [c.id for c in repo.due(T0 + timedelta(days=3), limit=1)] == ["col-1"]
        self._change("col-1", lambda c: c.remind(signer_id="sig-1-0", now=T0 + timedelta(days=2),
                                                 new_token=_Tokens("r")))
        with self.make_adapter() as tx:
            assert [c.id for c in self._repo(tx).due(T0 + timedelta(days=3))] == ["col-2"]

    # the signing ceremony's state and queries

    def _ended_with_ceremony_state(self, n: int, ended: datetime) -> Collection:
        from domain.model.collection import DownloadLink, EvidenceRef
        from domain.model.signer import SignatureCertificate

        c = a_collection(n)
        tokens = _sent(c)
        document = c.documents[0]
        prepared = DocumentRef(hashlib.sha256(f"prepared-{n}".encode()).hexdigest(), 2000)
        signed = DocumentRef(hashlib.sha256(f"signed-{n}".encode()).hexdigest(), 3000)
        document.set_prepared(prepared, T0)
        document.advance(base=prepared.sha256, ref=signed, kind="signature", at=T0, signer_id=f"sig-{n}-0")
        c.signers[0].certificate = SignatureCertificate(serial="7f3a", policy="0.4.0.2042.1.3", issuer="lcp",
                                                        subject="CN=Hélène DUPONT", one_time=True)
        c.signers[0].finalising_since = T0
        c.cancel(by=PREPARER, now=ended, reason="Dossier réglé autrement")
        c.evidence = EvidenceRef(pdf=signed, json=prepared, sealed_at=ended)
        c.download_links.append(DownloadLink(token_hash=hash_token(f"dl-{n}"), email="p2@example.org",
                                             expires_at=ended + timedelta(days=30), role="signer"))
        assert tokens.issued
        return c

    def test_the_ceremony_state_reads_back_whole(self) -> None:
        original = self._ended_with_ceremony_state(1, T0 + timedelta(hours=1))
        self._store(original)
        c = self._get("col-1")
        d, o = c.documents[0], original.documents[0]
        assert (d.prepared, d.current, d.versions) == (o.prepared, o.current, o.versions)
        assert c.signers[0].certificate == original.signers[0].certificate
        assert c.signers[0].finalising_since == T0
        assert (c.evidence, c.download_links) == (original.evidence, original.download_links)

    def test_archive_state_reads_back_and_kept_archives_are_listed(self) -> None:
        from attrs import evolve

        from domain.model.archive import ArchiveState

        cancelled = self._ended_with_ceremony_state(1, T0 + timedelta(hours=1))
        state = ArchiveState(deadline=T0 + timedelta(days=1800), proof_ends=T0 + timedelta(days=2190),
                             last_renewed_at=T0, failures=2, last_failure_at=T0, last_failure="timestamp.unavailable")
        cancelled.evidence = evolve(cancelled.evidence, archive=state, earlier_pdfs=("ab" * 32,))
        cancelled.documents[0].archive = state
        purged = self._ended_with_ceremony_state(2, T0 + timedelta(hours=2))
        purged.evidence = evolve(purged.evidence, purged_at=T0 + timedelta(days=10))
        running = a_collection(3)
        _sent(running)
        self._store(cancelled, purged, running)
        c = self._get("col-1")
        assert c.evidence == cancelled.evidence and c.documents[0].archive == state
        with self.make_adapter() as tx:
            # A cancelled collection keeps only its evidence; a purged evidence is no archive.
            assert [c.id for c in self._repo(tx).archives_kept()] == ["col-1"]

    def test_download_links_retention_and_evidence_queries(self) -> None:
        old = self._ended_with_ceremony_state(1, T0 + timedelta(hours=1))
        recent = self._ended_with_ceremony_state(2, T0 + timedelta(days=40))
        recent.evidence = None
        running = a_collection(3)
        _sent(running)
        self._store(old, recent, running)
        with self.make_adapter() as tx:
            repo = self._repo(tx)
            found = repo.by_download_token_hash(hash_token("dl-2"))
            assert found is not None and found.id == "col-2"
            assert repo.by_download_token_hash(hash_token("nope")) is None
            due = repo.retention_due(documents_before=T0 + timedelta(days=31), evidence_before=T0, limit=10)
            assert [c.id for c in due] == ["col-1"]
            assert [c.id for c in repo.awaiting_evidence(limit=10)] == ["col-2"]
            shared = old.documents[0].ref.sha256
            assert not repo.references_document(shared, excluding="col-1")
            assert repo.references_document(recent.documents[0].versions[-1].after, excluding="col-1")
