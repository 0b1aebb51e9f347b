"""The cabinet's electronic seal (« cachet », « scellement »): its certificate and what it sealed.

A cabinet obtains its seal certificate through a request a member makes and the cabinet's
owner approves (``SealCertificateRequest``, a small state machine); the certificate issued
on approval is kept on the request, so « Mes certificats » of the cabinet is the list of its
issued requests. A member holding the SEAL delegation then seals PDFs with it; each sealing
(one document or a batch) is a ``Sealing``, with its own audit chain and evidence file.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Iterable, Sequence

from attrs import evolve, field, frozen

from domain.model.archive import ArchiveState
from domain.model.audit import AuditEvent, verify_chain
from domain.model.cabinet import Delegation, Member
from domain.model.document import PageSize
from domain.model.errors import DomainError, InvalidValue, MissingDelegation, NotFound
from domain.model.pki import CertificatePolicy

__all__ = [
    "MAX_DOCUMENTS_PER_SEALING", "SEALING_EVIDENCE", "NoSealCertificate", "NothingToSeal", "SealCertificate", "SealCertificateRequest",
    "SealDelegationMissing", "SealProfile", "SealStamp", "StampCorner", "StampPage", "SealRequestAlreadyOpen", "SealRequestNotFound", "SealRequestState",
    "SealRequestStateRefused", "SealedDocument", "Sealing", "SealingNotFound", "TooManyDocumentsToSeal",
    "build_sealing_evidence", "current_seal_certificate", "require_seal_delegation",
]

MAX_DOCUMENTS_PER_SEALING = 20
SEALING_EVIDENCE = "evidence"  # the archive target naming a sealing's evidence PDF (documents go by id)  # a batch is sealed in one request: keep it within a request's time


# -- errors (stable codes; the edges word them in French) ------------------------------------------


class SealDelegationMissing(MissingDelegation):
    """Only a member holding the SEAL delegation applies the cabinet's seal."""

    code = "seal.delegation_missing"


class NoSealCertificate(DomainError):
    """The cabinet has no usable seal certificate (none approved yet, expired or revoked)."""

    code = "seal.no_certificate"


class NothingToSeal(InvalidValue):
    code = "seal.no_document"

    def __init__(self, detail: str = "") -> None:
        super().__init__("files", detail or "a sealing needs at least one PDF")


class TooManyDocumentsToSeal(InvalidValue):
    code = "seal.too_many_documents"

    def __init__(self, detail: str = "") -> None:
        super().__init__("files", detail or f"at most {MAX_DOCUMENTS_PER_SEALING} documents per sealing",
                         limit=MAX_DOCUMENTS_PER_SEALING)


class SealRequestAlreadyOpen(DomainError):
    """One pending request per cabinet: the owner decides on it before another is made."""

    code = "seal_request.already_open"


class SealRequestStateRefused(DomainError):
    """The request is not in a state that allows this (approve a rejected request...)."""

    code = "seal_request.state"

    def __init__(self, detail: str = "", *, state: str = "", action: str = "") -> None:
        super().__init__(detail or f"cannot {action} a {state} seal certificate request", state=state, action=action)


class SealRequestNotFound(NotFound):
    code = "seal_request.not_found"


class SealingNotFound(NotFound):
    code = "sealing.not_found"


def require_seal_delegation(member: Member) -> None:
    if not member.has(Delegation.SEAL):
        raise SealDelegationMissing("the member lacks the seal delegation", delegation=Delegation.SEAL.value)


# -- the seal certificate and its request ----------------------------------------------------------


class SealProfile(enum.Enum):
    """Under which certificate profile the seal is issued (EN 319 412-3 legal person).

    ADVANCED: the lightweight policy (LCP), no QCStatements. QUALIFIED: the QCP-l profile with
    QcCompliance and QcType eseal; legally qualified only when the CA is on a trusted list.
    """

    ADVANCED = "advanced"
    QUALIFIED = "qualified"

    @property
    def policy(self) -> CertificatePolicy:
        return CertificatePolicy.LCP if self is SealProfile.ADVANCED else CertificatePolicy.QCP_L

    @classmethod
    def parse(cls, value: object) -> SealProfile:
        try:
            return value if isinstance(value, cls) else cls(str(value).strip().lower())
        except ValueError:
            raise InvalidValue("profile", "a seal profile is advanced or qualified") from None


class SealRequestState(enum.Enum):
    PENDING = "pending"  # made by a member, waiting for the owner
    ISSUED = "issued"  # approved by the owner; the certificate is issued
    REJECTED = "rejected"  # refused by the owner
    CANCELLED = "cancelled"  # withdrawn by the requester or an owner before a decision
    REVOKED = "revoked"  # its certificate was revoked by an owner


@frozen
class SealCertificate:
    """The certificate an approval produced. ``key_id`` names the private key in the KeyVault."""

    serial: str
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    key_id: str
    der: bytes = field(repr=False)


@frozen
class SealCertificateRequest:
    """Frozen: each transition returns the next request, which the use case saves."""

    id: str
    cabinet_id: str
    profile: SealProfile
    requested_by: str  # person id of the requesting member
    requested_at: datetime
    state: SealRequestState = SealRequestState.PENDING
    decided_by: str | None = None  # person id of the owner who approved, rejected or revoked
    decided_at: datetime | None = None
    reason: str | None = None  # given with a rejection or a revocation
    certificate: SealCertificate | None = None

    @classmethod
    def make(cls, *, id: str, member: Member, profile: SealProfile, now: datetime) -> SealCertificateRequest:
        # Requesting is part of sealing: the owner hears only from those who may seal.
        require_seal_delegation(member)
        return cls(id=id, cabinet_id=member.cabinet_id, profile=profile, requested_by=member.person_id,
                   requested_at=now)

    def approve(self, *, by: Member, now: datetime, certificate: SealCertificate) -> SealCertificateRequest:
        self._require(SealRequestState.PENDING, "approve")
        self._require_owner(by)
        return evolve(self, state=SealRequestState.ISSUED, decided_by=by.person_id, decided_at=now,
                      certificate=certificate)

    def check_approvable(self, *, by: Member) -> None:
        """What ``approve`` would refuse, asked before a key is made and a certificate issued."""
        self._require(SealRequestState.PENDING, "approve")
        self._require_owner(by)

    def reject(self, *, by: Member, now: datetime, reason: str | None = None) -> SealCertificateRequest:
        self._require(SealRequestState.PENDING, "reject")
        self._require_owner(by)
        return evolve(self, state=SealRequestState.REJECTED, decided_by=by.person_id, decided_at=now,
                      reason=_reason(reason))

    def cancel(self, *, by: Member, now: datetime) -> SealCertificateRequest:
        self._require(SealRequestState.PENDING, "cancel")
        if by.cabinet_id != self.cabinet_id or not (by.is_owner or by.person_id == self.requested_by):
            by.require_owner()
        return evolve(self, state=SealRequestState.CANCELLED, decided_by=by.person_id, decided_at=now)

    def revoke(self, *, by: Member, now: datetime, reason: str | None = None) -> SealCertificateRequest:
        self._require(SealRequestState.ISSUED, "revoke")
        self._require_owner(by)
        return evolve(self, state=SealRequestState.REVOKED, decided_by=by.person_id, decided_at=now,
                      reason=_reason(reason))

    def usable_at(self, now: datetime) -> bool:
        c = self.certificate
        return self.state is SealRequestState.ISSUED and c is not None and c.not_before <= now < c.not_after

    def _require(self, state: SealRequestState, action: str) -> None:
        if self.state is not state:
            raise SealRequestStateRefused(state=self.state.value, action=action)

    def _require_owner(self, by: Member) -> None:
        by.require_owner()
        if by.cabinet_id != self.cabinet_id:
            raise SealRequestNotFound("the request belongs to another cabinet")


def _reason(value: str | None) -> str | None:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > 500:
        raise InvalidValue("reason", "a reason has at most 500 characters")
    return cleaned or None


def current_seal_certificate(requests: list[SealCertificateRequest], now: datetime) -> SealCertificateRequest:
    """The cabinet's newest usable seal certificate; NoSealCertificate when there is none."""
    usable = [r for r in requests if r.usable_at(now)]
    if not usable:
        raise NoSealCertificate("the cabinet has no usable seal certificate")
    return max(usable, key=lambda r: (r.decided_at, r.id))  # type: ignore[arg-type, return-value]


# -- the visible stamp ------------------------------------------------------------------------------

STAMP_WIDTH, STAMP_HEIGHT, STAMP_MARGIN = 200.0, 60.0, 36.0  # PDF points


class StampPage(enum.Enum):
    FIRST = "first"
    LAST = "last"


class StampCorner(enum.Enum):
    # Where the page is blank, right-aligned in the lowest blank band (the renderer tells): a stamp
    # never hides the text it lands on. Bottom right when the page has no such room.
    BLANK_ROOM = "blank_room"
    BOTTOM_RIGHT = "bottom_right"
    BOTTOM_LEFT = "bottom_left"
    TOP_RIGHT = "top_right"
    TOP_LEFT = "top_left"


@frozen
class SealStamp:
    """Where the seal's visible stamp (« Cachet électronique », the cabinet, the date) goes on each
    sealed PDF: the blank room or a corner of its first or last page. Default: the blank room of
    the last page (bottom right when there is none)."""

    page: StampPage = StampPage.LAST
    corner: StampCorner = StampCorner.BLANK_ROOM

    @classmethod
    def parse(cls, page: object = None, corner: object = None) -> SealStamp:
        try:
            return cls(page=StampPage(str(page).strip().lower()) if page else StampPage.LAST,
                       corner=StampCorner(str(corner).strip().lower()) if corner else StampCorner.BLANK_ROOM)
        except ValueError:
            raise InvalidValue("stamp", "the stamp goes on the first or last page, in its blank room or "
                                        "one of its corners") from None

    def page_index(self, page_sizes: Sequence[PageSize]) -> int:
        """The page the stamp goes on, counted from 0."""
        if not page_sizes:
            raise InvalidValue("files", "a PDF without pages cannot carry a stamp")
        return 0 if self.page is StampPage.FIRST else len(page_sizes) - 1

    def place(self, page_sizes: Sequence[PageSize],
              blank_room: tuple[float, float] | None = None) -> tuple[int, float, float, float, float]:
        """(page index from 0, x, y, width, height) of the stamp, in points from the page's lower-left
        corner; shrunk to fit a page smaller than the stamp and its margins. ``blank_room``: the
        lower-left corner found blank on the page for BLANK_ROOM (None: bottom right)."""
        index = self.page_index(page_sizes)
        width, height, margin = stamp_size(page_sizes[index])
        if self.corner is StampCorner.BLANK_ROOM and blank_room is not None:
            return index, blank_room[0], blank_room[1], width, height
        size = page_sizes[index]
        right = self.corner in (StampCorner.BLANK_ROOM, StampCorner.BOTTOM_RIGHT, StampCorner.TOP_RIGHT)
        top = self.corner in (StampCorner.TOP_RIGHT, StampCorner.TOP_LEFT)
        x = size.width - margin - width if right else margin
        y = size.height - margin - height if top else margin
        return index, x, y, width, height


def stamp_size(size: PageSize) -> tuple[float, float, float]:
    """(width, height, margin) of the stamp on a page of ``size``: smaller on a tiny page."""
    margin = min(STAMP_MARGIN, size.width / 10, size.height / 10)
    return (max(min(STAMP_WIDTH, size.width - 2 * margin), 1.0), max(min(STAMP_HEIGHT, size.height - 2 * margin), 1.0),
            margin)


# -- what a sealing produced -----------------------------------------------------------------------


@frozen
class SealedDocument:
    id: str
    name: str
    original_sha256: str
    original_size: int
    sealed_sha256: str  # the current sealed version (renewals add archive timestamps)
    sealed_size: int
    archive: ArchiveState | None = None  # archive-timestamp renewal; None until first looked at
    earlier_sha256s: tuple[str, ...] = field(default=(), converter=tuple)  # versions renewals replaced


@frozen
class Sealing:
    """One « Sceller un document » (single or batch): who sealed what, with which certificate.

    Its id names its audit chain too (the trail is keyed by an id, collections' or sealings').
    """

    id: str
    cabinet_id: str
    cabinet_name: str
    member_id: str
    sealed_by: str  # person id
    sealed_by_name: str
    certificate_serial: str
    profile: SealProfile
    sealed_at: datetime
    documents: tuple[SealedDocument, ...] = field(converter=tuple)
    via: str = "web"  # "web", or "api_key:<key id>"
    evidence_pdf_sha256: str | None = None
    evidence_json_sha256: str | None = None
    evidence_archive: ArchiveState | None = None
    earlier_evidence_pdfs: tuple[str, ...] = field(default=(), converter=tuple)
    documents_purged_at: datetime | None = None  # retention: the sealed documents are gone
    evidence_purged_at: datetime | None = None

    def document(self, document_id: str) -> SealedDocument:
        for document in self.documents:
            if document.id == document_id:
                return document
        raise SealingNotFound("no such document in this sealing")

    # -- what is kept, and its archive-timestamp renewal (the worker's) --------------------------

    def kept(self) -> list[tuple[str, str, str, ArchiveState | None]]:
        """(target, name, current SHA-256, archive state) of each kept PDF: the sealed documents
        (target: their id) until retention, the evidence PDF (target ``evidence``) until its own."""
        found = []
        if self.documents_purged_at is None:
            found += [(d.id, d.name, d.sealed_sha256, d.archive) for d in self.documents]
        if self.evidence_pdf_sha256 is not None and self.evidence_purged_at is None:
            found.append((SEALING_EVIDENCE, "dossier de preuve", self.evidence_pdf_sha256, self.evidence_archive))
        return found

    def current(self, target: str) -> str:
        if target == SEALING_EVIDENCE:
            if self.evidence_pdf_sha256 is None:
                raise SealingNotFound("this sealing has no evidence file")
            return self.evidence_pdf_sha256
        return self.document(target).sealed_sha256

    def with_archive(self, target: str, state: ArchiveState) -> Sealing:
        if target == SEALING_EVIDENCE:
            return evolve(self, evidence_archive=state)
        return evolve(self, documents=tuple(evolve(d, archive=state) if d.id == target else d
                                            for d in self.documents))

    def archive_of(self, target: str) -> ArchiveState | None:
        return self.evidence_archive if target == SEALING_EVIDENCE else self.document(target).archive

    def renewed(self, target: str, *, before: str, sha256: str, size: int, state: ArchiveState) -> Sealing:
        """The PDF ``target`` replaced by its renewed version (``before`` kept among the earlier ones)."""
        if self.current(target) != before:
            raise ValueError(f"{target} is no longer {before}: renewed meanwhile")
        if target == SEALING_EVIDENCE:
            return evolve(self, evidence_pdf_sha256=sha256, evidence_archive=state,
                          earlier_evidence_pdfs=(*self.earlier_evidence_pdfs, before))
        return evolve(self, documents=tuple(
            evolve(d, sealed_sha256=sha256, sealed_size=size, archive=state,
                   earlier_sha256s=(*d.earlier_sha256s, before)) if d.id == target else d
            for d in self.documents))

    # -- retention ---------------------------------------------------------------------------

    def retention_due(self, documents_before: datetime, evidence_before: datetime) -> bool:
        """Documents go after their time (counted from the sealing), the evidence after its own."""
        return ((self.documents_purged_at is None and self.sealed_at <= documents_before)
                or (self.evidence_pdf_sha256 is not None and self.evidence_purged_at is None
                    and self.sealed_at <= evidence_before))

    def without_documents(self, now: datetime) -> tuple[Sealing, set[str]]:
        """The sealing once its documents are deleted, and the digests to delete (originals, every
        sealed version). The record, the trail and the evidence stay."""
        doomed = {sha for d in self.documents for sha in (d.original_sha256, d.sealed_sha256, *d.earlier_sha256s)}
        return evolve(self, documents_purged_at=now), doomed

    def without_evidence(self, now: datetime) -> tuple[Sealing, set[str]]:
        doomed = {sha for sha in (self.evidence_pdf_sha256, self.evidence_json_sha256, *self.earlier_evidence_pdfs)
                  if sha is not None}
        return evolve(self, evidence_purged_at=now), doomed

    def names_digest(self, sha256: str) -> bool:
        """Whether a kept file of this sealing is (or was) these bytes: retention keeps shared bytes."""
        if self.documents_purged_at is None and any(
                sha256 in (d.original_sha256, d.sealed_sha256, *d.earlier_sha256s) for d in self.documents):
            return True
        return self.evidence_purged_at is None and sha256 in (
            self.evidence_pdf_sha256, self.evidence_json_sha256, *self.earlier_evidence_pdfs)


def build_sealing_evidence(sealing: Sealing, events: Iterable[AuditEvent], *, certificate_subject: str,
                           generated_at: datetime) -> dict[str, Any]:
    """The sealing's « dossier de preuve », in the collections' evidence format: a ``sealing``
    section instead of ``collection`` and ``signers``, the same documents, events and chain."""
    from domain.model.evidence import EVIDENCE_FORMAT  # evidence imports collections; keep this module light

    chain = list(events)
    broken = verify_chain(chain)
    return {
        "format": EVIDENCE_FORMAT,
        "generated_at": generated_at.isoformat(),
        "sealing": {
            "id": sealing.id, "cabinet": sealing.cabinet_name, "sealed_by": sealing.sealed_by_name,
            "member_id": sealing.member_id, "via": sealing.via, "sealed_at": sealing.sealed_at.isoformat(),
            "profile": sealing.profile.value,
            "certificate": {"serial": sealing.certificate_serial, "subject": certificate_subject,
                            "policy": sealing.profile.policy.oid},
        },
        "documents": [{"id": d.id, "name": d.name, "original_sha256": d.original_sha256,
                       "original_size": d.original_size, "final_sha256": d.sealed_sha256} for d in sealing.documents],
        "events": [{
            "sequence": e.sequence, "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "ip": e.ip,
            "user_agent": e.user_agent, "details": e.detail_dict(), "previous_hash": e.previous_hash, "hash": e.hash,
        } for e in chain],
        "audit_chain": {"valid": broken is None, "broken_at": broken.sequence if broken else None,
                        "last_hash": chain[-1].hash if chain else None},
    }
