"""« Ma signature personnelle », « Mes certificats » and the LCP registration (« S'enregistrer »).

The registration is addressed by cabinet: a person has at most one under way per cabinet,
so ``/cabinets/{cabinet_id}/lcp-registration`` names it without an id to remember. Each
step answers the registration as it now stands (``next_action`` says what comes next);
a step out of order is a 409 problem ``lcp_registration.wrong_step``.

With ``lcp_require_identity_check``, ``next_action`` is ``start_identity_check`` after the
identity confirmation until the document-only identity check passes (``identity_check``
says where it is): ``POST …/identity-check`` opens it (QR link and browser capture URL),
``GET …/identity-check`` polls it, ``POST …/identity-check/link`` renews the QR link; the
terms acceptance is a 409 ``lcp_registration.identity_check_required`` until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from domain.model.cabinet import Delegation, Role
from domain.model.certificates import CertificateFormat, CertificateState
from domain.model.errors import CertificateNotFound, RegistrationNotFound
from domain.model.lcp_registration import RegistrationState
from domain.model.pki import RevocationReason
from domain.services.my_signature_views import CabinetSignature, CertificateSummary, CodeSent, RegistrationView
from entrypoints.composition.use_cases import UseCases
from entrypoints.settings import Settings
from entrypoints.web.api.access import IDEMPOTENT
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.problems import problem_responses

__all__ = ["LcpRegistrationController", "MySignatureController"]

_MEDIA_TYPES = {CertificateFormat.PEM: "application/x-pem-file", CertificateFormat.DER: "application/pkix-cert"}


# Wire shapes -----------------------------------------------------------------------------


@dataclass
class CodeInput:
    """The 6-digit code received by email or SMS."""

    code: str


@dataclass
class TermsAcceptanceInput:
    """The version of the terms (CGU) the person read and accepts (``current_terms_version``)."""

    terms_version: str


@dataclass
class RevocationInput:
    reason: RevocationReason


@dataclass
class CertificateOut:
    """A certificate as « Mes certificats » lists it; download it from ``pem_url`` or ``der_url``."""

    certificate_id: str
    cabinet_id: str | None
    cabinet_name: str | None
    policy: str  # LCP, QCP-n
    policy_oid: str
    serial: str  # lower-case hexadecimal
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime
    status: CertificateState
    revoked_at: datetime | None
    revocation_reason: str | None
    one_time: bool
    can_revoke: bool
    pem_url: str
    der_url: str

    @classmethod
    def from_summary(cls, summary: CertificateSummary) -> CertificateOut:
        base = f"/api/v1/me/certificates/{summary.certificate_id}"
        return cls(certificate_id=summary.certificate_id, cabinet_id=summary.cabinet_id,
                   cabinet_name=summary.cabinet_name, policy=summary.policy_name, policy_oid=summary.policy_oid,
                   serial=summary.serial, issuer=summary.issuer, subject=summary.subject,
                   not_before=summary.not_before, not_after=summary.not_after, status=summary.status,
                   revoked_at=summary.revoked_at, revocation_reason=summary.revocation_reason,
                   one_time=summary.one_time, can_revoke=summary.can_revoke,
                   pem_url=f"{base}.pem", der_url=f"{base}.der")


@dataclass
class RegistrationOut:
    """Where the registration stands; ``next_action`` is null once issued or cancelled."""

    registration_id: str
    cabinet_id: str
    cabinet_name: str
    state: RegistrationState
    next_action: str | None
    given_names: str
    surname: str
    common_name: str
    email: str
    mobile: str
    mobile_masked: str
    started_at: datetime
    email_verified_at: datetime | None
    mobile_verified_at: datetime | None
    identity_confirmed_at: datetime | None
    terms_version: str | None
    terms_accepted_at: datetime | None
    certificate_id: str | None
    # Only with a required identity check, while it is the step (not_started, capturing, pending,
    # passed, rejected, mismatch), and the provider's reason of a refusal.
    identity_check: str | None = None
    identity_check_reason: str | None = None

    @classmethod
    def from_view(cls, view: RegistrationView) -> RegistrationOut:
        return cls(registration_id=view.registration_id, cabinet_id=view.cabinet_id, cabinet_name=view.cabinet_name,
                   state=view.state, next_action=view.next_action, given_names=view.given_names,
                   surname=view.surname, common_name=view.common_name, email=view.email, mobile=view.mobile,
                   mobile_masked=view.mobile_masked, started_at=view.started_at,
                   email_verified_at=view.email_verified_at, mobile_verified_at=view.mobile_verified_at,
                   identity_confirmed_at=view.identity_confirmed_at, terms_version=view.terms_version,
                   terms_accepted_at=view.terms_accepted_at, certificate_id=view.certificate_id,
                   identity_check=view.identity_check, identity_check_reason=view.identity_check_reason)


@dataclass
class LcpIdentityCheckOut:
    """The identity check of a registration: ``check`` is not_required, not_started,
    capturing, pending, passed, rejected or mismatch (``reason``: the provider's). Once
    opened or renewed: ``qr_url``, the single-use link to show as a QR code (until
    ``qr_expires_at``), and ``browser_url``, the capture in this browser."""

    registration_id: str
    check: str
    reason: str | None = None
    qr_url: str | None = None
    qr_expires_at: datetime | None = None
    browser_url: str | None = None

    @classmethod
    def of(cls, check: Any, *, started: Any = None, public_url: str = "") -> LcpIdentityCheckOut:
        if started is None:
            return cls(registration_id=check.registration_id, check=check.check, reason=check.reason)
        return cls(registration_id=check.registration_id, check=check.check, reason=check.reason,
                   qr_url=f"{public_url.rstrip('/')}/signature-personnelle/capture/{started.capture_token}",
                   qr_expires_at=started.capture_expires_at, browser_url=started.browser_url)


@dataclass
class RegistrationStatus:
    """The registration (null when none was ever started) and the terms version to accept."""

    registration: RegistrationOut | None
    current_terms_version: str
    terms_url: str


@dataclass
class CodeSentOut:
    """A code is on its way to ``destination`` (masked); it works until ``expires_at``."""

    registration_id: str
    channel: str  # email | sms
    destination: str
    expires_at: datetime

    @classmethod
    def from_view(cls, sent: CodeSent) -> CodeSentOut:
        return cls(registration_id=sent.registration_id, channel=sent.channel, destination=sent.destination,
                   expires_at=sent.expires_at)


@dataclass
class CabinetSignatureOut:
    """One cabinet of « Ma signature personnelle »."""

    cabinet_id: str
    cabinet_name: str
    siren: str
    role: Role
    delegations: list[Delegation]
    can_sign: bool
    lcp: CertificateOut | None
    registration_needed: bool
    registration: RegistrationOut | None
    qcp: CertificateOut | None
    can_subscribe_qcp: bool
    links: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_view(cls, view: CabinetSignature) -> CabinetSignatureOut:
        order = list(Delegation)
        links = {"lcp_registration": f"/api/v1/cabinets/{view.cabinet_id}/lcp-registration"}
        if view.can_subscribe_qcp:
            links["qcp_subscription"] = f"/signature-personnelle/{view.cabinet_id}/qcp"
        return cls(cabinet_id=view.cabinet_id, cabinet_name=view.cabinet_name, siren=view.siren, role=view.role,
                   delegations=sorted(view.delegations, key=order.index), can_sign=view.can_sign,
                   lcp=CertificateOut.from_summary(view.lcp) if view.lcp else None,
                   registration_needed=view.registration_needed,
                   registration=RegistrationOut.from_view(view.registration) if view.registration else None,
                   qcp=CertificateOut.from_summary(view.qcp) if view.qcp else None,
                   can_subscribe_qcp=view.can_subscribe_qcp, links=links)


# « Ma signature personnelle », « Mes certificats » ------------------------------------------


def _own(use_cases: UseCases, person_id: str, certificate_id: str) -> CertificateSummary:
    found = next((c for c in use_cases.my_certificates(person_id=person_id) if c.certificate_id == certificate_id),
                 None)
    if found is None:
        raise CertificateNotFound("certificate not found")
    return found


class MySignatureController(Controller):
    path = "/me"
    tags = ["Signature"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}

    @get("/signature", operation_id="getMySignature", summary="Ma signature personnelle", sync_to_thread=True,
         responses=problem_responses(401))
    def overview(self, person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> list[CabinetSignatureOut]:
        """Per cabinet: role, delegations, the active LCP and QCP certificates, a registration under way,
        whether « S'enregistrer » is needed and whether a qualified certificate can be subscribed."""
        return [CabinetSignatureOut.from_view(v) for v in use_cases.my_signature_overview(person_id=person_id)]

    @get("/certificates", operation_id="listMyCertificates", summary="Mes certificats", sync_to_thread=True,
         responses=problem_responses(401))
    def certificates(self, person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> list[CertificateOut]:
        """Every certificate of the person, whatever its status, newest first."""
        return [CertificateOut.from_summary(c) for c in use_cases.my_certificates(person_id=person_id)]

    @get("/certificates/{certificate:str}", operation_id="getMyCertificate",
         summary="Un certificat, ou son téléchargement (.pem, .der)", sync_to_thread=True,
         responses=problem_responses(401, 404, 422))
    def certificate(self, certificate: FromPath[str], person_id: NamedDependency[str], use_cases: NamedDependency[UseCases],
                    format: FromQuery[str | None] = None) -> Response[Any]:
        """``{id}``: the certificate's details (JSON). ``{id}.pem`` or ``{id}.der`` (or ``?format=pem|der``):
        the certificate itself, never its key."""
        certificate_id, wanted = certificate, format
        for fmt in CertificateFormat:
            if certificate.lower().endswith("." + fmt.value):
                certificate_id, wanted = certificate[: -len(fmt.value) - 1], fmt.value
        summary = _own(use_cases, person_id, certificate_id)
        if wanted is None:
            return Response(CertificateOut.from_summary(summary))
        parsed = CertificateFormat.parse(wanted)
        content = use_cases.certificate_download(person_id=person_id, certificate_id=certificate_id, format=parsed)
        name = f"certificat-{summary.policy_name.lower()}-{summary.serial}.{parsed.value}"
        return Response(content, media_type=_MEDIA_TYPES[parsed],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @post("/certificates/{certificate_id:str}/revocation", operation_id="revokeMyCertificate",
          summary="Révoquer un de mes certificats", status_code=HTTP_200_OK, dto=CattrsDTO[RevocationInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def revoke(self, certificate_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[RevocationInput],
               use_cases: NamedDependency[UseCases]) -> CertificateOut:
        """Revoke at once (published in the CRL and by OCSP); ``reason`` is an RFC 5280 reason."""
        return CertificateOut.from_summary(use_cases.revoke_certificate(
            person_id=person_id, certificate_id=certificate_id, reason=data.reason))


# « S'enregistrer » ------------------------------------------------------------------------


def _active(use_cases: UseCases, person_id: str, cabinet_id: str) -> RegistrationView:
    view = use_cases.lcp_registration_status(person_id=person_id, cabinet_id=cabinet_id)
    if view is None or not view.is_active:
        raise RegistrationNotFound("no registration in progress for this cabinet")
    return view


class LcpRegistrationController(Controller):
    opt = {IDEMPOTENT: True}  # codes sent, steps taken: a retry with Idempotency-Key is answered once
    path = "/cabinets/{cabinet_id:str}/lcp-registration"
    tags = ["Signature"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}

    @get(operation_id="getLcpRegistration", summary="Où en est mon enregistrement", sync_to_thread=True,
         responses=problem_responses(401, 404))
    def status(self, cabinet_id: FromPath[str], person_id: NamedDependency[str], use_cases: NamedDependency[UseCases],
               settings: NamedDependency[Settings]) -> RegistrationStatus:
        """The registration under way for this cabinet, else the latest one (issued or cancelled), else null."""
        view = use_cases.lcp_registration_status(person_id=person_id, cabinet_id=cabinet_id)
        return RegistrationStatus(registration=RegistrationOut.from_view(view) if view else None,
                                  current_terms_version=settings.lcp_terms_version, terms_url="/pki/cgu")

    @post(operation_id="startLcpRegistration", summary="S’enregistrer", status_code=HTTP_201_CREATED,
          sync_to_thread=True, responses=problem_responses(401, 403, 404, 409))
    def start(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
              use_cases: NamedDependency[UseCases]) -> Response[RegistrationOut]:
        """Start the registration (SIGN needed, a mobile on the profile, no active LCP for the cabinet).
        One already under way answers 409 ``lcp_registration.in_progress`` naming it."""
        view = use_cases.start_lcp_registration(person_id=person_id, cabinet_id=cabinet_id)
        return Response(RegistrationOut.from_view(view), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/cabinets/{cabinet_id}/lcp-registration"})

    @delete(operation_id="cancelLcpRegistration", summary="Annuler l’enregistrement", status_code=HTTP_200_OK,
            sync_to_thread=True, responses=problem_responses(401, 403, 404, 409))
    def cancel(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> RegistrationOut:
        """Cancel the registration under way; a new one can then be started."""
        view = _active(use_cases, person_id, cabinet_id)
        return RegistrationOut.from_view(use_cases.cancel_lcp_registration(
            person_id=person_id, registration_id=view.registration_id))

    @post("/email-code", operation_id="sendLcpEmailCode", summary="Envoyer le code par e-mail",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 429))
    def send_email_code(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                        use_cases: NamedDependency[UseCases]) -> CodeSentOut:
        """Send (or send again, throttled: 429 with ``Retry-After``) the 6-digit code to the email."""
        view = _active(use_cases, person_id, cabinet_id)
        return CodeSentOut.from_view(use_cases.send_lcp_email_code(person_id=person_id,
                                                                   registration_id=view.registration_id))

    @post("/email-code/verification", operation_id="verifyLcpEmailCode", summary="Vérifier le code reçu par e-mail",
          status_code=HTTP_200_OK, dto=CattrsDTO[CodeInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410, 422))
    def verify_email_code(self, cabinet_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[CodeInput],
                          use_cases: NamedDependency[UseCases]) -> RegistrationOut:
        """A wrong code is a 422 with ``remaining_tries``; after 5 the code is dead (410): ask for a new one."""
        view = _active(use_cases, person_id, cabinet_id)
        return RegistrationOut.from_view(use_cases.verify_lcp_email_code(
            person_id=person_id, registration_id=view.registration_id, code=data.code))

    @post("/sms-code", operation_id="sendLcpSmsCode", summary="Envoyer le code par SMS", status_code=HTTP_200_OK,
          sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 429))
    def send_sms_code(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                      use_cases: NamedDependency[UseCases]) -> CodeSentOut:
        """Send (or send again) the 6-digit code by SMS to the mobile, once the email is verified."""
        view = _active(use_cases, person_id, cabinet_id)
        return CodeSentOut.from_view(use_cases.send_lcp_sms_code(person_id=person_id,
                                                                 registration_id=view.registration_id))

    @post("/sms-code/verification", operation_id="verifyLcpSmsCode", summary="Vérifier le code reçu par SMS",
          status_code=HTTP_200_OK, dto=CattrsDTO[CodeInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 410, 422))
    def verify_sms_code(self, cabinet_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[CodeInput],
                        use_cases: NamedDependency[UseCases]) -> RegistrationOut:
        """Check the SMS code; the identity is confirmed next."""
        view = _active(use_cases, person_id, cabinet_id)
        return RegistrationOut.from_view(use_cases.verify_lcp_sms_code(
            person_id=person_id, registration_id=view.registration_id, code=data.code))

    @post("/identity-confirmation", operation_id="confirmLcpIdentity", summary="Confirmer mon identité",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409))
    def confirm_identity(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                         use_cases: NamedDependency[UseCases]) -> RegistrationOut:
        """Confirm the given names, surname, email and mobile shown by the status: the certificate names them."""
        view = _active(use_cases, person_id, cabinet_id)
        return RegistrationOut.from_view(use_cases.confirm_lcp_identity(person_id=person_id,
                                                                        registration_id=view.registration_id))

    @post("/identity-check", operation_id="startLcpIdentityCheck", summary="Vérifier ma pièce d’identité",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 503))
    def start_identity_check(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                             use_cases: NamedDependency[UseCases], settings: NamedDependency[Settings]) -> LcpIdentityCheckOut:
        """Open the document-only identity check (or a new attempt after a refusal): the QR link for the
        phone and the browser capture URL. A 409 ``lcp_registration.wrong_step`` when none is required."""
        view = _active(use_cases, person_id, cabinet_id)
        started = use_cases.start_lcp_identity_check(person_id=person_id, registration_id=view.registration_id)
        return LcpIdentityCheckOut.of(started.check, started=started, public_url=settings.resolved_public_url)

    @post("/identity-check/link", operation_id="renewLcpCaptureLink", summary="Nouveau QR code",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 410))
    def renew_capture_link(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                           use_cases: NamedDependency[UseCases], settings: NamedDependency[Settings]) -> LcpIdentityCheckOut:
        """A fresh single-use QR link while the capture is in progress (410 once it is over)."""
        view = _active(use_cases, person_id, cabinet_id)
        started = use_cases.renew_lcp_capture_link(person_id=person_id, registration_id=view.registration_id)
        return LcpIdentityCheckOut.of(started.check, started=started, public_url=settings.resolved_public_url)

    @get("/identity-check", operation_id="getLcpIdentityCheckStatus", summary="Vérification en cours",
         sync_to_thread=True, responses=problem_responses(401, 404))
    def identity_check_status(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                              use_cases: NamedDependency[UseCases]) -> LcpIdentityCheckOut:
        """Poll this while the check runs: the provider is asked, its decision kept."""
        view = _active(use_cases, person_id, cabinet_id)
        return LcpIdentityCheckOut.of(use_cases.lcp_identity_check_status(person_id=person_id,
                                                                          registration_id=view.registration_id))

    @post("/terms-acceptance", operation_id="acceptLcpTerms", summary="Accepter les conditions et obtenir le certificat",
          status_code=HTTP_201_CREATED, dto=CattrsDTO[TermsAcceptanceInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def accept_terms(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                     data: JSONBody[TermsAcceptanceInput], use_cases: NamedDependency[UseCases]) -> Response[CertificateOut]:
        """Accept the terms in force (their version is in the status); the LCP certificate is issued at once.
        With a required identity check, a 409 ``lcp_registration.identity_check_required`` until it passed."""
        view = _active(use_cases, person_id, cabinet_id)
        summary = use_cases.accept_lcp_terms_and_issue(person_id=person_id, registration_id=view.registration_id,
                                                       terms_version=data.terms_version)
        return Response(CertificateOut.from_summary(summary), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/me/certificates/{summary.certificate_id}"})
