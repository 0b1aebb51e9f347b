"""Identity verification (« vérification d'identité ») as the domain sees it.

An identity provider (simulator, registration officer, third-party service) captures an
identity document and, unless the check is document-only, the person's face; it then
decides. Only the decision, the data read from the document, the provider's evidence
reference and the SHA-256 of the captured images are kept: the images themselves are
deleted once the decision is made (see ``IdentityVerifier.delete_images``).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime

from attrs import field, frozen

from domain.model.errors import InvalidValue
from domain.model.values import Email, PersonName

__all__ = [
    "CaptureStep",
    "CheckMode",
    "Decision",
    "DocumentType",
    "ExtractedIdentity",
    "IdentityCheckResult",
    "IdentityCheckStatus",
    "IdentitySession",
    "IdentitySubject",
    "ImageDigest",
    "identity_matches",
]


class CheckMode(enum.Enum):
    """What is captured: document and face (QCP), or the document only (optional LCP check)."""

    DOCUMENT_AND_FACE = "document_and_face"
    DOCUMENT_ONLY = "document_only"

    @property
    def steps(self) -> tuple[CaptureStep, ...]:
        if self is CheckMode.DOCUMENT_ONLY:
            return DOCUMENT_STEPS
        return DOCUMENT_STEPS + FACE_STEPS


class CaptureStep(enum.Enum):
    """The guide's capture steps, in order: document (centre, tilt, portrait), face
    (centre, turn head, cover an eye)."""

    DOCUMENT_CENTRE = "document_centre"
    DOCUMENT_TILT = "document_tilt"
    DOCUMENT_PORTRAIT = "document_portrait"
    FACE_CENTRE = "face_centre"
    FACE_TURN = "face_turn"
    FACE_COVER_EYE = "face_cover_eye"


DOCUMENT_STEPS = (CaptureStep.DOCUMENT_CENTRE, CaptureStep.DOCUMENT_TILT, CaptureStep.DOCUMENT_PORTRAIT)
FACE_STEPS = (CaptureStep.FACE_CENTRE, CaptureStep.FACE_TURN, CaptureStep.FACE_COVER_EYE)


class DocumentType(enum.Enum):
    ID_CARD = "id_card"  # CNI
    PASSPORT = "passport"
    RESIDENCE_PERMIT = "residence_permit"


class IdentityCheckStatus(enum.Enum):
    """Where a provider's session is. CAPTURING: waiting for the person's captures;
    SUBMITTED: captures complete, decision pending; then decided or closed."""

    CAPTURING = "capturing"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def decided(self) -> bool:
        return self in (IdentityCheckStatus.APPROVED, IdentityCheckStatus.REJECTED)


class Decision(enum.Enum):
    APPROVED = "approved"
    REJECTED = "rejected"


@frozen
class IdentitySubject:
    """Who is expected in front of the camera: the identity the person declared (their LCP
    data). ``reference`` is the caller's id for the person, passed to the provider."""

    reference: str
    name: PersonName
    email: Email
    birth_date: date | None = None


@frozen
class IdentitySession:
    """A started check. ``phone_url`` is what the QR code leads to (through our own
    short-lived link), ``browser_url`` the capture in the desktop browser."""

    session_ref: str
    phone_url: str
    browser_url: str
    mode: CheckMode = CheckMode.DOCUMENT_AND_FACE


_DOC_NUMBER = re.compile(r"^[A-Z0-9<-]{1,36}$")


@frozen
class ExtractedIdentity:
    """What was read on the identity document."""

    name: PersonName
    birth_date: date
    document_type: DocumentType
    document_number: str = field()
    document_expiry: date | None = None

    @document_number.validator
    def _check_number(self, _attribute: object, value: str) -> None:
        if not _DOC_NUMBER.match(value):
            raise InvalidValue("document_number", "a document number is 1-36 letters, digits or '<'")


@frozen
class ImageDigest:
    """The trace of a deleted capture: which step, and the SHA-256 (hex) of its bytes."""

    step: CaptureStep
    sha256: str = field()

    @sha256.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise InvalidValue("sha256", "a SHA-256 digest is 64 lower-case hex digits")


@frozen
class IdentityCheckResult:
    """A provider's decision. An approval carries the extracted identity; a rejection a
    reason (a short code such as ``document_unreadable``, or the provider's words)."""

    session_ref: str
    decision: Decision
    decided_at: datetime
    evidence_ref: str
    extracted: ExtractedIdentity | None = None
    reason: str | None = None
    image_digests: tuple[ImageDigest, ...] = field(default=(), converter=tuple)

    def __attrs_post_init__(self) -> None:
        if self.decided_at.tzinfo is None:
            raise InvalidValue("decided_at", "decision times are timezone-aware")
        if self.decision is Decision.APPROVED and self.extracted is None:
            raise InvalidValue("extracted", "an approval carries the identity read on the document")
        if self.decision is Decision.REJECTED and not self.reason:
            raise InvalidValue("reason", "a rejection says why")

    @property
    def approved(self) -> bool:
        return self.decision is Decision.APPROVED

    @classmethod
    def approve(cls, *, session_ref: str, extracted: ExtractedIdentity, decided_at: datetime,
                evidence_ref: str, image_digests: tuple[ImageDigest, ...] = ()) -> IdentityCheckResult:
        return cls(session_ref=session_ref, decision=Decision.APPROVED, decided_at=decided_at,
                   evidence_ref=evidence_ref, extracted=extracted, image_digests=image_digests)

    @classmethod
    def reject(cls, *, session_ref: str, reason: str, decided_at: datetime, evidence_ref: str,
               image_digests: tuple[ImageDigest, ...] = ()) -> IdentityCheckResult:
        return cls(session_ref=session_ref, decision=Decision.REJECTED, decided_at=decided_at,
                   evidence_ref=evidence_ref, reason=reason, image_digests=image_digests)


def identity_matches(extracted: ExtractedIdentity, name: PersonName, birth_date: date | None) -> bool:
    """The document's identity is the declared one: given names and surname equal ignoring
    case and accents (``PersonName.matches``), birth date equal when one was declared.

    Strict on purpose: a document listing more given names than declared is not a match
    and goes to a registration officer rather than being guessed right.
    """
    return extracted.name.matches(name) and (birth_date is None or birth_date == extracted.birth_date)
