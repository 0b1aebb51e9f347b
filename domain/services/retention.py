"""Retention, run by the worker: documents go N days after the end (default 30); the evidence
file goes after its own, much longer, time (default 10 years). The audit trail stays. The
cabinet's sealings follow the same two times, counted from the sealing. The level-3 consents at a
QTSP that lapsed go an hour after their expiry, with their prepared PDFs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from attrs import evolve, frozen

from domain.model.remote_consent import RemoteConsent
from domain.services.audit import append
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.repositories import UnitOfWork

__all__ = ["RetentionReport", "apply_retention"]


@frozen
class RetentionReport:
    documents_purged: tuple[str, ...]  # collection ids
    evidence_purged: tuple[str, ...]
    sealing_documents_purged: tuple[str, ...] = ()  # sealing ids
    sealing_evidence_purged: tuple[str, ...] = ()
    consents_removed: tuple[str, ...] = ()  # remote consent ids

# A redirect that came back before the expiry may still be finishing (the provider's signHash,
# the signature timestamp) with the prepared PDFs: they are kept well beyond that.
CONSENTS_KEPT_AFTER_EXPIRY = timedelta(hours=1)


def apply_retention(*, uow: Callable[[], UnitOfWork], clock: Clock, store: DocumentStore,
                    document_retention_days: int = 30, evidence_retention_days: int = 3653,
                    limit: int = 100) -> RetentionReport:
    """Delete what outlived its retention; each collection in its own transaction. The bytes
    are deleted after the commit that forgets them, so a crash leaves at worst unreferenced
    bytes, never a collection pointing at missing ones."""
    now = clock.now()
    documents_before = now - timedelta(days=document_retention_days)
    evidence_before = now - timedelta(days=evidence_retention_days)
    with uow() as tx:
        due = [c.id for c in tx.collections.retention_due(documents_before=documents_before,
                                                          evidence_before=evidence_before, limit=limit)]
    purged_documents: list[str] = []
    purged_evidence: list[str] = []
    for collection_id in due:
        doomed: set[str] = set()
        with uow() as tx:
            collection = tx.collections.get(collection_id)
            assert collection.ended_at is not None
            if collection.documents_purged_at is None and collection.ended_at <= documents_before:
                for document in collection.documents:
                    doomed |= {document.ref.sha256} | {v.after for v in document.versions}
                    document.purged_at = now
                collection.documents_purged_at = now
                append(tx, collection.id, "documents_purged", at=now, count=len(collection.documents))
                purged_documents.append(collection.id)
            evidence = collection.evidence
            if evidence is not None and evidence.purged_at is None and collection.ended_at <= evidence_before:
                doomed |= {evidence.pdf.sha256, evidence.json.sha256, *evidence.earlier_pdfs}
                collection.evidence = evolve(evidence, purged_at=now)
                purged_evidence.append(collection.id)
            # Content-addressed bytes another collection still uses (the same original sent twice) stay.
            doomed = {sha for sha in doomed if not tx.collections.references_document(sha, excluding=collection.id)}
            tx.commit()
        for sha256 in doomed:
            store.delete(sha256)
    sealing_documents, sealing_evidence = _sealings_retention(uow=uow, now=now, store=store,
                                                              documents_before=documents_before,
                                                              evidence_before=evidence_before, limit=limit)
    consents = _lapsed_consents(uow=uow, now=now, store=store, limit=limit)
    return RetentionReport(documents_purged=tuple(purged_documents), evidence_purged=tuple(purged_evidence),
                           sealing_documents_purged=sealing_documents, sealing_evidence_purged=sealing_evidence,
                           consents_removed=consents)


def _lapsed_consents(*, uow: Callable[[], UnitOfWork], now: datetime, store: DocumentStore,
                     limit: int) -> tuple[str, ...]:
    """Consents at the QTSP past their use (returned or never): forgotten, and their prepared
    PDFs deleted, which nothing else names (a finished signature is a new file of its own)."""
    with uow() as tx:
        lapsed: list[RemoteConsent] = tx.remote_consents.lapsed(before=now - CONSENTS_KEPT_AFTER_EXPIRY, limit=limit)
        for consent in lapsed:
            tx.remote_consents.remove(consent.id)
        prepared = {d.prepared for c in lapsed for d in c.documents}
        # Content-addressed: bytes a collection, a sealing or a consent still kept names stay.
        doomed = {sha for sha in prepared
                  if not tx.collections.references_document(sha, excluding="")
                  and not tx.sealings.references_document(sha, excluding="")
                  and not tx.remote_consents.references_document(sha, excluding="")}
        tx.commit()
    for sha256 in doomed:
        store.delete(sha256)
    return tuple(c.id for c in lapsed)


def _sealings_retention(*, uow: Callable[[], UnitOfWork], now: datetime, store: DocumentStore,
                        documents_before: datetime, evidence_before: datetime,
                        limit: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The cabinet's sealings under the same times, counted from the sealing: the sealed
    documents (and their originals) go, then, much later, the evidence files. Record and trail stay."""
    with uow() as tx:
        due = [s.id for s in tx.sealings.retention_due(documents_before=documents_before,
                                                        evidence_before=evidence_before, limit=limit)]
    purged_documents: list[str] = []
    purged_evidence: list[str] = []
    for sealing_id in due:
        doomed: set[str] = set()
        with uow() as tx:
            sealing = tx.sealings.get(sealing_id)
            if sealing.documents_purged_at is None and sealing.sealed_at <= documents_before:
                sealing, gone = sealing.without_documents(now)
                doomed |= gone
                append(tx, sealing.id, "documents_purged", at=now, count=len(sealing.documents))
                purged_documents.append(sealing.id)
            if (sealing.evidence_pdf_sha256 is not None and sealing.evidence_purged_at is None
                    and sealing.sealed_at <= evidence_before):
                sealing, gone = sealing.without_evidence(now)
                doomed |= gone
                purged_evidence.append(sealing.id)
            tx.sealings.save(sealing)
            # Content-addressed bytes a collection or another sealing still uses (the same original) stay.
            doomed = {sha for sha in doomed
                      if not tx.collections.references_document(sha, excluding="")
                      and not tx.sealings.references_document(sha, excluding=sealing.id)}
            tx.commit()
        for sha256 in doomed:
            store.delete(sha256)
    return tuple(purged_documents), tuple(purged_evidence)
