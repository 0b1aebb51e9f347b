"""Read models of the collections: plain frozen records for pages, the API and e-mails."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from domain.model.collection import (
    Collection,
    CollectionStatus,
    EventKind,
    InvitationMode,
    ReminderPolicy,
    SignerStanding,
    standing_of,
)
from domain.model.document import FieldPlacement, PageSize
from domain.model.signer import SignatureLevel, Signer, SignerKind, SignerStatus


@frozen
class SignerView:
    signer_id: str
    kind: SignerKind
    position: int  # 1 signs first
    given_names: str
    surname: str
    display_name: str
    email: str
    masked_mobile: str | None  # "06 ** ** 13"
    level: SignatureLevel
    status: SignerStatus
    member_id: str | None
    invited_at: datetime | None
    opened_at: datetime | None
    signed_at: datetime | None
    refusal_reason: str | None
    # "sms" or "email": a message to this signer never arrived and they still have to act
    delivery_failed: str | None = None
    # what the row says: the status, or why the collection ended without this signer's signature
    standing: SignerStanding | None = None
    # When the preparer's « Relancer » is accepted (None: nobody to remind)
    reminder_possible_at: datetime | None = None

    @classmethod
    def of(cls, signer: Signer, position: int, delivery_failed: str | None = None,
           collection_status: CollectionStatus | None = None,
           reminder_possible_at: datetime | None = None) -> SignerView:
        mobile = signer.identity.mobile
        return cls(signer_id=signer.id, kind=signer.kind, position=position,
                   given_names=signer.identity.name.given_names, surname=signer.identity.name.surname,
                   display_name=signer.display_name, email=str(signer.email),
                   masked_mobile=mobile.masked() if mobile else None, level=signer.level, status=signer.status,
                   member_id=signer.member_id, invited_at=signer.invited_at, opened_at=signer.opened_at,
                   signed_at=signer.signed_at, refusal_reason=signer.refusal_reason,
                   delivery_failed=delivery_failed,
                   standing=standing_of(collection_status or CollectionStatus.IN_PROGRESS, signer.status),
                   reminder_possible_at=reminder_possible_at)


@frozen
class PlacementView:
    signer_id: str
    placement: FieldPlacement
    chosen: bool  # False: the default slot at the bottom of the last page


@frozen
class DocumentView:
    document_id: str
    name: str
    page_count: int
    sha256: str
    size: int
    placements: tuple[PlacementView, ...]
    # Width and height in points, page by page, as measured when the file was added: what the
    # placement step draws and checks a box against, without reading the PDF again.
    page_sizes: tuple[PageSize, ...] = ()
    # A signature page was appended (less blank room than signers): the last page, added by Seing,
    # holding every default box.
    signature_page: bool = False
    # Less blank room than signers and no page could be added (the PDF carries signatures, or
    # writing the page failed): the default boxes past the room are stacked at the bottom of the
    # last page.
    stacked_defaults: bool = False
    carries_signatures: bool = False  # the file received is signed: why no page may be added


@frozen
class ObserverView:
    observer_id: str
    display_name: str
    email: str


@frozen
class TimelineEntry:
    at: datetime
    kind: EventKind
    actor: str | None
    signer_id: str | None
    detail: dict[str, str]


@frozen
class CollectionSummary:
    """One row of the dashboard."""

    collection_id: str
    title: str
    status: CollectionStatus
    signed: int
    total: int
    progress: str  # "2/3"
    signer_names: tuple[str, ...]
    created_at: datetime
    sent_at: datetime | None
    deadline: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, collection: Collection) -> CollectionSummary:
        return cls(collection_id=collection.id, title=collection.title, status=collection.status,
                   signed=collection.signed_count, total=len(collection.signers), progress=collection.progress,
                   signer_names=tuple(s.display_name for s in collection.signers),
                   created_at=collection.created_at, sent_at=collection.sent_at, deadline=collection.deadline,
                   ended_at=collection.ended_at)


@frozen
class CollectionsPage:
    items: tuple[CollectionSummary, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@frozen
class CollectionDetails:
    """The collection page (and the wizard's recap): everything but the bytes."""

    summary: CollectionSummary
    message: str
    mode: InvitationMode
    reminders: ReminderPolicy
    preparer_member_id: str
    preparer_name: str
    cabinet_name: str
    documents: tuple[DocumentView, ...]
    signers: tuple[SignerView, ...]
    observers: tuple[ObserverView, ...]
    timeline: tuple[TimelineEntry, ...]
    evidence_ready: bool = False  # the evidence file is sealed (at the end, by the worker)
    # Signers the preparer may still move up or down (a running sequential collection only)
    movable_signer_ids: tuple[str, ...] = ()
    cancel_reason: str | None = None

    @classmethod
    def of(cls, c: Collection) -> CollectionDetails:
        signer_ids = [s.id for s in c.signers]
        documents = tuple(
            DocumentView(document_id=d.id, name=d.name, page_count=d.page_count, sha256=d.sha256, size=d.size,
                         page_sizes=d.page_sizes, signature_page=d.has_signature_page,
                         stacked_defaults=d.lacks_room(signer_ids), carries_signatures=bool(d.carries_signatures),
                         placements=tuple(PlacementView(signer_id=s.id, placement=d.placement_for(s.id, i),
                                                        chosen=s.id in d.fields)
                                          for i, s in enumerate(c.signers)))
            for d in c.documents)
        return cls(summary=CollectionSummary.of(c), message=c.message, mode=c.mode, reminders=c.reminders,
                   preparer_member_id=c.preparer.member_id, preparer_name=c.preparer.identity.display_name,
                   cabinet_name=c.preparer.cabinet_name, documents=documents,
                   signers=tuple(SignerView.of(s, i + 1, c.delivery_failed(s.id), c.status, c.manual_reminder_at(s.id))
                                 for i, s in enumerate(c.signers)),
                   observers=tuple(ObserverView(observer_id=o.id, display_name=o.identity.display_name,
                                                email=str(o.email)) for o in c.observers),
                   timeline=timeline_of(c), evidence_ready=c.evidence is not None,
                   movable_signer_ids=tuple(c.movable_signers()), cancel_reason=c.cancel_reason)


def timeline_of(c: Collection) -> tuple[TimelineEntry, ...]:
    return tuple(TimelineEntry(at=e.at, kind=e.kind, actor=e.actor, signer_id=e.signer_id, detail=e.detail_dict())
                 for e in c.timeline)


@frozen
class SignerChoice:
    """A cabinet member the wizard offers under "Membres du cabinet", with the levels allowed."""

    member_id: str
    display_name: str
    email: str
    masked_mobile: str | None
    levels: tuple[SignatureLevel, ...]


@frozen
class WorkerReport:
    reminders_sent: int
    expired: tuple[str, ...]
