"""What a secure download link offers (the page a signer or observer reaches from the
completion email): read-only; each download itself goes through ``ceremony.download_by_link``,
which records it in the trail."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from attrs import frozen

from domain.model.collection import CollectionStatus
from domain.model.document import outcome_file_name
from domain.model.errors import DownloadLinkUnusable
from domain.model.tokens import hash_token
from ports.clock import Clock
from ports.repositories import UnitOfWork

__all__ = ["DownloadItem", "DownloadOverview", "download_overview"]


@frozen
class DownloadItem:
    item: str  # what ``download_by_link`` takes: a document id, "evidence.pdf" or "evidence.json"
    name: str
    kind: str  # "document" or "evidence"


@frozen
class DownloadOverview:
    collection_id: str
    collection_title: str
    cabinet_name: str
    sender_name: str
    collection_status: str
    expires_at: datetime
    role: str
    documents: tuple[DownloadItem, ...]
    evidence: tuple[DownloadItem, ...]
    documents_purged: bool


def download_overview(*, uow: Callable[[], UnitOfWork], clock: Clock, token: str) -> DownloadOverview:
    """The signed documents and the evidence file a download link gives, while it is valid."""
    now = clock.now()
    token_hash = hash_token(token)
    with uow() as tx:
        collection = tx.collections.by_download_token_hash(token_hash)
        if collection is None:
            raise DownloadLinkUnusable("unknown link", reason="unknown")
        link = next(link for link in collection.download_links if link.token_hash == token_hash)
        if now >= link.expires_at:
            raise DownloadLinkUnusable("the link has expired", reason="expired")
        purged = collection.documents_purged_at is not None
        documents: tuple[DownloadItem, ...] = ()
        if collection.status is CollectionStatus.COMPLETED and not purged:
            documents = tuple(DownloadItem(item=d.id, name=outcome_file_name(d.name), kind="document") for d in collection.documents)
        evidence: tuple[DownloadItem, ...] = ()
        if collection.evidence is not None and collection.evidence.purged_at is None:
            evidence = (DownloadItem(item="evidence.pdf", name=f"dossier-de-preuve-{collection.id}.pdf", kind="evidence"),
                        DownloadItem(item="evidence.json", name=f"dossier-de-preuve-{collection.id}.json",
                                     kind="evidence"))
        return DownloadOverview(
            collection_id=collection.id, collection_title=collection.title,
            cabinet_name=collection.preparer.cabinet_name, sender_name=collection.preparer.identity.display_name,
            collection_status=collection.status.value, expires_at=link.expires_at, role=link.role,
            documents=documents, evidence=evidence, documents_purged=purged)
