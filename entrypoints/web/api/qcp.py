"""The QCP enrollment (guide, part 1) as JSON: one operation per step of the pages, the
identity capture for providers without capture pages of their own, and the registration
officer's back-office.

Every enrollment operation answers the enrollment as it now stands; its ``next_step`` says
what comes next, exactly as the pages route.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from domain.model.errors import IdentityCaptureRefused, NotFound
from domain.model.identity import CaptureStep
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import IDEMPOTENT
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.pages.capture import capture_finished
from entrypoints.web.problems import problem_responses
from entrypoints.web.upload_limit import RAW_BODY, SPOOLED_BODY, UPLOAD
from ports.identity import MAX_CAPTURE_IMAGE_BYTES, CaptureHost

# One photo is the whole body: a bigger one is refused (413) as it arrives, by the upload
# middleware, which spools the body to disk (never whole in memory).
MAX_IMAGE_BYTES = MAX_CAPTURE_IMAGE_BYTES

# Wire shapes -------------------------------------------------------------------------------


@dataclass
class StartQcpInput:
    cabinet_id: str


@dataclass
class QcpCodeInput:
    """The 6-digit code received (by email for « Accès protégé », by SMS for « Signer »)."""

    code: str


@dataclass
class PrerequisitesInput:
    """« Commencer »: both boxes must be ticked."""

    has_valid_id_document: bool
    mobile_is_theirs: bool


@dataclass
class ConsentsInput:
    """The identity-data-and-terms consent and the privacy-policy consent."""

    id_data_and_terms: bool
    privacy_policy: bool


@dataclass
class IdentityValidationInput:
    """``confirmed`` false: the person disputes what was read (sent to manual review)."""

    confirmed: bool


@dataclass
class RequestAcceptanceInput:
    """« J'ai lu et j'accepte le document. »: the digest of the document read."""

    document_digest: str


@dataclass
class IdentityReviewInput:
    """The officer's decision on captured images; dates as ``YYYY-MM-DD``."""

    approved: bool
    given_names: str = ""
    surname: str = ""
    birth_date: str = ""
    document_type: str = "id_card"
    document_number: str = ""
    document_expiry: str = ""
    reason: str = ""


@dataclass
class OfficerDecisionInput:
    approved: bool
    reason: str = ""


@dataclass
class ExtractedIdentityOut:
    given_names: str
    surname: str
    birth_date: date
    document_type: str


@dataclass
class EvidenceImageOut:
    step: str
    sha256: str
    retained: bool  # still kept by the provider: GET …/images/{step}


@dataclass
class DocumentReadOut:
    given_names: str
    surname: str
    birth_date: date
    document_type: str
    document_number: str
    document_expiry: date | None = None


@dataclass
class OfficerFileOut:
    """What the registration officer decides on: the enrollment, the LCP identity it was matched
    to, the identity evidence and the dates (the signed request: GET …/signed-request)."""

    enrollment: QcpEnrollmentOut
    lcp_certificate_serial: str
    lcp_name: str
    lcp_email: str
    lcp_mobile: str
    lcp_birth_date: date | None
    siren: str
    provider_decision: str | None
    provider_decided_at: datetime | None
    provider_reference: str | None
    provider_reason: str | None
    document_read: DocumentReadOut | None
    images: list[EvidenceImageOut]
    created_at: datetime
    consented_at: datetime | None
    identity_submitted_at: datetime | None
    identity_validated_at: datetime | None
    request_accepted_at: datetime | None
    request_signed_at: datetime | None
    signed_request_digest: str | None
    has_signed_request: bool

    @classmethod
    def of(cls, file: Any) -> OfficerFileOut:
        read = file.extracted
        return cls(
            enrollment=QcpEnrollmentOut.of(file.enrollment), lcp_certificate_serial=file.lcp_serial,
            lcp_name=file.lcp_name, lcp_email=file.lcp_email, lcp_mobile=file.lcp_mobile_national,
            lcp_birth_date=file.lcp_birth_date, siren=file.siren, provider_decision=file.provider_decision,
            provider_decided_at=file.provider_decided_at, provider_reference=file.provider_reference,
            provider_reason=file.provider_reason,
            document_read=DocumentReadOut(read.name.given_names, read.name.surname, read.birth_date,
                                          read.document_type.value, read.document_number,
                                          read.document_expiry) if read else None,
            images=[EvidenceImageOut(step.value, digest, step in file.retained_steps)
                    for step, digest in file.image_digests],
            created_at=file.created_at, consented_at=file.consented_at,
            identity_submitted_at=file.identity_submitted_at, identity_validated_at=file.identity_validated_at,
            request_accepted_at=file.request_accepted_at, request_signed_at=file.request_signed_at,
            signed_request_digest=file.signed_request_digest, has_signed_request=file.has_signed_request)


@dataclass
class QcpEnrollmentOut:
    id: str
    state: str
    next_step: str
    cabinet_id: str
    cabinet_name: str
    given_names: str
    surname: str
    email: str
    mobile: str
    attempts_left: int
    expires_at: datetime
    rejection_reason: str | None = None
    review_reason: str | None = None
    extracted: ExtractedIdentityOut | None = None
    request_digest: str | None = None
    certificate_id: str | None = None

    @classmethod
    def of(cls, view: Any) -> QcpEnrollmentOut:
        extracted = view.extracted
        return cls(id=view.id, state=view.state.value, next_step=view.next_step.value, cabinet_id=view.cabinet_id,
                   cabinet_name=view.cabinet_name, given_names=view.given_names, surname=view.surname,
                   email=view.email, mobile=view.mobile, attempts_left=view.attempts_left,
                   expires_at=view.expires_at, rejection_reason=view.rejection_reason,
                   review_reason=view.review_reason,
                   extracted=ExtractedIdentityOut(extracted.given_names, extracted.surname, extracted.birth_date,
                                                  extracted.document_type) if extracted else None,
                   request_digest=view.request_digest, certificate_id=view.certificate_id)


@dataclass
class QcpCodeSentOut:
    channel: str
    destination: str
    expires_at: datetime


@dataclass
class IdentityCheckOut:
    """``qr_url``: the single-use link to show as a QR code (until ``qr_expires_at``);
    ``browser_url``: the capture in this browser."""

    enrollment: QcpEnrollmentOut
    session_ref: str
    qr_url: str
    qr_expires_at: datetime
    browser_url: str


@dataclass
class RequestDocumentOut:
    digest: str
    pdf_url: str


@dataclass
class CaptureProgressOut:
    session_ref: str
    status: str
    done: list[str]
    remaining: list[str]


@dataclass
class DecisionOut:
    recorded: bool


@dataclass
class PendingReviewOut:
    session_ref: str
    given_names: str
    surname: str
    submitted_at: datetime


@dataclass
class ReviewImageOut:
    step: str
    content_type: str
    data_base64: str


@dataclass
class ReviewFileOut:
    session_ref: str
    given_names: str
    surname: str
    email: str
    birth_date: date | None
    images: list[ReviewImageOut] = field(default_factory=list)


def _progress(progress: Any) -> CaptureProgressOut:
    return CaptureProgressOut(session_ref=progress.session_ref, status=progress.status.value,
                              done=[s.value for s in progress.done], remaining=[s.value for s in progress.remaining])


def _day(value: str, name: str) -> date | None:
    from domain.model.errors import InvalidValue

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(name, "a date is YYYY-MM-DD") from None


# The person's enrollment ----------------------------------------------------------------------


class QcpEnrollmentsController(Controller):
    opt = {IDEMPOTENT: True}  # codes sent, steps taken: a retry with Idempotency-Key is answered once
    path = "/qcp-enrollments"
    tags = ["Certificat qualifié"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}

    @post(operation_id="startQcpEnrollment", summary="Souscrire à un certificat qualifié",
          status_code=HTTP_201_CREATED, dto=CattrsDTO[StartQcpInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def start(self, person_id: NamedDependency[str], data: JSONBody[StartQcpInput],
              use_cases: NamedDependency[UseCases]) -> Response[QcpEnrollmentOut]:
        """Open an enrollment for a cabinet where the caller holds an active LCP certificate.

        One already in progress answers 409 ``qcp.already_open`` with its ``enrollment_id``.
        """
        view = use_cases.qcp().start(person_id=person_id, cabinet_id=data.cabinet_id)
        return Response(QcpEnrollmentOut.of(view), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/qcp-enrollments/{view.id}"})

    @get("/current", operation_id="getCurrentQcpEnrollment", summary="Ma demande en cours",
         sync_to_thread=True, responses=problem_responses(401, 404))
    def current(self, person_id: NamedDependency[str], cabinet_id: FromQuery[str],
                use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """The enrollment in progress for the cabinet, to resume it (404 when there is none)."""
        view = use_cases.qcp().current(person_id=person_id, cabinet_id=cabinet_id)
        if view is None:
            raise NotFound("no enrollment in progress")
        return QcpEnrollmentOut.of(view)

    @get("/{enrollment_id:str}", operation_id="getQcpEnrollment", summary="Où en est ma demande",
         sync_to_thread=True, responses=problem_responses(401, 404))
    def read(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
             use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """The enrollment and its ``next_step``."""
        return QcpEnrollmentOut.of(use_cases.qcp().view(person_id=person_id, enrollment_id=enrollment_id))

    @post("/{enrollment_id:str}/email-code", operation_id="sendQcpEmailCode", summary="Envoyer le code",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 410, 429))
    def send_email_code(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                        use_cases: NamedDependency[UseCases]) -> QcpCodeSentOut:
        """« Accès protégé »: a one-time code by email (resending is throttled)."""
        sent = use_cases.qcp().send_email_code(person_id=person_id, enrollment_id=enrollment_id)
        return QcpCodeSentOut(channel=sent.channel, destination=sent.destination, expires_at=sent.expires_at)

    @post("/{enrollment_id:str}/email-code/check", operation_id="checkQcpEmailCode",
          summary="Vérifier le code reçu par e-mail", status_code=HTTP_200_OK, dto=CattrsDTO[QcpCodeInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 410, 422))
    def check_email_code(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                         data: JSONBody[QcpCodeInput], use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """The code received by email; five wrong tries kill it (ask for a new one)."""
        return QcpEnrollmentOut.of(use_cases.qcp().check_email_code(person_id=person_id, enrollment_id=enrollment_id,
                                                                    code=data.code))

    @post("/{enrollment_id:str}/identity-confirmation", operation_id="confirmQcpIdentity",
          summary="Valider mon identité et mon mobile", status_code=HTTP_200_OK, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410))
    def confirm_identity(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                         use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """The identity and mobile shown (those of the LCP certificate) are right."""
        return QcpEnrollmentOut.of(use_cases.qcp().confirm_identity(person_id=person_id,
                                                                    enrollment_id=enrollment_id))

    @post("/{enrollment_id:str}/prerequisites", operation_id="confirmQcpPrerequisites", summary="Commencer",
          status_code=HTTP_200_OK, dto=CattrsDTO[PrerequisitesInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410, 422))
    def prerequisites(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                      data: JSONBody[PrerequisitesInput], use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """A valid identity document in the person's name, and the mobile is theirs."""
        return QcpEnrollmentOut.of(use_cases.qcp().confirm_prerequisites(
            person_id=person_id, enrollment_id=enrollment_id, has_valid_id_document=data.has_valid_id_document,
            mobile_is_theirs=data.mobile_is_theirs))

    @post("/{enrollment_id:str}/consents", operation_id="giveQcpConsents", summary="Donner mes consentements",
          status_code=HTTP_200_OK, dto=CattrsDTO[ConsentsInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410, 422))
    def consents(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                 data: JSONBody[ConsentsInput], use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Both consents, stored with the version of their texts and the time."""
        return QcpEnrollmentOut.of(use_cases.qcp().consent(person_id=person_id, enrollment_id=enrollment_id,
                                                           id_data_and_terms=data.id_data_and_terms,
                                                           privacy_policy=data.privacy_policy))

    @post("/{enrollment_id:str}/identity-check", operation_id="startQcpIdentityCheck",
          summary="Commencer la vérification d’identité", status_code=HTTP_200_OK, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410, 503))
    def start_identity_check(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                             use_cases: NamedDependency[UseCases]) -> IdentityCheckOut:
        """Open an identity check (first one, retry after a rejection, or restart): the QR link
        for the phone and the browser capture URL."""
        return _check(use_cases.qcp().start_identity_check(person_id=person_id, enrollment_id=enrollment_id))

    @post("/{enrollment_id:str}/identity-check/link", operation_id="renewQcpCaptureLink",
          summary="Nouveau QR code", status_code=HTTP_200_OK, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410))
    def renew_link(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                   use_cases: NamedDependency[UseCases]) -> IdentityCheckOut:
        """A fresh single-use QR link for the capture in progress."""
        return _check(use_cases.qcp().renew_capture_link(person_id=person_id, enrollment_id=enrollment_id))

    @get("/{enrollment_id:str}/identity-check", operation_id="getQcpIdentityCheckStatus",
         summary="Vérification en cours", sync_to_thread=True, responses=problem_responses(401, 404))
    def identity_check_status(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                              use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Poll this while the check runs: the result is recorded as soon as the provider has one."""
        return QcpEnrollmentOut.of(use_cases.qcp().identity_check_status(person_id=person_id,
                                                                         enrollment_id=enrollment_id))

    @post("/{enrollment_id:str}/identity-validation", operation_id="validateQcpIdentity",
          summary="Valider les informations lues", status_code=HTTP_200_OK, dto=CattrsDTO[IdentityValidationInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 410, 422))
    def validate_identity(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                          data: JSONBody[IdentityValidationInput], use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Given names, surname and birth date read on the document: a mismatch with the LCP
        identity, or ``confirmed`` false, sends the request to manual review."""
        return QcpEnrollmentOut.of(use_cases.qcp().validate_identity(person_id=person_id, enrollment_id=enrollment_id,
                                                                     confirmed=data.confirmed))

    @get("/{enrollment_id:str}/request", operation_id="getQcpRequest", summary="Demande de certificat",
         sync_to_thread=True, responses=problem_responses(401, 404, 409, 410))
    def request_document(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                         use_cases: NamedDependency[UseCases]) -> RequestDocumentOut:
        """The digest to accept and where to read the PDF."""
        document = use_cases.qcp().request_document(person_id=person_id, enrollment_id=enrollment_id)
        return RequestDocumentOut(digest=document.digest,
                                  pdf_url=f"/api/v1/qcp-enrollments/{enrollment_id}/request/pdf")

    @get("/{enrollment_id:str}/request/pdf", operation_id="getQcpRequestPdf", summary="Demande de certificat (PDF)",
         sync_to_thread=True, media_type="application/pdf", responses=problem_responses(401, 404, 409, 410))
    def request_pdf(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                    use_cases: NamedDependency[UseCases]) -> Response[bytes]:
        """The request PDF itself."""
        document = use_cases.qcp().request_document(person_id=person_id, enrollment_id=enrollment_id)
        return Response(document.pdf, media_type="application/pdf")

    @post("/{enrollment_id:str}/request/acceptance", operation_id="acceptQcpRequest",
          summary="J’ai lu et j’accepte le document", status_code=HTTP_200_OK, dto=CattrsDTO[RequestAcceptanceInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 410, 422))
    def accept_request(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                       data: JSONBody[RequestAcceptanceInput], use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Accept the document read (its digest); then ask for the SMS code."""
        return QcpEnrollmentOut.of(use_cases.qcp().accept_request(person_id=person_id, enrollment_id=enrollment_id,
                                                                  document_digest=data.document_digest))

    @post("/{enrollment_id:str}/signing-code", operation_id="sendQcpSigningCode", summary="Code non reçu ? Renvoyer",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 410, 429))
    def send_signing_code(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                          use_cases: NamedDependency[UseCases]) -> QcpCodeSentOut:
        """The SMS code bound to the accepted request."""
        sent = use_cases.qcp().send_signing_code(person_id=person_id, enrollment_id=enrollment_id)
        return QcpCodeSentOut(channel=sent.channel, destination=sent.destination, expires_at=sent.expires_at)

    @post("/{enrollment_id:str}/signature", operation_id="signQcpRequest", summary="Signer",
          status_code=HTTP_200_OK, dto=CattrsDTO[QcpCodeInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410, 422, 503))
    def sign(self, enrollment_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[QcpCodeInput],
             use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Sign the request with the SMS code (PAdES B-LT, the LCP key); the registration
        officer then validates, at once when validation is automatic."""
        return QcpEnrollmentOut.of(use_cases.qcp().sign_request(person_id=person_id, enrollment_id=enrollment_id,
                                                                code=data.code))

    @get("/{enrollment_id:str}/signed-request", operation_id="getQcpSignedRequest", summary="Ma demande signée",
         sync_to_thread=True, media_type="application/pdf", responses=problem_responses(401, 404))
    def signed_request(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
                       use_cases: NamedDependency[UseCases]) -> Response[bytes]:
        """The signed request PDF, once signed."""
        return Response(use_cases.qcp().signed_request(person_id=person_id, enrollment_id=enrollment_id),
                        media_type="application/pdf")

    @post("/{enrollment_id:str}/cancellation", operation_id="cancelQcpEnrollment", summary="Annuler ma demande",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409))
    def cancel(self, enrollment_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Abandon the enrollment (an identity check in progress is abandoned too)."""
        return QcpEnrollmentOut.of(use_cases.qcp().cancel(person_id=person_id, enrollment_id=enrollment_id))


def _check(started: Any) -> IdentityCheckOut:
    return IdentityCheckOut(enrollment=QcpEnrollmentOut.of(started.enrollment), session_ref=started.session_ref,
                            qr_url=started.qr_url, qr_expires_at=started.qr_expires_at,
                            browser_url=started.browser_url)


# The capture (no login: the session reference is the credential) ---------------------------------


def _host(use_cases: UseCases) -> CaptureHost:
    host = use_cases.capture_host()
    if host is None:
        raise NotFound("this identity provider hosts its own capture")
    return host


class IdentityCapturesController(Controller):
    path = "/identity-captures"
    tags = ["Certificat qualifié"]

    @get("/{session_ref:str}", operation_id="getIdentityCapture", summary="Avancement de la capture",
         sync_to_thread=True, responses=problem_responses(404))
    def progress(self, session_ref: FromPath[str], use_cases: NamedDependency[UseCases]) -> CaptureProgressOut:
        """The steps captured and those remaining."""
        return _progress(_host(use_cases).capture_progress(session_ref))

    @post("/{session_ref:str}/images/{step:str}", operation_id="submitIdentityImage", summary="Envoyer une photo",
          status_code=HTTP_200_OK, sync_to_thread=True, request_max_body_size=MAX_IMAGE_BYTES,
          opt={UPLOAD: MAX_IMAGE_BYTES, RAW_BODY: True}, responses=problem_responses(403, 404, 409, 413, 422))
    def submit(self, request: Request[Any, Any, Any], session_ref: FromPath[str], step: FromPath[str],
               body: RawBody, use_cases: NamedDependency[UseCases]) -> CaptureProgressOut:
        """One step's photo as the raw body (``image/jpeg``, ``image/png`` or ``image/webp``);
        a retake replaces it. Steps: document_centre, document_tilt, document_portrait,
        face_centre, face_turn, face_cover_eye. At most 10 MB: a bigger body is refused (413) as
        it arrives."""
        try:
            wanted = CaptureStep(step)
        except ValueError:
            raise IdentityCaptureRefused("unknown capture step") from None
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        # The body was spooled to disk as it arrived (``body`` is then empty: it stays declared for
        # the API description); the provider reads the photo from there as a stream.
        spooled = request.scope.get(SPOOLED_BODY)
        image = spooled if spooled is not None else body
        return _progress(_host(use_cases).submit_capture(session_ref, wanted, image, content_type))

    @post("/{session_ref:str}/completion", operation_id="finishIdentityCapture", summary="Terminer la capture",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(403, 404, 409, 422))
    def finish(self, session_ref: FromPath[str], use_cases: NamedDependency[UseCases]) -> CaptureProgressOut:
        """Every step captured: hand the images over for a decision (« Merci ! »)."""
        host = _host(use_cases)
        host.finish_capture(session_ref)
        capture_finished(use_cases, session_ref)
        return _progress(host.capture_progress(session_ref))


# The registration officer ------------------------------------------------------------------------


def provide_officer_id(person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> str:
    """The caller, if a registration officer; anyone else is told nothing is there (404)."""
    if not use_cases.is_registration_officer(person_id=person_id):
        raise NotFound("not found")
    return person_id


class BackOfficeController(Controller):
    path = "/back-office"
    tags = ["Opérateur d’enregistrement"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True),
                    "officer_id": Provide(provide_officer_id, sync_to_thread=True)}

    @get("/identity-reviews", operation_id="listIdentityReviews", summary="Pièces d’identité à vérifier",
         sync_to_thread=True, responses=problem_responses(401, 404))
    def reviews(self, officer_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> list[PendingReviewOut]:
        """Captures awaiting an officer (manual-review provider), oldest first."""
        return [PendingReviewOut(session_ref=r.session_ref, given_names=r.subject.name.given_names,
                                 surname=r.subject.name.surname, submitted_at=r.submitted_at)
                for r in use_cases.qcp().pending_identity_reviews()]

    @get("/identity-reviews/{session_ref:str}", operation_id="getIdentityReview",
         summary="Vérification d’une pièce d’identité", sync_to_thread=True, responses=problem_responses(401, 404))
    def review(self, session_ref: FromPath[str], officer_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> ReviewFileOut:
        """The declared identity and the captured images (base64)."""
        file = use_cases.qcp().identity_review_file(session_ref=session_ref)
        return ReviewFileOut(session_ref=file.session_ref, given_names=file.subject.name.given_names,
                             surname=file.subject.name.surname, email=str(file.subject.email),
                             birth_date=file.subject.birth_date,
                             images=[ReviewImageOut(step=s.value, content_type=t,
                                                    data_base64=base64.b64encode(b).decode("ascii"))
                                     for s, t, b in file.images])

    @post("/identity-reviews/{session_ref:str}/decision", operation_id="decideIdentityReview",
          summary="Approuver ou refuser une pièce d’identité", status_code=HTTP_200_OK,
          dto=CattrsDTO[IdentityReviewInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def decide(self, session_ref: FromPath[str], officer_id: NamedDependency[str],
               data: JSONBody[IdentityReviewInput], use_cases: NamedDependency[UseCases]) -> DecisionOut:
        """Approve with what the document says, or reject with a reason."""
        recorded = use_cases.qcp().review_identity(
            officer_id=officer_id, session_ref=session_ref, approved=data.approved, given_names=data.given_names,
            surname=data.surname, birth_date=_day(data.birth_date, "birth_date"), document_type=data.document_type,
            document_number=data.document_number, document_expiry=_day(data.document_expiry, "document_expiry"),
            reason=data.reason or None)
        return DecisionOut(recorded=bool(recorded))

    @get("/enrollments", operation_id="listOfficerQueue", summary="Demandes à traiter", sync_to_thread=True,
         responses=problem_responses(401, 404))
    def queue(self, officer_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> list[QcpEnrollmentOut]:
        """Enrollments in manual review and signed requests awaiting validation, oldest first."""
        return [QcpEnrollmentOut.of(view) for view in use_cases.qcp().officer_queue()]

    @get("/enrollments/{enrollment_id:str}", operation_id="getOfficerFile", summary="Dossier d’une demande",
         sync_to_thread=True, responses=problem_responses(401, 404))
    def officer_file(self, enrollment_id: FromPath[str], officer_id: NamedDependency[str],
                     use_cases: NamedDependency[UseCases]) -> OfficerFileOut:
        """One enrollment awaiting the officer: the LCP identity it was matched to, the provider's
        decision and its time, what was read on the document, the images' digests (and which
        are still kept), the dates. A read: nothing is recorded."""
        return OfficerFileOut.of(use_cases.qcp().officer_file(enrollment_id=enrollment_id))

    @get("/enrollments/{enrollment_id:str}/signed-request", operation_id="getOfficerSignedRequest",
         summary="Demande signée (PDF)", sync_to_thread=True, media_type="application/pdf",
         responses=problem_responses(401, 404))
    def signed_request(self, enrollment_id: FromPath[str], officer_id: NamedDependency[str],
                       use_cases: NamedDependency[UseCases]) -> Response:
        """The applicant's signed « Demande de certificat », as signed with their LCP."""
        pdf = use_cases.qcp().officer_signed_request(enrollment_id=enrollment_id)
        return Response(content=pdf, media_type="application/pdf", headers={"Cache-Control": "private, no-store"})

    @get("/enrollments/{enrollment_id:str}/images/{step:str}", operation_id="getOfficerEvidenceImage",
         summary="Photo d’une vérification d’identité", sync_to_thread=True, media_type="image/*",
         responses=problem_responses(401, 404))
    def evidence_image(self, enrollment_id: FromPath[str], step: FromPath[str], officer_id: NamedDependency[str],
                       use_cases: NamedDependency[UseCases]) -> Response:
        """A captured image while the provider retains it (404 once deleted); never cached."""
        try:
            wanted = CaptureStep(step)
        except ValueError:
            raise NotFound("no such capture step") from None
        content_type, image = use_cases.qcp().officer_identity_image(enrollment_id=enrollment_id, step=wanted)
        return Response(content=image, media_type=content_type or "application/octet-stream",
                        headers={"Cache-Control": "private, no-store"})

    @post("/enrollments/{enrollment_id:str}/decision", operation_id="decideQcpEnrollment",
          summary="Valider ou refuser une demande", status_code=HTTP_200_OK, dto=CattrsDTO[OfficerDecisionInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def decide_enrollment(self, enrollment_id: FromPath[str], officer_id: NamedDependency[str],
                          data: JSONBody[OfficerDecisionInput], use_cases: NamedDependency[UseCases]) -> QcpEnrollmentOut:
        """Resolve a manual review, or validate a signed request (the certificate is then issued)."""
        qcp = use_cases.qcp()
        target = next((e for e in qcp.officer_queue() if e.id == enrollment_id), None)
        if target is None:
            raise NotFound("no such enrollment awaits an officer")
        if target.state.value == "manual_review":
            view = qcp.resolve_manual_review(officer_id=officer_id, enrollment_id=enrollment_id,
                                             approved=data.approved, reason=data.reason or None)
        else:
            view = qcp.officer_validate(officer_id=officer_id, enrollment_id=enrollment_id, approved=data.approved,
                                        reason=data.reason or None)
        return QcpEnrollmentOut.of(view)
