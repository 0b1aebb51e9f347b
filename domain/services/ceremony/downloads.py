"""Downloads of an ended collection: by a signer's or observer's link (from the completion
email), or by a member of the cabinet. Each download is recorded in the trail."""

from __future__ import annotations

from datetime import datetime

from domain.model.audit import RequestContext
from domain.model.cabinet import Delegation
from domain.model.collection import Collection, CollectionStatus, DownloadLink
from domain.model.document import outcome_file_name
from domain.model.errors import DownloadLinkUnusable, EvidenceNotReady, NotFound
from domain.model.tokens import hash_token
from domain.services.audit import append
from domain.services.ceremony.links import UowFactory
from domain.services.retries import retrying
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.repositories import UnitOfWork

__all__ = ["download_by_link", "evidence_for_member", "signed_document_for_member"]


def _link(tx: UnitOfWork, token: str, now: datetime) -> tuple[Collection, DownloadLink]:
    token_hash = hash_token(token)
    collection = tx.collections.by_download_token_hash(token_hash)
    if collection is None:
        raise DownloadLinkUnusable("unknown link", reason="unknown")
    link = next(link for link in collection.download_links if link.token_hash == token_hash)
    if now >= link.expires_at:
        raise DownloadLinkUnusable("the link has expired", reason="expired")
    return collection, link


def download_by_link(*, uow: UowFactory, clock: Clock, store: DocumentStore, token: str, item: str,
                     context: RequestContext | None = None) -> tuple[str, bytes]:
    """A signer's or observer's download: ``item`` is a document id, "evidence.pdf" or "evidence.json"."""
    now = clock.now()

    def record() -> tuple[str, str]:
        with uow() as tx:
            collection, link = _link(tx, token, now)
            found = _item(collection, item)
            append(tx, collection.id, "downloaded", at=now, actor=link.email, context=context, item=item,
                   role=link.role)
            tx.commit()
            return found

    name, sha = retrying(record)
    return name, store.read(sha)


def _item(collection: Collection, item: str) -> tuple[str, str]:
    if item in ("evidence.pdf", "evidence.json"):
        if collection.evidence is None or collection.evidence.purged_at is not None:
            raise EvidenceNotReady("no evidence file")
        ref = collection.evidence.pdf if item == "evidence.pdf" else collection.evidence.json
        return f"dossier-de-preuve-{collection.id}.{item.rsplit('.', 1)[1]}", ref.sha256
    if collection.documents_purged_at is not None:
        raise DownloadLinkUnusable("the documents were deleted at the end of their retention", reason="purged")
    if collection.status is not CollectionStatus.COMPLETED:
        raise DownloadLinkUnusable("only a completed collection's documents are sent", reason="not_completed")
    document = collection.document(item)
    return outcome_file_name(document.name), document.latest.sha256


def _member_of(tx: UnitOfWork, collection: Collection, person_id: str) -> None:
    """The preparer, a member who signs in the collection, or any member who may prepare for
    the cabinet; anyone else learns nothing (NotFound, as for the collection pages)."""
    member = tx.members.find(collection.cabinet_id, person_id)
    if member is None:
        raise NotFound("collection not found")
    if member.id == collection.preparer.member_id or any(s.member_id == member.id for s in collection.signers):
        return
    if not member.has(Delegation.PREPARE):
        raise NotFound("collection not found")


def evidence_for_member(*, uow: UowFactory, clock: Clock, store: DocumentStore, collection_id: str,
                        by_person_id: str, fmt: str = "pdf",
                        context: RequestContext | None = None) -> tuple[str, bytes]:
    """The preparer (or a member who signed, or any preparer of the cabinet) downloads the evidence."""
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        _member_of(tx, collection, by_person_id)
        name, sha = _item(collection, f"evidence.{'json' if fmt == 'json' else 'pdf'}")
        append(tx, collection.id, "downloaded", at=now, actor=by_person_id, context=context, item=f"evidence.{fmt}",
               role="member")
        tx.commit()
    return name, store.read(sha)


def signed_document_for_member(*, uow: UowFactory, clock: Clock, store: DocumentStore, collection_id: str,
                               by_person_id: str, document_id: str,
                               context: RequestContext | None = None) -> tuple[str, bytes]:
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        _member_of(tx, collection, by_person_id)
        name, sha = _item(collection, document_id)
        append(tx, collection.id, "downloaded", at=now, actor=by_person_id, context=context, item=document_id,
               role="member")
        tx.commit()
    return name, store.read(sha)
