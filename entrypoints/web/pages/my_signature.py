"""« Ma signature personnelle », « S'enregistrer » (the LCP registration) and « Mes certificats ».

The registration page is resumable: whatever the person did before, ``GET
/signature-personnelle/<cabinet>/enregistrement`` shows the step ``lcp_registration_status``
says is next. Each step is a plain form posting to its own address, then back to that page
(POST-redirect-GET). The session only remembers that a code was sent (where, until when),
so the page can offer the code field; the registration itself lives in the database.

With ``lcp_require_identity_check``, the step after « Confirmez votre identité » is the
document-only identity check, with the QCP's pages and wording: the QR code (a short-lived
single-use link, ``/signature-personnelle/capture/<token>``, opened on the phone without a
login) or « Continuez ici dans votre navigateur », the shared capture pages, then
« Vérification en cours » until the provider decides (``/static/js/qcp.js`` polls
``…/enregistrement/statut``; without JavaScript the page refreshes itself).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from domain.model.cabinet import Delegation
from domain.model.certificates import CertificateFormat
from domain.model.errors import (
    CaptureLinkUnusable,
    CodeRefused,
    CodeResendRefused,
    DomainError,
    LcpIdentityCheckNotPassed,
    MissingDelegation,
    NotFound,
    RegistrationInProgress,
    RegistrationNotFound,
    RegistrationWrongStep,
)
from domain.model.lcp_registration import RegistrationState
from domain.model.pki import RevocationReason
from entrypoints.composition.use_cases import UseCases
from entrypoints.settings import Settings
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.labels import REGISTRATION_STEPS
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    flash,
    form_error_status,
    form_value,
    on_phone,
    redirect_after,
    refusal,
    render,
    see_other,
)
from entrypoints.web.pages.qcp import REJECTION_REASONS, SESSION_RETURN, local_path, qr_svg

SESSION_CODES_SENT = "lcp_codes_sent"
SESSION_CAPTURE = "lcp_capture"  # {registration_id: QR link, its expiry, the browser URL, the session}
IDENTITY_STEP = ("start_identity_check", N_("Pièce d’identité"))
# Sub-steps of the identity check the person waits on: the page asks for news by itself.
WAITING_CHECKS = frozenset({"capturing", "pending"})
REFRESH_SECONDS = 10

CODE_REQUIRED = N_("Saisissez le code à 6\u00a0chiffres que vous avez reçu.")
TERMS_REQUIRED = N_("Cochez la case pour accepter les conditions générales d’utilisation.")
REASON_REQUIRED = N_("Choisissez le motif de la révocation.")
NO_SIGN_DELEGATION = N_(
    "Pour vous enregistrer, il vous faut la délégation «\u00a0Signer\u00a0» dans ce cabinet\u00a0: "
    "demandez-la à l’expert-comptable titulaire."
)
STEP_MOVED = N_("L’enregistrement a avancé entre-temps\u00a0: voici l’étape où vous en êtes.")

MEDIA_TYPES = {CertificateFormat.PEM: "application/x-pem-file", CertificateFormat.DER: "application/pkix-cert"}


def _flow_path(cabinet_id: str) -> str:
    return f"/signature-personnelle/{cabinet_id}/enregistrement"


# « Ma signature personnelle » --------------------------------------------------------------


def _overview(request: Request, viewer: Viewer, use_cases: UseCases, *, status: int = 200,
              errors: dict[str, str] | None = None) -> Template:
    overview = use_cases.my_signature_overview(person_id=viewer.person_id)
    return render(request, "my_signature/overview.html", status=status, viewer=viewer, overview=overview,
                  errors=errors or {})


@get("/ma-signature", name="my_signature", sync_to_thread=True)
def my_signature(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return _overview(request, viewer, use_cases)


@get("/signature-personnelle", name="my_signature_alias", sync_to_thread=False)
def my_signature_alias() -> Response:
    return see_other("/ma-signature")


# « S'enregistrer » ------------------------------------------------------------------------


def _codes_sent(request: Request, registration_id: str) -> dict[str, Any]:
    return dict((request.session.get(SESSION_CODES_SENT) or {}).get(registration_id) or {})


def _remember_code(request: Request, sent: Any) -> None:
    # One registration at a time is enough to remember: older entries are dropped.
    entry = _codes_sent(request, sent.registration_id)
    entry[sent.channel] = {"destination": sent.destination, "expires_at": sent.expires_at.isoformat()}
    request.session[SESSION_CODES_SENT] = {sent.registration_id: entry}


def _membership(viewer: Viewer, cabinet_id: str) -> Any:
    membership = next((c for c in viewer.cabinets if c.cabinet_id == cabinet_id), None)
    if membership is None:
        raise NotFoundException()
    return membership


def _flow_page(request: Request, viewer: Viewer, use_cases: UseCases, cabinet_id: str, *, status: int = 200,
               errors: dict[str, str] | None = None) -> Template:
    membership = _membership(viewer, cabinet_id)
    registration = use_cases.lcp_registration_status(person_id=viewer.person_id, cabinet_id=cabinet_id)
    certificate = None
    offer_qcp = False
    if registration is not None and registration.state is RegistrationState.ISSUED and registration.certificate_id:
        certificate = next((c for c in use_cases.my_certificates(person_id=viewer.person_id)
                            if c.certificate_id == registration.certificate_id), None)
        # The two flows chain: once the LCP is issued, « Souscrire à un certificat qualifié » is next.
        offer_qcp = any(c.cabinet_id == cabinet_id and c.can_subscribe_qcp
                        for c in use_cases.my_signature_overview(person_id=viewer.person_id))
    container = request.app.state.container
    settings = container.settings()
    steps = list(REGISTRATION_STEPS)
    if settings.lcp_require_identity_check:
        steps.insert([key for key, _ in steps].index("accept_terms"), IDENTITY_STEP)
    check: dict[str, Any] = {}
    if registration is not None and registration.next_action == IDENTITY_STEP[0]:
        check = _identity_check_context(request, viewer, use_cases, registration)
        registration = check.pop("registration")
    return render(request, "my_signature/registration.html", status=status, viewer=viewer, membership=membership,
                  can_sign=Delegation.SIGN in membership.delegations, registration=registration,
                  codes_sent=_codes_sent(request, registration.registration_id) if registration else {},
                  certificate=certificate, offer_qcp=offer_qcp, terms_version=settings.lcp_terms_version, errors=errors or {},
                  registration_steps=steps, refresh_seconds=REFRESH_SECONDS,
                  simulator=use_cases.identity_simulator() is not None,
                  officer_reviews=use_cases.qcp().identity_reviewed_by_officer(), on_phone=on_phone(request),
                  **check)


# The identity check (when configuration requires it) ---------------------------------------


def _capture_url(request: Request, token: str) -> str:
    base = request.app.state.container.settings().resolved_public_url.rstrip("/")
    return f"{base}/signature-personnelle/capture/{token}"


def _remember_capture(request: Request, cabinet_id: str, started: Any) -> None:
    """The QR link exists in clear only in the use case's answer: keep it for the page.
    The browser capture comes back to the registration when it ends."""
    request.session[SESSION_CAPTURE] = {started.check.registration_id: {
        "qr_url": _capture_url(request, started.capture_token),
        "expires_at": started.capture_expires_at.isoformat(),
        "browser_url": started.browser_url, "session_ref": started.check.session_ref}}
    returns = dict(request.session.get(SESSION_RETURN) or {})
    returns[started.check.session_ref] = _flow_path(cabinet_id)
    request.session[SESSION_RETURN] = returns


def _identity_check_context(request: Request, viewer: Viewer, use_cases: UseCases, registration: Any) -> dict[str, Any]:
    """What the identity check's page shows: the QR code while capturing (the remembered
    link while valid, else a new one), the reason of a refusal."""
    context: dict[str, Any] = {"registration": registration,
                               "waiting": registration.identity_check in WAITING_CHECKS,
                               "rejection_reason": _reason_text(registration.identity_check_reason)}
    if registration.identity_check != "capturing":
        return context
    known = (request.session.get(SESSION_CAPTURE) or {}).get(registration.registration_id)
    clock = use_cases.clock()
    if (not known or known.get("session_ref") != registration.identity_session_ref
            or datetime.fromisoformat(known["expires_at"]) <= clock.now()):
        known = None
    if known is None:
        try:
            started = use_cases.renew_lcp_capture_link(person_id=viewer.person_id,
                                                       registration_id=registration.registration_id)
        except CaptureLinkUnusable:
            # The capture ended meanwhile (the phone was quicker): show where things are now.
            fresh = use_cases.lcp_registration_status(person_id=viewer.person_id,
                                                      cabinet_id=registration.cabinet_id)
            if fresh is None or fresh.identity_check == "capturing":
                raise
            context.update(registration=fresh, waiting=fresh.identity_check in WAITING_CHECKS,
                           rejection_reason=_reason_text(fresh.identity_check_reason))
            return context
        _remember_capture(request, registration.cabinet_id, started)
        known = request.session[SESSION_CAPTURE][registration.registration_id]
    context.update(capture={**known, "expires_at": datetime.fromisoformat(known["expires_at"])},
                   qr=qr_svg(known["qr_url"]), browser_path=local_path(known["browser_url"]))
    return context


def _reason_text(reason: str | None) -> str | None:
    if not reason:
        return None
    return REJECTION_REASONS.get(reason, reason)


def _active_registration(viewer: Viewer, use_cases: UseCases, cabinet_id: str) -> Any:
    _membership(viewer, cabinet_id)
    registration = use_cases.lcp_registration_status(person_id=viewer.person_id, cabinet_id=cabinet_id)
    if registration is None or not registration.is_active:
        raise RegistrationNotFound("no registration in progress")
    return registration


def _step(request: Request, viewer: Viewer, use_cases: UseCases, cabinet_id: str, action: Any,
          error_field: str = "_form") -> Response:
    """Run one step; refusals are shown on the page, where the person is."""
    def refused(exc: DomainError) -> Response:
        if isinstance(exc, RegistrationNotFound | RegistrationWrongStep):
            # A stale page (another tab, a double click): show where things stand now.
            flash(request, STEP_MOVED, "error")
            return see_other(_flow_path(cabinet_id))
        field = "code" if isinstance(exc, CodeRefused) else error_field
        if isinstance(exc, LcpIdentityCheckNotPassed):
            field = "_form"  # shown above the identity check's page, where the person is sent
        return _flow_page(request, viewer, use_cases, cabinet_id, **refusal(request, exc, field))

    return redirect_after(request, lambda: action(_active_registration(viewer, use_cases, cabinet_id)),
                          _flow_path(cabinet_id), refused=refused)


@get("/signature-personnelle/{cabinet_id:str}/enregistrement", name="lcp_registration", sync_to_thread=True)
def registration_page(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                      use_cases: NamedDependency[UseCases]) -> Template:
    return _flow_page(request, viewer, use_cases, cabinet_id)


@post("/signature-personnelle/{cabinet_id:str}/enregistrement", name="lcp_registration_start", sync_to_thread=True)
def start(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
          use_cases: NamedDependency[UseCases]) -> Response:
    """« S'enregistrer »; an earlier registration under way is resumed instead."""
    _membership(viewer, cabinet_id)
    try:
        use_cases.start_lcp_registration(person_id=viewer.person_id, cabinet_id=cabinet_id)
    except RegistrationInProgress:
        return see_other(_flow_path(cabinet_id))
    except MissingDelegation:
        return _overview(request, viewer, use_cases, status=403, errors={f"cabinet-{cabinet_id}": NO_SIGN_DELEGATION})
    except NotFound:
        raise NotFoundException() from None
    except DomainError as exc:
        return _overview(request, viewer, use_cases, status=form_error_status(describe(exc).status),
                         errors={f"cabinet-{cabinet_id}": error_text(request, exc)})
    return see_other(_flow_path(cabinet_id))


def _send(request: Request, use_case: Any, viewer: Viewer, registration: Any) -> None:
    sent = use_case(person_id=viewer.person_id, registration_id=registration.registration_id)
    _remember_code(request, sent)
    if sent.channel == "sms":
        flash(request, N_("Un code vous a été envoyé par SMS au %(destination)s."), destination=sent.destination)
    else:
        flash(request, N_("Un code vous a été envoyé à %(destination)s."), destination=sent.destination)


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/code-email", name="lcp_send_email_code",
      sync_to_thread=True)
def send_email_code(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                    use_cases: NamedDependency[UseCases]) -> Response:
    return _step(request, viewer, use_cases, cabinet_id,
                 lambda r: _send(request, use_cases.send_lcp_email_code, viewer, r))


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/code-sms", name="lcp_send_sms_code",
      sync_to_thread=True)
def send_sms_code(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                  use_cases: NamedDependency[UseCases]) -> Response:
    return _step(request, viewer, use_cases, cabinet_id,
                 lambda r: _send(request, use_cases.send_lcp_sms_code, viewer, r))


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/code-email/verification",
      name="lcp_verify_email_code", sync_to_thread=True)
def verify_email_code(request: Request, cabinet_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                      use_cases: NamedDependency[UseCases]) -> Response:
    code = form_value(data, "code")
    if not code:
        return _flow_page(request, viewer, use_cases, cabinet_id, status=400, errors={"code": CODE_REQUIRED})

    def verify(registration: Any) -> None:
        use_cases.verify_lcp_email_code(person_id=viewer.person_id, registration_id=registration.registration_id,
                                        code=code)
        flash(request, N_("Votre adresse e-mail est vérifiée."))
        # The SMS code follows at once: the next page only asks for it.
        try:
            _send(request, use_cases.send_lcp_sms_code, viewer, registration)
        except CodeResendRefused as exc:
            flash(request, describe(exc).message, "error")

    return _step(request, viewer, use_cases, cabinet_id, verify)


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/code-sms/verification",
      name="lcp_verify_sms_code", sync_to_thread=True)
def verify_sms_code(request: Request, cabinet_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                    use_cases: NamedDependency[UseCases]) -> Response:
    code = form_value(data, "code")
    if not code:
        return _flow_page(request, viewer, use_cases, cabinet_id, status=400, errors={"code": CODE_REQUIRED})

    def verify(registration: Any) -> None:
        use_cases.verify_lcp_sms_code(person_id=viewer.person_id, registration_id=registration.registration_id,
                                      code=code)
        flash(request, N_("Votre numéro de mobile est vérifié."))

    return _step(request, viewer, use_cases, cabinet_id, verify)


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/identite", name="lcp_confirm_identity",
      sync_to_thread=True)
def confirm_identity(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                     use_cases: NamedDependency[UseCases]) -> Response:
    return _step(request, viewer, use_cases, cabinet_id,
                 lambda r: use_cases.confirm_lcp_identity(person_id=viewer.person_id,
                                                          registration_id=r.registration_id))


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/conditions", name="lcp_accept_terms",
      sync_to_thread=True)
def accept_terms(request: Request, cabinet_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[UseCases]) -> Response:
    if not checked(data, "accept_terms"):
        return _flow_page(request, viewer, use_cases, cabinet_id, status=400, errors={"accept_terms": TERMS_REQUIRED})

    def accept(registration: Any) -> None:
        use_cases.accept_lcp_terms_and_issue(person_id=viewer.person_id, registration_id=registration.registration_id,
                                             terms_version=form_value(data, "terms_version"))
        flash(request, N_("Votre certificat de signature est émis."))

    return _step(request, viewer, use_cases, cabinet_id, accept, error_field="accept_terms")


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/verification", name="lcp_start_identity_check",
      sync_to_thread=True)
def start_identity_check(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                         use_cases: NamedDependency[UseCases]) -> Response:
    """The first check, or a new attempt after a refusal or an unfinished capture."""

    def begin(registration: Any) -> None:
        _remember_capture(request, cabinet_id, use_cases.start_lcp_identity_check(
            person_id=viewer.person_id, registration_id=registration.registration_id))

    return _step(request, viewer, use_cases, cabinet_id, begin)


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/nouveau-qr-code", name="lcp_renew_capture_link",
      sync_to_thread=True)
def renew_capture_link(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                       use_cases: NamedDependency[UseCases]) -> Response:
    def renew(registration: Any) -> None:
        _remember_capture(request, cabinet_id, use_cases.renew_lcp_capture_link(
            person_id=viewer.person_id, registration_id=registration.registration_id))

    return _step(request, viewer, use_cases, cabinet_id, renew)


@get("/signature-personnelle/{cabinet_id:str}/enregistrement/statut", name="lcp_identity_check_status",
     sync_to_thread=True)
def identity_check_status(cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
                          use_cases: NamedDependency[UseCases]) -> Response:
    """What the waiting pages poll (``qcp.js``): the step to show; the page reloads when it changes."""
    _membership(viewer, cabinet_id)
    registration = use_cases.lcp_registration_status(person_id=viewer.person_id, cabinet_id=cabinet_id)
    step = None
    if registration is not None:
        step = registration.identity_check if registration.next_action == IDENTITY_STEP[0] \
            else registration.next_action
    return Response(content={"next_step": step, "url": _flow_path(cabinet_id)},
                    headers={"Cache-Control": "no-store"})


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/simulateur", name="lcp_simulator_decide",
      sync_to_thread=True)
def simulator_decide(request: Request, cabinet_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                     use_cases: NamedDependency[UseCases],
                     settings: NamedDependency[Settings]) -> Response:
    """Demos (dev mode, simulator): decide now instead of after the configured delay."""
    verifier = use_cases.identity_simulator()
    if verifier is None:
        raise NotFoundException()
    _membership(viewer, cabinet_id)
    registration = use_cases.lcp_registration_status(person_id=viewer.person_id, cabinet_id=cabinet_id)
    if registration is None or registration.identity_check != "pending":
        return see_other(_flow_path(cabinet_id))
    session_ref = use_cases.lcp_identity_check_status(person_id=viewer.person_id,
                                                      registration_id=registration.registration_id).session_ref
    approved = form_value(data, "decision") != "reject"
    verifier.set_outcome(session_ref, approved=approved, reason=None if approved else "document_unreadable")
    verifier.decide_now(session_ref)
    return see_other(_flow_path(cabinet_id))


@get("/signature-personnelle/capture/{token:str}", name="lcp_capture_link", sync_to_thread=True)
def capture_link(token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Redirect:
    """The QR link, opened on the phone (no login): single use and short-lived."""
    url = use_cases.open_lcp_capture_link(token=token)
    return Redirect(path=local_path(url), status_code=HTTP_303_SEE_OTHER)


@post("/signature-personnelle/{cabinet_id:str}/enregistrement/annuler", name="lcp_cancel", sync_to_thread=True)
def cancel(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[UseCases]) -> Response:
    try:
        registration = _active_registration(viewer, use_cases, cabinet_id)
        use_cases.cancel_lcp_registration(person_id=viewer.person_id, registration_id=registration.registration_id)
    except (RegistrationNotFound, RegistrationWrongStep):
        return see_other(_flow_path(cabinet_id))
    request.session.pop(SESSION_CODES_SENT, None)
    flash(request, N_("Enregistrement annulé."))
    return see_other("/ma-signature")


# « Mes certificats » ----------------------------------------------------------------------


def _own_certificate(use_cases: UseCases, viewer: Viewer, certificate_id: str) -> Any:
    found = next((c for c in use_cases.my_certificates(person_id=viewer.person_id)
                  if c.certificate_id == certificate_id), None)
    if found is None:
        raise NotFoundException()
    return found


@get("/mes-certificats", name="my_certificates", sync_to_thread=True)
def my_certificates(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return render(request, "my_signature/certificates.html", viewer=viewer,
                  certificates=use_cases.my_certificates(person_id=viewer.person_id))


@get("/mes-certificats/{filename:str}", name="certificate_download", sync_to_thread=True)
def download(filename: FromPath[str], viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """``<id>.pem`` or ``<id>.der``: the certificate only; no page ever hands out a key."""
    certificate_id, _, extension = filename.rpartition(".")
    try:
        fmt = CertificateFormat(extension.lower())
    except ValueError:
        raise NotFoundException() from None
    certificate = _own_certificate(use_cases, viewer, certificate_id)
    content = use_cases.certificate_download(person_id=viewer.person_id, certificate_id=certificate_id, format=fmt)
    name = f"certificat-{certificate.policy_name.lower()}-{certificate.serial}.{fmt.value}"
    return Response(content=content, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _revocation_page(request: Request, viewer: Viewer, certificate: Any, *, status: int = 200,
                     errors: dict[str, str] | None = None, reason: str = "") -> Template:
    return render(request, "my_signature/revoke.html", status=status, viewer=viewer, certificate=certificate,
                  errors=errors or {}, values={"reason": reason})


@get("/mes-certificats/{certificate_id:str}/revocation", name="certificate_revocation", sync_to_thread=True)
def revocation_form(request: Request, certificate_id: FromPath[str], viewer: NamedDependency[Viewer],
                    use_cases: NamedDependency[UseCases]) -> Response:
    certificate = _own_certificate(use_cases, viewer, certificate_id)
    if not certificate.can_revoke:
        flash(request, N_("Ce certificat n’est plus actif\u00a0: il n’y a rien à révoquer."), "error")
        return see_other("/mes-certificats")
    return _revocation_page(request, viewer, certificate)


@post("/mes-certificats/{certificate_id:str}/revocation", name="certificate_revoke", sync_to_thread=True)
def revoke(request: Request, certificate_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[UseCases]) -> Response:
    certificate = _own_certificate(use_cases, viewer, certificate_id)
    reason = form_value(data, "reason")
    if reason not in {r.value for r in RevocationReason}:
        return _revocation_page(request, viewer, certificate, status=400, errors={"reason": REASON_REQUIRED})
    try:
        revoked = use_cases.revoke_certificate(person_id=viewer.person_id, certificate_id=certificate_id,
                                               reason=reason)
    except DomainError as exc:
        return _revocation_page(request, viewer, certificate, status=form_error_status(describe(exc).status),
                                errors={"_form": error_text(request, exc)}, reason=reason)
    flash(request, N_("Le certificat %(serial)s est révoqué. Il ne peut plus servir à signer."),
          serial=revoked.serial_formatted)
    return see_other("/mes-certificats")


my_signature_router = Router(path="/", route_handlers=[
    my_signature, my_signature_alias, registration_page, start, send_email_code, send_sms_code, verify_email_code,
    verify_sms_code, confirm_identity, start_identity_check, renew_capture_link, identity_check_status,
    simulator_decide, accept_terms, cancel, my_certificates, download, revocation_form, revoke,
], dependencies=VIEWER_DEPENDENCY, include_in_schema=False)

# The phone's QR link carries no session: it must not ask for a login.
my_signature_public_router = Router(path="/", route_handlers=[capture_link], include_in_schema=False)
