"""Use cases of the collections: prepare (the wizard), send, manage, and the worker's rounds.

Every use case takes its ports as keyword arguments; ``uow`` is a factory of units of work
whose ``collections`` attribute is a ``ports.collections.CollectionRepository``. Actions of
cabinet members name the acting person (``by_person_id``); outsiders get NotFound, as for
cabinets. Notifications decided by the aggregate are enqueued in the same transaction.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Callable, Iterable

from domain.model.audit import RequestContext
from domain.model.cabinet import Delegation, Member
from domain.model.collection import (
    Collection,
    CollectionStatus,
    InvitationMode,
    ReminderPolicy,
    allowed_levels,
)
from domain.model.document import (
    FIELD_MARGIN,
    FREE_SLOT_PADDING,
    FREE_SLOT_PAGES,
    FREE_SLOTS_KEPT,
    SIGNATURE_PAGE_HEADER,
    Document,
    DocumentRef,
    FieldPlacement,
    PageSize,
    field_size,
    signature_page_slots,
)
from domain.model.errors import (
    CollectionNotEditable,
    DocumentEncrypted,
    DocumentLocked,
    DocumentTooComplex,
    DocumentUnsignable,
    DocumentVersionConflict,
    EncryptedPdf,
    InvalidPdf,
    InvalidValue,
    InvitationLinkUnusable,
    LockedPdf,
    NotAPdf,
    NotFound,
    NotPdf,
    PdfTooComplex,
    SigningFailed,
)
from domain.model.intake import MAGIC_WINDOW, IntakePolicy, PdfInfo
from domain.model.jobs import JobSpec, Notification
from domain.model.pki import CertificatePolicy
from domain.model.signer import Identity, SignatureLevel, SignerKind
from domain.model.tokens import hash_token
from domain.model.values import Email, Mobile, PersonName
from domain.services.audit import append, commit_with_trail, sync_timeline
from domain.services.ceremony.fields import attach_prepared_versions, build_prepared_versions
from domain.services.collection_views import (
    CollectionDetails,
    CollectionsPage,
    CollectionSummary,
    SignerChoice,
    TimelineEntry,
    WorkerReport,
    timeline_of,
)
from domain.services.retries import retrying
from domain.services.uploads import check_signable_upload, store_upload
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.ids import IdGenerator
from ports.pdf_inspection import PdfInspector
from ports.pdf_rendering import PdfPageRenderer
from ports.pdf_signing import PdfSigning, SignaturePage
from ports.repositories import UnitOfWork
from ports.uploads import UploadedFile

UowFactory = Callable[[], UnitOfWork]
MAX_PER_PAGE = 100
# Far past any cabinet's collections, and small enough that the offset fits the database's
# 64-bit integers whatever ``per_page`` is.
MAX_PAGE = 100_000


# -- helpers ------------------------------------------------------------------------------


def _member(tx: UnitOfWork, cabinet_id: str, person_id: str) -> Member:
    member = tx.members.find(cabinet_id, person_id)
    if member is None:
        raise NotFound("cabinet not found")
    return member


def _collection(tx: UnitOfWork, collection_id: str, person_id: str) -> tuple[Collection, Member]:
    """The collection and the acting member; anyone outside its cabinet learns nothing."""
    collection = tx.collections.get(collection_id)
    member = tx.members.find(collection.cabinet_id, person_id)
    if member is None:
        raise NotFound("collection not found")
    return collection, member


def _has_active_qcp(tx: UnitOfWork, member: Member, now: datetime) -> bool:
    """Level 3 for a member needs their own valid, unrevoked QCP-n certificate for this cabinet."""
    return tx.certificates.active_for(member.person_id, member.cabinet_id, CertificatePolicy.QCP_N,
                                      now=now) is not None


def _enqueue(tx: UnitOfWork, notifications: Iterable[Notification]) -> None:
    for notification in notifications:
        tx.jobs.enqueue(JobSpec.notify(notification))


def _identity_of_member(tx: UnitOfWork, member: Member) -> Identity:
    person = tx.persons.get(member.person_id)
    return Identity(name=person.name, email=person.email, mobile=person.mobile)


def _external_identity(given_names: str | None, surname: str | None, email: str | None,
                       mobile: str | None) -> Identity:
    return Identity(name=PersonName(given_names or "", surname or ""), email=Email(email or ""),
                    mobile=Mobile(mobile) if mobile else None)


def _signing_member(tx: UnitOfWork, collection: Collection, by: Member, kind: SignerKind,
                    member_id: str | None) -> Member | None:
    if kind is SignerKind.MYSELF:
        return by
    if kind is SignerKind.MEMBER:
        if member_id is None:
            raise NotFound("member not found")
        member = tx.members.get(member_id)
        if member.cabinet_id != collection.cabinet_id:
            raise NotFound("member not found")
        return member
    return None


def _signer_identity(tx: UnitOfWork, member: Member | None, given_names: str | None, surname: str | None,
                     email: str | None, mobile: str | None) -> Identity:
    if member is None:
        return _external_identity(given_names, surname, email, mobile)
    identity = _identity_of_member(tx, member)
    # A member without a mobile on file may give one here, so levels 2 and 3 become possible.
    if identity.mobile is None and mobile:
        identity = Identity(name=identity.name, email=identity.email, mobile=Mobile(mobile))
    return identity


def clean_file_name(name: str) -> str:
    """The uploaded file's base name, without paths or control characters, at most 200 characters."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return base[:200] or "document.pdf"


# -- preparation (the wizard) -----------------------------------------------------------------


def create_draft(*, uow: UowFactory, clock: Clock, ids: IdGenerator, cabinet_id: str, by_person_id: str,
                 title: str, message: str = "", deadline: datetime | None = None,
                 mode: InvitationMode = InvitationMode.SEQUENTIAL, reminders: ReminderPolicy | None = None,
                 context: RequestContext | None = None) -> str:
    now = clock.now()
    with uow() as tx:
        by = _member(tx, cabinet_id, by_person_id)
        cabinet = tx.cabinets.get(cabinet_id)
        collection = Collection.draft(id=ids.new_id(), by=by, preparer=_identity_of_member(tx, by),
                                      cabinet_name=cabinet.name, title=title, message=message, now=now,
                                      deadline=deadline, mode=mode, reminders=reminders)
        tx.collections.add(collection)
        commit_with_trail(tx, collection, context)
        return collection.id


def discard_draft(*, uow: UowFactory, clock: Clock, store: DocumentStore, collection_id: str, by_person_id: str,
                  context: RequestContext | None = None) -> None:
    """« Supprimer le brouillon »: the draft goes, the trail keeps that it was discarded, and by whom.
    The bytes are deleted after the commit (a crash leaves unreferenced bytes, never a dangling draft)."""
    now = clock.now()
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        digests = collection.discard(by=by)
        sync_timeline(tx, collection, context)
        append(tx, collection.id, "draft_discarded", at=now, actor=by.id, context=context,
               title=collection.title, count=len(collection.documents))
        tx.collections.remove(collection)
        doomed = {sha for sha in digests if not tx.collections.references_document(sha, excluding=collection.id)}
        tx.commit()
    for sha256 in doomed:
        store.delete(sha256)


def update_info(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str, title: str,
                message: str, context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        collection.update_info(by=by, title=title, message=message, now=clock.now())
        commit_with_trail(tx, collection, context)


def update_options(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str,
                   deadline: datetime | None = None, reminders: ReminderPolicy | None = None,
                   mode: InvitationMode | None = None, context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        collection.set_options(by=by, now=clock.now(), deadline=deadline, reminders=reminders, mode=mode)
        commit_with_trail(tx, collection, context)


def _check_signable(signing: PdfSigning, content: bytes | UploadedFile) -> None:
    """Whatever the intake accepts, the product signs: the dry run of sending and signing,
    its refusals said as refusals of the upload."""
    try:
        check_signable_upload(signing, content)
    except EncryptedPdf as exc:
        raise DocumentEncrypted("the PDF is encrypted") from exc
    except NotAPdf as exc:
        raise NotPdf("the file is not a PDF") from exc
    except PdfTooComplex as exc:
        raise DocumentTooComplex("preparing the PDF for signing exceeded its limits", problem=exc.detail) from exc
    except LockedPdf as exc:
        raise DocumentLocked("the PDF's signatures forbid ours", problem=exc.detail) from exc
    except (InvalidPdf, SigningFailed) as exc:
        raise DocumentUnsignable("the PDF cannot be prepared for signing", problem=exc.detail) from exc


def _check_content(policy: IntakePolicy, inspector: PdfInspector, signing: PdfSigning,
                   content: bytes | UploadedFile) -> PdfInfo:
    """An upload held as bytes (tests, references read from the store) or spooled on disk by the
    edge: a file is never read whole here, the PDF workers open it by its path."""
    if isinstance(content, bytes):
        policy.accept(size=len(content), head=content[:MAGIC_WINDOW])
        info = inspector.inspect(content)
    else:
        policy.accept(size=content.size, head=content.head(MAGIC_WINDOW))
        info = inspector.inspect_file(content.path)
    policy.check_content(info)
    _check_signable(signing, content)
    return info


def check_upload(*, policy: IntakePolicy, inspector: PdfInspector, signing: PdfSigning,
                 content: bytes | UploadedFile) -> PdfInfo:
    """The intake checks alone, for an edge that wants to refuse a file before anything else."""
    return _check_content(policy, inspector, signing, content)


def free_slots(renderer: PdfPageRenderer, content: bytes | str,
               sizes: tuple[PageSize, ...]) -> tuple[FieldPlacement, ...]:
    """Blank room for the default boxes: the last pages, the last one first (see FREE_SLOT_PAGES).
    A page too demanding to render is skipped: its boxes fall back to the stacking."""
    found: list[FieldPlacement] = []
    for page in range(len(sizes), max(0, len(sizes) - FREE_SLOT_PAGES), -1):
        width, height = field_size(sizes[page - 1])
        try:
            corners = renderer.free_boxes(content, page=page, width=width, height=height,
                                          padding=FREE_SLOT_PADDING, margin=FIELD_MARGIN,
                                          limit=FREE_SLOTS_KEPT - len(found))
        except DocumentTooComplex:
            continue
        found += [FieldPlacement(page=page, x=x, y=y, width=width, height=height) for x, y in corners]
        if len(found) >= FREE_SLOTS_KEPT:
            break
    return tuple(found)


def _with_signature_page(signing: PdfSigning, store: DocumentStore, sha256: str, document_name: str,
                         last: PageSize) -> DocumentRef | None:
    """The stored document plus a signature page the size of its ``last`` page; None for a file
    whose page tree the page cannot be added to, or when writing it fails (its boxes then stay
    stacked: the upload or the signer added still stands)."""
    try:
        return signing.append_signature_page_document(store, sha256, SignaturePage(
            width=last.width, height=last.height, document_name=document_name, header_height=SIGNATURE_PAGE_HEADER))
    except (InvalidPdf, SigningFailed):
        return None


def make_room_for_signers(*, uow: UowFactory, clock: Clock, store: DocumentStore, inspector: PdfInspector,
                          signing: PdfSigning, collection_id: str, by_person_id: str,
                          context: RequestContext | None = None) -> None:
    """Signers past a document's blank room (and not placed by the preparer): a signature page for
    every default box, as when the upload finds too little room. Never on a PDF carrying
    signatures (a new page would break them: its boxes stay stacked). The page is written outside
    any transaction, then attached unless the draft or the document changed meanwhile."""
    with uow() as tx:
        collection, _by = _collection(tx, collection_id, by_person_id)
        lacking = [(d.id, d.sha256, d.name, d.page_sizes[-1], d.carries_signatures)
                   for d in collection.documents_lacking_room()]
    added = []
    for document_id, sha256, document_name, last, signed in lacking:
        if signed or (signed is None and inspector.inspect(store.read(sha256)).has_signatures):
            continue
        extended = _with_signature_page(signing, store, sha256, document_name, last)
        if extended is not None:
            added.append((document_id, sha256, extended, last))
    if not added:
        return
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        for document_id, sha256, extended, last in added:
            try:
                collection.add_signature_page(by=by, document_id=document_id, base_sha256=sha256, ref=extended,
                                              size=last, now=clock.now())
            except (NotFound, DocumentVersionConflict, CollectionNotEditable):
                continue  # removed, changed or sent meanwhile: whoever did it decided its pages
        commit_with_trail(tx, collection, context)


def add_document(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                 inspector: PdfInspector, signing: PdfSigning, renderer: PdfPageRenderer, policy: IntakePolicy,
                 collection_id: str, by_person_id: str, name: str, content: bytes | UploadedFile,
                 context: RequestContext | None = None) -> str:
    """Check the upload (size, magic, parse, encryption, pages, then a dry run of the preparation
    for signing), find blank room for the default boxes, store its bytes, add it to the draft."""
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        # Refuse early, before parsing anything, when the person may not change this draft.
        collection.ensure_editable(by=by)
        signer_count = len(collection.signers)
    info = _check_content(policy, inspector, signing, content)
    slots = free_slots(renderer, content if isinstance(content, bytes) else str(content.path), info.page_sizes)
    # Stored before the transaction: a failure below leaves unreferenced bytes that the retention
    # sweep removes, never a document pointing at missing bytes.
    ref = store_upload(store, content)
    document_name = clean_file_name(name)
    page_sizes, uploaded_sha256 = info.page_sizes, None
    if len(slots) < max(1, signer_count) and not info.has_signatures:
        # Less blank room than signers: the signature page holds every default box (the rule
        # followed when signers come after the upload, see make_room_for_signers).
        extended = _with_signature_page(signing, store, ref.sha256, document_name, info.page_sizes[-1])
        if extended is not None:
            uploaded_sha256, ref = ref.sha256, extended
            page_sizes = (*info.page_sizes, info.page_sizes[-1])
            slots = signature_page_slots(info.page_sizes[-1], len(page_sizes))
    now = clock.now()
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        document = Document(id=ids.new_id(), name=document_name, ref=ref, page_sizes=page_sizes,
                            added_at=now, free_slots=slots, uploaded_sha256=uploaded_sha256,
                            carries_signatures=info.has_signatures)
        collection.add_document(by=by, document=document, now=now)
        commit_with_trail(tx, collection, context)
        return document.id


def render_original_page(*, uow: UowFactory, store: DocumentStore, renderer: PdfPageRenderer, collection_id: str,
                         by_person_id: str, document_id: str, page: int, width_px: int) -> bytes:
    """A page of the document as uploaded, as PNG (thumbnails, placing the boxes): drawn by the
    renderer from the stored file, never read here."""
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        by.require(Delegation.PREPARE)
        document = collection.document(document_id)
    return renderer.render_stored_png(store, document.sha256, page=page, width_px=width_px)


def remove_document(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str,
                    document_id: str, context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        collection.remove_document(by=by, document_id=document_id, now=clock.now())
        commit_with_trail(tx, collection, context)


def read_original(*, uow: UowFactory, store: DocumentStore, collection_id: str, by_person_id: str,
                  document_id: str, clock: Clock | None = None, downloaded: bool = False,
                  context: RequestContext | None = None) -> tuple[str, bytes]:
    """"Télécharger les originaux": the file name and the bytes as uploaded.

    ``downloaded``: the preparer takes the file away, so the trail records it (with ``clock``);
    the app reading it to draw pages or measure them is not a download and records nothing.
    """
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        by.require(Delegation.PREPARE)
        document = collection.document(document_id)
        if downloaded:
            if clock is None:
                raise TypeError("recording a download needs the clock")
            append(tx, collection.id, "downloaded", at=clock.now(), actor=by.id, context=context,
                   item=document_id, original="true", role="member")
            tx.commit()
    return document.name, store.read(document.sha256)


def signer_choices(*, uow: UowFactory, clock: Clock, cabinet_id: str,
                   by_person_id: str) -> list[SignerChoice]:
    """"Membres du cabinet": the members holding SIGN, each with the levels the dropdown may offer."""
    now = clock.now()
    with uow() as tx:
        by = _member(tx, cabinet_id, by_person_id)
        by.require(Delegation.PREPARE)
        choices = []
        for member in tx.members.of_cabinet(cabinet_id):
            if not member.has(Delegation.SIGN):
                continue
            person = tx.persons.get(member.person_id)
            levels = allowed_levels(kind=SignerKind.MEMBER, has_mobile=person.mobile is not None,
                                    has_active_qcp=_has_active_qcp(tx, member, now))
            choices.append(SignerChoice(member_id=member.id, display_name=person.display_name,
                                        email=str(person.email),
                                        masked_mobile=person.mobile.masked() if person.mobile else None,
                                        levels=tuple(levels)))
        return choices


def add_signer(*, uow: UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore, inspector: PdfInspector,
               signing: PdfSigning, collection_id: str, by_person_id: str, kind: SignerKind, level: SignatureLevel,
               member_id: str | None = None, given_names: str | None = None, surname: str | None = None,
               email: str | None = None, mobile: str | None = None, context: RequestContext | None = None) -> str:
    """"M'ajouter" (MYSELF), "Membres du cabinet" (MEMBER, ``member_id``), "Autre" (EXTERNAL, identity given).
    A document whose blank room the new signer's box no longer fits gets a signature page."""
    signer_id = insert_signer(uow=uow, clock=clock, ids=ids, collection_id=collection_id, by_person_id=by_person_id,
                              kind=kind, level=level, member_id=member_id, given_names=given_names, surname=surname,
                              email=email, mobile=mobile, context=context)
    make_room_for_signers(uow=uow, clock=clock, store=store, inspector=inspector, signing=signing,
                          collection_id=collection_id, by_person_id=by_person_id, context=context)
    return signer_id


def insert_signer(*, uow: UowFactory, clock: Clock, ids: IdGenerator, collection_id: str,
                  by_person_id: str, kind: SignerKind, level: SignatureLevel, member_id: str | None = None,
                  given_names: str | None = None, surname: str | None = None, email: str | None = None,
                  mobile: str | None = None, context: RequestContext | None = None) -> str:
    """``add_signer`` without the room made for their box: for a caller placing every box itself
    (the API's create-and-send), who makes room once the boxes are placed."""
    now = clock.now()
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        by.require(Delegation.PREPARE)
        member = _signing_member(tx, collection, by, kind, member_id)
        identity = _signer_identity(tx, member, given_names, surname, email, mobile)
        signer = collection.add_signer(by=by, signer_id=ids.new_id(), kind=kind, identity=identity, level=level,
                                       now=now, member=member,
                                       has_active_qcp=member is not None and _has_active_qcp(tx, member, now))
        commit_with_trail(tx, collection, context)
        return signer.id


def remove_signer(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str, signer_id: str,
                  context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        collection.remove_signer(by=by, signer_id=signer_id, now=clock.now())
        commit_with_trail(tx, collection, context)


def set_level(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str,
              signer_id: str, level: SignatureLevel, context: RequestContext | None = None) -> None:
    now = clock.now()
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        signer = collection.signer(signer_id)
        holder = signer.member_id is not None and _has_active_qcp(tx, tx.members.get(signer.member_id), now)
        collection.set_level(by=by, signer_id=signer_id, level=level, now=now, has_active_qcp=holder)
        commit_with_trail(tx, collection, context)


def reorder(*, uow: UowFactory, clock: Clock, ids: IdGenerator, collection_id: str, by_person_id: str,
            signer_ids: list[str], context: RequestContext | None = None) -> None:
    """The wizard's drag and drop, and "change the order of the remaining signers" while it runs."""
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        _enqueue(tx, collection.reorder(by=by, signer_ids=list(signer_ids), now=clock.now(),
                                        new_token=ids.new_token))
        commit_with_trail(tx, collection, context)


def place_field(*, uow: UowFactory, collection_id: str, by_person_id: str, document_id: str, signer_id: str,
                page: int, x: float, y: float, width: float, height: float,
                context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        collection.place_field(by=by, document_id=document_id, signer_id=signer_id,
                               placement=FieldPlacement(page=page, x=x, y=y, width=width, height=height))
        commit_with_trail(tx, collection, context)


def add_observer(*, uow: UowFactory, clock: Clock, ids: IdGenerator, collection_id: str, by_person_id: str,
                 given_names: str, surname: str, email: str, context: RequestContext | None = None) -> str:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        observer = collection.add_observer(by=by, observer_id=ids.new_id(),
                                           identity=_external_identity(given_names, surname, email, None),
                                           now=clock.now())
        commit_with_trail(tx, collection, context)
        return observer.id


def remove_observer(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str,
                    observer_id: str, context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        collection.remove_observer(by=by, observer_id=observer_id, now=clock.now())
        commit_with_trail(tx, collection, context)


def send(*, uow: UowFactory, clock: Clock, ids: IdGenerator, collection_id: str, by_person_id: str,
         store: DocumentStore | None = None, signing: PdfSigning | None = None,
         context: RequestContext | None = None) -> None:
    """"Envoyer": invites the first signer (sequential) or all of them (parallel).

    With ``store`` and ``signing``, every signer's empty signature field is added to every
    document first (in the same transaction as the sending), so each later signature fills an
    existing field and no signature adds a form field that would disturb earlier ones.
    """
    prepared = {}
    if store is not None and signing is not None:
        with uow() as tx:
            collection, by = _collection(tx, collection_id, by_person_id)
            collection.ensure_editable(by=by)
        prepared = build_prepared_versions(collection=collection, store=store, signing=signing)
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        now = clock.now()
        _enqueue(tx, collection.send(by=by, now=now, new_token=ids.new_token))
        sync_timeline(tx, collection, context)
        attach_prepared_versions(tx, collection, prepared, now)
        commit_with_trail(tx, collection, context)


# -- the signer's link ----------------------------------------------------------------------------


def _by_link(tx: UnitOfWork, token: str, now: datetime) -> tuple[Collection, str]:
    token_hash = hash_token(token)
    collection = tx.collections.by_token_hash(token_hash)
    if collection is None:
        raise InvitationLinkUnusable("unknown link", reason="unknown")
    return collection, collection.signer_for_link(token_hash, now).id


# -- management ------------------------------------------------------------------------------


def remind_now(*, uow: UowFactory, clock: Clock, ids: IdGenerator, collection_id: str, by_person_id: str,
               signer_id: str, context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        _enqueue(tx, [collection.remind(signer_id=signer_id, now=clock.now(), new_token=ids.new_token, by=by)])
        commit_with_trail(tx, collection, context)


def replace_signer(*, uow: UowFactory, clock: Clock, ids: IdGenerator, collection_id: str,
                   by_person_id: str, signer_id: str, kind: SignerKind, level: SignatureLevel,
                   member_id: str | None = None, given_names: str | None = None, surname: str | None = None,
                   email: str | None = None, mobile: str | None = None, context: RequestContext | None = None) -> str:
    now = clock.now()
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        by.require(Delegation.PREPARE)
        member = _signing_member(tx, collection, by, kind, member_id)
        identity = _signer_identity(tx, member, given_names, surname, email, mobile)
        new_id = ids.new_id()
        _enqueue(tx, collection.replace_signer(
            by=by, signer_id=signer_id, new_signer_id=new_id, kind=kind, identity=identity, level=level, now=now,
            new_token=ids.new_token, member=member,
            has_active_qcp=member is not None and _has_active_qcp(tx, member, now)))
        commit_with_trail(tx, collection, context)
        return new_id


def cancel(*, uow: UowFactory, clock: Clock, collection_id: str, by_person_id: str, reason: str = "",
           context: RequestContext | None = None) -> None:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        _enqueue(tx, collection.cancel(by=by, now=clock.now(), reason=reason))
        commit_with_trail(tx, collection, context)


def list_collections(*, uow: UowFactory, cabinet_id: str, by_person_id: str,
                     statuses: Iterable[CollectionStatus] | None = None, search: str = "", page: int = 1,
                     per_page: int = 20) -> CollectionsPage:
    """The dashboard: status filter, search by title or signer, pages counted from 1."""
    page = max(1, int(page))
    if page > MAX_PAGE:
        raise InvalidValue("page", "no such page")
    per_page = min(MAX_PER_PAGE, max(1, int(per_page)))
    wanted = frozenset(statuses) if statuses else None
    with uow() as tx:
        by = _member(tx, cabinet_id, by_person_id)
        by.require(Delegation.PREPARE)
        items, total = tx.collections.search(cabinet_id, statuses=wanted,
                                             text=search[:200], offset=(page - 1) * per_page, limit=per_page)
        return CollectionsPage(items=tuple(CollectionSummary.of(c) for c in items), total=total, page=page,
                               per_page=per_page)


def collection_details(*, uow: UowFactory, collection_id: str, by_person_id: str) -> CollectionDetails:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        by.require(Delegation.PREPARE)
        return CollectionDetails.of(collection)


def collection_timeline(*, uow: UowFactory, collection_id: str, by_person_id: str) -> tuple[TimelineEntry, ...]:
    with uow() as tx:
        collection, by = _collection(tx, collection_id, by_person_id)
        by.require(Delegation.PREPARE)
        return timeline_of(collection)


# -- the worker ----------------------------------------------------------------------------------


def record_delivery_failure(*, uow: UowFactory, clock: Clock, collection_id: str, signer_id: str, channel: str,
                            permanent: bool, provider_code: str | None = None) -> bool:
    """A notification for a signer of this collection failed for good: the provider refused it
    (``permanent``) or every retry failed. Told on the collection's timeline and trail; a
    failure the worker will still retry is nobody's concern yet, so the worker calls this only
    once it gives up. False when the collection or the signer is gone (nothing to tell)."""

    def record() -> bool:
        with uow() as tx:
            try:
                collection = tx.collections.get(collection_id)
            except NotFound:
                return False
            recorded = collection.record_delivery_failure(
                signer_id=signer_id, channel=channel, reason="refused" if permanent else "undelivered",
                provider_code=provider_code, now=clock.now())
            if recorded:
                commit_with_trail(tx, collection)
            return recorded

    # The worker calls this once per failed job: a signer acting on the collection at that
    # moment must not make the preparer miss it.
    return retrying(record)


def run_due_reminders_and_expiry(*, uow: UowFactory, clock: Clock, ids: IdGenerator,
                                 limit: int = 100) -> WorkerReport:
    """One round of the worker: expire what passed its deadline (everyone is told), send due reminders.

    Each collection is handled in its own transaction, so one failure does not hold back the others
    and two workers racing on one collection conflict on it alone.
    """
    now = clock.now()
    with uow() as tx:
        due_ids = [c.id for c in tx.collections.due(now, limit=limit)]
    reminders = 0
    expired: list[str] = []
    for collection_id in due_ids:
        with uow() as tx:
            collection = tx.collections.get(collection_id)
            if collection.is_past_deadline(now):
                _enqueue(tx, collection.expire(now=now))
                # The evidence file of an expired collection is sealed by the worker.
                tx.jobs.enqueue(JobSpec(kind="seal_evidence", payload={"collection_id": collection.id}))
                expired.append(collection_id)
            else:
                for signer_id in collection.due_reminders(now):
                    _enqueue(tx, [collection.remind(signer_id=signer_id, now=now, new_token=ids.new_token)])
                    reminders += 1
            commit_with_trail(tx, collection)
    return WorkerReport(reminders_sent=reminders, expired=tuple(expired))


__all__ = [
    "add_document", "add_observer", "add_signer", "cancel", "check_upload", "clean_file_name",
    "collection_details", "collection_timeline", "create_draft", "list_collections",
    "place_field", "read_original", "record_delivery_failure", "remind_now", "remove_document",
    "remove_observer", "remove_signer", "reorder", "replace_signer", "run_due_reminders_and_expiry", "send",
    "set_level", "signer_choices", "update_info", "update_options",
]
