"""QCP enrollment use cases: one method per step of the guide's part 1.

Pages stay thin: each method takes the logged-in person's id (every enrollment is
reachable only by its holder; anyone else gets NotFound), does one step, stores the
enrollment and returns an ``EnrollmentView`` whose ``next_step`` says which page to show.
Refusals are typed domain errors with stable codes (``domain.model.errors``).

Desktop, logged in: ``current`` / ``start`` (« Souscrire à un certificat qualifié »),
``view`` (route by ``next_step``), ``send_email_code`` / ``check_email_code``,
``confirm_identity``, ``confirm_prerequisites``, ``consent``, ``start_identity_check`` (QR
link and « Continuez ici dans votre navigateur » URL), ``renew_capture_link``,
``identity_check_status`` (« Vérification en cours », polled or streamed),
``validate_identity``, ``request_document`` / ``accept_request``, ``send_signing_code`` /
``sign_request``, ``signed_request``, ``cancel``.
Phone, not logged in: ``open_capture_link(token)`` for the QR link, then the provider's
``CaptureHost`` for the images, then ``identity_capture_finished(session_ref)``.
Registration officer (the caller checks the role): ``pending_identity_reviews``,
``identity_review_file``, ``review_identity``, ``officer_queue``, ``resolve_manual_review``,
``officer_validate``. Provider webhook: ``receive_identity_callback``. Worker:
``poll_identity_results``, ``expire_enrollments``, ``purge_identity_images``.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta

from attrs import define, field, frozen

from domain.model.certificates import Certificate
from domain.model.errors import (
    CaptureLinkUnusable,
    Conflict,
    IdentityProviderUnavailable,
    IdentityProviderUnknown,
    IdentitySessionNotFound,
    InvalidValue,
    NoActiveLcpCertificate,
    NotFound,
    QcpAlreadyHeld,
    QcpEnrollmentAlreadyOpen,
    QcpEnrollmentExpired,
    RequestDocumentChanged,
)
from domain.model.identity import (
    CaptureStep,
    CheckMode,
    DocumentType,
    ExtractedIdentity,
    IdentityCheckResult,
    IdentityCheckStatus,
    IdentitySubject,
)
from domain.model.jobs import JobSpec, Notification
from domain.model.one_time_code import CodeEvent, CodePurpose, bind_payload
from domain.model.pki import CertificatePolicy, CertificateSubject, KeyRef, KeyType, RevocationReason
from domain.model.qcp_enrollment import (
    AUTOMATIC_OFFICER,
    CAPTURE_LINK_VALIDITY,
    ENROLLMENT_VALIDITY,
    CaptureLink,
    CertificateRequestData,
    ConsentKind,
    EnrollmentEvent,
    LcpHolding,
    NextStep,
    QcpEnrollment,
    QcpState,
)
from domain.model.tokens import hash_token
from domain.model.values import PersonName
from domain.model.webhooks import WebhookEvent, event_job
from domain.services.enrollment_webhooks import announcing_status_changes
from domain.services.identity_checks import cancel_quietly
from domain.services.my_signature_views import mask_email
from domain.services.one_time_codes import check_code, send_code
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.documents import DocumentStore
from ports.identity import IdentityVerifier, ManualReview, PendingReview, RetainedImages, ReviewFile
from ports.ids import IdGenerator
from ports.keyvault import KeyVault
from ports.one_time_codes import CodeGenerator, CodeHasher
from ports.pdf_signing import PadesLevel, PdfSigning, SignatureRequest, SigningIdentity
from ports.qcp_enrollment import CertificateRequestDocument
from ports.repositories import UnitOfWork

__all__ = [
    "EnrollmentView",
    "IdentityCheckStarted",
    "OfficerFile",
    "OfficerValidation",
    "QcpCodeSent",
    "QcpEnrollmentUseCases",
    "QcpSettings",
    "RequestDocument",
]

TEMPLATE_IDENTITY_RESULT = "qcp_identity_result"
TEMPLATE_CERTIFICATE_ISSUED = "qcp_certificate_issued"

AWAITING_RESULT = frozenset({QcpState.IDENTITY_CHECK_IN_PROGRESS, QcpState.SUBMITTED})
OPEN_STATES = frozenset(set(QcpState) - {QcpState.ISSUED, QcpState.CANCELLED, QcpState.EXPIRED})


class OfficerValidation(enum.Enum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


@frozen
class QcpSettings:
    """``presence_window``: a person who looked at a page of the flow within it is still
    there, so the result is shown rather than emailed. ``image_retention`` zero: the
    provider's images are deleted as soon as the result is recorded."""

    public_url: str
    terms_version: str = "cgu-2026-11"
    privacy_version: str = "ppdp-2026-11"
    officer_validation: OfficerValidation = OfficerValidation.AUTOMATIC
    capture_link_validity: timedelta = CAPTURE_LINK_VALIDITY
    enrollment_validity: timedelta = ENROLLMENT_VALIDITY
    presence_window: timedelta = timedelta(seconds=90)
    image_retention: timedelta = timedelta(0)
    key_type: KeyType = KeyType.EC_P256
    certificate_validity: timedelta | None = None  # None: the CA's QCP-n default (5 years)
    validity_years: int = 5  # as stated in the request and the email


@frozen
class ExtractedView:
    given_names: str
    surname: str
    birth_date: date
    document_type: str


@frozen
class EnrollmentView:
    """Everything a page of the flow shows; French wording stays in the templates."""

    id: str
    state: QcpState
    next_step: NextStep
    cabinet_id: str
    cabinet_name: str
    given_names: str
    surname: str
    full_name: str  # « Jessica POUSSART »
    email: str
    mobile: str  # +33…
    mobile_national: str  # 06 24 00 00 13
    attempts_left: int
    rejection_reason: str | None
    review_reason: str | None
    extracted: ExtractedView | None
    session_ref: str | None
    request_digest: str | None
    certificate_id: str | None
    expires_at: datetime
    terms_version: str | None
    privacy_version: str | None
    sms_undelivered: bool = False  # the last SMS code never arrived: the signing page says so

    @classmethod
    def of(cls, e: QcpEnrollment) -> EnrollmentView:
        extracted = e.validated_identity or e.extracted_identity
        terms = e.consent_of(ConsentKind.ID_DATA_AND_TERMS)
        privacy = e.consent_of(ConsentKind.PRIVACY_POLICY)
        return cls(
            id=e.id, state=e.state, next_step=e.next_step, cabinet_id=e.cabinet_id, cabinet_name=e.lcp.cabinet_name,
            given_names=e.name.given_names, surname=e.name.surname, full_name=e.name.full, email=str(e.email),
            mobile=str(e.mobile), mobile_national=e.mobile.national(), attempts_left=e.attempts_left,
            rejection_reason=e.rejection_reason, review_reason=e.review_reason,
            extracted=ExtractedView(extracted.name.given_names, extracted.name.surname, extracted.birth_date,
                                    extracted.document_type.value) if extracted else None,
            session_ref=e.current_session_ref, request_digest=e.request_digest, certificate_id=e.certificate_id,
            expires_at=e.expires_at, terms_version=terms.text_version if terms else None,
            privacy_version=privacy.text_version if privacy else None, sms_undelivered=e.sms_undelivered)


@frozen
class IdentityCheckStarted:
    """``qr_url``: our short-lived single-use link for the QR code (valid until
    ``qr_expires_at``); ``browser_url``: « Continuez ici dans votre navigateur »."""

    enrollment: EnrollmentView
    session_ref: str
    qr_url: str
    qr_expires_at: datetime
    browser_url: str


@frozen
class QcpCodeSent:
    """A code is on its way: where (masked) and until when it works."""

    enrollment: EnrollmentView
    channel: str  # email | sms
    destination: str  # j•••@poussart.fr, 06 ** ** 13
    expires_at: datetime


@frozen
class RequestDocument:
    pdf: bytes = field(repr=False)
    digest: str  # the page posts it back with « J'ai lu et j'accepte le document. »


@frozen
class OfficerFile:
    """What the registration officer sees before deciding on an enrollment (manual review or
    a signed request to validate): the LCP identity the enrollment was matched to, the identity
    evidence (the provider's decision and its time, what was read on the document, the images'
    digests and those still retained), whether the signed request exists, and the dates."""

    enrollment: EnrollmentView
    lcp_serial: str
    lcp_name: str
    lcp_email: str
    lcp_mobile_national: str
    lcp_birth_date: date | None
    siren: str
    provider_decision: str | None  # approved | rejected
    provider_decided_at: datetime | None
    provider_reference: str | None
    provider_reason: str | None
    extracted: ExtractedIdentity | None
    image_steps: tuple[CaptureStep, ...]  # the steps captured (their digests are kept)
    image_digests: tuple[tuple[CaptureStep, str], ...]
    retained_steps: tuple[CaptureStep, ...]  # images still kept, viewable
    created_at: datetime
    consented_at: datetime | None
    identity_submitted_at: datetime | None
    identity_validated_at: datetime | None
    request_accepted_at: datetime | None
    request_signed_at: datetime | None
    signed_request_digest: str | None
    has_signed_request: bool


OFFICER_STATES = frozenset({QcpState.PENDING_OFFICER_VALIDATION, QcpState.MANUAL_REVIEW})

UowFactory = Callable[[], UnitOfWork]


@define
class QcpEnrollmentUseCases:
    uow: UowFactory
    clock: Clock
    ids: IdGenerator
    code_generator: CodeGenerator
    code_hasher: CodeHasher
    verifier: IdentityVerifier
    request_renderer: CertificateRequestDocument
    documents: DocumentStore
    pdf_signing: PdfSigning
    vault: KeyVault
    ca: CertificateAuthority
    settings: QcpSettings

    def __attrs_post_init__(self) -> None:
        # Every transition of an enrollment becomes an ``enrollment.status_changed`` webhook event.
        self.uow = announcing_status_changes(self.uow)

    # 1. « Ma signature personnelle » → « Souscrire à un certificat qualifié » ------------

    def start(self, *, person_id: str, cabinet_id: str) -> EnrollmentView:
        """Open an enrollment for the cabinet, or refuse with QcpEnrollmentAlreadyOpen
        (carrying its id: the page resumes it) when one is in progress. Refused at once
        (QcpPublicationInsecure) while the CA would not issue the QCP-n at the end."""
        self.ca.check_issuable(CertificatePolicy.QCP_N)
        now = self.clock.now()
        with self.uow() as tx:
            existing = tx.qcp_enrollments.open_for(person_id, cabinet_id)
            if existing is not None and existing.is_due_to_expire(now):
                existing.expire(now)
                tx.commit()
            elif existing is not None and existing.next_step is NextStep.CLOSED:
                # Rejected with no attempt left: nothing to resume, so it must not block a new one.
                existing.cancel(now, reason="identity_attempts_exhausted")
                tx.commit()
            elif existing is not None:
                raise QcpEnrollmentAlreadyOpen("an enrollment is in progress", enrollment_id=existing.id)
            if tx.certificates.active_for(person_id, cabinet_id, CertificatePolicy.QCP_N, now=now) is not None:
                raise QcpAlreadyHeld("you already hold an active qualified certificate for this cabinet")
            person = tx.persons.get(person_id)
            lcp = _active_lcp(tx, person_id, cabinet_id, now)
            enrollment = QcpEnrollment.start(id=self.ids.new_id(), lcp=lcp, person_id=person_id,
                                             cabinet_id=cabinet_id, name=person.name, email=person.email,
                                             mobile=person.mobile, now=now,
                                             validity=self.settings.enrollment_validity)
            tx.qcp_enrollments.add(enrollment)
            tx.commit()
            return EnrollmentView.of(enrollment)

    def current(self, *, person_id: str, cabinet_id: str) -> EnrollmentView | None:
        """The enrollment in progress for this cabinet (the « reprendre » button), if any."""
        with self.uow() as tx:
            enrollment = tx.qcp_enrollments.open_for(person_id, cabinet_id)
            return EnrollmentView.of(enrollment) if enrollment else None

    def view(self, *, person_id: str, enrollment_id: str) -> EnrollmentView:
        """Where the person is: the page routes by ``next_step``. Also marks them present, at
        most once a third of the presence window: the flow's pages poll every few seconds, and
        a write at each poll met the enrollment's other writers (another tab or device, the
        officer's decision) in optimistic conflicts. A view that still meets one reads again:
        the other writer's change is what the person must see, and presence is not worth an
        error."""
        now = self.clock.now()
        try:
            return self._view(person_id, enrollment_id, now)
        except Conflict:
            return self._view(person_id, enrollment_id, now)

    def _view(self, person_id: str, enrollment_id: str, now: datetime) -> EnrollmentView:
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            changed = False
            if enrollment.is_due_to_expire(now):
                enrollment.expire(now)
                changed = True
            seen = enrollment.last_seen_at
            if seen is None or now - seen >= self.settings.presence_window / 3:
                enrollment.seen(now)
                changed = True
            if changed:
                tx.commit()
            return EnrollmentView.of(enrollment)

    # 2. « Accès protégé » ---------------------------------------------------------------

    def send_email_code(self, *, person_id: str, enrollment_id: str) -> QcpCodeSent:
        """« Envoyer le code »: a 6-digit code to the LCP email (throttled: CodeResendRefused)."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "verify_email", now)
            challenge = send_code(work=tx, generator=self.code_generator, hasher=self.code_hasher, ids=self.ids,
                                  clock=self.clock, record=self._sink(enrollment), person_id=person_id,
                                  purpose=_email_purpose(enrollment), destination=enrollment.email)
            return QcpCodeSent(enrollment=EnrollmentView.of(enrollment), channel="email",
                               destination=mask_email(str(enrollment.email)), expires_at=challenge.expires_at)

    def check_email_code(self, *, person_id: str, enrollment_id: str, code: str) -> EnrollmentView:
        """Raise a CodeRefused (wrong, expired, dead…) or move on to the identity shown."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "verify_email", now)
            check_code(work=tx, hasher=self.code_hasher, clock=self.clock, record=self._sink(enrollment),
                       person_id=person_id, purpose=_email_purpose(enrollment), code=code)
            return self._step(tx, enrollment, lambda e: e.verify_email(now))

    # 3-5. identity shown, prerequisites, consents -----------------------------------------

    def confirm_identity(self, *, person_id: str, enrollment_id: str) -> EnrollmentView:
        now = self.clock.now()
        with self.uow() as tx:
            return self._step(tx, self._mine(tx, person_id, enrollment_id), lambda e: e.confirm_identity(now))

    def confirm_prerequisites(self, *, person_id: str, enrollment_id: str, has_valid_id_document: bool,
                              mobile_is_theirs: bool) -> EnrollmentView:
        now = self.clock.now()
        with self.uow() as tx:
            return self._step(tx, self._mine(tx, person_id, enrollment_id), lambda e: e.confirm_prerequisites(
                has_valid_id_document=has_valid_id_document, mobile_is_theirs=mobile_is_theirs, now=now))

    def consent(self, *, person_id: str, enrollment_id: str, id_data_and_terms: bool,
                privacy_policy: bool) -> EnrollmentView:
        """Both boxes of « Étape de vérification de votre identité », recorded with the
        versions of the texts configured now."""
        now = self.clock.now()
        with self.uow() as tx:
            return self._step(tx, self._mine(tx, person_id, enrollment_id), lambda e: e.consent(
                id_data_and_terms=id_data_and_terms, privacy_policy=privacy_policy,
                terms_version=self.settings.terms_version, privacy_version=self.settings.privacy_version, now=now))

    # 6. identity check ------------------------------------------------------------------

    def start_identity_check(self, *, person_id: str, enrollment_id: str) -> IdentityCheckStarted:
        """Open a provider session (a retry after a rejection, or a restart of an unfinished
        capture, replaces the previous one) and a fresh QR link."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "begin_identity_check", now)
            previous = enrollment.current_session_ref
            if previous is not None and enrollment.state is QcpState.IDENTITY_CHECK_IN_PROGRESS:
                self._cancel_session(previous)
            session = self.verifier.start_session(_subject(enrollment), mode=CheckMode.DOCUMENT_AND_FACE)
            enrollment.begin_identity_check(session.session_ref, now)
            enrollment.seen(now)
            qr_url, link = self._new_capture_link(tx, enrollment, session.session_ref, session.phone_url,
                                                  session.browser_url, now)
            tx.commit()
            return IdentityCheckStarted(enrollment=EnrollmentView.of(enrollment), session_ref=session.session_ref,
                                        qr_url=qr_url, qr_expires_at=link.expires_at, browser_url=session.browser_url)

    def renew_capture_link(self, *, person_id: str, enrollment_id: str) -> IdentityCheckStarted:
        """A new QR link for the same session (the previous one expired on screen)."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "identity_check_submitted", now)
            ref = enrollment.current_session_ref
            assert ref is not None
            previous = tx.capture_links.latest_for_session(ref)
            if previous is None:
                raise CaptureLinkUnusable("no capture link was issued for this session")
            browser_url = previous.browser_url
            qr_url, link = self._new_capture_link(tx, enrollment, ref, previous.phone_url, browser_url, now)
            tx.commit()
            return IdentityCheckStarted(enrollment=EnrollmentView.of(enrollment), session_ref=ref, qr_url=qr_url,
                                        qr_expires_at=link.expires_at, browser_url=browser_url)

    def open_capture_link(self, *, token: str) -> str:
        """The phone opened the QR link: consume it and return the capture URL to redirect
        to. Raise CaptureLinkUnusable when unknown, expired or already used."""
        now = self.clock.now()
        with self.uow() as tx:
            link = tx.capture_links.by_token_hash(hash_token(token))
            if link is None:
                raise CaptureLinkUnusable("unknown link")
            enrollment = tx.qcp_enrollments.get(link.enrollment_id)
            if (enrollment.current_session_ref != link.session_ref
                    or enrollment.state is not QcpState.IDENTITY_CHECK_IN_PROGRESS):
                raise CaptureLinkUnusable("this capture is no longer open")
            url = link.use(now)
            tx.commit()
            return url

    def identity_capture_finished(self, *, session_ref: str) -> None:
        """The capture pages' last step (« Merci ! … »): the provider is deciding. The result
        may already be there (a provider without delay): it is recorded at once."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = tx.qcp_enrollments.by_session_ref(session_ref)
            if enrollment is None or enrollment.current_session_ref != session_ref:
                raise IdentitySessionNotFound("no enrollment awaits this session")
            if enrollment.state is QcpState.IDENTITY_CHECK_IN_PROGRESS:
                enrollment.identity_check_submitted(now)
            self._collect_result(tx, enrollment, now)
            tx.commit()

    def identity_decided(self, *, session_ref: str) -> bool:
        """A decision was made on our side (the registration officer's review of the manual
        provider): record it now rather than at the next poll. True when recorded."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = tx.qcp_enrollments.by_session_ref(session_ref)
            if enrollment is None:
                raise IdentitySessionNotFound("no enrollment has this session")
            if enrollment.current_session_ref != session_ref or enrollment.state not in AWAITING_RESULT:
                return False
            recorded = self._collect_result(tx, enrollment, now)
            tx.commit()
            return bool(recorded)

    def identity_check_status(self, *, person_id: str, enrollment_id: str) -> EnrollmentView:
        """What « Vérification en cours » polls (or its server-sent events loop): asks the
        provider, records a decision, returns where the person goes next."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            enrollment.seen(now)
            if enrollment.is_due_to_expire(now):
                enrollment.expire(now)
            elif enrollment.state in AWAITING_RESULT:
                try:
                    self._collect_result(tx, enrollment, now)
                except IdentityProviderUnavailable:
                    pass  # still « Vérification en cours »: the page asks again
            tx.commit()
            return EnrollmentView.of(enrollment)

    def receive_identity_callback(self, *, payload: bytes, headers: Mapping[str, str]) -> bool:
        """The provider's callback endpoint. Returns True when a decision was recorded."""
        now = self.clock.now()
        result = self.verifier.handle_callback(payload, headers)
        if result is None:
            return False
        with self.uow() as tx:
            enrollment = tx.qcp_enrollments.by_session_ref(result.session_ref)
            if enrollment is None:
                raise IdentitySessionNotFound("no enrollment has this session")
            changed = self._record(tx, enrollment, result, now)
            tx.commit()
            return changed

    def poll_identity_results(self) -> int:
        """Worker: ask the provider about every check still awaiting a result (the person
        may have left); returns how many decisions were recorded. The provider is asked
        outside any transaction, and one unreachable session does not stop the others."""
        now = self.clock.now()
        with self.uow() as tx:
            waiting = [(e.id, e.current_session_ref) for e in tx.qcp_enrollments.in_states(AWAITING_RESULT)
                       if not e.is_due_to_expire(now) and e.current_session_ref]
        recorded = 0
        for enrollment_id, session_ref in waiting:
            try:
                status = self.verifier.status(session_ref)
                result = self.verifier.result(session_ref) if status.decided else None
            except (IdentityProviderUnavailable, IdentitySessionNotFound):
                continue
            with self.uow() as tx:
                enrollment = tx.qcp_enrollments.get(enrollment_id)
                if enrollment.current_session_ref != session_ref or enrollment.state not in AWAITING_RESULT:
                    continue  # moved on meanwhile (cancelled, restarted, recorded by a callback)
                if status is IdentityCheckStatus.SUBMITTED and enrollment.state is QcpState.IDENTITY_CHECK_IN_PROGRESS:
                    enrollment.identity_check_submitted(now)
                if result is not None:
                    recorded += int(self._record(tx, enrollment, result, now))
                tx.commit()
        return recorded

    def purge_identity_images(self) -> int:
        """Worker: images whose retention is over are deleted by the provider."""
        return self.verifier.purge_images()

    # 8. validate the extracted identity -------------------------------------------------

    def validate_identity(self, *, person_id: str, enrollment_id: str, confirmed: bool = True) -> EnrollmentView:
        """The person validates the given names, surname and birth date read on the document.
        A mismatch with the LCP identity (or ``confirmed`` False) sends it to manual review."""
        now = self.clock.now()
        with self.uow() as tx:
            return self._step(tx, self._mine(tx, person_id, enrollment_id),
                              lambda e: e.validate_identity(confirmed=confirmed, now=now))

    # 9. « Demande de certificat » -------------------------------------------------------

    def request_document(self, *, person_id: str, enrollment_id: str) -> RequestDocument:
        """The request PDF to show page by page (accepted one once accepted)."""
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            if enrollment.request_ref is not None:
                pdf = self.documents.read(enrollment.request_ref)
                return RequestDocument(pdf=pdf, digest=_sha256(pdf))
            if enrollment.state is not QcpState.IDENTITY_VALIDATED:
                enrollment.ensure_allowed("accept_request", self.clock.now())
            pdf = self.request_renderer.render(self._request_data(enrollment))
            return RequestDocument(pdf=pdf, digest=_sha256(pdf))

    def accept_request(self, *, person_id: str, enrollment_id: str, document_digest: str) -> EnrollmentView:
        """« J'ai lu et j'accepte le document. » ``document_digest`` is the one shown; it
        must still be what the data renders to."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "accept_request", now)
            pdf = self.request_renderer.render(self._request_data(enrollment))
            if _sha256(pdf) != document_digest:
                raise RequestDocumentChanged("the request changed since it was shown; read it again")
            ref = self.documents.put(pdf).sha256
            return self._step(tx, enrollment, lambda e: e.accept_request(document_digest=document_digest,
                                                                         document_ref=ref, now=now))

    # 10. SMS code → « Signer » ----------------------------------------------------------

    def send_signing_code(self, *, person_id: str, enrollment_id: str) -> QcpCodeSent:
        """The SMS code, bound to the accepted request's digest (« Code non reçu ? Renvoyer »
        calls this again)."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "sign_request", now)
            challenge = send_code(work=tx, generator=self.code_generator, hasher=self.code_hasher, ids=self.ids,
                                  clock=self.clock, record=self._sink(enrollment), person_id=person_id,
                                  purpose=_signing_purpose(enrollment), destination=enrollment.mobile,
                                  payload_digest=bind_payload([enrollment.request_digest or ""]),
                                  about_enrollment=enrollment.id)
            return QcpCodeSent(enrollment=EnrollmentView.of(enrollment), channel="sms",
                               destination=enrollment.mobile.masked(), expires_at=challenge.expires_at)

    def record_delivery_failure(self, *, enrollment_id: str, channel: str, permanent: bool) -> None:
        """The SMS code could not be delivered (``permanent``: the provider refused it; otherwise
        every retry failed): kept in the history, so that the signing page tells the person
        (``EnrollmentView.sms_undelivered``) until a new code is sent."""
        with self.uow() as tx:
            try:
                enrollment = tx.qcp_enrollments.get(enrollment_id)
            except NotFound:
                return  # gone meanwhile: no one to tell
            enrollment.note_undelivered(self.clock.now(), channel=channel, permanent=permanent)
            tx.commit()

    def sign_request(self, *, person_id: str, enrollment_id: str, code: str) -> EnrollmentView:
        """Check the SMS code, sign the accepted request at PAdES B-LT with the person's LCP
        key, keep it, then hand it to the registration officer (issuing at once when the
        validation is automatic)."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            self._guard(tx, enrollment, "sign_request", now)
            assert enrollment.request_ref is not None and enrollment.request_digest is not None
            lcp = _active_lcp(tx, person_id, enrollment.cabinet_id, now)
            if lcp is None or lcp.certificate_serial != enrollment.lcp.certificate_serial:
                raise NoActiveLcpCertificate("the LCP certificate the request is signed with is no longer active")
            # The store names a document by its SHA-256 and the signing path checks the bytes
            # against it, so the accepted digest is the reference: nothing is read into memory here.
            if enrollment.request_ref != enrollment.request_digest:
                raise RequestDocumentChanged("the stored request is not the one accepted")
            check_code(work=tx, hasher=self.code_hasher, clock=self.clock, record=self._sink(enrollment),
                       person_id=person_id, purpose=_signing_purpose(enrollment), code=code,
                       payload_digest=bind_payload([enrollment.request_digest]))
            signed = self.pdf_signing.sign_document(self.documents, enrollment.request_ref,
                                                    self._lcp_signature(enrollment))
            enrollment.sign_request(document_digest=enrollment.request_digest, signed_ref=signed.sha256,
                                    signed_digest=signed.sha256, now=now)
            enrollment.await_officer(now)
            with self._undo_issuance_on_failure(now) as issued:
                if self.settings.officer_validation is OfficerValidation.AUTOMATIC:
                    enrollment.officer_validate(officer_id=AUTOMATIC_OFFICER, now=now)
                    self._issue(tx, enrollment, now, issued)
                tx.commit()
            return EnrollmentView.of(enrollment)

    def signed_request(self, *, person_id: str, enrollment_id: str) -> bytes:
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            if enrollment.signed_request_ref is None:
                raise NotFound("the request is not signed yet")
            return self.documents.read(enrollment.signed_request_ref)

    # 11. registration officer -------------------------------------------------------------

    def officer_queue(self) -> list[EnrollmentView]:
        """Signed requests awaiting a registration officer, and manual reviews, oldest first.
        (The caller checks the officer role.)"""
        with self.uow() as tx:
            return [EnrollmentView.of(e) for e in tx.qcp_enrollments.in_states(
                frozenset({QcpState.PENDING_OFFICER_VALIDATION, QcpState.MANUAL_REVIEW}))]

    def officer_file(self, *, enrollment_id: str) -> OfficerFile:
        """One enrollment awaiting the officer, with its evidence. A read: nothing is recorded.
        (The caller checks the officer role.) Raises NotFound for any other enrollment."""
        with self.uow() as tx:
            enrollment = self._awaiting_officer(tx, enrollment_id)
        attempt = enrollment.current_attempt
        result = attempt.result if attempt else None
        digests = tuple((d.step, d.sha256) for d in result.image_digests) if result else ()
        retained = tuple(step for step, _ in digests if self._retained(result.session_ref, step)) if result else ()
        consent = enrollment.consent_of(ConsentKind.ID_DATA_AND_TERMS)
        lcp = enrollment.lcp
        return OfficerFile(
            enrollment=EnrollmentView.of(enrollment), lcp_serial=lcp.certificate_serial, lcp_name=lcp.name.full,
            lcp_email=str(lcp.email), lcp_mobile_national=lcp.mobile.national(), lcp_birth_date=lcp.birth_date,
            siren=lcp.siren, provider_decision=result.decision.value if result else None,
            provider_decided_at=result.decided_at if result else None,
            provider_reference=result.evidence_ref if result else None,
            provider_reason=result.reason if result else None,
            extracted=enrollment.validated_identity or (result.extracted if result else None),
            image_steps=tuple(step for step, _ in digests), image_digests=digests, retained_steps=retained,
            created_at=enrollment.created_at, consented_at=consent.given_at if consent else None,
            identity_submitted_at=attempt.submitted_at if attempt else None,
            identity_validated_at=enrollment.identity_validated_at,
            request_accepted_at=enrollment.request_accepted_at, request_signed_at=enrollment.request_signed_at,
            signed_request_digest=enrollment.signed_request_digest,
            has_signed_request=enrollment.signed_request_ref is not None)

    def officer_signed_request(self, *, enrollment_id: str) -> bytes:
        """The signed « Demande de certificat » of an enrollment awaiting the officer."""
        with self.uow() as tx:
            enrollment = self._awaiting_officer(tx, enrollment_id)
            if enrollment.signed_request_ref is None:
                raise NotFound("the request is not signed yet")
            return self.documents.read(enrollment.signed_request_ref)

    def officer_identity_image(self, *, enrollment_id: str, step: CaptureStep) -> tuple[str, bytes]:
        """A captured image of an enrollment awaiting the officer, while the provider retains it."""
        with self.uow() as tx:
            enrollment = self._awaiting_officer(tx, enrollment_id)
        result = enrollment.last_result
        image = self._retained(result.session_ref, step) if result else None
        if image is None:
            raise NotFound("this image is not kept (any more)")
        return image

    def _retained(self, session_ref: str, step: CaptureStep) -> tuple[str, bytes] | None:
        if not isinstance(self.verifier, RetainedImages):
            return None
        try:
            return self.verifier.retained_image(session_ref, step)
        except IdentityProviderUnavailable:
            return None

    def _awaiting_officer(self, tx: UnitOfWork, enrollment_id: str) -> QcpEnrollment:
        try:
            enrollment = tx.qcp_enrollments.get(enrollment_id)
        except NotFound:
            raise NotFound("no such enrollment awaits an officer") from None
        if enrollment.state not in OFFICER_STATES:
            raise NotFound("no such enrollment awaits an officer")
        return enrollment

    def officer_validate(self, *, officer_id: str, enrollment_id: str, approved: bool = True,
                         reason: str | None = None) -> EnrollmentView:
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = tx.qcp_enrollments.get(enrollment_id)
            with self._undo_issuance_on_failure(now) as issued:

                def validate(e: QcpEnrollment) -> None:
                    e.officer_validate(officer_id=officer_id, approved=approved, reason=reason, now=now)
                    if approved:
                        self._issue(tx, e, now, issued)

                return self._step(tx, enrollment, validate)

    def identity_reviewed_by_officer(self) -> bool:
        """Whether a registration officer (not an automatic provider) decides identity checks:
        the waiting pages then say so instead of promising a few minutes."""
        return isinstance(self.verifier, ManualReview)

    def pending_identity_reviews(self) -> list[PendingReview]:
        """The manual provider's captures awaiting an officer (empty with another provider)."""
        return self.verifier.pending_reviews() if isinstance(self.verifier, ManualReview) else []

    def identity_review_file(self, *, session_ref: str) -> ReviewFile:
        return self._manual().review(session_ref)

    def review_identity(self, *, officer_id: str, session_ref: str, approved: bool, given_names: str = "",
                        surname: str = "", birth_date: date | None = None, document_type: str = "",
                        document_number: str = "", document_expiry: date | None = None,
                        reason: str | None = None) -> bool:
        """The officer's decision on captured images (manual provider): approve with what the
        document says, or reject with a reason; recorded on the enrollment at once."""
        extracted = None
        if approved:
            if birth_date is None:
                raise InvalidValue("birth_date", "the birth date read on the document is required")
            extracted = ExtractedIdentity(name=PersonName(given_names, surname), birth_date=birth_date,
                                          document_type=_document_type(document_type),
                                          document_number=document_number.strip().upper(),
                                          document_expiry=document_expiry)
        self._manual().decide(session_ref, approved=approved, officer_id=officer_id, extracted=extracted,
                              reason=reason)
        try:
            return self.identity_decided(session_ref=session_ref)
        except IdentitySessionNotFound:
            return False  # another flow's check (the LCP registration's): it reads the decision itself

    def _manual(self) -> ManualReview:
        if not isinstance(self.verifier, ManualReview):
            raise IdentityProviderUnknown("the configured identity provider has no manual review")
        return self.verifier

    def resolve_manual_review(self, *, officer_id: str, enrollment_id: str, approved: bool,
                              reason: str | None = None) -> EnrollmentView:
        """The officer compared the document with the LCP identity: validated (the flow goes
        on to the request) or rejected (final); the person is emailed either way."""
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = tx.qcp_enrollments.get(enrollment_id)
            view = self._step(tx, enrollment, lambda e: e.resolve_review(officer_id=officer_id, approved=approved,
                                                                         reason=reason, now=now))
            tx.jobs.enqueue(JobSpec.notify(_result_email(enrollment, approved=approved, reason=reason)))
            tx.commit()
            return view

    # cancel / expire ----------------------------------------------------------------------

    def cancel(self, *, person_id: str, enrollment_id: str) -> EnrollmentView:
        now = self.clock.now()
        with self.uow() as tx:
            enrollment = self._mine(tx, person_id, enrollment_id)
            if enrollment.state is QcpState.IDENTITY_CHECK_IN_PROGRESS and enrollment.current_session_ref:
                self._cancel_session(enrollment.current_session_ref)
            enrollment.cancel(now)
            tx.commit()
            return EnrollmentView.of(enrollment)

    def expire_enrollments(self) -> int:
        """Worker: close the enrollments past their deadline."""
        now = self.clock.now()
        count = 0
        with self.uow() as tx:
            for enrollment in tx.qcp_enrollments.in_states(OPEN_STATES):
                if enrollment.is_due_to_expire(now):
                    if enrollment.state is QcpState.IDENTITY_CHECK_IN_PROGRESS and enrollment.current_session_ref:
                        self._cancel_session(enrollment.current_session_ref)
                    enrollment.expire(now)
                    count += 1
            tx.commit()
        return count

    # Internals ----------------------------------------------------------------------------

    def _mine(self, tx: UnitOfWork, person_id: str, enrollment_id: str) -> QcpEnrollment:
        enrollment = tx.qcp_enrollments.get(enrollment_id)
        if enrollment.person_id != person_id:
            raise NotFound("enrollment not found")
        return enrollment

    def _guard(self, tx: UnitOfWork, enrollment: QcpEnrollment, action: str, now: datetime) -> None:
        """Refuse early what the transition would refuse; an expired enrollment is closed
        (and stored) on the way."""
        try:
            enrollment.ensure_allowed(action, now)
        except QcpEnrollmentExpired:
            enrollment.expire(now)
            tx.commit()
            raise

    def _step(self, tx: UnitOfWork, enrollment: QcpEnrollment, change: Callable[[QcpEnrollment], object]) -> EnrollmentView:
        now = self.clock.now()
        try:
            change(enrollment)
        except QcpEnrollmentExpired:
            enrollment.expire(now)
            tx.commit()
            raise
        enrollment.seen(now)
        tx.commit()
        return EnrollmentView.of(enrollment)

    def _sink(self, enrollment: QcpEnrollment) -> Callable[[CodeEvent], None]:
        """One-time code steps go into the enrollment's history (its audit trail)."""

        def record(event: CodeEvent) -> None:
            enrollment.history.append(EnrollmentEvent(at=event.at, action=event.kind.value,
                                                      from_state=enrollment.state, to_state=enrollment.state,
                                                      detail=event.detail))
        return record

    def _new_capture_link(self, tx: UnitOfWork, enrollment: QcpEnrollment, session_ref: str, phone_url: str,
                          browser_url: str, now: datetime) -> tuple[str, CaptureLink]:
        token = self.ids.new_token()
        link = CaptureLink.issue(token_hash=hash_token(token), enrollment_id=enrollment.id, session_ref=session_ref,
                                 phone_url=phone_url, browser_url=browser_url, now=now,
                                 validity=self.settings.capture_link_validity)
        tx.capture_links.add(link)
        return f"{self.settings.public_url.rstrip('/')}/qcp/capture/{token}", link

    def _cancel_session(self, session_ref: str) -> None:
        cancel_quietly(self.verifier, session_ref)

    def _collect_result(self, tx: UnitOfWork, enrollment: QcpEnrollment, now: datetime) -> int:
        ref = enrollment.current_session_ref
        if ref is None:
            return 0
        status = self.verifier.status(ref)
        if status is IdentityCheckStatus.SUBMITTED and enrollment.state is QcpState.IDENTITY_CHECK_IN_PROGRESS:
            enrollment.identity_check_submitted(now)
        result = self.verifier.result(ref) if status.decided else None
        if result is None:
            return 0
        return int(self._record(tx, enrollment, result, now))

    def _record(self, tx: UnitOfWork, enrollment: QcpEnrollment, result: IdentityCheckResult, now: datetime) -> bool:
        if enrollment.has_result_for(result.session_ref):
            return False  # the other path (callback or poll) was first
        if enrollment.is_due_to_expire(now):
            enrollment.expire(now)
            return False
        enrollment.record_identity_result(result, now)
        if self.settings.image_retention <= timedelta(0):
            self.verifier.delete_images(result.session_ref)
        absent = enrollment.last_seen_at is None or now - enrollment.last_seen_at > self.settings.presence_window
        if absent:
            tx.jobs.enqueue(JobSpec.notify(_result_email(enrollment, approved=result.approved, reason=result.reason)))
        return True

    def _request_data(self, enrollment: QcpEnrollment) -> CertificateRequestData:
        identity = enrollment.validated_identity
        result = enrollment.last_result
        consent = enrollment.consent_of(ConsentKind.ID_DATA_AND_TERMS)
        privacy = enrollment.consent_of(ConsentKind.PRIVACY_POLICY)
        assert identity is not None and result is not None and consent is not None and privacy is not None
        assert enrollment.identity_validated_at is not None
        return CertificateRequestData(
            enrollment_id=enrollment.id, holder_name=enrollment.name, birth_date=identity.birth_date,
            email=enrollment.email, mobile=enrollment.mobile, cabinet_name=enrollment.lcp.cabinet_name,
            siren=enrollment.lcp.siren, policy_name="QCP-n (ETSI EN 319 411-2)",
            policy_oid=CertificatePolicy.QCP_N.oid, terms_version=consent.text_version,
            privacy_version=privacy.text_version, consented_at=consent.given_at,
            document_type=identity.document_type.value, document_number=identity.document_number,
            identity_evidence_ref=result.evidence_ref, identity_validated_at=enrollment.identity_validated_at,
            validity_years=self.settings.validity_years)

    def _lcp_signature(self, enrollment: QcpEnrollment) -> SignatureRequest:
        lcp = enrollment.lcp
        key = self.vault.get(lcp.key_id)
        certificate = self.ca.certificate(lcp.certificate_serial)
        chain = self.ca.chain(lcp.certificate_serial)[1:]
        return SignatureRequest(identity=SigningIdentity(key_ref=key, certificate=certificate.der, chain=chain),
                                level=PadesLevel.B_LT, field_name="Demandeur", name=enrollment.name.full,
                                reason="Demande de certificat qualifié (QCP)")

    @contextlib.contextmanager
    def _undo_issuance_on_failure(self, now: datetime) -> Iterator[list[tuple[KeyRef, str]]]:
        """If what follows an issuance fails (storing it, committing), the certificate is
        revoked and its key destroyed: nobody holds a certificate the platform forgot."""
        issued: list[tuple[KeyRef, str]] = []
        try:
            yield issued
        except BaseException:
            for key, serial in issued:
                with contextlib.suppress(Exception):
                    self.ca.revoke(serial, RevocationReason.CESSATION_OF_OPERATION, now)
                with contextlib.suppress(Exception):
                    self.vault.delete(key)
            raise

    def _issue(self, tx: UnitOfWork, enrollment: QcpEnrollment, now: datetime, issued: list[tuple[KeyRef, str]]) -> None:
        """A new key in the vault, certified QCP-n by the CA, recorded for the person."""
        key = self.vault.generate(self.settings.key_type)
        subject = CertificateSubject(name=enrollment.name, email=enrollment.email, person_id=enrollment.person_id,
                                     organization=enrollment.lcp.cabinet_name, siren=enrollment.lcp.siren)
        try:
            certificate = self.ca.issue(subject, key.public_key_der, CertificatePolicy.QCP_N,
                                        validity=self.settings.certificate_validity)
        except BaseException:
            self.vault.delete(key)
            raise
        issued.append((key, certificate.serial))
        record = Certificate.record(id=self.ids.new_id(), person_id=enrollment.person_id,
                                    cabinet_id=enrollment.cabinet_id, issued=certificate, key_id=key.id, now=now)
        tx.certificates.add(record)
        enrollment.issue(record.id, now)
        tx.jobs.enqueue(event_job(WebhookEvent.CERTIFICATE_ISSUED, cabinet_id=enrollment.cabinet_id, occurred_at=now,
                                  certificate_id=record.id, person_id=enrollment.person_id, policy="QCP-n",
                                  serial=certificate.serial))
        tx.jobs.enqueue(JobSpec.notify(Notification.email(
            enrollment.email, TEMPLATE_CERTIFICATE_ISSUED, "fr",
            holder=f"{enrollment.name.given_names} {enrollment.name.surname}".upper(),
            name=enrollment.name.given_names, validity_years=str(self.settings.validity_years),
            serial=certificate.serial, not_after=certificate.not_after.isoformat(),
            cabinet=enrollment.lcp.cabinet_name)))


def _active_lcp(tx: UnitOfWork, person_id: str, cabinet_id: str, now: datetime) -> LcpHolding | None:
    """The person's active LCP in the cabinet, with the data its registration verified
    (email and mobile by code, identity confirmed). None without both."""
    certificate = tx.certificates.active_for(person_id, cabinet_id, CertificatePolicy.LCP, now=now)
    if certificate is None:
        return None
    registration = tx.lcp_registrations.latest_for(person_id, cabinet_id)
    if registration is None or registration.certificate_id != certificate.id:
        return None
    cabinet = tx.cabinets.get(cabinet_id)
    return LcpHolding(certificate_serial=certificate.serial, key_id=certificate.key_id, person_id=person_id,
                      cabinet_id=cabinet_id, cabinet_name=cabinet.name, siren=str(cabinet.siren),
                      name=registration.name, email=registration.email, mobile=registration.mobile)


def _document_type(value: str) -> DocumentType:
    try:
        return DocumentType(value)
    except ValueError:
        raise InvalidValue("document_type", "a document is an id_card, a passport or a residence_permit") from None


def _subject(enrollment: QcpEnrollment) -> IdentitySubject:
    return IdentitySubject(reference=enrollment.person_id, name=enrollment.name, email=enrollment.email,
                           birth_date=enrollment.lcp.birth_date)


def _email_purpose(enrollment: QcpEnrollment) -> str:
    return CodePurpose.QCP_ENROLLMENT_EMAIL.scoped(enrollment.id)


def _signing_purpose(enrollment: QcpEnrollment) -> str:
    return CodePurpose.QCP_REQUEST_SIGNING.scoped(enrollment.id)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _result_email(enrollment: QcpEnrollment, *, approved: bool, reason: str | None) -> Notification:
    return Notification.email(enrollment.email, TEMPLATE_IDENTITY_RESULT, "fr", name=enrollment.name.given_names,
                              approved="yes" if approved else "no", reason=reason or "",
                              attempts_left=str(enrollment.attempts_left), enrollment_id=enrollment.id,
                              cabinet=enrollment.lcp.cabinet_name)
