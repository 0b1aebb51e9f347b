"""One call creates and sends a collection (the integrators' API): the wizard's steps in one request.

``create_and_send`` orchestrates the wizard's own use cases (``create_draft``, ``add_document``,
``add_signer``, ``place_field``, ``send``), so every rule is the wizard's. Those use cases each
commit, so the whole request is first *rehearsed*: the documents are checked as uploads and the
collection is built, filled and sent in memory with the same domain methods, then thrown away. A
refusal (a bad PDF, an unknown member, a level the signer may not have, a box off the page, a
deadline in the past) is raised by the rehearsal, when nothing is stored yet. Only a change made
meanwhile by someone else can refuse a step of the real run; the draft is then cancelled, so no
half-prepared collection is left open and nobody is invited.
"""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

from domain.model.audit import RequestContext
from domain.model.collection import Collection, InvitationMode, ReminderPolicy
from domain.model.document import FIELD_HEIGHT, FIELD_WIDTH, Document, FieldPlacement
from domain.model.errors import DomainError, InvalidValue, NotFound
from domain.model.intake import IntakePolicy, PdfInfo
from domain.model.signer import SignatureLevel, SignerKind
from domain.services import collections
from domain.services.uploads import Upload, upload_ref
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.ids import IdGenerator
from ports.pdf_inspection import PdfInspector
from ports.pdf_rendering import PdfPageRenderer
from ports.pdf_signing import PdfSigning
from ports.uploads import UploadedFile

__all__ = ["CollectionRequest", "DocumentSource", "FieldRequest", "SignerRequest", "create_and_send"]


@frozen
class DocumentSource:
    """A PDF sent with the request (``content``), or one already uploaded to another collection of the
    same cabinet (``collection_id`` and ``document_id``: its original is reused)."""

    name: str = ""
    content: bytes | UploadedFile | None = None
    collection_id: str | None = None
    document_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.content is None) == (self.collection_id is None or self.document_id is None):
            raise InvalidValue("documents", "either the file or the collection and document it comes from")


@frozen
class FieldRequest:
    """The signer's box on a document given by its position in the request (from 0)."""

    document: int
    page: int
    x: float
    y: float
    width: float = FIELD_WIDTH
    height: float = FIELD_HEIGHT


@frozen
class SignerRequest:
    kind: SignerKind
    level: SignatureLevel
    member_id: str | None = None
    given_names: str | None = None
    surname: str | None = None
    email: str | None = None
    mobile: str | None = None
    fields: tuple[FieldRequest, ...] = field(default=(), converter=tuple)


@frozen
class CollectionRequest:
    """Signers sign in the order given (in sequential mode, the first is invited first)."""

    cabinet_id: str
    title: str
    documents: tuple[DocumentSource, ...] = field(converter=tuple)
    signers: tuple[SignerRequest, ...] = field(converter=tuple)
    message: str = ""
    mode: InvitationMode = InvitationMode.SEQUENTIAL
    deadline: datetime | None = None
    reminders: ReminderPolicy | None = None


def _contents(*, uow: collections.UowFactory, store: DocumentStore, request: CollectionRequest,
              by_person_id: str) -> list[tuple[str, Upload]]:
    """Each document's name and bytes; a reference reaches only the cabinet's own collections."""
    found: list[tuple[str, Upload]] = []
    for source in request.documents:
        if source.content is not None:
            found.append((source.name or "document.pdf", source.content))
            continue
        assert source.collection_id is not None and source.document_id is not None
        with uow() as tx:
            try:
                cabinet_id = tx.collections.get(source.collection_id).cabinet_id
            except NotFound:
                cabinet_id = None
        if cabinet_id != request.cabinet_id:
            raise NotFound("document not found")
        name, content = collections.read_original(uow=uow, store=store, collection_id=source.collection_id,
                                                  by_person_id=by_person_id, document_id=source.document_id)
        found.append((source.name or name, content))
    return found


def _rehearse(*, uow: collections.UowFactory, clock: Clock, request: CollectionRequest, by_person_id: str,
              documents: list[tuple[str, Upload, PdfInfo]]) -> None:
    """Build, fill and send the collection in memory, with the wizard's rules; nothing is stored."""
    now = clock.now()
    with uow() as tx:
        by = collections._member(tx, request.cabinet_id, by_person_id)
        rehearsal = Collection.draft(id="rehearsal", by=by, preparer=collections._identity_of_member(tx, by),
                                     cabinet_name=tx.cabinets.get(request.cabinet_id).name, title=request.title,
                                     message=request.message, now=now, deadline=request.deadline,
                                     mode=request.mode, reminders=request.reminders)
        for index, (name, content, info) in enumerate(documents):
            rehearsal.add_document(by=by, now=now, document=Document(
                id=f"document-{index}", name=collections.clean_file_name(name),
                ref=upload_ref(content),
                page_sizes=info.page_sizes, added_at=now))
        for index, wanted in enumerate(request.signers):
            member = collections._signing_member(tx, rehearsal, by, wanted.kind, wanted.member_id)
            identity = collections._signer_identity(tx, member, wanted.given_names, wanted.surname, wanted.email,
                                                    wanted.mobile)
            rehearsal.add_signer(by=by, signer_id=f"signer-{index}", kind=wanted.kind, identity=identity,
                                 level=wanted.level, now=now, member=member,
                                 has_active_qcp=member is not None and collections._has_active_qcp(tx, member, now))
            for box in wanted.fields:
                if not 0 <= box.document < len(documents):
                    raise InvalidValue("fields.document", "no document at this position", position=box.document)
                rehearsal.place_field(by=by, document_id=f"document-{box.document}", signer_id=f"signer-{index}",
                                      placement=FieldPlacement(page=box.page, x=box.x, y=box.y, width=box.width,
                                                               height=box.height))
        rehearsal.send(by=by, now=now, new_token=lambda: "rehearsal")
        # Leaving the unit of work without committing: the rehearsal is gone.


def create_and_send(*, uow: collections.UowFactory, clock: Clock, ids: IdGenerator, store: DocumentStore,
                    inspector: PdfInspector, signing: PdfSigning, renderer: PdfPageRenderer, policy: IntakePolicy,
                    by_person_id: str, request: CollectionRequest, context: RequestContext | None = None) -> str:
    """Create the collection, add its documents, signers and boxes, send it; its id."""
    contents = _contents(uow=uow, store=store, request=request, by_person_id=by_person_id)
    checked = []
    for name, content in contents:
        checked.append((name, content, collections.check_upload(policy=policy, inspector=inspector,
                                                                signing=signing, content=content)))
    _rehearse(uow=uow, clock=clock, request=request, by_person_id=by_person_id, documents=checked)

    collection_id = collections.create_draft(
        uow=uow, clock=clock, ids=ids, cabinet_id=request.cabinet_id, by_person_id=by_person_id,
        title=request.title, message=request.message, deadline=request.deadline, mode=request.mode,
        reminders=request.reminders, context=context)
    try:
        document_ids = [collections.add_document(
            uow=uow, clock=clock, ids=ids, store=store, inspector=inspector, signing=signing, renderer=renderer,
            policy=policy, collection_id=collection_id, by_person_id=by_person_id, name=name, content=content, context=context)
            for name, content in contents]
        for wanted in request.signers:
            signer_id = collections.insert_signer(
                uow=uow, clock=clock, ids=ids, collection_id=collection_id, by_person_id=by_person_id,
                kind=wanted.kind, level=wanted.level, member_id=wanted.member_id, given_names=wanted.given_names,
                surname=wanted.surname, email=wanted.email, mobile=wanted.mobile, context=context)
            for box in wanted.fields:
                collections.place_field(uow=uow, collection_id=collection_id, by_person_id=by_person_id,
                                        document_id=document_ids[box.document], signer_id=signer_id, page=box.page,
                                        x=box.x, y=box.y, width=box.width, height=box.height, context=context)
        collections.make_room_for_signers(uow=uow, clock=clock, store=store, inspector=inspector, signing=signing,
                                          collection_id=collection_id, by_person_id=by_person_id, context=context)
        collections.send(uow=uow, clock=clock, ids=ids, collection_id=collection_id, by_person_id=by_person_id,
                         store=store, signing=signing, context=context)
    except DomainError:
        collections.cancel(uow=uow, clock=clock, collection_id=collection_id, by_person_id=by_person_id,
                           context=context)
        raise
    return collection_id
