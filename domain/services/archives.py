"""Archive-timestamp renewal of the PDFs Seing keeps (issue 18 item 4).

Kept PDFs: the signed documents of a completed collection while they are retained, every
evidence PDF while it is retained, and the cabinet's sealed documents and sealing evidence
files while they are retained (their renewals go in the sealing's own audit chain). Each has a deadline (``domain.model.archive``); the worker's
daily ``renew_archives`` covers those due with a new document timestamp, after checking the
timestamps already there and before keeping the result. A failure changes nothing stored,
counts on the file, goes into the audit trail and alerts the cabinet's owners; the file stays
due, so the next run tries again. Nothing is skipped silently: every due file is either
renewed or reported failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Iterator

from attrs import evolve, frozen

from domain.model.archive import ArchiveState, TimestampFacts, next_deadline_after_renewal, renewal_deadline
from domain.model.collection import Collection, CollectionStatus
from domain.model.document import DocumentRef
from domain.model.errors import ArchiveRenewalRejected, DomainError
from domain.model.jobs import JobSpec, Notification
from domain.model.seals import Sealing
from domain.model.verification import VerificationReport
from domain.services.audit import append
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.locks import SigningLocks
from ports.pdf_signing import PdfSigning
from ports.repositories import UnitOfWork
from ports.verification import SignatureVerifier

__all__ = ["ArchiveEntry", "RenewalOutcome", "RenewalReport", "archive_status", "renew_archives"]

EVIDENCE = "evidence"  # the target name of a collection's evidence PDF; documents go by their id


@frozen
class ArchiveEntry:
    collection_id: str
    cabinet_id: str
    target: str  # a document id, or "evidence"
    name: str
    sha256: str
    deadline: datetime
    proof_ends: datetime | None
    last_renewed_at: datetime | None
    failures: int
    last_failure: str | None
    due: bool
    of: str = "collection"  # "collection", or "sealing" (``collection_id`` is then the sealing's id)


@frozen
class RenewalOutcome:
    collection_id: str
    target: str
    before: str
    after: str | None  # the new version's SHA-256; None when it failed or on a dry run
    error: str | None = None  # the error code of a failure
    proof_ends: datetime | None = None  # of the new document timestamp
    # The new timestamp's own proof ends within the margin (the TSA's certificate is near its
    # end): the operator must roll the TSA over; the worker logs it at error level.
    proof_ends_within_margin: bool = False
    of: str = "collection"  # "collection", or "sealing" (``collection_id`` is then the sealing's id)

    @property
    def ok(self) -> bool:
        return self.error is None


@frozen
class RenewalReport:
    renewed: tuple[RenewalOutcome, ...] = ()
    failed: tuple[RenewalOutcome, ...] = ()
    planned: tuple[RenewalOutcome, ...] = ()  # what a dry run would renew


def _margin(days: int) -> timedelta:
    return timedelta(days=days)


def _kept(collection: Collection) -> Iterator[tuple[str, str, DocumentRef, ArchiveState | None]]:
    """(target, name, current bytes, state) of each kept PDF of the collection."""
    if collection.status is CollectionStatus.COMPLETED and collection.documents_purged_at is None:
        for document in collection.documents:
            # Renewal starts once finalisation put the first document timestamp on.
            if document.purged_at is None and any(v.kind == "timestamp" for v in document.versions):
                yield document.id, document.name, document.latest, document.archive
    evidence = collection.evidence
    if evidence is not None and evidence.purged_at is None:
        yield EVIDENCE, "dossier de preuve", evidence.pdf, evidence.archive


def _state_for(facts: TimestampFacts | None, *, margin: timedelta, now: datetime) -> ArchiveState:
    return ArchiveState(deadline=renewal_deadline(facts, margin=margin, now=now),
                        proof_ends=facts.proof_ends if facts is not None else None)


def _first_state(*, store: DocumentStore, signing: PdfSigning, sha256: str, margin: timedelta,
                 now: datetime) -> ArchiveState:
    try:
        facts = signing.last_document_timestamp(store, sha256)
    except DomainError:
        # Unreadable now (storage, a damaged file): due at once, so the renewal runs, fails
        # and says so (trail, owners, log) rather than the file being passed over.
        return ArchiveState(deadline=now)
    return _state_for(facts, margin=margin, now=now)


def _set_state(collection: Collection, target: str, state: ArchiveState) -> None:
    if target == EVIDENCE:
        assert collection.evidence is not None
        collection.evidence = evolve(collection.evidence, archive=state)
    else:
        collection.document(target).archive = state


def _with_states(*, uow: Callable[[], UnitOfWork], store: DocumentStore, signing: PdfSigning, clock: Clock,
                 margin: timedelta) -> list[Collection]:
    """The kept collections, each PDF with its archive state; a PDF without one yet (kept before
    renewal existed, or just finalised) gets it from its bytes, saved for the next runs."""
    with uow() as tx:
        collections = tx.collections.archives_kept()
    for collection in collections:
        missing = [(target, ref) for target, _n, ref, state in _kept(collection) if state is None]
        if not missing:
            continue
        now = clock.now()
        states = {target: _first_state(store=store, signing=signing, sha256=ref.sha256, margin=margin, now=now)
                  for target, ref in missing}
        with uow() as tx:
            fresh = tx.collections.get(collection.id)
            for target, state in states.items():
                _set_state(fresh, target, state)
            tx.commit()
        for target, state in states.items():
            _set_state(collection, target, state)
    return collections


def archive_status(*, uow: Callable[[], UnitOfWork], store: DocumentStore, signing: PdfSigning, clock: Clock,
                   archive_renewal_margin_days: int = 365) -> list[ArchiveEntry]:
    """Every kept PDF with its deadline and last renewal, soonest deadline first (``seing archives status``)."""
    collections = _with_states(uow=uow, store=store, signing=signing, clock=clock,
                               margin=_margin(archive_renewal_margin_days))
    now = clock.now()  # after: a state first computed there may be due from that very moment
    entries = []
    for collection in collections:
        for target, name, ref, state in _kept(collection):
            assert state is not None
            entries.append(ArchiveEntry(
                collection_id=collection.id, cabinet_id=collection.cabinet_id, target=target, name=name,
                sha256=ref.sha256, deadline=state.deadline, proof_ends=state.proof_ends,
                last_renewed_at=state.last_renewed_at, failures=state.failures, last_failure=state.last_failure,
                due=state.is_due(now)))
    for sealing in _sealings_with_states(uow=uow, store=store, signing=signing, clock=clock,
                                         margin=_margin(archive_renewal_margin_days)):
        for target, name, sha256, state in sealing.kept():
            assert state is not None
            entries.append(ArchiveEntry(
                collection_id=sealing.id, cabinet_id=sealing.cabinet_id, target=target, name=name, sha256=sha256,
                deadline=state.deadline, proof_ends=state.proof_ends, last_renewed_at=state.last_renewed_at,
                failures=state.failures, last_failure=state.last_failure, due=state.is_due(now), of="sealing"))
    return sorted(entries, key=lambda e: (e.deadline, e.collection_id, e.target))


def _timestamps_hold(report: VerificationReport) -> bool:
    """Every document timestamp intact and its signature sound."""
    return all(s.intact and s.valid for s in report.signatures if s.kind == "document_timestamp")


def _renewed_holds(before: VerificationReport, after: VerificationReport) -> bool:
    """The renewed file: one more document timestamp, trusted, good, covering the whole file, and
    nothing that held before broken by it."""
    stamps = [s for s in after.signatures if s.kind == "document_timestamp"]
    if len(stamps) != len([s for s in before.signatures if s.kind == "document_timestamp"]) + 1:
        return False
    if not (stamps[-1].ok and after.whole_document_covered):
        return False
    held = {s.field_name for s in before.signatures if s.intact and s.valid}
    return all(s.intact and s.valid for s in after.signatures if s.field_name in held)


def renew_archives(*, uow: Callable[[], UnitOfWork], clock: Clock, store: DocumentStore, signing: PdfSigning,
                   verifier: SignatureVerifier, locks: SigningLocks, archive_renewal_margin_days: int = 365,
                   due_only: bool = True, dry_run: bool = False) -> RenewalReport:
    """Renew the kept PDFs that are due (all of them with ``due_only=False``); the worker runs it daily.

    Per PDF: the timestamps already there must validate; the adapter adds the last document
    timestamp's validation data and a new document timestamp; the result must validate; the new
    bytes are stored (content-addressed), the collection records the new digest and the new
    deadline in the same transaction as the audit event. On failure nothing stored changes: the
    failure is counted on the PDF, written in the trail, and the cabinet's owners are emailed; the
    PDF stays due for the next run.
    """
    margin = _margin(archive_renewal_margin_days)
    renewed: list[RenewalOutcome] = []
    failed: list[RenewalOutcome] = []
    planned: list[RenewalOutcome] = []
    for collection in _with_states(uow=uow, store=store, signing=signing, clock=clock, margin=margin):
        due = [(target, name, ref) for target, name, ref, state in _kept(collection)
               if state is not None and (not due_only or state.is_due(clock.now()))]
        if dry_run:
            planned += [RenewalOutcome(collection.id, target, ref.sha256, None) for target, _n, ref in due]
            continue
        if not due:
            continue
        # Two workers (or the worker and `seing archives renew`) never renew one file twice.
        with locks.hold(collection.id):
            for target, name, ref in due:
                try:
                    new_ref, facts = _renew_bytes(store=store, signing=signing, verifier=verifier,
                                                  sha256=ref.sha256)
                except DomainError as error:
                    failed.append(_record_failure(uow=uow, clock=clock, collection_id=collection.id, target=target,
                                                  name=name, before=ref.sha256, code=error.code))
                    continue
                renewed.append(_record_renewal(uow=uow, clock=clock, collection_id=collection.id, target=target,
                                               before=ref.sha256, ref=new_ref, facts=facts, margin=margin))
    for sealing in _sealings_with_states(uow=uow, store=store, signing=signing, clock=clock, margin=margin):
        sealing_due = [(target, name, sha256) for target, name, sha256, state in sealing.kept()
                       if state is not None and (not due_only or state.is_due(clock.now()))]
        if dry_run:
            planned += [RenewalOutcome(sealing.id, target, sha256, None, of="sealing")
                        for target, _n, sha256 in sealing_due]
            continue
        if not sealing_due:
            continue
        with locks.hold(sealing.id):
            for target, name, sha256 in sealing_due:
                try:
                    new_ref, facts = _renew_bytes(store=store, signing=signing, verifier=verifier, sha256=sha256)
                except DomainError as error:
                    failed.append(_record_sealing_failure(uow=uow, clock=clock, sealing_id=sealing.id,
                                                          target=target, name=name, before=sha256, code=error.code))
                    continue
                renewed.append(_record_sealing_renewal(uow=uow, clock=clock, sealing_id=sealing.id, target=target,
                                                       before=sha256, ref=new_ref, facts=facts, margin=margin))
    return RenewalReport(renewed=tuple(renewed), failed=tuple(failed), planned=tuple(planned))


def _renew_bytes(*, store: DocumentStore, signing: PdfSigning, verifier: SignatureVerifier,
                 sha256: str) -> tuple[DocumentRef, TimestampFacts]:
    before = verifier.verify(store.read(sha256))
    if not _timestamps_hold(before):
        raise ArchiveRenewalRejected("a document timestamp of the file does not validate", sha256=sha256)
    renewed = signing.timestamp_document(store, sha256)
    after = verifier.verify(store.read(renewed.sha256))
    facts = signing.last_document_timestamp(store, renewed.sha256)
    if facts is None or not _renewed_holds(before, after):
        # Its fresh timestamp makes the renewed file unique: nothing else refers to it.
        store.delete(renewed.sha256)
        raise ArchiveRenewalRejected("the renewed file does not validate", sha256=sha256)
    return renewed, facts


def _record_renewal(*, uow: Callable[[], UnitOfWork], clock: Clock, collection_id: str, target: str, before: str,
                    ref: DocumentRef, facts: TimestampFacts, margin: timedelta) -> RenewalOutcome:
    now = clock.now()
    state = ArchiveState(deadline=next_deadline_after_renewal(facts, margin=margin, now=now),
                         proof_ends=facts.proof_ends, last_renewed_at=now)
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if target == EVIDENCE:
            assert collection.evidence is not None
            if collection.evidence.pdf.sha256 != before:  # renewed meanwhile by another run: keep theirs
                return RenewalOutcome(collection_id, target, before, collection.evidence.pdf.sha256,
                                      proof_ends=facts.proof_ends)
            collection.evidence = evolve(collection.evidence, pdf=ref, archive=state,
                                         earlier_pdfs=(*collection.evidence.earlier_pdfs, before))
        else:
            document = collection.document(target)
            if document.latest.sha256 != before:  # renewed meanwhile by another run: keep theirs
                return RenewalOutcome(collection_id, target, before, document.latest.sha256,
                                      proof_ends=facts.proof_ends)
            document.advance(base=before, ref=ref, kind="timestamp", at=now)
            document.archive = state
        append(tx, collection_id, "archive_renewed", at=now, target=target, before=before, after=ref.sha256,
               deadline=state.deadline.isoformat(), pades="B-LTA")
        tx.commit()
    return RenewalOutcome(collection_id, target, before, ref.sha256, proof_ends=facts.proof_ends,
                          proof_ends_within_margin=facts.proof_ends - margin <= now)


def _record_failure(*, uow: Callable[[], UnitOfWork], clock: Clock, collection_id: str, target: str, name: str,
                    before: str, code: str) -> RenewalOutcome:
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        previous = (collection.evidence.archive if target == EVIDENCE and collection.evidence is not None
                    else collection.document(target).archive)
        assert previous is not None
        state = previous.failed(at=now, code=code)
        _set_state(collection, target, state)
        append(tx, collection_id, "archive_renewal_failed", at=now, target=target, sha256=before, error=code,
               failures=state.failures)
        _alert_owners(tx, collection.cabinet_id, state, collection_id=collection.id,
                      collection_title=collection.title, file_name=name, error=code)
        tx.commit()
    return RenewalOutcome(collection_id, target, before, None, error=code)


def _alert_owners(tx: UnitOfWork, cabinet_id: str, state: ArchiveState, **context: str) -> None:
    """Each owner of the cabinet is emailed that a kept PDF's renewal failed (and until when it can succeed)."""
    for member in tx.members.of_cabinet(cabinet_id):
        if not member.is_owner:
            continue
        owner = tx.persons.get(member.person_id)
        tx.jobs.enqueue(JobSpec.notify(Notification.email(
            owner.email, "archive_renewal_failed", locale=owner.locale, recipient_name=owner.display_name,
            deadline=state.deadline.strftime("%d/%m/%Y"), failures=str(state.failures), **context)))


# -- the cabinet's sealings: their sealed documents and evidence files are kept PDFs too ---------------


def _sealings_with_states(*, uow: Callable[[], UnitOfWork], store: DocumentStore, signing: PdfSigning, clock: Clock,
                          margin: timedelta) -> list[Sealing]:
    """As ``_with_states``, for the sealings: a kept PDF without a state gets one from its bytes."""
    with uow() as tx:
        sealings = tx.sealings.archives_kept()
    found = []
    for sealing in sealings:
        missing = [(target, sha256) for target, _n, sha256, state in sealing.kept() if state is None]
        if missing:
            now = clock.now()
            states = {target: _first_state(store=store, signing=signing, sha256=sha256, margin=margin, now=now)
                      for target, sha256 in missing}
            with uow() as tx:
                fresh = tx.sealings.get(sealing.id)
                for target, state in states.items():
                    fresh = fresh.with_archive(target, state)
                tx.sealings.save(fresh)
                tx.commit()
            sealing = fresh
        found.append(sealing)
    return found


def _record_sealing_renewal(*, uow: Callable[[], UnitOfWork], clock: Clock, sealing_id: str, target: str,
                            before: str, ref: DocumentRef, facts: TimestampFacts,
                            margin: timedelta) -> RenewalOutcome:
    now = clock.now()
    state = ArchiveState(deadline=next_deadline_after_renewal(facts, margin=margin, now=now),
                         proof_ends=facts.proof_ends, last_renewed_at=now)
    with uow() as tx:
        sealing = tx.sealings.get(sealing_id)
        if sealing.current(target) != before:  # renewed meanwhile by another run: keep theirs
            return RenewalOutcome(sealing_id, target, before, sealing.current(target), proof_ends=facts.proof_ends,
                                  of="sealing")
        tx.sealings.save(sealing.renewed(target, before=before, sha256=ref.sha256, size=ref.size, state=state))
        append(tx, sealing_id, "archive_renewed", at=now, target=target, before=before, after=ref.sha256,
               deadline=state.deadline.isoformat(), pades="B-LTA")
        tx.commit()
    return RenewalOutcome(sealing_id, target, before, ref.sha256, proof_ends=facts.proof_ends,
                          proof_ends_within_margin=facts.proof_ends - margin <= now, of="sealing")


def _record_sealing_failure(*, uow: Callable[[], UnitOfWork], clock: Clock, sealing_id: str, target: str, name: str,
                            before: str, code: str) -> RenewalOutcome:
    now = clock.now()
    with uow() as tx:
        sealing = tx.sealings.get(sealing_id)
        previous = sealing.archive_of(target)
        assert previous is not None
        state = previous.failed(at=now, code=code)
        tx.sealings.save(sealing.with_archive(target, state))
        append(tx, sealing_id, "archive_renewal_failed", at=now, target=target, sha256=before, error=code,
               failures=state.failures)
        _alert_owners(tx, sealing.cabinet_id, state, collection_id=sealing.id,
                      sealed_on=sealing.sealed_at.strftime("%d/%m/%Y"), file_name=name, error=code)
        tx.commit()
    return RenewalOutcome(sealing_id, target, before, None, error=code, of="sealing")
