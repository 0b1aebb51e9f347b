"""Completion, in the worker: after the last signature a document timestamp on every document
(PAdES B-LTA), the sealed evidence, download links emailed to signers and observers; and the
evidence of every other ended collection (refused, expired, cancelled)."""

from __future__ import annotations

from datetime import timedelta

from domain.model.collection import CollectionStatus, DownloadLink, EvidenceRef
from domain.model.document import DocumentRef
from domain.model.errors import CollectionNotRunning, EvidenceNotReady
from domain.model.evidence import build_evidence, evidence_json
from domain.model.jobs import Notification
from domain.model.tokens import hash_token
from domain.model.webhooks import WebhookEvent, event_job
from domain.services.audit import append
from domain.services.ceremony.links import UowFactory, enqueue
from domain.services.retries import retrying
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.evidence import EvidenceRenderer
from ports.ids import IdGenerator
from ports.locks import SigningLocks
from ports.pdf_signing import PadesLevel, PdfSigning, SignatureRequest, SigningIdentity

__all__ = ["DOWNLOAD_VALIDITY", "finalise_collection", "seal_evidence", "seal_pending_evidence"]

DOWNLOAD_VALIDITY = timedelta(days=30)


def finalise_collection(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                        signing: PdfSigning, ca: CertificateAuthority, locks: SigningLocks,
                        renderer: EvidenceRenderer, collection_id: str) -> bool:
    """After the last signature: a document timestamp on every document (PAdES B-LTA), the
    sealed evidence, download links emailed to signers and observers. Idempotent; True when done."""
    return retrying(lambda: _finalise_once(uow=uow, clock=clock, ids=ids, store=store, signing=signing, ca=ca,
                                            locks=locks, renderer=renderer, collection_id=collection_id))


def _finalise_once(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                   signing: PdfSigning, ca: CertificateAuthority, locks: SigningLocks,
                   renderer: EvidenceRenderer, collection_id: str) -> bool:
    with uow() as tx:
        collection = tx.collections.get(collection_id)
    if collection.finalised_at is not None:
        return True
    if collection.status is not CollectionStatus.COMPLETED:
        raise CollectionNotRunning("only a completed collection is finalised", status=collection.status.value)
    with locks.hold(collection_id):
        with uow() as tx:
            collection = tx.collections.get(collection_id)
        stamped: dict[str, tuple[str, DocumentRef]] = {}
        for document in collection.documents:
            if document.versions and document.versions[-1].kind == "timestamp":
                continue
            base = document.latest
            stamped[document.id] = (base.sha256, signing.timestamp_document(store, base.sha256))
        if stamped:
            now = clock.now()
            with uow() as tx:
                collection = tx.collections.get(collection_id)
                for document_id, (base, ref) in stamped.items():
                    collection.document(document_id).advance(base=base, ref=ref, kind="timestamp", at=now)
                    append(tx, collection.id, "document_timestamped", at=now, document_id=document_id, before=base,
                           after=ref.sha256, pades="B-LTA")
                tx.commit()
    seal_evidence(uow=uow, clock=clock, store=store, signing=signing, ca=ca, renderer=renderer,
                  collection_id=collection_id)
    now = clock.now()
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if collection.finalised_at is not None:
            return True
        notifications = []
        expires = now + DOWNLOAD_VALIDITY
        # One email per address: a preparer who signed (or is in copy) gets the signer's email, link
        # included, not a second near-identical one; a person both signer and in copy gets one too.
        recipients, seen = [], set()
        for email, name, role in ([(s.email, s.display_name, "signer") for s in collection.signers]
                                  + [(o.email, o.identity.display_name, "observer") for o in collection.observers]):
            if str(email) not in seen:
                seen.add(str(email))
                recipients.append((email, name, role))
        for email, name, role in recipients:
            token = ids.new_token()
            collection.download_links.append(DownloadLink(token_hash=hash_token(token), email=str(email),
                                                          expires_at=expires, role=role))
            notifications.append(Notification.email(
                email, "collection_completed", collection_id=collection.id, collection_title=collection.title,
                sender_name=collection.preparer.identity.display_name, cabinet_name=collection.preparer.cabinet_name,
                recipient_name=name, download_token=token, download_expires_at=expires.isoformat()))
        if str(collection.preparer.identity.email) not in seen:
            notifications.append(Notification.email(
                collection.preparer.identity.email, "collection_completed", collection_id=collection.id,
                collection_title=collection.title, sender_name=collection.preparer.identity.display_name,
                cabinet_name=collection.preparer.cabinet_name,
                recipient_name=collection.preparer.identity.display_name, progress=collection.progress))
        enqueue(tx, notifications)
        # Announced once the signed PDFs and the evidence are ready to download, not at the last signature.
        tx.jobs.enqueue(event_job(WebhookEvent.COLLECTION_COMPLETED, cabinet_id=collection.cabinet_id,
                                  occurred_at=now, collection_id=collection.id))
        collection.finalised_at = now
        tx.commit()
    return True



def seal_evidence(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                  ca: CertificateAuthority, renderer: EvidenceRenderer, collection_id: str) -> EvidenceRef:
    """The « dossier de preuve » of an ended collection: JSON and a French PDF listing everything,
    the PDF sealed with the platform seal at PAdES B-LT (timestamped). Idempotent."""
    return retrying(lambda: _seal_once(uow=uow, clock=clock, store=store, signing=signing, ca=ca,
                                        renderer=renderer, collection_id=collection_id))


def _seal_once(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
               ca: CertificateAuthority, renderer: EvidenceRenderer, collection_id: str) -> EvidenceRef:
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if collection.evidence is not None:
            return collection.evidence
        if not collection.status.ended:
            raise EvidenceNotReady("the collection has not ended")
        events = tx.audit.of_collection(collection_id)
    now = clock.now()
    data = build_evidence(collection, events, generated_at=now)
    json_bytes = evidence_json(data)
    json_ref = store.put(json_bytes)
    seal = ca.platform_seal()
    # The report goes through the store like every document signed: the one signing path.
    unsealed = store.put(renderer.render(data, json_sha256=json_ref.sha256))
    try:
        pdf_ref = signing.sign_document(store, unsealed.sha256, SignatureRequest(
            identity=SigningIdentity(key_ref=seal.key, certificate=seal.certificate.der, chain=seal.issuers),
            level=PadesLevel.B_LT, field_name="Scellement", name="Seing",
            reason="Dossier de preuve scellé par la plateforme"))
    finally:
        # Its generation time makes the unsealed report unique: nothing else refers to it.
        store.delete(unsealed.sha256)
    with uow() as tx:
        collection = tx.collections.get(collection_id)
        if collection.evidence is not None:
            return collection.evidence
        collection.evidence = EvidenceRef(pdf=pdf_ref, json=json_ref, sealed_at=now)
        append(tx, collection.id, "evidence_sealed", at=now, pdf_sha256=pdf_ref.sha256, json_sha256=json_ref.sha256)
        tx.commit()
        return collection.evidence


def seal_pending_evidence(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                          ca: CertificateAuthority, renderer: EvidenceRenderer, limit: int = 20) -> int:
    """Periodic: evidence for every ended collection without one (expired or cancelled ones too)."""
    with uow() as tx:
        waiting = [c.id for c in tx.collections.awaiting_evidence(limit=limit)
                   if c.status is not CollectionStatus.COMPLETED or c.finalised_at is not None]
    for collection_id in waiting:
        seal_evidence(uow=uow, clock=clock, store=store, signing=signing, ca=ca, renderer=renderer,
                      collection_id=collection_id)
    return len(waiting)


