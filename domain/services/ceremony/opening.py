"""The signer's page: what they see (``CeremonyView``), their first opening, the documents to
read, and « Refuser »."""

from __future__ import annotations

from datetime import datetime

from attrs import evolve, frozen

from domain.model.audit import RequestContext
from domain.model.collection import Collection, CollectionStatus
from domain.model.document import FieldPlacement, PageSize
from domain.model.errors import DocumentNotPrepared, InvalidValue, RemoteSigningRefused, SignatureBeingFinalised
from domain.model.jobs import JobSpec
from domain.model.one_time_code import bind_payload
from domain.model.signer import SignatureLevel, Signer, SignerStatus
from domain.model.tokens import hash_token
from domain.services.audit import sync_timeline
from domain.services.ceremony.fields import prepare_fields
from domain.services.ceremony.links import (
    PROVIDER_CODE_CHANNEL,
    PROVIDER_CONSENT_CHANNEL,
    UowFactory,
    approved_digests,
    code_channel,
    enqueue,
    needs_identity_check,
    signer_by_link,
)
from domain.services.retries import retrying
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.locks import SigningLocks
from ports.pdf_rendering import PdfPageRenderer
from ports.pdf_signing import PdfSigning
from ports.remote_signing import RemoteSigningRoutes
from ports.repositories import UnitOfWork

__all__ = ["CeremonyDocument", "CeremonyView", "ceremony_status", "open_ceremony", "read_document_for_signer",
           "refuse", "view_ceremony"]


@frozen
class CeremonyDocument:
    document_id: str
    name: str
    page_count: int
    sha256: str  # of the version the signer reads and approves (bound to the code)
    size: int
    placement: FieldPlacement  # the signer's box on this document
    page_sizes: tuple[PageSize, ...] = ()  # in points, to draw the box over the page images


@frozen
class CeremonyView:
    collection_id: str
    collection_title: str
    message: str
    sender_name: str
    cabinet_name: str
    deadline: datetime
    collection_status: str
    signer_id: str
    signer_name: str
    level: int
    # pending, invited, opened, signed, refused, or "finalising" (the worker finishes the
    # signature, or the collection's completion after the last signature)
    signer_status: str
    # "email" or "sms" (our code), or "qtsp": the QTSP that holds a level-3 signer's key makes
    # and sends the code itself (CSC online OTP); only the use cases given the remote routes say so.
    code_channel: str
    masked_destination: str
    identity_check_required: bool
    documents: tuple[CeremonyDocument, ...]
    # What the signer's one-time code is bound to (``bind_payload`` of every document's digest as
    # shown): None until the documents carry their signature fields (the first opening adds them).
    code_digest: str | None = None
    others_told_of_refusal: int = 0  # once this signer refused: how many other signers were told

    @property
    def steps_left(self) -> bool:
        """The signer still has something to do on their page (read, accept, sign or refuse)."""
        return (self.signer_status not in ("signed", "finalising", "refused")
                and self.collection_status == CollectionStatus.IN_PROGRESS.value)


def _finalising(collection: Collection, signer: Signer) -> bool:
    """The worker is finishing this signer's signature (trusted time was unavailable), or the
    collection's completion (document timestamps, evidence, download links) after the last one."""
    if signer.finalising_since is not None:
        return True
    return collection.status is CollectionStatus.COMPLETED and collection.finalised_at is None


def _view(collection: Collection, signer: Signer) -> CeremonyView:
    channel, masked = code_channel(signer)
    status = "finalising" if _finalising(collection, signer) else signer.status.value
    return CeremonyView(
        collection_id=collection.id, collection_title=collection.title, message=collection.message,
        sender_name=collection.preparer.identity.display_name, cabinet_name=collection.preparer.cabinet_name,
        deadline=collection.deadline, collection_status=collection.status.value, signer_id=signer.id,
        signer_name=signer.display_name, level=int(signer.level), signer_status=status, code_channel=channel,
        masked_destination=masked, identity_check_required=needs_identity_check(signer),
        documents=tuple(CeremonyDocument(document_id=d.id, name=d.name, page_count=d.page_count,
                                         sha256=d.approved.sha256, size=d.approved.size,
                                         placement=collection.placement(d.id, signer.id), page_sizes=d.page_sizes)
                        for d in collection.documents),
        code_digest=_code_digest(collection),
        others_told_of_refusal=(len(collection.told_of_refusal(signer.id))
                                if signer.status is SignerStatus.REFUSED else 0))


def _code_digest(collection: Collection) -> str | None:
    """The digest ``request_signing_code`` binds the code to, computed the same way."""
    try:
        return bind_payload(approved_digests(collection))
    except (DocumentNotPrepared, InvalidValue):  # not prepared yet, or no document at all
        return None


def open_ceremony(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                  locks: SigningLocks, token: str, context: RequestContext | None = None,
                  remote_signing: RemoteSigningRoutes | None = None) -> CeremonyView:
    """The signer follows their link: the first opening is recorded (once), documents ready.

    A page view is a read: only the first opening writes (the signer's status and one trail
    event); every later view of the page commits nothing."""
    now = clock.now()
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        siren = _siren(tx, collection, remote_signing)
    view = _opened(uow, clock, store, signing, locks, token, context, now, collection, signer)
    return _code_sender(view, remote_signing, siren, str(signer.email))


def view_ceremony(*, uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning,
                  locks: SigningLocks, token: str, context: RequestContext | None = None,
                  remote_signing: RemoteSigningRoutes | None = None) -> CeremonyView:
    """The signer's page in one read transaction: where the ceremony stands (signed, being
    finalised, refused, ended: returned as it is, nothing recorded); when there are steps left,
    the link is checked and the first opening recorded as :func:`open_ceremony` does."""
    now = clock.now()
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, now, running=False)
        siren = _siren(tx, collection, remote_signing)
    view = _view(collection, signer)
    if not view.steps_left:
        return view
    signer = collection.signer_for_link(hash_token(token), now)  # an expired link is refused here
    view = _opened(uow, clock, store, signing, locks, token, context, now, collection, signer)
    return _code_sender(view, remote_signing, siren, str(signer.email))


def _opened(uow: UowFactory, clock: Clock, store: DocumentStore, signing: PdfSigning, locks: SigningLocks,
            token: str, context: RequestContext | None, now: datetime, collection: Collection,
            signer: Signer) -> CeremonyView:
    if signer.status is SignerStatus.INVITED:
        collection = retrying(lambda: _record_first_opening(uow, token, now, context))
    else:
        # Opened already (or signed): nothing to record. A signer who may not open the link
        # at all (refused, waiting their turn) is refused as the first opening would be.
        collection.open(signer_id=signer.id, now=now)
    if any(d.prepared is None for d in collection.documents):
        # Only a collection sent before the fields were made at sending: once, then never again.
        prepare_fields(uow=uow, clock=clock, store=store, signing=signing, locks=locks, collection_id=collection.id)
        return ceremony_status(uow=uow, clock=clock, token=token)
    return _view(collection, collection.signer(signer.id))


def _record_first_opening(uow: UowFactory, token: str, now: datetime, context: RequestContext | None) -> Collection:
    """The conditional write: two first views at once record one opening (the later one finds
    the signer opened, or its commit is refused and it reads again)."""
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        recorded = len(collection.timeline)
        collection.open(signer_id=signer.id, now=now)
        if len(collection.timeline) != recorded:
            sync_timeline(tx, collection, context)
            tx.commit()
        return collection


def ceremony_status(*, uow: UowFactory, clock: Clock, token: str, remote_signing: RemoteSigningRoutes | None = None,
                    code_sender: bool = False) -> CeremonyView:
    """Where the signer's ceremony is (the page polls this while a signature is being finalised).
    ``code_sender``: ask the QTSP whether it sends the code (the pages that say who sends it; not
    the page images and polls, which would each cost a round trip to the QTSP)."""
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, clock.now(), running=False)
        siren = _siren(tx, collection, remote_signing if code_sender else None)
        view = _view(collection, signer)
    return _code_sender(view, remote_signing, siren, str(signer.email)) if code_sender else view


def _siren(tx: UnitOfWork, collection: Collection, routes: RemoteSigningRoutes | None) -> object:
    """The cabinet's SIREN, which says whether its level 3 goes through a QTSP (None: not asked)."""
    if routes is None or routes.service is None:
        return None
    return tx.cabinets.get(collection.cabinet_id).siren


def _code_sender(view: CeremonyView, routes: RemoteSigningRoutes | None, siren: object, email: str) -> CeremonyView:
    """Who sends the signing code: a QTSP that makes its own (CSC ``OTP.type`` online, sent at
    ``credentials/sendOTP``) sends it, not Seing, and the page must say so before « Recevoir mon
    code ». Asked only when the signer is at that step (level 3 at a routed cabinet, identity
    checked, steps left). A QTSP that does not answer leaves our own channel: « Recevoir mon code »
    then says what went wrong."""
    if (routes is None or siren is None or view.level != int(SignatureLevel.ADVANCED_QUALIFIED)
            or not view.steps_left or view.identity_check_required):
        return view
    service = routes.for_cabinet(siren)
    if service is None:
        return view
    try:
        credential = service.credential_for(email)
    except RemoteSigningRefused:
        return view
    if credential.consent_at_provider:
        return evolve(view, code_channel=PROVIDER_CONSENT_CHANNEL, masked_destination="")
    if not credential.code_from_provider:
        return view
    return evolve(view, code_channel=PROVIDER_CODE_CHANNEL, masked_destination="")


def read_document_for_signer(*, uow: UowFactory, clock: Clock, store: DocumentStore, token: str,
                             document_id: str) -> tuple[str, bytes]:
    """The PDF the signer reads: exactly the version their code will be bound to."""
    with uow() as tx:
        collection, _signer = signer_by_link(tx, token, clock.now())
        document = collection.document(document_id)
    return document.name, store.read(document.approved.sha256)


def render_page_for_signer(*, uow: UowFactory, clock: Clock, store: DocumentStore, renderer: PdfPageRenderer,
                           token: str, document_id: str, page: int, width_px: int) -> bytes:
    """A page of the version the signer reads, as PNG, drawn by the renderer from the stored file."""
    with uow() as tx:
        collection, _signer = signer_by_link(tx, token, clock.now())
        document = collection.document(document_id)
    return renderer.render_stored_png(store, document.approved.sha256, page=page, width_px=width_px)


def refuse(*, uow: UowFactory, clock: Clock, token: str, reason: str,
           context: RequestContext | None = None) -> None:
    """« Refuser »: ends the collection, the preparer is told, no one receives a document; the
    evidence file is sealed by the worker."""
    now = clock.now()
    retrying(lambda: _refuse_once(uow, now, token, reason, context))


def _refuse_once(uow: UowFactory, now: datetime, token: str, reason: str, context: RequestContext | None) -> None:
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        if signer.finalising_since is not None:
            raise SignatureBeingFinalised("your signature is being finalised")
        enqueue(tx, collection.refuse(signer_id=signer.id, reason=reason, now=now))
        tx.jobs.enqueue(JobSpec(kind="seal_evidence", payload={"collection_id": collection.id}))
        sync_timeline(tx, collection, context)
        tx.commit()
