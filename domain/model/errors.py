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


class TooManyAttempts(DomainError):
    """Too many logins or reset requests from one client or for one address, whatever their
    outcome; ``retry_after_seconds`` tells when one will be accepted again."""

    code = "auth.throttled"

    def __init__(self, detail: str = "", *, retry_after_seconds: int) -> None:
        super().__init__(detail, retry_after_seconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


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


# Keys and certificates ------------------------------------------------------------


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


class QcpPublicationInsecure(DomainError):
    """QCP-n certificates are not issued while the CA's public addresses break EN 319 412
    (``problems``: the codes of ``domain.model.pki.publication_problems``); dev mode only warns."""

    code = "ca.qcp_publication_insecure"


# Collections ------------------------------------------------------------------------


class CollectionRefused(DomainError):
    """Base of the refusals of the collection rules, so a page can catch them together."""

    code = "collection.refused"


class CollectionNotEditable(CollectionRefused):
    """Documents, signers, levels and options change only while the collection is a draft."""

    code = "collection.not_editable"


class CollectionNotRunning(CollectionRefused):
    """The action needs a collection in progress (sent, not yet ended)."""

    code = "collection.not_in_progress"


class CollectionAlreadyEnded(CollectionRefused):
    code = "collection.ended"


class InvalidCollectionInfo(CollectionRefused):
    """Title missing or too long, message too long; ``field`` names which."""

    code = "collection.invalid_info"


class DeadlineNotInFuture(CollectionRefused):
    code = "collection.deadline_past"


class DeadlineTooFar(CollectionRefused):
    code = "collection.deadline_too_far"


class InvalidReminderPolicy(CollectionRefused):
    code = "collection.invalid_reminders"


class NoSigner(CollectionRefused):
    code = "collection.no_signer"


class NoDocument(CollectionRefused):
    code = "collection.no_document"


class TooManyItems(CollectionRefused):
    """Too many signers, observers or documents in one collection; ``limit`` says how many."""

    code = "collection.too_many"


class DuplicateSigner(CollectionRefused):
    """The same person (same email) is already a signer of this collection."""

    code = "collection.duplicate_signer"


class DuplicateObserver(CollectionRefused):
    code = "collection.duplicate_observer"


class SignerCannotSign(CollectionRefused):
    """A cabinet member signs only with the SIGN delegation."""

    code = "collection.signer_without_sign_delegation"


class MobileRequired(CollectionRefused):
    """Levels 2 and 3 send an SMS code: the signer needs a mobile number."""

    code = "collection.mobile_required"


class LevelNotAllowed(CollectionRefused):
    """Level 3 needs a member with an active QCP certificate, or an external signer."""

    code = "collection.level_not_allowed"


class OrderLocked(CollectionRefused):
    """While the collection runs, only signers who have not signed yet can move."""

    code = "collection.order_locked"


class InvalidOrder(CollectionRefused):
    """The new order must list every signer of the collection exactly once."""

    code = "collection.invalid_order"


class SignerStateRefused(CollectionRefused):
    """The signer is not in a state allowing this (remind someone who signed, replace a signer who signed...)."""

    code = "collection.signer_state"


class FieldOutOfPage(CollectionRefused):
    """A signature field must lie on an existing page, inside its bounds, at a usable size."""

    code = "collection.field_out_of_page"


class ReminderTooSoon(CollectionRefused):
    """« Relancer » less than an hour after the last reminder; ``possible_at`` (ISO 8601, UTC) and
    ``retry_after_seconds`` say when it will be accepted."""

    code = "collection.reminder_too_soon"

    def __init__(self, detail: str = "", *, retry_after_seconds: int, possible_at: object) -> None:
        at = possible_at.isoformat() if hasattr(possible_at, "isoformat") else str(possible_at)
        super().__init__(detail, retry_after_seconds=retry_after_seconds, possible_at=at)
        self.retry_after_seconds = retry_after_seconds
        self.possible_at = at


class FirstReminderTooSoon(ReminderTooSoon):
    """« Relancer » less than an hour after the invitation itself (no reminder was sent yet)."""

    code = "collection.first_reminder_too_soon"


class CancelReasonRequired(InvalidValue):
    """A collection that signers may have seen is cancelled with a reason, told to them."""

    code = "collection.cancel_reason_required"

    def __init__(self, detail: str = "") -> None:
        super().__init__("reason", detail)


class InvitationLinkUnusable(DomainError):
    """Unknown, replaced or expired link, or the collection ended; ``reason`` says which."""

    code = "collection.link_unusable"


# Document intake --------------------------------------------------------------------


class DocumentRefused(DomainError):
    """Base of the refusals of an uploaded file."""

    code = "document.refused"


class NotPdf(DocumentRefused):
    code = "document.not_pdf"


class DocumentTooLarge(DocumentRefused):
    """``limit_bytes`` says the configured limit."""

    code = "document.too_large"


class DocumentEncrypted(DocumentRefused):
    code = "document.encrypted"


class DocumentBroken(DocumentRefused):
    """Starts like a PDF but cannot be read as one (truncated, damaged)."""

    code = "document.broken"


class DocumentEmpty(DocumentRefused):
    """An empty file, or a PDF without any page."""

    code = "document.empty"


class DocumentLocked(DocumentRefused):
    """Readable, but its author's certification (or a signature's lock) forbids the signatures we add."""

    code = "document.locked"


class DocumentUnsignable(DocumentRefused):
    """Readable, but the preparation for signing failed on it (the dry run at upload)."""

    code = "document.unsignable"


class DocumentTooComplex(DocumentRefused):
    """Reading it needs more memory or time than a document may take: a decompression bomb,
    a page tree or an image out of all proportion, or a reader stuck in a loop."""

    code = "document.too_complex"


class DocumentActiveContent(DocumentRefused):
    """It carries JavaScript or a Launch action (``kinds``): what a reader shows or runs could
    then differ from what was signed, so such files are refused rather than silently altered."""

    code = "document.active_content"


class DocumentCorrupted(DomainError):
    """The stored bytes no longer match their SHA-256: storage damage, never user input."""

    code = "document.corrupted"


class DocumentStoreUnavailable(DomainError):
    """The document storage (an object store over the network) did not answer or refused us:
    an outage or its configuration, never the user's doing; nothing was stored or read."""

    code = "document.store_unavailable"


class NotCertificateHolder(PermissionDenied):
    """Only the holder of a certificate (or an administrator) may revoke it."""

    code = "certificate.not_holder"


class CertificateExpired(DomainError):
    """The certificate's validity has ended: it can neither be used nor revoked."""

    code = "certificate.expired"


# LCP registration -------------------------------------------------------------------


class RegistrationRefused(DomainError):
    """Base of every refusal of the LCP registration (« S'enregistrer »)."""

    code = "lcp_registration.refused"


class RegistrationNotFound(NotFound):
    """No such registration for this person (outsiders learn nothing more)."""

    code = "lcp_registration.not_found"


class RegistrationWrongStep(RegistrationRefused):
    """The action does not follow from the registration's current step; ``state`` and
    ``action`` say which, so a page can send the person back where they are."""

    code = "lcp_registration.wrong_step"

    def __init__(self, detail: str = "", *, state: str, action: str) -> None:
        super().__init__(detail or f"cannot {action} in state {state}", state=state, action=action)
        self.state = state
        self.action = action


class RegistrationClosed(RegistrationWrongStep):
    """The registration has ended (certificate issued, or cancelled): start a new one."""

    code = "lcp_registration.closed"


class RegistrationInProgress(RegistrationRefused):
    """A registration for this person and cabinet is already under way; ``registration_id``
    names it so the page can resume it."""

    code = "lcp_registration.in_progress"

    def __init__(self, detail: str = "", *, registration_id: str) -> None:
        super().__init__(detail or "a registration is already in progress", registration_id=registration_id)
        self.registration_id = registration_id


class LcpAlreadyActive(RegistrationRefused):
    """The person already holds an active LCP certificate for this cabinet."""

    code = "lcp_registration.already_certified"


class RegistrationMobileRequired(RegistrationRefused):
    """An LCP needs a verified mobile: the person must add one to their profile first."""

    code = "lcp_registration.mobile_required"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or "add a mobile number to your profile to register", field="mobile")
        self.field = "mobile"


class IdentityChanged(RegistrationRefused):
    """The email or mobile on the profile is no longer the one verified by code during this
    registration: the person must start again so the certificate names verified data."""

    code = "lcp_registration.identity_changed"


class TermsOutdated(RegistrationRefused):
    """The terms the person accepted are not the version in force (the page was stale)."""

    code = "lcp_registration.terms_outdated"


class LcpIdentityCheckNotPassed(RegistrationRefused):
    """Configuration requires an identity check before the LCP is issued, and it has not
    passed: not started or finished yet (``outcome`` pending), refused by the provider
    (rejected, with its ``reason``), or the document names someone else (mismatch)."""

    code = "lcp_registration.identity_check_required"

    def __init__(self, detail: str = "", *, outcome: str = "pending", reason: str | None = None) -> None:
        super().__init__(detail or f"the identity check has not passed ({outcome})", outcome=outcome,
                         reason=reason or "")
        self.outcome = outcome
        self.reason = reason


# PDF signing and trusted time -----------------------------------------------------


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


class PdfTooComplex(InvalidPdf):
    """Preparing it for signing needed more memory or time than a document may take."""

    code = "pdf.too_complex"


class LockedPdf(InvalidPdf):
    """A certification signature (DocMDP) or a field lock forbids adding our fields and
    signatures, or adding them would invalidate a signature already in the file."""

    code = "pdf.locked"


class UnsignablePdf(InvalidPdf):
    """Readable, but preparing or signing it failed for a reason of the file's own making."""

    code = "pdf.unsignable"


class TimestampUnavailable(DomainError):
    """No trusted time could be obtained; callers must not fall back to a local clock."""

    code = "timestamp.unavailable"


class ArchiveRenewalRejected(DomainError):
    """An archive-timestamp renewal was not kept: the file's timestamps did not validate before
    or after it. The stored file is unchanged; the renewal is tried again."""

    code = "archive.renewal_rejected"


class SigningFailed(DomainError):
    """The signature could not be produced (key vault, size, unexpected library error)."""

    code = "signing.failed"


class RemoteSigningRefused(DomainError):
    """The remote signing service (a QTSP's, through the CSC API) did not sign."""

    code = "remote_signing.refused"


class RemoteCodeRejected(RemoteSigningRefused):
    """The provider refused the signer's one-time code (or PIN)."""

    code = "remote_signing.code_rejected"


class RemoteCodeSpent(RemoteSigningRefused):
    """The signer's code already authorised this signature at the provider, for digests that no
    longer apply (a document changed between hashing and signing, or the attempt is made again):
    a single-use code does not authorise twice, the signer needs a new one."""

    code = "remote_signing.code_spent"


class RemoteCodeAlreadyUsed(RemoteCodeSpent):
    """The last code the provider sent already authorised an attempt that did not complete (the
    signer tries « Signer » again): the provider would refuse it as wrong; a new one is needed."""

    code = "remote_signing.code_already_used"


class RemoteConsentUnsupported(RemoteSigningRefused):
    """The provider authorises this credential only through the signer's consent on its own page
    (CSC oauth2code): no code is sent for it (« Autoriser chez mon prestataire » instead); also a
    consent asked where the provider, the credential or the PDF adapter cannot give one."""

    code = "remote_signing.consent_unsupported"


class RemoteConsentUnusable(RemoteSigningRefused):
    """The provider's redirect names no consent we started, or one already used or expired (a
    replayed or forged callback, or a signer who took too long on the provider's page)."""

    code = "remote_signing.consent_unusable"


class RemoteConsentDeclined(RemoteSigningRefused):
    """The signer declined on the provider's page (OAuth ``error`` access_denied), or the provider
    gave no authorisation code: nothing was signed."""

    code = "remote_signing.consent_declined"


class RemoteConsentOutdated(RemoteSigningRefused):
    """A document changed between the consent's start and its return (another signer signed
    meanwhile): the consent covers the former version, the signer starts again."""

    code = "remote_signing.consent_outdated"


class RemoteAuthorizationExpired(RemoteSigningRefused):
    """The signature activation data lapsed before the signature was made."""

    code = "remote_signing.authorization_expired"


class RemoteHashMismatch(RemoteSigningRefused):
    """The provider refused digests other than those the signer authorised."""

    code = "remote_signing.hash_mismatch"


class RemoteCredentialMissing(RemoteSigningRefused):
    """The provider holds no signing credential for this signer."""

    code = "remote_signing.credential_missing"


class RemoteSigningUnavailable(RemoteSigningRefused):
    """The provider did not answer, or answered something we cannot use."""

    code = "remote_signing.unavailable"


class SigningCertificateRejected(DomainError):
    """The signer's certificate is revoked, expired or does not chain to a trusted root."""

    code = "signing.certificate_rejected"


# Signing ceremony, evidence and verification ----------------------------------------


class CeremonyRefused(DomainError):
    code = "ceremony.refused"


class IdentityCheckRequired(CeremonyRefused):
    """Level 3 for an external signer: the identity check must be approved before a code is sent."""

    code = "ceremony.identity_check_required"


class SignatureBeingFinalised(CeremonyRefused):
    """The signer's signature is done but waits for trusted time; the worker finishes it."""

    code = "ceremony.being_finalised"


class SigningCertificateMissing(CeremonyRefused):
    """The member has no active certificate of the policy the level needs for this cabinet."""

    code = "ceremony.certificate_missing"


class DocumentVersionConflict(Conflict):
    """Another signature changed the document since it was read: sign the fresh version again."""

    code = "ceremony.document_version_conflict"


class DocumentNotPrepared(CeremonyRefused):
    code = "ceremony.document_not_prepared"


class DownloadLinkUnusable(DomainError):
    """Unknown or expired download link, or the documents were purged; ``reason`` says which."""

    code = "download.link_unusable"


class EvidenceNotReady(DomainError):
    code = "evidence.not_ready"


class NotVerifiable(DomainError):
    """The file is not a PDF we can read, or holds no signature."""

    code = "verification.not_verifiable"
# Identity verification --------------------------------------------------------------


class IdentityError(DomainError):
    """Base of the identity-verification refusals."""

    code = "identity.error"


class IdentitySessionNotFound(NotFound):
    """Unknown identity-check session (a NotFound, so pages answer 404)."""

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


class IdentityProviderUnavailable(IdentityError):
    """The provider could not be reached or answered with an error: try again later."""

    code = "identity.provider_unavailable"


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

    def __init__(self, detail: str = "", *, state: str = "", action: str = "") -> None:
        super().__init__(detail or f"{action} is not allowed in state {state}", state=state, action=action)
        self.state = state
        self.action = action


class NoActiveLcpCertificate(QcpEnrollmentError):
    """Enrollment needs an active LCP certificate of the same person in that cabinet."""

    code = "qcp.no_active_lcp"


class QcpAlreadyHeld(QcpEnrollmentError):
    """The person already holds an active QCP certificate for this cabinet."""

    code = "qcp.already_certified"


class LcpDataMismatch(QcpEnrollmentError):
    """Name, email or mobile differ from the LCP certificate's data; ``field`` says which."""

    code = "qcp.lcp_data_mismatch"

    def __init__(self, detail: str = "", *, field: str = "") -> None:
        super().__init__(detail or f"{field} differs from the LCP data", field=field)
        self.field = field


class QcpEnrollmentAlreadyOpen(QcpEnrollmentError):
    """The person already has an enrollment in progress for this cabinet: resume it."""

    code = "qcp.already_open"

    def __init__(self, detail: str = "", *, enrollment_id: str = "") -> None:
        super().__init__(detail, enrollment_id=enrollment_id)
        self.enrollment_id = enrollment_id


class PrerequisitesNotConfirmed(QcpEnrollmentError):
    """Both boxes (valid ID document, mobile number) must be ticked."""

    code = "qcp.prerequisites_not_confirmed"


class ConsentMissing(QcpEnrollmentError):
    """A consent was not given; ``consent`` names which."""

    code = "qcp.consent_missing"

    def __init__(self, detail: str = "", *, consent: str = "") -> None:
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


# API keys and idempotency ----------------------------------------------------------------


class ApiKeyNotFound(NotFound):
    """No key with this id in this cabinet (another cabinet's key is not found either)."""

    code = "api_key.not_found"


class ApiKeyRejected(InvalidCredentials):
    """The presented key is malformed, unknown or revoked; the caller learns nothing more."""

    code = "api_key.rejected"


class ApiKeyScopeMissing(PermissionDenied):
    """The key is valid but its scopes do not cover this operation."""

    code = "api_key.scope_missing"

    def __init__(self, detail: str = "", *, scope: str) -> None:
        super().__init__(detail or f"the key lacks the {scope} scope", scope=scope)
        self.scope = scope


class ApiKeyNotAccepted(PermissionDenied):
    """This operation is personal (a profile, a certificate, a login): a key cannot do it."""

    code = "api_key.not_accepted"


class InvalidApiKeyName(InvalidValue):
    code = "api_key.name_invalid"

    def __init__(self, detail: str = "") -> None:
        super().__init__("name", detail)


class ApiKeyScopesMissing(InvalidValue):
    code = "api_key.scopes_missing"

    def __init__(self, detail: str = "") -> None:
        super().__init__("scopes", detail)


class ApiKeyAlreadyRevoked(DomainError):
    code = "api_key.already_revoked"


class InvalidIdempotencyKey(InvalidValue):
    code = "idempotency.key_invalid"

    def __init__(self, detail: str = "") -> None:
        super().__init__("Idempotency-Key", detail)


class IdempotencyKeyReused(DomainError):
    """The same Idempotency-Key came back with another request: not a retry, refused."""

    code = "idempotency.key_reused"


class IdempotentRequestInProgress(DomainError):
    """The first request with this key has not answered yet: retry in a moment."""

    code = "idempotency.in_progress"

    def __init__(self, detail: str = "", *, retry_after_seconds: int = 1) -> None:
        super().__init__(detail, retry_after_seconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds
# -- webhooks ---------------------------------------------------------------------------------------


class InvalidWebhookUrl(InvalidValue):
    """Not an absolute http(s) URL with a host, or http where https is required."""

    code = "webhook.url_invalid"

    def __init__(self, detail: str = "") -> None:
        super().__init__("url", detail)


class UnknownWebhookEvent(InvalidValue):
    code = "webhook.event_unknown"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__("events", detail, **params)


class NoWebhookEvents(InvalidValue):
    code = "webhook.events_missing"

    def __init__(self, detail: str = "") -> None:
        super().__init__("events", detail)


class WebhookDestinationRefused(InvalidValue):
    """The URL's host resolves to a loopback, private, link-local, metadata or otherwise
    non-public address (server-side request forgery), or does not resolve at all."""

    code = "webhook.destination_refused"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__("url", detail, **params)


class WebhookEndpointNotFound(NotFound):
    code = "webhook.endpoint_not_found"


class WebhookDeliveryNotFound(NotFound):
    code = "webhook.delivery_not_found"


class TooManyWebhookEndpoints(DomainError):
    code = "webhook.too_many_endpoints"
