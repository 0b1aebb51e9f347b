"""A collection (collecte): documents, signers in order, invitations, and how it ends.

The aggregate decides and records; it does no I/O. Methods that must tell people something
return the ``Notification``s to send, and the use case enqueues them in the same transaction.
Links are secrets made by the caller's ``new_token`` (the IdGenerator): only their SHA-256 is kept.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from attrs import define, field, frozen

from domain.model.archive import ArchiveState
from domain.model.cabinet import Delegation, Member
from domain.model.document import Document, DocumentRef, FieldPlacement, PageSize
from domain.model.errors import (
    CancelReasonRequired,
    CollectionAlreadyEnded,
    CollectionNotEditable,
    CollectionNotRunning,
    DeadlineNotInFuture,
    DeadlineTooFar,
    DocumentVersionConflict,
    DuplicateObserver,
    DuplicateSigner,
    FirstReminderTooSoon,
    InvalidCollectionInfo,
    InvalidOrder,
    InvalidReminderPolicy,
    InvalidValue,
    InvitationLinkUnusable,
    LevelNotAllowed,
    MobileRequired,
    NoDocument,
    NoSigner,
    NotFound,
    OrderLocked,
    ReminderTooSoon,
    SignerCannotSign,
    SignerStateRefused,
    TooManyItems,
)
from domain.model.jobs import Notification
from domain.model.signer import Identity, Observer, SignatureLevel, Signer, SignerKind, SignerStatus
from domain.model.tokens import hash_token
from domain.model.values import fold

DEFAULT_DEADLINE = timedelta(days=15)
# A deadline is a day: the collection runs to the end of it, in the firms' time zone, whether
# the preparer chose the day or kept the default one (the recap must not show an hour).
DEADLINE_TZ = ZoneInfo("Europe/Paris")
DEADLINE_TIME = time(23, 59)
MAX_DEADLINE = timedelta(days=366)
MANUAL_REMINDER_GAP = timedelta(hours=1)
MAX_SIGNERS = 50
MAX_OBSERVERS = 20
MAX_DOCUMENTS = 20
MAX_TITLE = 200
MAX_MESSAGE = 5000
MAX_CANCEL_REASON = 1000

NewToken = Callable[[], str]


class CollectionStatus(enum.Enum):
    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REFUSED = "refused"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self not in (CollectionStatus.DRAFT, CollectionStatus.IN_PROGRESS)


class SignerStanding(enum.Enum):
    """Where a signer stands, as the people involved should read it: their own status while the
    collection runs (or once they signed or refused), and once it ended without them, why."""

    PENDING = "pending"
    INVITED = "invited"
    OPENED = "opened"
    SIGNED = "signed"
    REFUSED = "refused"
    ENDED_BY_REFUSAL = "ended_by_refusal"  # another signer refused before this one signed
    ENDED_BY_EXPIRY = "ended_by_expiry"
    ENDED_BY_CANCELLATION = "ended_by_cancellation"


_ENDED_STANDING = {CollectionStatus.REFUSED: SignerStanding.ENDED_BY_REFUSAL,
                   CollectionStatus.EXPIRED: SignerStanding.ENDED_BY_EXPIRY,
                   CollectionStatus.CANCELLED: SignerStanding.ENDED_BY_CANCELLATION}


def standing_of(collection_status: CollectionStatus, signer_status: SignerStatus) -> SignerStanding:
    """A signer who signed or refused keeps that; one who had not is no longer « Invité » once the
    collection ended: the page says it ended without their signature, and why."""
    if signer_status in (SignerStatus.SIGNED, SignerStatus.REFUSED):
        return SignerStanding(signer_status.value)
    return _ENDED_STANDING.get(collection_status, SignerStanding(signer_status.value))


class InvitationMode(enum.Enum):
    SEQUENTIAL = "sequential"  # Invitations séquentielles: one at a time, in order
    PARALLEL = "parallel"  # Invitations en parallèle: everyone at once


@frozen
class ReminderPolicy:
    """Automatic reminders: every ``every_days`` days after the invitation, at most ``max_count`` times."""

    enabled: bool = True
    every_days: int = 3
    max_count: int = 3

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.every_days <= 60 or not 0 <= self.max_count <= 20:
            raise InvalidReminderPolicy("reminders every 1 to 60 days, at most 20 times",
                                        every_days=self.every_days, max_count=self.max_count)

    @classmethod
    def off(cls) -> ReminderPolicy:
        return cls(enabled=False)

    @property
    def interval(self) -> timedelta:
        return timedelta(days=self.every_days)


class EventKind(enum.Enum):
    CREATED = "created"
    INFO_UPDATED = "info_updated"
    OPTIONS_UPDATED = "options_updated"
    DOCUMENT_ADDED = "document_added"
    DOCUMENT_REMOVED = "document_removed"
    SIGNATURE_PAGE_ADDED = "signature_page_added"
    SIGNER_ADDED = "signer_added"
    SIGNER_REMOVED = "signer_removed"
    SIGNER_LEVEL_CHANGED = "signer_level_changed"
    SIGNERS_REORDERED = "signers_reordered"
    OBSERVER_ADDED = "observer_added"
    OBSERVER_REMOVED = "observer_removed"
    SENT = "sent"
    INVITED = "invited"
    TURN_POSTPONED = "turn_postponed"
    OPENED = "opened"
    REMINDED = "reminded"
    SIGNED = "signed"
    REFUSED = "refused"
    SIGNER_REPLACED = "signer_replaced"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DELIVERY_FAILED = "delivery_failed"


# Why a message did not arrive: the provider refused it for good (a number or address it will
# never reach), or it could not be handed over after every retry.
DELIVERY_FAILURE_REASONS = ("refused", "undelivered")
DELIVERY_CHANNELS = ("sms", "email")
_PROVIDER_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, dict) else value  # type: ignore[union-attr]
    return tuple((str(k), str(v)) for k, v in items)  # type: ignore[misc]


@frozen
class TimelineEvent:
    """One line of the collection page's timeline. ``actor`` is a member id, a signer id or None (the system)."""

    at: datetime
    kind: EventKind
    actor: str | None = None
    signer_id: str | None = None
    detail: tuple[tuple[str, str], ...] = field(converter=_pairs, factory=tuple)

    def detail_dict(self) -> dict[str, str]:
        return dict(self.detail)


@frozen
class EvidenceRef:
    """The sealed evidence file (« dossier de preuve »): PDF and JSON twin in the DocumentStore."""

    pdf: DocumentRef
    json: DocumentRef
    sealed_at: datetime
    purged_at: datetime | None = None
    archive: ArchiveState | None = None  # archive-timestamp renewal of the PDF
    # SHA-256 of the PDF's versions before its archive-timestamp renewals (retention deletes them too)
    earlier_pdfs: tuple[str, ...] = field(default=(), converter=tuple)


@frozen
class DownloadLink:
    """A secure, expiring link to the signed documents and the evidence; only its hash is kept."""

    token_hash: str
    email: str
    expires_at: datetime
    role: str  # "signer" or "observer"


@frozen
class Preparer:
    """Who prepared the collection, as shown to signers and told of the outcome (a snapshot)."""

    member_id: str
    identity: Identity
    cabinet_name: str


def allowed_levels(*, kind: SignerKind, has_mobile: bool, has_active_qcp: bool) -> list[SignatureLevel]:
    """The levels the wizard's dropdown offers for this signer."""
    levels = [SignatureLevel.SIMPLE]
    if has_mobile:
        levels.append(SignatureLevel.ADVANCED)
        # An external signer reaches level 3 through an identity check during signing.
        if kind is SignerKind.EXTERNAL or has_active_qcp:
            levels.append(SignatureLevel.ADVANCED_QUALIFIED)
    return levels


def _check_level(kind: SignerKind, identity: Identity, level: SignatureLevel, has_active_qcp: bool) -> None:
    if level.needs_mobile and identity.mobile is None:
        raise MobileRequired("levels 2 and 3 need a mobile number", level=int(level))
    if level is SignatureLevel.ADVANCED_QUALIFIED and kind is not SignerKind.EXTERNAL and not has_active_qcp:
        raise LevelNotAllowed("level 3 needs an active qualified certificate", level=int(level))


def _check_title(title: str) -> str:
    title = " ".join(str(title).split())
    if not title:
        raise InvalidCollectionInfo("a collection needs a title", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidCollectionInfo("title too long", field="title", max_length=MAX_TITLE)
    return title


def _check_message(message: str) -> str:
    message = str(message).strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidCollectionInfo("message too long", field="message", max_length=MAX_MESSAGE)
    return message


def deadline_on(day: date) -> datetime:
    """The deadline of a collection that runs until ``day`` (the end of that day in Paris), in UTC."""
    return datetime.combine(day, DEADLINE_TIME, tzinfo=DEADLINE_TZ).astimezone(UTC)


def default_deadline(now: datetime) -> datetime:
    """The deadline of a new draft: the end of the day ``DEFAULT_DEADLINE`` after ``now`` (Paris)."""
    return deadline_on((now + DEFAULT_DEADLINE).astimezone(DEADLINE_TZ).date())


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise DeadlineNotInFuture("the deadline must be in the future")
    if deadline - now > MAX_DEADLINE:
        raise DeadlineTooFar("the deadline is too far", max_days=MAX_DEADLINE.days)


@define(eq=False)
class Collection:
    id: str
    cabinet_id: str
    preparer: Preparer
    title: str
    message: str
    created_at: datetime
    deadline: datetime
    mode: InvitationMode = InvitationMode.SEQUENTIAL
    reminders: ReminderPolicy = ReminderPolicy()
    status: CollectionStatus = CollectionStatus.DRAFT
    documents: list[Document] = field(factory=list)
    signers: list[Signer] = field(factory=list)  # in signing order: the first row signs first
    observers: list[Observer] = field(factory=list)
    timeline: list[TimelineEvent] = field(factory=list)
    sent_at: datetime | None = None
    ended_at: datetime | None = None
    # Signing ceremony, completion and retention
    finalised_at: datetime | None = None  # document timestamps, evidence and download links done
    evidence: EvidenceRef | None = None
    download_links: list[DownloadLink] = field(factory=list)
    documents_purged_at: datetime | None = None
    cancel_reason: str | None = None  # the preparer's words, told to the signers

    # -- creation and preparation (draft only) -------------------------------------------

    @classmethod
    def draft(cls, *, id: str, by: Member, preparer: Identity, cabinet_name: str, title: str, now: datetime,
              message: str = "", deadline: datetime | None = None,
              mode: InvitationMode = InvitationMode.SEQUENTIAL,
              reminders: ReminderPolicy | None = None) -> Collection:
        by.require(Delegation.PREPARE)
        deadline = deadline or default_deadline(now)
        _check_deadline(deadline, now)
        collection = cls(id=id, cabinet_id=by.cabinet_id,
                         preparer=Preparer(member_id=by.id, identity=preparer, cabinet_name=cabinet_name),
                         title=_check_title(title), message=_check_message(message), created_at=now,
                         deadline=deadline, mode=mode, reminders=reminders or ReminderPolicy())
        collection._record(now, EventKind.CREATED, actor=by.id)
        return collection

    def discard(self, *, by: Member) -> frozenset[str]:
        """The preparer gives up the draft: nothing was sent, so it goes entirely. The digests of
        its documents' bytes, for the store (kept if another collection holds the same file)."""
        self._require_preparer(by)
        self._require_draft()
        return frozenset(d.ref.sha256 for d in self.documents)

    def ensure_editable(self, *, by: Member) -> None:
        """Refuse now what a change of the draft by ``by`` would refuse (before costly work)."""
        self._require_preparer(by)
        self._require_draft()

    @property
    def prepared_by(self) -> str:
        return self.preparer.member_id

    def update_info(self, *, by: Member, title: str, message: str, now: datetime) -> None:
        self._require_preparer(by)
        self._require_draft()
        self.title = _check_title(title)
        self.message = _check_message(message)
        self._record(now, EventKind.INFO_UPDATED, actor=by.id)

    def set_options(self, *, by: Member, now: datetime, deadline: datetime | None = None,
                    reminders: ReminderPolicy | None = None, mode: InvitationMode | None = None) -> None:
        self._require_preparer(by)
        self._require_draft()
        if deadline is not None:
            _check_deadline(deadline, now)
            self.deadline = deadline
        if reminders is not None:
            self.reminders = reminders
        if mode is not None:
            self.mode = mode
        self._record(now, EventKind.OPTIONS_UPDATED, actor=by.id)

    def add_document(self, *, by: Member, document: Document, now: datetime) -> None:
        self._require_preparer(by)
        self._require_draft()
        if len(self.documents) >= MAX_DOCUMENTS:
            raise TooManyItems("too many documents", limit=MAX_DOCUMENTS)
        self.documents.append(document)
        extra = {"uploaded_sha256": document.uploaded_sha256} if document.uploaded_sha256 else {}
        self._record(now, EventKind.DOCUMENT_ADDED, actor=by.id, name=document.name, sha256=document.sha256, **extra)

    def documents_lacking_room(self) -> list[Document]:
        """The documents where some signer's default box finds no blank room (see Document.lacks_room)."""
        signer_ids = [s.id for s in self.signers]
        return [d for d in self.documents if d.lacks_room(signer_ids)]

    def add_signature_page(self, *, by: Member, document_id: str, base_sha256: str, ref: DocumentRef,
                           size: PageSize, now: datetime) -> None:
        """``ref`` is the document ``base_sha256`` plus a signature page: refused when the document
        changed since (the page would be added to another file)."""
        self._require_preparer(by)
        self._require_draft()
        document = self.document(document_id)
        if document.sha256 != base_sha256:
            raise DocumentVersionConflict("the document changed since it was read", document_id=document_id)
        document.add_signature_page(ref, size)
        self._record(now, EventKind.SIGNATURE_PAGE_ADDED, actor=by.id, name=document.name, sha256=document.sha256,
                     uploaded_sha256=base_sha256)

    def remove_document(self, *, by: Member, document_id: str, now: datetime) -> Document:
        self._require_preparer(by)
        self._require_draft()
        document = self.document(document_id)
        self.documents.remove(document)
        self._record(now, EventKind.DOCUMENT_REMOVED, actor=by.id, name=document.name)
        return document

    def add_signer(self, *, by: Member, signer_id: str, kind: SignerKind, identity: Identity,
                   level: SignatureLevel, now: datetime, member: Member | None = None,
                   has_active_qcp: bool = False) -> Signer:
        """``member`` is the signing member for MYSELF (``by`` itself) and MEMBER; ``has_active_qcp`` tells
        whether that member holds an active qualified certificate for this cabinet."""
        self._require_preparer(by)
        self._require_draft()
        if len(self.signers) >= MAX_SIGNERS:
            raise TooManyItems("too many signers", limit=MAX_SIGNERS)
        signer = self._new_signer(by=by, signer_id=signer_id, kind=kind, identity=identity, level=level,
                                  member=member, has_active_qcp=has_active_qcp, instead_of=None)
        self.signers.append(signer)
        self._record(now, EventKind.SIGNER_ADDED, actor=by.id, signer_id=signer.id, name=signer.display_name)
        return signer

    def remove_signer(self, *, by: Member, signer_id: str, now: datetime) -> None:
        self._require_preparer(by)
        self._require_draft()
        signer = self.signer(signer_id)
        self.signers.remove(signer)
        for document in self.documents:
            document.fields.pop(signer_id, None)
        self._record(now, EventKind.SIGNER_REMOVED, actor=by.id, signer_id=signer_id, name=signer.display_name)

    def set_level(self, *, by: Member, signer_id: str, level: SignatureLevel, now: datetime,
                  has_active_qcp: bool = False) -> None:
        self._require_preparer(by)
        self._require_draft()
        signer = self.signer(signer_id)
        _check_level(signer.kind, signer.identity, level, has_active_qcp)
        signer.level = level
        self._record(now, EventKind.SIGNER_LEVEL_CHANGED, actor=by.id, signer_id=signer_id, level=int(level))

    def add_observer(self, *, by: Member, observer_id: str, identity: Identity, now: datetime) -> Observer:
        self._require_preparer(by)
        self._require_draft()
        if len(self.observers) >= MAX_OBSERVERS:
            raise TooManyItems("too many observers", limit=MAX_OBSERVERS)
        if any(o.email == identity.email for o in self.observers):
            raise DuplicateObserver("this person is already in copy")
        observer = Observer(id=observer_id, identity=identity)
        self.observers.append(observer)
        self._record(now, EventKind.OBSERVER_ADDED, actor=by.id, name=identity.display_name)
        return observer

    def remove_observer(self, *, by: Member, observer_id: str, now: datetime) -> None:
        self._require_preparer(by)
        self._require_draft()
        observer = next((o for o in self.observers if o.id == observer_id), None)
        if observer is None:
            raise NotFound("observer not found")
        self.observers.remove(observer)
        self._record(now, EventKind.OBSERVER_REMOVED, actor=by.id, name=observer.identity.display_name)

    def place_field(self, *, by: Member, document_id: str, signer_id: str, placement: FieldPlacement) -> None:
        self._require_preparer(by)
        self._require_draft()
        self.signer(signer_id)
        self.document(document_id).place(signer_id, placement)

    def placement(self, document_id: str, signer_id: str) -> FieldPlacement:
        return self.document(document_id).placement_for(signer_id, self._index(signer_id))

    # -- order ----------------------------------------------------------------------------

    def reorder(self, *, by: Member, signer_ids: list[str], now: datetime,
                new_token: NewToken | None = None) -> list[Notification]:
        """Put the signers in this order. While running, signers who signed keep their place; in
        sequential mode the first unsigned signer becomes the one invited (a signer on holiday
        moved down waits for their turn again, their link dead until then)."""
        self._require_preparer(by)
        if self.status.ended:
            raise CollectionAlreadyEnded("the collection has ended", status=self.status.value)
        by_id = {s.id: s for s in self.signers}
        if len(signer_ids) != len(by_id) or set(signer_ids) != set(by_id):
            raise InvalidOrder("list every signer exactly once")
        new_order = [by_id[i] for i in signer_ids]
        if self.status is CollectionStatus.IN_PROGRESS:
            for old, new in zip(self.signers, new_order, strict=True):
                if (old.has_signed or new.has_signed) and old is not new:
                    raise OrderLocked("a signer who signed keeps their place", signer_id=old.id)
        self.signers = new_order
        self._record(now, EventKind.SIGNERS_REORDERED, actor=by.id, order=",".join(signer_ids))
        if self.status is CollectionStatus.IN_PROGRESS and self.mode is InvitationMode.SEQUENTIAL:
            if new_token is None:
                raise ValueError("reordering a running sequential collection needs new_token")
            current = self._first_unsigned()
            for signer in self.signers:
                if signer.waiting and signer is not current:
                    signer.uninvite()
                    self._record(now, EventKind.TURN_POSTPONED, actor=by.id, signer_id=signer.id,
                                 name=signer.display_name)
            if current is not None and current.status is SignerStatus.PENDING:
                return [self._invite(current, now, new_token)]
        return []

    # -- sending and running ----------------------------------------------------------------

    def send(self, *, by: Member, now: datetime, new_token: NewToken) -> list[Notification]:
        self._require_preparer(by)
        self._require_draft()
        if not self.documents:
            raise NoDocument("a collection needs at least one document")
        if not self.signers:
            raise NoSigner("a collection needs at least one signer")
        _check_deadline(self.deadline, now)
        for document in self.documents:
            # The default boxes are fixed now, so the signed PDFs match what was sent.
            for index, signer in enumerate(self.signers):
                document.fields.setdefault(signer.id, document.default_placement(index))
        self.status = CollectionStatus.IN_PROGRESS
        self.sent_at = now
        self._record(now, EventKind.SENT, actor=by.id, mode=self.mode.value)
        to_invite = self.signers[:1] if self.mode is InvitationMode.SEQUENTIAL else list(self.signers)
        return [self._invite(signer, now, new_token) for signer in to_invite]

    def standing(self, signer_id: str) -> SignerStanding:
        return standing_of(self.status, self.signer(signer_id).status)

    def signer_for_link(self, token_hash: str, now: datetime) -> Signer:
        """The signer a link belongs to, if the link still works; refused with the reason otherwise."""
        signer = next((s for s in self.signers if s.holds(token_hash)), None)
        if signer is None:
            raise InvitationLinkUnusable("unknown link", reason="unknown")
        if self.status is not CollectionStatus.IN_PROGRESS:
            raise InvitationLinkUnusable("the collection has ended", reason=self.status.value)
        if now >= self.deadline:
            raise InvitationLinkUnusable("the deadline has passed", reason="expired")
        return signer

    def open(self, *, signer_id: str, now: datetime) -> None:
        self._require_running(now)
        signer = self.signer(signer_id)
        if signer.has_signed:
            return
        if signer.open(now):
            self._record(now, EventKind.OPENED, actor=signer.id, signer_id=signer.id)

    def record_signature(self, *, signer_id: str, now: datetime, new_token: NewToken) -> list[Notification]:
        """The signer signed every document. Invites the next one (sequential), or completes."""
        self._require_running(now)
        signer = self.signer(signer_id)
        signer.sign(now)
        self._record(now, EventKind.SIGNED, actor=signer.id, signer_id=signer.id, level=int(signer.level))
        if all(s.has_signed for s in self.signers):
            return self._complete(now)
        if self.mode is InvitationMode.SEQUENTIAL:
            following = self._first_unsigned()
            if following is not None and following.status is SignerStatus.PENDING:
                return [self._invite(following, now, new_token)]
        return []

    def refuse(self, *, signer_id: str, reason: str, now: datetime) -> list[Notification]:
        """A refusal ends the collection; the preparer and the other invited signers are told, no
        one receives the documents."""
        self._require_running(now)
        signer = self.signer(signer_id)
        signer.refuse(reason, now)
        self._end(CollectionStatus.REFUSED, now)
        self._record(now, EventKind.REFUSED, actor=signer.id, signer_id=signer.id, reason=signer.refusal_reason or "")
        return [self._notify_preparer("collection_refused", signer_name=signer.display_name,
                                      reason=signer.refusal_reason or "")] + [
            Notification.email(s.email, "collection_refused_signer", **self._context(s),
                               signed="yes" if s.has_signed else "no") for s in self.told_of_refusal(signer.id)]

    def told_of_refusal(self, signer_id: str) -> list[Signer]:
        """The other signers a refusal is told to: those who were invited (signed or not) learn that
        nothing will be sent, without the reason (the preparer's to read). Signers still waiting for
        their turn never knew of it, and the preparer signing their own collection reads the
        preparer's email, not a second one."""
        preparer = str(self.preparer.identity.email).casefold()
        return [s for s in self.signers if s.id != signer_id and s.status is not SignerStatus.PENDING
                and str(s.email).casefold() != preparer]

    def remind(self, *, signer_id: str, now: datetime, new_token: NewToken,
               by: Member | None = None) -> Notification:
        """``by`` None is the worker's automatic reminder, counted against the policy; a member's
        "Relancer" is not counted but waits at least an hour after the last email."""
        if by is not None:
            self._require_preparer(by)
        self._require_running(now)
        signer = self.signer(signer_id)
        if not signer.waiting:
            raise SignerStateRefused("only a signer who was invited and has not signed is reminded",
                                     status=signer.status.value)
        if by is not None:
            possible_at = self.manual_reminder_at(signer_id)
            if possible_at is not None and now < possible_at:
                retry = int((possible_at - now).total_seconds()) + 1
                error = ReminderTooSoon if signer.last_reminded_at else FirstReminderTooSoon
                raise error("an email reached this signer less than an hour ago", retry_after_seconds=retry,
                            possible_at=possible_at)
        token = new_token()
        signer.reminded(hash_token(token), now, automatic=by is None)
        self._record(now, EventKind.REMINDED, actor=by.id if by else None, signer_id=signer.id,
                     automatic="yes" if by is None else "no")
        return self._signer_notification(signer, "collection_reminder", token)

    def manual_reminder_at(self, signer_id: str) -> datetime | None:
        """When the preparer's « Relancer » is accepted for this signer: an hour after the last email
        they received (the invitation, or a reminder). None when there is no one to remind."""
        if self.status is not CollectionStatus.IN_PROGRESS:
            return None
        signer = self.signer(signer_id)
        if not signer.waiting:
            return None
        last = signer.last_reminded_at or signer.invited_at
        return last + MANUAL_REMINDER_GAP if last is not None else None

    @property
    def order_matters(self) -> bool:
        """Whether the order of the signers changes anything: in sequential mode it is the order of
        their turns; in parallel mode everyone is invited at once and it is only a list."""
        return self.mode is InvitationMode.SEQUENTIAL

    def movable_signers(self) -> list[str]:
        """Ids of the signers the preparer may still move up or down on a running collection: in
        sequential mode, those who have not signed (or refused), when there are at least two."""
        if self.status is not CollectionStatus.IN_PROGRESS or not self.order_matters:
            return []
        movable = [s.id for s in self.signers if s.waiting or s.status is SignerStatus.PENDING]
        return movable if len(movable) > 1 else []

    def replace_signer(self, *, by: Member, signer_id: str, new_signer_id: str, kind: SignerKind,
                       identity: Identity, level: SignatureLevel, now: datetime, new_token: NewToken,
                       member: Member | None = None, has_active_qcp: bool = False) -> list[Notification]:
        """Someone else signs in this signer's place; the old links die. If the old signer had been
        invited, the new one is invited at once with a fresh link and the old one is told."""
        self._require_preparer(by)
        if self.status.ended:
            raise CollectionAlreadyEnded("the collection has ended", status=self.status.value)
        old = self.signer(signer_id)
        if old.status not in (SignerStatus.PENDING, SignerStatus.INVITED, SignerStatus.OPENED):
            raise SignerStateRefused("a signer who signed or refused cannot be replaced", status=old.status.value)
        new = self._new_signer(by=by, signer_id=new_signer_id, kind=kind, identity=identity, level=level,
                               member=member, has_active_qcp=has_active_qcp, instead_of=old)
        self.signers[self._index(old.id)] = new
        for document in self.documents:
            if old.id in document.fields:
                document.fields[new.id] = document.fields.pop(old.id)
        self._record(now, EventKind.SIGNER_REPLACED, actor=by.id, signer_id=new.id, replaced=old.id,
                     old_name=old.display_name, name=new.display_name)
        notifications: list[Notification] = []
        if old.waiting:
            notifications.append(Notification.email(
                old.email, "collection_invitation_withdrawn", **self._context(old)))
            notifications.append(self._invite(new, now, new_token))
        return notifications

    def cancel(self, *, by: Member, now: datetime, reason: str) -> list[Notification]:
        """Signers who were invited are told their link no longer works, and why: a running
        collection is not cancelled without a reason (a draft, which no one saw, needs none)."""
        self._require_preparer(by)
        if self.status.ended:
            raise CollectionAlreadyEnded("the collection has ended", status=self.status.value)
        reason = " ".join(str(reason or "").split())
        if len(reason) > MAX_CANCEL_REASON:
            raise InvalidValue("reason", "a cancellation reason holds at most 1000 characters",
                               max_length=MAX_CANCEL_REASON)
        if not reason and self.status is not CollectionStatus.DRAFT:
            raise CancelReasonRequired("say why the collection is cancelled")
        told = [s for s in self.signers if s.status is not SignerStatus.PENDING]
        self._end(CollectionStatus.CANCELLED, now)
        self.cancel_reason = reason or None
        self._record(now, EventKind.CANCELLED, actor=by.id, reason=reason)
        return [Notification.email(s.email, "collection_cancelled", **self._context(s), reason=reason)
                for s in told]

    # -- the worker's decisions ---------------------------------------------------------------

    def record_delivery_failure(self, *, signer_id: str, channel: str, reason: str, now: datetime,
                                provider_code: str | None = None) -> bool:
        """A message to a signer (invitation, reminder, signing code) will never arrive: the
        preparer sees it on the timeline and on the signer's row, and decides (check the
        address, then « Remplacer »). Only the channel and a reason code are kept, never the
        message (a code must not outlive its email or SMS). A signer replaced since then is no
        longer the preparer's concern: nothing is recorded and False is returned."""
        if channel not in DELIVERY_CHANNELS:
            raise InvalidValue("channel", f"unknown delivery channel {channel!r}")
        signer = next((s for s in self.signers if s.id == signer_id), None)
        if signer is None:
            return False
        detail = {"channel": channel, "reason": reason if reason in DELIVERY_FAILURE_REASONS else "undelivered"}
        if provider_code and _PROVIDER_CODE.fullmatch(provider_code):
            detail["provider_code"] = provider_code  # e.g. Twilio's 21211 (invalid "To" number)
        self._record(now, EventKind.DELIVERY_FAILED, signer_id=signer.id, name=signer.display_name, **detail)
        return True

    def delivery_failed(self, signer_id: str) -> str | None:
        """The channel of the last message that never reached a signer who still has to act
        (None when there is none, or the signer has signed or refused since)."""
        signer = next((s for s in self.signers if s.id == signer_id), None)
        if signer is None or signer.has_signed or signer.status is SignerStatus.REFUSED:
            return None
        failure = next((e for e in reversed(self.timeline)
                        if e.kind is EventKind.DELIVERY_FAILED and e.signer_id == signer_id), None)
        return failure.detail_dict().get("channel") if failure else None

    def is_past_deadline(self, now: datetime) -> bool:
        return self.status is CollectionStatus.IN_PROGRESS and now >= self.deadline

    def expire(self, *, now: datetime) -> list[Notification]:
        """At the deadline: everyone (preparer, signers, observers) is told it ended unsigned."""
        if self.status is not CollectionStatus.IN_PROGRESS:
            raise CollectionNotRunning("only a collection in progress expires", status=self.status.value)
        if now < self.deadline:
            raise CollectionNotRunning("the deadline has not passed yet")
        self._end(CollectionStatus.EXPIRED, now)
        self._record(now, EventKind.EXPIRED)
        notifications = [self._notify_preparer("collection_expired")]
        notifications += [Notification.email(s.email, "collection_expired", **self._context(s))
                          for s in self.signers]
        notifications += [Notification.email(o.email, "collection_expired", **self._context(None),
                                             recipient_name=o.identity.display_name) for o in self.observers]
        return notifications

    def next_reminder_at(self, signer: Signer) -> datetime | None:
        if (self.status is not CollectionStatus.IN_PROGRESS or not self.reminders.enabled or not signer.waiting
                or signer.reminders_sent >= self.reminders.max_count):
            return None
        last = signer.last_reminded_at or signer.invited_at
        if last is None:
            return None
        at = last + self.reminders.interval
        return at if at < self.deadline else None

    def due_reminders(self, now: datetime) -> list[str]:
        """Ids of the signers the worker should remind now (none once the deadline has passed)."""
        if now >= self.deadline:
            return []
        return [s.id for s in self.signers if (at := self.next_reminder_at(s)) is not None and at <= now]

    def next_due_at(self) -> datetime | None:
        """When the worker next has something to do here: a store can index this to find due collections."""
        if self.status is not CollectionStatus.IN_PROGRESS:
            return None
        times = [at for s in self.signers if (at := self.next_reminder_at(s)) is not None]
        return min([self.deadline, *times])

    # -- reading ------------------------------------------------------------------------------

    def signer(self, signer_id: str) -> Signer:
        for signer in self.signers:
            if signer.id == signer_id:
                return signer
        raise NotFound("signer not found")

    def document(self, document_id: str) -> Document:
        for document in self.documents:
            if document.id == document_id:
                return document
        raise NotFound("document not found")

    @property
    def signed_count(self) -> int:
        return sum(1 for s in self.signers if s.has_signed)

    @property
    def progress(self) -> str:
        return f"{self.signed_count}/{len(self.signers)}"

    def matches(self, text: str) -> bool:
        """The dashboard search: title, or a signer's name or email, ignoring case and accents."""
        needle = fold(text)
        if not needle:
            return True
        haystacks = [self.title] + [f"{s.display_name} {s.email}" for s in self.signers]
        return any(needle in fold(h) for h in haystacks)

    def token_hashes(self) -> Iterable[str]:
        for signer in self.signers:
            yield from signer.token_hashes

    # -- internals ------------------------------------------------------------------------------

    def _require_preparer(self, by: Member) -> None:
        if by.cabinet_id != self.cabinet_id:
            raise NotFound("collection not found")
        by.require(Delegation.PREPARE)

    def _require_draft(self) -> None:
        if self.status is not CollectionStatus.DRAFT:
            raise CollectionNotEditable("only a draft can be changed", status=self.status.value)

    def _require_running(self, now: datetime) -> None:
        if self.status is not CollectionStatus.IN_PROGRESS:
            raise CollectionNotRunning("the collection is not in progress", status=self.status.value)
        if now >= self.deadline:
            raise CollectionNotRunning("the deadline has passed", status="expired")

    def _new_signer(self, *, by: Member, signer_id: str, kind: SignerKind, identity: Identity,
                    level: SignatureLevel, member: Member | None, has_active_qcp: bool,
                    instead_of: Signer | None) -> Signer:
        member_id = None
        if kind is SignerKind.MYSELF:
            if member is None or member.id != by.id:
                raise SignerStateRefused("'myself' is the member preparing the collection")
        if kind in (SignerKind.MYSELF, SignerKind.MEMBER):
            if member is None or member.cabinet_id != self.cabinet_id:
                raise NotFound("member not found")
            if not member.has(Delegation.SIGN):
                raise SignerCannotSign("this member may not sign for the cabinet")
            member_id = member.id
        _check_level(kind, identity, level, has_active_qcp)
        others = [s for s in self.signers if s is not instead_of]
        if any(s.email == identity.email or (member_id and s.member_id == member_id) for s in others):
            raise DuplicateSigner("this person is already a signer")
        return Signer(id=signer_id, kind=kind, identity=identity, level=level, member_id=member_id)

    def _index(self, signer_id: str) -> int:
        for index, signer in enumerate(self.signers):
            if signer.id == signer_id:
                return index
        raise NotFound("signer not found")

    def _first_unsigned(self) -> Signer | None:
        return next((s for s in self.signers if not s.has_signed), None)

    def _invite(self, signer: Signer, now: datetime, new_token: NewToken) -> Notification:
        token = new_token()
        signer.invite(hash_token(token), now)
        self._record(now, EventKind.INVITED, signer_id=signer.id, name=signer.display_name)
        return self._signer_notification(signer, "collection_invitation", token)

    def _complete(self, now: datetime) -> list[Notification]:
        self._end(CollectionStatus.COMPLETED, now)
        self._record(now, EventKind.COMPLETED)
        notifications = [self._notify_preparer("collection_completed")]
        notifications += [Notification.email(s.email, "collection_completed", **self._context(s))
                          for s in self.signers]
        notifications += [Notification.email(o.email, "collection_completed", **self._context(None),
                                             recipient_name=o.identity.display_name) for o in self.observers]
        return notifications

    def _end(self, status: CollectionStatus, now: datetime) -> None:
        self.status = status
        self.ended_at = now

    def _context(self, signer: Signer | None) -> dict[str, str]:
        context = {"collection_id": self.id, "collection_title": self.title,
                   "sender_name": self.preparer.identity.display_name, "cabinet_name": self.preparer.cabinet_name,
                   "deadline": self.deadline.isoformat()}
        if signer is not None:
            context["recipient_name"] = signer.display_name
        return context

    def _signer_notification(self, signer: Signer, template: str, token: str) -> Notification:
        return Notification.email(signer.email, template, **self._context(signer), message=self.message,
                                  level=str(int(signer.level)), signer_id=signer.id,
                                  token=token).about(self.id, signer.id)

    def _notify_preparer(self, template: str, **extra: str) -> Notification:
        return Notification.email(self.preparer.identity.email, template, **self._context(None),
                                  recipient_name=self.preparer.identity.display_name, progress=self.progress,
                                  **extra)

    def _record(self, at: datetime, kind: EventKind, *, actor: str | None = None, signer_id: str | None = None,
                **detail: object) -> None:
        self.timeline.append(TimelineEvent(at=at, kind=kind, actor=actor, signer_id=signer_id,
                                           detail={k: str(v) for k, v in detail.items()}))
