"""Typed domain errors.

Every error carries a stable ``code``: the edges (web pages, API, CLI) translate the
code into a French message and an HTTP status; the domain never formats user text.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain can express."""

    code = "domain.error"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__(detail or self.code)
        self.detail = detail or self.code
        self.params = params


class InvalidValue(DomainError):
    """A value object refused its input; ``field`` names what was wrong."""

    code = "value.invalid"

    def __init__(self, field: str, detail: str = "", **params: object) -> None:
        super().__init__(detail or f"invalid {field}", field=field, **params)
        self.field = field


class InvalidSiren(InvalidValue):
    code = "siren.invalid"

    def __init__(self, detail: str = "") -> None:
        super().__init__("siren", detail)


class InvalidEmail(InvalidValue):
    code = "email.invalid"

    def __init__(self, detail: str = "") -> None:
        super().__init__("email", detail)


class InvalidMobile(InvalidValue):
    code = "mobile.invalid"

    def __init__(self, detail: str = "") -> None:
        super().__init__("mobile", detail)


class InvalidName(InvalidValue):
    code = "name.invalid"


class WeakPassword(InvalidValue):
    code = "password.weak"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__("password", detail, **params)


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission.denied"


class NotOwner(PermissionDenied):
    """Only the cabinet's owner (expert-comptable) may do this."""

    code = "member.not_owner"


class MissingDelegation(PermissionDenied):
    code = "member.missing_delegation"


class AlreadyMember(DomainError):
    code = "member.duplicate"


class SirenTaken(DomainError):
    code = "cabinet.siren_taken"


class LastOwner(DomainError):
    """A cabinet must keep at least one owner."""

    code = "member.last_owner"


class InvitationUnusable(DomainError):
    """Expired, already accepted or revoked: the link no longer works."""

    code = "invitation.unusable"


class EmailTaken(DomainError):
    code = "account.email_taken"


class InvalidCredentials(DomainError):
    """Wrong email, wrong password or locked account: one message, no enumeration."""

    code = "auth.invalid_credentials"


class SecondFactorRequired(DomainError):
    code = "auth.second_factor_required"


class InvalidSecondFactor(DomainError):
    code = "auth.invalid_second_factor"


class SecondFactorState(DomainError):
    """TOTP enabled twice, confirmed without setup, disabled when off…"""

    code = "auth.second_factor_state"


class ResetTokenUnusable(DomainError):
    code = "auth.reset_token_unusable"


class WrongCurrentPassword(DomainError):
    code = "auth.wrong_current_password"


# One-time codes -------------------------------------------------------------------


class CodeRefused(DomainError):
    """Base of every refusal of a one-time code, so a page can catch them together."""

    code = "otp.refused"


class CodeNotRequested(CodeRefused):
    """No code was ever sent for this person and purpose."""

    code = "otp.not_requested"


class CodeInvalid(CodeRefused):
    """Wrong code; ``remaining_tries`` says how many are left before the challenge dies."""

    code = "otp.invalid"

    def __init__(self, detail: str = "", *, remaining_tries: int) -> None:
        super().__init__(detail, remaining_tries=remaining_tries)
        self.remaining_tries = remaining_tries


class CodeExpired(CodeRefused):
    code = "otp.expired"


class CodeDead(CodeRefused):
    """Too many wrong tries (or replaced by a newer code): a new code must be requested."""

    code = "otp.dead"


class CodeAlreadyUsed(CodeRefused):
    code = "otp.already_used"


class CodePayloadMismatch(CodeRefused):
    """The code authorises other data (e.g. other document digests) than what is presented."""

    code = "otp.payload_mismatch"


class CodeResendRefused(DomainError):
    """Base of the send throttle; ``retry_after_seconds`` tells when a send will be accepted."""

    code = "otp.resend_refused"

    def __init__(self, detail: str = "", *, retry_after_seconds: int) -> None:
        super().__init__(detail, retry_after_seconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class CodeResendTooSoon(CodeResendRefused):
    code = "otp.resend_too_soon"


class CodeResendLimit(CodeResendRefused):
    code = "otp.resend_limit"


class Conflict(DomainError):
    """The store refused the write because of what another transaction did; retrying may work."""

    code = "storage.conflict"


class UniqueViolation(Conflict):
    """The record would duplicate a key that must be unique (a SIREN, a membership, ...)."""

    code = "storage.unique_violation"


class KeyNotFound(NotFound):
    code = "key.not_found"


class CertificateNotFound(NotFound):
    code = "certificate.not_found"


class CertificateRevoked(DomainError):
    """The certificate is already revoked: it cannot be revoked again nor used to sign."""

    code = "certificate.revoked"


class CaNotInitialised(DomainError):
    """The certificate authority has no hierarchy yet (run ``seing ca init``)."""

    code = "ca.not_initialised"


class InvalidPdf(DomainError):
    """The file given to sign is not a PDF we can sign; subclasses say why."""

    code = "pdf.invalid"


class NotAPdf(InvalidPdf):
    code = "pdf.not_pdf"


class EncryptedPdf(InvalidPdf):
    """Password-protected PDFs are refused: signing them would need the password."""

    code = "pdf.encrypted"


class BrokenPdf(InvalidPdf):
    """Truncated or structurally damaged: no reliable revision to sign on top of."""

    code = "pdf.broken"


class TimestampUnavailable(DomainError):
    """No trusted time could be obtained; callers must not fall back to a local clock."""

    code = "timestamp.unavailable"


class SigningFailed(DomainError):
    """The signature could not be produced (key vault, size, unexpected library error)."""

    code = "signing.failed"


class SigningCertificateRejected(DomainError):
    """The signer's certificate is revoked, expired or does not chain to a trusted root."""

    code = "signing.certificate_rejected"


# Identity verification --------------------------------------------------------------


class IdentityError(DomainError):
    """Base of the identity-verification refusals."""

    code = "identity.error"


class IdentitySessionNotFound(IdentityError, NotFound):
    code = "identity.session_not_found"


class IdentitySessionClosed(IdentityError):
    """The session is decided, cancelled or its images are gone: no more captures."""

    code = "identity.session_closed"


class IdentityCaptureRefused(IdentityError):
    """A capture step unknown to this session, an empty or oversized image."""

    code = "identity.capture_refused"


class IdentityAlreadyDecided(IdentityError):
    code = "identity.already_decided"


class IdentityCallbackRefused(IdentityError):
    """A provider callback we cannot trust or read (bad signature, unknown session)."""

    code = "identity.callback_refused"


class IdentityProviderUnknown(IdentityError):
    """No installed identity provider has the configured name."""

    code = "identity.provider_unknown"


# QCP enrollment -------------------------------------------------------------------


class QcpEnrollmentError(DomainError):
    """Base of every refusal in the QCP enrollment flow."""

    code = "qcp.error"


class QcpTransitionRefused(QcpEnrollmentError):
    """The action is not allowed in the enrollment's current state."""

    code = "qcp.transition_refused"

    def __init__(self, detail: str = "", *, state: str, action: str) -> None:
        super().__init__(detail or f"{action} is not allowed in state {state}", state=state, action=action)
        self.state = state
        self.action = action


class NoActiveLcpCertificate(QcpEnrollmentError):
    """Enrollment needs an active LCP certificate of the same person in that cabinet."""

    code = "qcp.no_active_lcp"


class LcpDataMismatch(QcpEnrollmentError):
    """Name, email or mobile differ from the LCP certificate's data; ``field`` says which."""

    code = "qcp.lcp_data_mismatch"

    def __init__(self, detail: str = "", *, field: str) -> None:
        super().__init__(detail or f"{field} differs from the LCP data", field=field)
        self.field = field


class QcpEnrollmentAlreadyOpen(QcpEnrollmentError):
    """The person already has an enrollment in progress for this cabinet: resume it."""

    code = "qcp.already_open"

    def __init__(self, detail: str = "", *, enrollment_id: str) -> None:
        super().__init__(detail, enrollment_id=enrollment_id)
        self.enrollment_id = enrollment_id


class PrerequisitesNotConfirmed(QcpEnrollmentError):
    """Both boxes (valid ID document, mobile number) must be ticked."""

    code = "qcp.prerequisites_not_confirmed"


class ConsentMissing(QcpEnrollmentError):
    """A consent was not given; ``consent`` names which."""

    code = "qcp.consent_missing"

    def __init__(self, detail: str = "", *, consent: str) -> None:
        super().__init__(detail or f"consent {consent} is required", consent=consent)
        self.consent = consent


class IdentityAttemptsExhausted(QcpEnrollmentError):
    code = "qcp.identity_attempts_exhausted"


class IdentitySessionMismatch(QcpEnrollmentError):
    """A result for another session than the enrollment's current one."""

    code = "qcp.identity_session_mismatch"


class QcpEnrollmentExpired(QcpEnrollmentError):
    code = "qcp.expired"


class QcpEnrollmentNotDue(QcpEnrollmentError):
    """expire() called before the enrollment's deadline."""

    code = "qcp.not_due"


class RequestDocumentChanged(QcpEnrollmentError):
    """The certificate request signed is not the one accepted."""

    code = "qcp.request_document_changed"


class OfficerValidationMissing(QcpEnrollmentError):
    """Issuance needs the registration officer's validation first."""

    code = "qcp.officer_validation_missing"


class CaptureLinkUnusable(QcpEnrollmentError):
    """The phone link (QR code) is unknown, expired or already used."""

    code = "qcp.capture_link_unusable"
