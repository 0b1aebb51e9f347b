"""The empty signature fields, one per signer at their placement, created when a collection is sent."""

from __future__ import annotations

from datetime import datetime

from domain.model.collection import Collection
from domain.model.document import Document, DocumentRef, field_name_for
from domain.model.errors import Conflict
from domain.services.audit import append
from domain.services.ceremony.links import UowFactory, box_of
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.locks import SigningLocks
from ports.pdf_signing import PdfSigning, SignatureField
from ports.repositories import UnitOfWork

__all__ = ["PreparedVersions", "attach_prepared_versions", "build_prepared_versions", "prepare_fields"]

PreparedVersions = dict[str, tuple[DocumentRef, tuple[SignatureField, ...]]]


def _fields_for(collection: Collection, document: Document) -> list[SignatureField]:
    return [SignatureField(name=field_name_for(s.id), box=box_of(collection.placement(document.id, s.id)))
            for s in collection.signers]


def build_prepared_versions(*, collection: Collection, store: DocumentStore, signing: PdfSigning) -> PreparedVersions:
    """Every document not yet prepared, with an empty field per signer at its placement (stored)."""
    prepared: PreparedVersions = {}
    for document in collection.documents:
        if document.prepared is not None:
            continue
        fields = tuple(_fields_for(collection, document))
        prepared[document.id] = (signing.create_fields_document(store, document.ref.sha256, fields), fields)
    return prepared


def attach_prepared_versions(tx: UnitOfWork, collection: Collection, prepared: PreparedVersions,
                             now: datetime) -> None:
    """Record the prepared versions, refused when the signers or placements changed meanwhile."""
    for document_id, (ref, fields) in prepared.items():
        document = collection.document(document_id)
        if document.prepared is not None:
            continue
        if tuple(_fields_for(collection, document)) != fields:
            raise Conflict("the signers or their boxes changed while the documents were prepared")
        document.set_prepared(ref, now)
        append(tx, collection.id, "fields_created", at=now, document_id=document.id, before=document.ref.sha256,
               after=ref.sha256, fields=",".join(f.name for f in fields))


def prepare_fields(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                   locks: SigningLocks, collection_id: str) -> None:
    """Create the signature fields of a running collection whose documents lack them
    (a collection sent before this existed); idempotent."""
    with locks.hold(collection_id):
        with uow() as tx:
            collection = tx.collections.get(collection_id)
        if all(d.prepared is not None for d in collection.documents):
            return
        prepared = build_prepared_versions(collection=collection, store=store, signing=signing)
        with uow() as tx:
            collection = tx.collections.get(collection_id)
            attach_prepared_versions(tx, collection, prepared, clock.now())
            tx.commit()
