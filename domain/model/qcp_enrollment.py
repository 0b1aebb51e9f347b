"""QCP enrollment (« souscription à un certificat qualifié »): the guide's part 1 as states.

::

    STARTED ─verify_email→ EMAIL_VERIFIED ─confirm_identity→ IDENTITY_CONFIRMED
      ─confirm_prerequisites→ PREREQUISITES_CONFIRMED ─consent→ CONSENTED
      ─begin_identity_check→ IDENTITY_CHECK_IN_PROGRESS ─identity_check_submitted→ SUBMITTED
      ─record_identity_result→ APPROVED | REJECTED (retry: begin_identity_check, 3 attempts)
    APPROVED ─validate_identity→ IDENTITY_VALIDATED (or MANUAL_REVIEW on a mismatch)
    MANUAL_REVIEW ─resolve_review→ IDENTITY_VALIDATED | REJECTED
    IDENTITY_VALIDATED ─accept_request→ REQUEST_ACCEPTED ─sign_request→ REQUEST_SIGNED
      ─await_officer→ PENDING_OFFICER_VALIDATION ─officer_validate, issue→ ISSUED
    any open state ─cancel→ CANCELLED, ─expire (past the deadline)→ EXPIRED

Every refused action raises ``QcpTransitionRefused`` (code ``qcp.transition_refused``)
naming the state and the action; the data rules raise their own typed errors. The
enrollment is stored after each step, so closing the browser loses nothing: ``next_step``
tells the pages where to send the person back.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, timedelta

from attrs import define, field, frozen

from domain.model.errors import (
    CaptureLinkUnusable,
    ConsentMissing,
    IdentityAttemptsExhausted,
    IdentitySessionMismatch,
    InvalidValue,
    LcpDataMismatch,
    NoActiveLcpCertificate,
    OfficerValidationMissing,
    PrerequisitesNotConfirmed,
    QcpEnrollmentExpired,
    QcpEnrollmentNotDue,
    QcpTransitionRefused,
    RequestDocumentChanged,
)
from domain.model.identity import ExtractedIdentity, IdentityCheckResult, identity_matches
from domain.model.values import Email, Mobile, PersonName

__all__ = [
    "AUTOMATIC_OFFICER",
    "CAPTURE_LINK_VALIDITY",
    "CaptureLink",
    "CertificateRequestData",
    "ENROLLMENT_VALIDITY",
    "MAX_IDENTITY_ATTEMPTS",
    "Consent",
    "ConsentKind",
    "EnrollmentEvent",
    "IdentityAttempt",
    "LcpHolding",
    "NextStep",
    "QcpEnrollment",
    "QcpState",
]

MAX_IDENTITY_ATTEMPTS = 3
ENROLLMENT_VALIDITY = timedelta(days=30)
AUTOMATIC_OFFICER = "automatic"  # officer id recorded when configuration validates without a person


class QcpState(enum.Enum):
    STARTED = "started"
    EMAIL_VERIFIED = "email_verified"
    IDENTITY_CONFIRMED = "identity_confirmed"
    PREREQUISITES_CONFIRMED = "prerequisites_confirmed"
    CONSENTED = "consented"
    IDENTITY_CHECK_IN_PROGRESS = "identity_check_in_progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    MANUAL_REVIEW = "manual_review"
    IDENTITY_VALIDATED = "identity_validated"
    REQUEST_ACCEPTED = "request_accepted"
    REQUEST_SIGNED = "request_signed"
    PENDING_OFFICER_VALIDATION = "pending_officer_validation"
    ISSUED = "issued"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({QcpState.ISSUED, QcpState.CANCELLED, QcpState.EXPIRED})

S = QcpState
# action -> states it may start from. Outcomes that depend on data (approved or rejected,
# validated or manual review) are decided inside the methods.
ALLOWED_FROM: dict[str, frozenset[QcpState]] = {
    "verify_email": frozenset({S.STARTED}),
    "confirm_identity": frozenset({S.EMAIL_VERIFIED}),
    "confirm_prerequisites": frozenset({S.IDENTITY_CONFIRMED}),
    "consent": frozenset({S.PREREQUISITES_CONFIRMED}),
    # From IN_PROGRESS: the person restarts a capture they did not finish (QR link expired,
    # phone lost); from REJECTED: a new attempt while attempts remain.
    "begin_identity_check": frozenset({S.CONSENTED, S.IDENTITY_CHECK_IN_PROGRESS, S.REJECTED}),
    "identity_check_submitted": frozenset({S.IDENTITY_CHECK_IN_PROGRESS}),
    # A provider may decide without telling us the capture ended: IN_PROGRESS accepted too.
    "record_identity_result": frozenset({S.IDENTITY_CHECK_IN_PROGRESS, S.SUBMITTED}),
    "validate_identity": frozenset({S.APPROVED}),
    "resolve_review": frozenset({S.MANUAL_REVIEW}),
    "accept_request": frozenset({S.IDENTITY_VALIDATED}),
    "sign_request": frozenset({S.REQUEST_ACCEPTED}),
    "await_officer": frozenset({S.REQUEST_SIGNED}),
    "officer_validate": frozenset({S.PENDING_OFFICER_VALIDATION}),
    "issue": frozenset({S.PENDING_OFFICER_VALIDATION}),
    "cancel": frozenset(set(QcpState) - TERMINAL_STATES),
    "expire": frozenset(set(QcpState) - TERMINAL_STATES),
}


class NextStep(enum.Enum):
    """Which page the person belongs on (the pages route by this)."""

    SEND_EMAIL_CODE = "send_email_code"  # « Accès protégé »
    CONFIRM_IDENTITY = "confirm_identity"
    CONFIRM_PREREQUISITES = "confirm_prerequisites"
    CONSENT = "consent"
    START_IDENTITY_CHECK = "start_identity_check"  # QR code / « Continuez ici dans votre navigateur »
    CAPTURE = "capture"  # capture started, not finished
    WAIT_FOR_RESULT = "wait_for_result"  # « Vérification en cours »
    RETRY_IDENTITY_CHECK = "retry_identity_check"  # rejection shown, attempts left
    VALIDATE_IDENTITY = "validate_identity"
    WAIT_FOR_MANUAL_REVIEW = "wait_for_manual_review"
    READ_REQUEST = "read_request"  # « Demande de certificat », checkbox
    SIGN_REQUEST = "sign_request"  # SMS code, « Signer »
    WAIT_FOR_OFFICER = "wait_for_officer"  # « Votre demande ... a été finalisée »
    DONE = "done"
    CLOSED = "closed"  # cancelled, expired, or rejected with no attempt left


class ConsentKind(enum.Enum):
    ID_DATA_AND_TERMS = "id_data_and_terms"  # ID data processed only to issue + CGU
    PRIVACY_POLICY = "privacy_policy"


@frozen
class Consent:
    kind: ConsentKind
    text_version: str = field()
    given_at: datetime

    @text_version.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not value or len(value) > 64:
            raise InvalidValue("text_version", "a consent names the version of the text agreed to")


@frozen
class LcpHolding:
    """The person's active LCP certificate in a cabinet, with the data it was issued for.
    ``key_id`` names its key in the vault (the certificate request is signed with it)."""

    certificate_serial: str
    key_id: str
    person_id: str
    cabinet_id: str
    cabinet_name: str
    siren: str
    name: PersonName
    email: Email
    mobile: Mobile
    birth_date: date | None = None


@define
class IdentityAttempt:
    """One identity-check session; ``result`` set once the provider decided."""

    session_ref: str
    started_at: datetime
    submitted_at: datetime | None = None
    result: IdentityCheckResult | None = None


@frozen
class EnrollmentEvent:
    """A transition, for the audit trail."""

    at: datetime
    action: str
    from_state: QcpState
    to_state: QcpState
    detail: tuple[tuple[str, str], ...] = ()


# A code message that could not be delivered (history action; detail: channel, reason).
UNDELIVERED_ACTION = "code_undelivered"


@define(eq=False)
class QcpEnrollment:
    id: str
    person_id: str
    cabinet_id: str
    lcp: LcpHolding
    state: QcpState
    created_at: datetime
    expires_at: datetime
    updated_at: datetime
    consents: list[Consent] = field(factory=list)
    attempts: list[IdentityAttempt] = field(factory=list)
    validated_identity: ExtractedIdentity | None = None
    identity_validated_at: datetime | None = None
    review_reason: str | None = None
    request_digest: str | None = None  # SHA-256 hex of the « Demande de certificat » accepted
    request_ref: str | None = None  # where the accepted PDF is stored
    request_accepted_at: datetime | None = None
    signed_request_ref: str | None = None
    signed_request_digest: str | None = None
    request_signed_at: datetime | None = None
    officer_id: str | None = None
    officer_validated_at: datetime | None = None
    certificate_id: str | None = None
    issued_at: datetime | None = None
    closed_reason: str | None = None
    last_seen_at: datetime | None = None  # the person's last look at a page (presence)
    review_rejected: bool = False  # an officer refused the identity: no attempt left
    history: list[EnrollmentEvent] = field(factory=list)

    @property
    def sms_undelivered(self) -> bool:
        """The last SMS code could not be delivered (the provider refused it, or every retry
        failed) and none has been sent since."""
        for event in reversed(self.history):
            channel = dict(event.detail).get("channel")
            if event.action == UNDELIVERED_ACTION and channel == "sms":
                return True
            if event.action in ("otp.sent", "otp.resent") and channel == "sms":
                return False
        return False

    def note_undelivered(self, now: datetime, *, channel: str, permanent: bool) -> None:
        self.history.append(EnrollmentEvent(at=now, action=UNDELIVERED_ACTION, from_state=self.state,
                                            to_state=self.state,
                                            detail=(("channel", channel),
                                                    ("reason", "refused" if permanent else "undelivered"))))

    # Construction ---------------------------------------------------------------------

    @classmethod
    def start(cls, *, id: str, lcp: LcpHolding | None, person_id: str, cabinet_id: str, name: PersonName,
              email: Email, mobile: Mobile | None, now: datetime,
              validity: timedelta = ENROLLMENT_VALIDITY) -> QcpEnrollment:
        """Open an enrollment for a cabinet. ``lcp`` is the person's active LCP there (None
        when they have none); the person's current data must be the LCP's."""
        if lcp is None or lcp.person_id != person_id or lcp.cabinet_id != cabinet_id:
            raise NoActiveLcpCertificate("an active LCP certificate of this person in this cabinet is required")
        if not name.matches(lcp.name):
            raise LcpDataMismatch(field="name")
        if email != lcp.email:
            raise LcpDataMismatch(field="email")
        if mobile is None or mobile != lcp.mobile:
            raise LcpDataMismatch(field="mobile")
        _aware(now)
        enrollment = cls(id=id, person_id=person_id, cabinet_id=cabinet_id, lcp=lcp, state=QcpState.STARTED,
                         created_at=now, expires_at=now + validity, updated_at=now, last_seen_at=now)
        enrollment.history.append(EnrollmentEvent(at=now, action="start", from_state=QcpState.STARTED,
                                                  to_state=QcpState.STARTED))
        return enrollment

    # Queries --------------------------------------------------------------------------

    @property
    def name(self) -> PersonName:
        return self.lcp.name

    @property
    def email(self) -> Email:
        return self.lcp.email

    @property
    def mobile(self) -> Mobile:
        return self.lcp.mobile

    @property
    def current_attempt(self) -> IdentityAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def current_session_ref(self) -> str | None:
        attempt = self.current_attempt
        return attempt.session_ref if attempt else None

    @property
    def rejections(self) -> int:
        return sum(1 for a in self.attempts if a.result is not None and not a.result.approved)

    @property
    def attempts_left(self) -> int:
        if self.review_rejected:
            return 0
        return max(0, MAX_IDENTITY_ATTEMPTS - self.rejections)

    @property
    def last_result(self) -> IdentityCheckResult | None:
        attempt = self.current_attempt
        return attempt.result if attempt else None

    @property
    def rejection_reason(self) -> str | None:
        """Why the latest check (or the officer's review) was rejected."""
        if self.state is not QcpState.REJECTED:
            return None
        if self.closed_reason:
            return self.closed_reason
        result = self.last_result
        return result.reason if result else None

    @property
    def extracted_identity(self) -> ExtractedIdentity | None:
        """What the provider read on the document, shown for validation."""
        result = self.last_result
        return result.extracted if result and result.approved else None

    def consent_of(self, kind: ConsentKind) -> Consent | None:
        return next((c for c in self.consents if c.kind is kind), None)

    @property
    def next_step(self) -> NextStep:
        return _NEXT_STEP.get(self.state) or self._next_when_rejected()

    def _next_when_rejected(self) -> NextStep:
        return NextStep.RETRY_IDENTITY_CHECK if self.attempts_left > 0 else NextStep.CLOSED

    def allows(self, action: str) -> bool:
        """Whether ``action`` is possible in the current state (pages hide what is not)."""
        if action == "begin_identity_check" and self.state is QcpState.REJECTED:
            return self.attempts_left > 0
        return self.state in ALLOWED_FROM[action]

    def ensure_allowed(self, action: str, now: datetime) -> None:
        """Raise what ``action`` would raise for the state or the deadline, changing nothing:
        for use cases that must call a provider before the transition."""
        self._check(action, now)
        if action == "begin_identity_check" and self.state is QcpState.REJECTED and self.attempts_left == 0:
            raise IdentityAttemptsExhausted(f"at most {MAX_IDENTITY_ATTEMPTS} identity checks per enrollment")

    def is_due_to_expire(self, now: datetime) -> bool:
        return not self.state.terminal and now >= self.expires_at

    # Commands -------------------------------------------------------------------------

    def verify_email(self, now: datetime) -> None:
        self._move("verify_email", QcpState.EMAIL_VERIFIED, now)

    def confirm_identity(self, now: datetime) -> None:
        """The person confirmed the identity and mobile shown (the LCP data) with « Valider »."""
        self._move("confirm_identity", QcpState.IDENTITY_CONFIRMED, now)

    def confirm_prerequisites(self, *, has_valid_id_document: bool, mobile_is_theirs: bool,
                              now: datetime) -> None:
        """The two boxes before « Commencer »."""
        self._check("confirm_prerequisites", now)
        if not (has_valid_id_document and mobile_is_theirs):
            raise PrerequisitesNotConfirmed("both confirmations are required")
        self._move("confirm_prerequisites", QcpState.PREREQUISITES_CONFIRMED, now)

    def consent(self, *, id_data_and_terms: bool, privacy_policy: bool, terms_version: str,
                privacy_version: str, now: datetime) -> None:
        """Both consents, each stored with the version of its text and the time."""
        self._check("consent", now)
        if not id_data_and_terms:
            raise ConsentMissing(consent=ConsentKind.ID_DATA_AND_TERMS.value)
        if not privacy_policy:
            raise ConsentMissing(consent=ConsentKind.PRIVACY_POLICY.value)
        self.consents = [Consent(ConsentKind.ID_DATA_AND_TERMS, terms_version, now),
                         Consent(ConsentKind.PRIVACY_POLICY, privacy_version, now)]
        self._move("consent", QcpState.CONSENTED, now, terms_version=terms_version,
                   privacy_version=privacy_version)

    def begin_identity_check(self, session_ref: str, now: datetime) -> None:
        self._check("begin_identity_check", now)
        if self.state is QcpState.REJECTED and self.attempts_left == 0:
            raise IdentityAttemptsExhausted(f"at most {MAX_IDENTITY_ATTEMPTS} identity checks per enrollment")
        if not session_ref:
            raise InvalidValue("session_ref", "an identity check has a session reference")
        if self.state is QcpState.IDENTITY_CHECK_IN_PROGRESS:
            # The unfinished session is abandoned and replaced: it never reached a decision,
            # so it does not count as an attempt.
            self.attempts.pop()
        self.attempts.append(IdentityAttempt(session_ref=session_ref, started_at=now))
        self._move("begin_identity_check", QcpState.IDENTITY_CHECK_IN_PROGRESS, now, session_ref=session_ref)

    def identity_check_submitted(self, now: datetime) -> None:
        """The capture ended (« Merci ! … »): the provider is deciding."""
        self._check("identity_check_submitted", now)
        attempt = self.current_attempt
        assert attempt is not None  # IN_PROGRESS always has an attempt
        attempt.submitted_at = now
        self._move("identity_check_submitted", QcpState.SUBMITTED, now)

    def awaits_result_for(self, session_ref: str) -> bool:
        return (self.state in ALLOWED_FROM["record_identity_result"]
                and self.current_session_ref == session_ref)

    def has_result_for(self, session_ref: str) -> bool:
        return any(a.session_ref == session_ref and a.result is not None for a in self.attempts)

    def record_identity_result(self, result: IdentityCheckResult, now: datetime) -> bool:
        """Record the provider's decision. Delivering the same session's result again (a
        callback after a poll) changes nothing and returns False."""
        if self.has_result_for(result.session_ref):
            return False
        self._check("record_identity_result", now)
        attempt = self.current_attempt
        assert attempt is not None
        if attempt.session_ref != result.session_ref:
            raise IdentitySessionMismatch("this result is for another identity-check session")
        attempt.result = result
        if attempt.submitted_at is None:
            attempt.submitted_at = now
        if result.approved:
            self._move("record_identity_result", QcpState.APPROVED, now, decision="approved")
        else:
            self.closed_reason = None
            self._move("record_identity_result", QcpState.REJECTED, now, decision="rejected",
                       reason=result.reason or "", attempts_left=str(self.attempts_left))
        return True

    def validate_identity(self, *, confirmed: bool, now: datetime) -> bool:
        """The person checked the given names, surname and birth date read on the document.

        They must match the LCP identity (case and accents ignored) and the person must
        confirm them; otherwise a registration officer reviews the request. Returns True
        when validated, False when sent to manual review.
        """
        self._check("validate_identity", now)
        extracted = self.extracted_identity
        assert extracted is not None  # APPROVED always carries it
        if not confirmed:
            return self._to_review("person_disputes_extracted_data", now)
        if not identity_matches(extracted, self.lcp.name, self.lcp.birth_date):
            return self._to_review("extracted_identity_differs_from_lcp", now)
        self.validated_identity = extracted
        self.identity_validated_at = now
        self._move("validate_identity", QcpState.IDENTITY_VALIDATED, now)
        return True

    def _to_review(self, reason: str, now: datetime) -> bool:
        self.review_reason = reason
        self._move("validate_identity", QcpState.MANUAL_REVIEW, now, reason=reason)
        return False

    def resolve_review(self, *, officer_id: str, approved: bool, now: datetime,
                       identity: ExtractedIdentity | None = None, reason: str | None = None) -> None:
        """A registration officer settles a manual review: the identity (as read on the
        document, possibly corrected) is validated, or the request is rejected."""
        self._check("resolve_review", now)
        if approved:
            identity = identity or self.extracted_identity
            if identity is None:
                raise InvalidValue("identity", "an approval names the identity validated")
            self.validated_identity = identity
            self.identity_validated_at = now
            self._move("resolve_review", QcpState.IDENTITY_VALIDATED, now, officer_id=officer_id)
        else:
            if not reason:
                raise InvalidValue("reason", "a rejection says why")
            self.closed_reason = reason
            # An officer's refusal is final: no new identity check in this enrollment.
            self.review_rejected = True
            self._move("resolve_review", QcpState.REJECTED, now, officer_id=officer_id, reason=reason)

    def accept_request(self, *, document_digest: str, now: datetime, document_ref: str | None = None) -> None:
        """« J'ai lu et j'accepte le document. » for the request PDF of this digest."""
        self._check("accept_request", now)
        _check_digest(document_digest)
        self.request_digest = document_digest
        self.request_ref = document_ref
        self.request_accepted_at = now
        self._move("accept_request", QcpState.REQUEST_ACCEPTED, now, request_digest=document_digest)

    def sign_request(self, *, document_digest: str, signed_ref: str, signed_digest: str, now: datetime) -> None:
        """The accepted request was signed (SMS code, « Signer »); ``document_digest`` is the
        digest of the PDF that was signed, which must be the accepted one."""
        self._check("sign_request", now)
        if document_digest != self.request_digest:
            raise RequestDocumentChanged("the document signed is not the one accepted")
        _check_digest(signed_digest)
        self.signed_request_ref = signed_ref
        self.signed_request_digest = signed_digest
        self.request_signed_at = now
        self._move("sign_request", QcpState.REQUEST_SIGNED, now, signed_digest=signed_digest)

    def await_officer(self, now: datetime) -> None:
        """« Votre demande de certificat qualifié (QCP) a été finalisée »."""
        self._move("await_officer", QcpState.PENDING_OFFICER_VALIDATION, now)

    def officer_validate(self, *, officer_id: str, approved: bool = True, reason: str | None = None,
                         now: datetime) -> None:
        """The registration officer's decision on the signed request (``AUTOMATIC_OFFICER``
        when configuration validates without a person). A refusal closes the enrollment."""
        self._check("officer_validate", now)
        if not officer_id:
            raise InvalidValue("officer_id", "the validation names its officer")
        if self.officer_validated_at is not None:
            raise QcpTransitionRefused(state=self.state.value, action="officer_validate")
        if not approved:
            if not reason:
                raise InvalidValue("reason", "a refusal says why")
            self.officer_id = officer_id
            self.closed_reason = reason
            self._move("officer_validate", QcpState.CANCELLED, now, officer_id=officer_id, reason=reason)
            return
        self.officer_id = officer_id
        self.officer_validated_at = now
        self.history.append(EnrollmentEvent(at=now, action="officer_validate", from_state=self.state,
                                            to_state=self.state, detail=(("officer_id", officer_id),)))
        self.updated_at = now

    def issue(self, certificate_id: str, now: datetime) -> None:
        self._check("issue", now)
        if self.officer_validated_at is None:
            raise OfficerValidationMissing("the registration officer has not validated the request")
        if not certificate_id:
            raise InvalidValue("certificate_id", "issuance names the certificate")
        self.certificate_id = certificate_id
        self.issued_at = now
        self._move("issue", QcpState.ISSUED, now, certificate_id=certificate_id)

    def cancel(self, now: datetime, *, reason: str = "cancelled_by_holder") -> None:
        # Cancelling is allowed even past the deadline: it only closes the enrollment.
        self._refuse_unless("cancel")
        self.closed_reason = reason
        self._move("cancel", QcpState.CANCELLED, now, reason=reason)

    def expire(self, now: datetime) -> None:
        self._refuse_unless("expire")
        if now < self.expires_at:
            raise QcpEnrollmentNotDue("the enrollment is still within its validity")
        self.closed_reason = "expired"
        self._move("expire", QcpState.EXPIRED, now)

    def seen(self, now: datetime) -> None:
        """The person looked at a page of the flow (used to decide whether to email results)."""
        self.last_seen_at = now

    # Internals ------------------------------------------------------------------------

    def _refuse_unless(self, action: str) -> None:
        if self.state not in ALLOWED_FROM[action]:
            raise QcpTransitionRefused(state=self.state.value, action=action)

    def _check(self, action: str, now: datetime) -> None:
        _aware(now)
        # Past the deadline "expired" is the useful answer, whatever the action was.
        if not self.state.terminal and now >= self.expires_at:
            raise QcpEnrollmentExpired("this enrollment has expired; start a new one")
        self._refuse_unless(action)

    def _move(self, action: str, to: QcpState, now: datetime, **detail: str) -> None:
        if action in ("cancel", "expire"):
            self._refuse_unless(action)
        else:
            self._check(action, now)
        self.history.append(EnrollmentEvent(at=now, action=action, from_state=self.state, to_state=to,
                                            detail=tuple(sorted(detail.items()))))
        self.state = to
        self.updated_at = now


_NEXT_STEP: dict[QcpState, NextStep] = {
    S.STARTED: NextStep.SEND_EMAIL_CODE,
    S.EMAIL_VERIFIED: NextStep.CONFIRM_IDENTITY,
    S.IDENTITY_CONFIRMED: NextStep.CONFIRM_PREREQUISITES,
    S.PREREQUISITES_CONFIRMED: NextStep.CONSENT,
    S.CONSENTED: NextStep.START_IDENTITY_CHECK,
    S.IDENTITY_CHECK_IN_PROGRESS: NextStep.CAPTURE,
    S.SUBMITTED: NextStep.WAIT_FOR_RESULT,
    S.APPROVED: NextStep.VALIDATE_IDENTITY,
    S.MANUAL_REVIEW: NextStep.WAIT_FOR_MANUAL_REVIEW,
    S.IDENTITY_VALIDATED: NextStep.READ_REQUEST,
    S.REQUEST_ACCEPTED: NextStep.SIGN_REQUEST,
    S.REQUEST_SIGNED: NextStep.WAIT_FOR_OFFICER,
    S.PENDING_OFFICER_VALIDATION: NextStep.WAIT_FOR_OFFICER,
    S.ISSUED: NextStep.DONE,
    S.CANCELLED: NextStep.CLOSED,
    S.EXPIRED: NextStep.CLOSED,
}


def _check_digest(value: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InvalidValue("digest", "a document digest is a lower-case hex SHA-256")


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the enrollment needs timezone-aware datetimes (from the Clock port)")


CAPTURE_LINK_VALIDITY = timedelta(minutes=10)


@define(eq=False)
class CaptureLink:
    """The QR code's link to the phone capture: short-lived and single use. Only the
    SHA-256 of its token is stored."""

    token_hash: str
    enrollment_id: str
    session_ref: str
    phone_url: str
    browser_url: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def issue(cls, *, token_hash: str, enrollment_id: str, session_ref: str, phone_url: str, browser_url: str,
              now: datetime, validity: timedelta = CAPTURE_LINK_VALIDITY) -> CaptureLink:
        _aware(now)
        return cls(token_hash=token_hash, enrollment_id=enrollment_id, session_ref=session_ref,
                   phone_url=phone_url, browser_url=browser_url, created_at=now, expires_at=now + validity)

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at

    def use(self, now: datetime) -> str:
        """Consume the link; return where the phone goes. Refused once used or expired."""
        if not self.usable(now):
            raise CaptureLinkUnusable("this link has expired or was already used")
        self.used_at = now
        return self.phone_url


@frozen
class CertificateRequestData:
    """What the « Demande de certificat » PDF states, all from the enrollment."""

    enrollment_id: str
    holder_name: PersonName
    birth_date: date
    email: Email
    mobile: Mobile
    cabinet_name: str
    siren: str
    policy_name: str
    policy_oid: str
    terms_version: str
    privacy_version: str
    consented_at: datetime
    document_type: str
    document_number: str
    identity_evidence_ref: str
    identity_validated_at: datetime
    validity_years: int = 5
