"""Retention, run by the worker: documents go N days after the end (default 30); the evidence
file goes after its own, much longer, time (default 10 years). The audit trail stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

from attrs import evolve, frozen

from domain.services.audit import append
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.repositories import UnitOfWork

__all__ = ["RetentionReport", "apply_retention"]


@frozen
class RetentionReport:
    documents_purged: tuple[str, ...]  # collection ids
    evidence_purged: tuple[str, ...]


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
    return RetentionReport(documents_purged=tuple(purged_documents), evidence_purged=tuple(purged_evidence))
