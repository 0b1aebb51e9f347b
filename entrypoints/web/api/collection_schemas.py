"""Wire shapes of the collections API: plain dataclasses built from the use cases' read models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.model.collection import CollectionStatus, EventKind, InvitationMode, SignerStanding
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from domain.services.collection_views import (
    CollectionDetails,
    CollectionsPage,
    CollectionSummary,
    DocumentView,
    SignerChoice,
    SignerView,
    TimelineEntry,
)

# Inputs ----------------------------------------------------------------------------------


@dataclass
class CollectionInfoInput:
    title: str
    message: str = ""


@dataclass
class ReminderInput:
    """Automatic reminders every ``every_days`` days (1 to 60), at most ``max_count`` times (0 to 20)."""

    enabled: bool = True
    every_days: int = 3
    max_count: int = 3


@dataclass
class CollectionOptionsInput:
    """Only the options given change. ``deadline``: ISO 8601 with a time zone (``2026-12-20T18:00:00+01:00``)."""

    deadline: str | None = None
    reminders: ReminderInput | None = None
    mode: InvitationMode | None = None


@dataclass
class SignerInput:
    """``myself`` (« M’ajouter »), ``member`` (« Membres du cabinet »: ``member_id``) or ``external`` (« Autre »:
    ``given_names``, ``surname``, ``email``, ``mobile``). A mobile is required from level 2."""

    kind: SignerKind
    level: SignatureLevel
    member_id: str | None = None
    given_names: str | None = None
    surname: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass
class LevelInput:
    level: SignatureLevel


@dataclass
class CancellationInput:
    """Why the collection is cancelled: required once it was sent, told to the invited signers."""

    reason: str = ""


@dataclass
class OrderInput:
    """Every signer of the collection exactly once; the first signs first."""

    signer_ids: list[str]


@dataclass
class FieldInput:
    """A signature box in PDF points: ``x``/``y`` is its lower-left corner, ``page`` counts from 1."""

    page: int
    x: float
    y: float
    width: float = 180.0
    height: float = 60.0


@dataclass
class ObserverInput:
    given_names: str
    surname: str
    email: str


@dataclass
class DocumentSourceInput:
    """``file``: the position (from 0) of a ``files`` part of the request; or ``collection_id`` and
    ``document_id`` of a document already uploaded to another collection of the same cabinet (its
    original is reused). ``name`` replaces the file's name."""

    file: int | None = None
    collection_id: str | None = None
    document_id: str | None = None
    name: str | None = None


@dataclass
class PlacementInput:
    """A box on the document at position ``document`` (from 0) of the request, in PDF points."""

    document: int
    page: int
    x: float
    y: float
    width: float = 180.0
    height: float = 60.0


@dataclass
class PlannedSignerInput:
    """A signer as in ``addCollectionSigner``, with their boxes (``fields``; by default in the blank
    room of each document, or, when that room cannot hold a box for every signer left without
    ``fields``, on a « Page de signatures » Seing appends to the document)."""

    kind: SignerKind
    level: SignatureLevel
    member_id: str | None = None
    given_names: str | None = None
    surname: str | None = None
    email: str | None = None
    mobile: str | None = None
    fields: list[PlacementInput] = field(default_factory=list)


@dataclass
class CollectionSendInput:
    """The ``collection`` part of ``sendNewCollection``: signers sign in the order of ``signers``.
    ``documents`` defaults to every ``files`` part in order; ``title`` to the first file's name."""

    cabinet_id: str
    signers: list[PlannedSignerInput]
    title: str = ""
    message: str = ""
    documents: list[DocumentSourceInput] | None = None
    options: CollectionOptionsInput | None = None


# Outputs ---------------------------------------------------------------------------------


@dataclass
class CollectionCreated:
    collection_id: str
    document_ids: list[str]


@dataclass
class DocumentsAdded:
    document_ids: list[str]


@dataclass
class SignerCreated:
    signer_id: str


@dataclass
class ObserverCreated:
    observer_id: str


@dataclass
class CollectionSummaryOut:
    collection_id: str
    title: str
    status: CollectionStatus
    signed: int
    total: int
    progress: str
    signer_names: list[str]
    created_at: datetime
    sent_at: datetime | None
    deadline: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, s: CollectionSummary) -> CollectionSummaryOut:
        return cls(collection_id=s.collection_id, title=s.title, status=s.status, signed=s.signed, total=s.total,
                   progress=s.progress, signer_names=list(s.signer_names), created_at=s.created_at,
                   sent_at=s.sent_at, deadline=s.deadline, ended_at=s.ended_at)


@dataclass
class CollectionsPageOut:
    items: list[CollectionSummaryOut]
    total: int
    page: int
    per_page: int
    pages: int

    @classmethod
    def of(cls, page: CollectionsPage) -> CollectionsPageOut:
        return cls(items=[CollectionSummaryOut.of(i) for i in page.items], total=page.total, page=page.page,
                   per_page=page.per_page, pages=page.pages)


@dataclass
class PlacementOut:
    signer_id: str
    page: int
    x: float
    y: float
    width: float
    height: float
    chosen: bool


@dataclass
class DocumentOut:
    document_id: str
    name: str
    page_count: int
    sha256: str
    size: int
    placements: list[PlacementOut]
    original_url: str = ""  # the PDF as uploaded
    signed_url: str | None = None  # once the collection is completed

    @classmethod
    def of(cls, d: DocumentView, collection: str = "", completed: bool = False) -> DocumentOut:
        base = f"/api/v1/collections/{collection}"
        return cls(document_id=d.document_id, name=d.name, page_count=d.page_count, sha256=d.sha256, size=d.size,
                   placements=[PlacementOut(signer_id=p.signer_id, page=p.placement.page, x=p.placement.x,
                                            y=p.placement.y, width=p.placement.width, height=p.placement.height,
                                            chosen=p.chosen) for p in d.placements],
                   original_url=f"{base}/documents/{d.document_id}/original",
                   signed_url=f"{base}/signed-documents/{d.document_id}" if completed else None)


@dataclass
class SignerOut:
    signer_id: str
    kind: SignerKind
    position: int
    given_names: str
    surname: str
    display_name: str
    email: str
    masked_mobile: str | None
    level: SignatureLevel
    status: SignerStatus
    member_id: str | None
    invited_at: datetime | None
    opened_at: datetime | None
    signed_at: datetime | None
    refusal_reason: str | None
    # ``status``, or once the collection ended without this signer's signature, why
    # (ended_by_refusal, ended_by_expiry, ended_by_cancellation)
    standing: SignerStanding | None = None
    # When « Relancer » (POST …/reminders) is accepted for this signer; null when there is no one to remind
    reminder_possible_at: datetime | None = None

    @classmethod
    def of(cls, s: SignerView) -> SignerOut:
        return cls(signer_id=s.signer_id, kind=s.kind, position=s.position, given_names=s.given_names,
                   surname=s.surname, display_name=s.display_name, email=s.email, masked_mobile=s.masked_mobile,
                   level=s.level, status=s.status, member_id=s.member_id, invited_at=s.invited_at,
                   opened_at=s.opened_at, signed_at=s.signed_at, refusal_reason=s.refusal_reason,
                   standing=s.standing, reminder_possible_at=s.reminder_possible_at)


@dataclass
class ObserverOut:
    observer_id: str
    display_name: str
    email: str


@dataclass
class ReminderOut:
    enabled: bool
    every_days: int
    max_count: int


@dataclass
class TimelineEventOut:
    at: datetime
    kind: EventKind
    actor: str | None
    signer_id: str | None
    detail: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineEventOut:
        return cls(at=e.at, kind=e.kind, actor=e.actor, signer_id=e.signer_id, detail=dict(e.detail))


@dataclass
class CollectionLinksOut:
    """Where to read more: the signed PDFs once the collection is completed, the evidence file once sealed
    (the worker seals it just after the end)."""

    self: str
    timeline: str
    signed_documents: list[str]
    evidence_pdf: str | None
    evidence_json: str | None


@dataclass
class CollectionOut:
    summary: CollectionSummaryOut
    message: str
    mode: InvitationMode
    reminders: ReminderOut
    preparer_member_id: str
    preparer_name: str
    cabinet_name: str
    documents: list[DocumentOut]
    signers: list[SignerOut]
    observers: list[ObserverOut]
    links: CollectionLinksOut | None = None
    cancel_reason: str | None = None

    @classmethod
    def of(cls, d: CollectionDetails) -> CollectionOut:
        collection = d.summary.collection_id
        base = f"/api/v1/collections/{collection}"
        completed = d.summary.status is CollectionStatus.COMPLETED
        return cls(summary=CollectionSummaryOut.of(d.summary), message=d.message, mode=d.mode,
                   reminders=ReminderOut(enabled=d.reminders.enabled, every_days=d.reminders.every_days,
                                         max_count=d.reminders.max_count),
                   preparer_member_id=d.preparer_member_id, preparer_name=d.preparer_name,
                   cabinet_name=d.cabinet_name,
                   documents=[DocumentOut.of(x, collection, completed) for x in d.documents],
                   signers=[SignerOut.of(s) for s in d.signers],
                   observers=[ObserverOut(observer_id=o.observer_id, display_name=o.display_name, email=o.email)
                              for o in d.observers], cancel_reason=d.cancel_reason,
                   links=CollectionLinksOut(
                       self=base, timeline=f"{base}/timeline",
                       signed_documents=[f"{base}/signed-documents/{x.document_id}" for x in d.documents]
                       if completed else [],
                       evidence_pdf=f"{base}/evidence.pdf" if d.evidence_ready else None,
                       evidence_json=f"{base}/evidence.json" if d.evidence_ready else None))


@dataclass
class SignerChoiceOut:
    """A member holding SIGN, with the levels the wizard offers for them."""

    member_id: str
    display_name: str
    email: str
    masked_mobile: str | None
    levels: list[SignatureLevel]

    @classmethod
    def of(cls, c: SignerChoice) -> SignerChoiceOut:
        return cls(member_id=c.member_id, display_name=c.display_name, email=c.email,
                   masked_mobile=c.masked_mobile, levels=list(c.levels))
