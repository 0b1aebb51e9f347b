"""« Souscrire à un certificat qualifié » (guide, part 1): the desktop pages of the enrollment.

One address per enrollment, ``/qcp/{id}``, shows the page its ``next_step`` calls for;
every button posts to ``/qcp/{id}/<action>`` and comes back there (POST-redirect-GET), so
closing the browser and logging in again resumes where the person left off. Plain forms
do everything; ``/static/js/qcp.js`` only refreshes the waiting pages sooner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import segno
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from markupsafe import Markup

from domain.model.errors import CodeRefused, Conflict, DomainError, QcpEnrollmentAlreadyOpen
from domain.model.qcp_enrollment import NextStep
from domain.services.qcp_enrollment import QcpEnrollmentUseCases
from entrypoints.composition.use_cases import UseCases
from entrypoints.settings import Settings
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer, use_cases_of
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    flash,
    form_error_status,
    form_value,
    on_phone,
    redirect_after,
    render,
    see_other,
)
from ports.clock import Clock

SESSION_EMAIL_SENT = "qcp_email_sent"  # {enrollment_id: masked email}
SESSION_SMS_SENT = "qcp_sms_sent"  # {enrollment_id: masked mobile}
SESSION_CAPTURE = "qcp_capture"  # {enrollment_id: QR link, its expiry, the browser URL, the session}
SESSION_RETURN = "qcp_return"  # {session_ref: enrollment_id}: where the browser capture ends

CODE_REQUIRED = N_("Saisissez le code reçu.")
PREREQUISITES_REQUIRED = N_("Cochez les deux cases pour commencer.")
CONSENTS_REQUIRED = N_("Les deux consentements sont nécessaires pour vérifier votre identité.")
ACCEPT_REQUIRED = N_("Cochez « J’ai lu et j’accepte le document. » pour continuer.")

# The provider's short reason codes, in words; any other reason is shown as the provider gave it.
REJECTION_REASONS = {
    "document_unreadable": N_("Votre pièce d’identité n’a pas pu être lue sur les photos."),
    "document_expired": N_("Votre pièce d’identité est expirée."),
    "document_not_accepted": N_("Ce type de document n’est pas accepté."),
    "face_mismatch": N_("Votre visage ne correspond pas à la photo de la pièce d’identité."),
    "liveness_failed": N_("La reconnaissance faciale n’a pas abouti."),
    "name_mismatch": N_("Le nom lu sur la pièce d’identité n’est pas le vôtre."),
}
REVIEW_REASONS = {
    "person_disputes_extracted_data": N_("Vous avez indiqué que les informations lues sur votre pièce d’identité sont inexactes."),
    "extracted_identity_differs_from_lcp": N_(
        "Les informations lues sur votre pièce d’identité diffèrent de celles de votre certificat LCP."),
}
DOCUMENT_TYPES = {
    "id_card": N_("Carte nationale d’identité"),
    "passport": N_("Passeport"),
    "residence_permit": N_("Titre de séjour"),
}

# Steps the person waits on: the page asks for news by itself.
WAITING_STEPS = frozenset({NextStep.CAPTURE, NextStep.WAIT_FOR_RESULT, NextStep.WAIT_FOR_MANUAL_REVIEW,
                           NextStep.WAIT_FOR_OFFICER})
REFRESH_SECONDS = 10

_TEMPLATES = {
    NextStep.SEND_EMAIL_CODE: "qcp/access.html",
    NextStep.CONFIRM_IDENTITY: "qcp/identity.html",
    NextStep.CONFIRM_PREREQUISITES: "qcp/prerequisites.html",
    NextStep.CONSENT: "qcp/consent.html",
    NextStep.START_IDENTITY_CHECK: "qcp/start_check.html",
    NextStep.CAPTURE: "qcp/qr.html",
    NextStep.WAIT_FOR_RESULT: "qcp/waiting.html",
    NextStep.RETRY_IDENTITY_CHECK: "qcp/rejected.html",
    NextStep.VALIDATE_IDENTITY: "qcp/validate.html",
    NextStep.WAIT_FOR_MANUAL_REVIEW: "qcp/manual_review.html",
    NextStep.READ_REQUEST: "qcp/request.html",
    NextStep.SIGN_REQUEST: "qcp/sign.html",
    NextStep.WAIT_FOR_OFFICER: "qcp/finalised.html",
    NextStep.DONE: "qcp/finalised.html",
    NextStep.CLOSED: "qcp/closed.html",
}


def qr_svg(url: str) -> Markup:
    # Inline SVG: no extra request, allowed by our Content-Security-Policy.
    return Markup(segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                         title="QR code"))


def _qcp(use_cases: UseCases) -> QcpEnrollmentUseCases:
    return use_cases.qcp()


def _page(enrollment_id: str) -> str:
    return f"/qcp/{enrollment_id}"


def _remember(request: Request, key: str, enrollment_id: str, value: Any) -> None:
    stored = dict(request.session.get(key) or {})
    stored[enrollment_id] = value
    request.session[key] = stored


def _recalled(request: Request, key: str, enrollment_id: str) -> Any:
    return (request.session.get(key) or {}).get(enrollment_id)


def remember_capture(request: Request, started: Any) -> None:
    """The QR link exists in clear only in the answer of the use case: keep it for the page."""
    _remember(request, SESSION_CAPTURE, started.enrollment.id, {
        "qr_url": started.qr_url, "expires_at": started.qr_expires_at.isoformat(),
        "browser_url": started.browser_url, "session_ref": started.session_ref})
    returns = dict(request.session.get(SESSION_RETURN) or {})
    returns[started.session_ref] = started.enrollment.id
    request.session[SESSION_RETURN] = returns


def _capture_link(request: Request, qcp: Any, clock: Any, viewer: Viewer, view: Any) -> dict[str, Any]:
    """The QR link shown on the page: the remembered one while valid, else a new one (the
    previous expired on screen, or this is a new login)."""
    known = _recalled(request, SESSION_CAPTURE, view.id)
    if (not known or known.get("session_ref") != view.session_ref
            or datetime.fromisoformat(known["expires_at"]) <= clock.now()):
        remember_capture(request, qcp.renew_capture_link(person_id=viewer.person_id, enrollment_id=view.id))
        known = _recalled(request, SESSION_CAPTURE, view.id)
    return {**known, "expires_at": datetime.fromisoformat(known["expires_at"])}


def local_path(url: str) -> str:
    """Our own absolute URLs (built from the public URL) as a path on this server."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def step_page(request: Request, viewer: Viewer, qcp: Any, clock: Any, view: Any, *, status: int = 200,
              **context: Any) -> Template:
    extra: dict[str, Any] = {}
    step = view.next_step
    if step is NextStep.SEND_EMAIL_CODE:
        extra["email_sent_to"] = _recalled(request, SESSION_EMAIL_SENT, view.id)
    elif step is NextStep.CAPTURE:
        try:
            link = _capture_link(request, qcp, clock, viewer, view)
        except DomainError:
            # The capture ended meanwhile (the phone was quicker): show where things are now.
            fresh = qcp.view(person_id=viewer.person_id, enrollment_id=view.id)
            if fresh.next_step is NextStep.CAPTURE:
                raise
            return step_page(request, viewer, qcp, clock, fresh, status=status, **context)
        extra.update(capture=link, qr=qr_svg(link["qr_url"]), browser_path=local_path(link["browser_url"]))
    elif step is NextStep.READ_REQUEST:
        document = qcp.request_document(person_id=viewer.person_id, enrollment_id=view.id)
        pages = use_cases_of(request).pdf_inspector().inspect(document.pdf).page_count
        extra.update(digest=document.digest, pages=pages)
    elif step is NextStep.SIGN_REQUEST:
        extra["sms_sent_to"] = _recalled(request, SESSION_SMS_SENT, view.id)
    elif step is NextStep.WAIT_FOR_RESULT:
        extra["officer_reviews"] = qcp.identity_reviewed_by_officer()
    extra["simulator"] = use_cases_of(request).identity_simulator() is not None
    return render(request, _TEMPLATES[step], status=status, viewer=viewer, enrollment=view,
                  waiting=step in WAITING_STEPS, refresh_seconds=REFRESH_SECONDS,
                  rejection_reason=_reason_text(view.rejection_reason, REJECTION_REASONS),
                  review_reason=_reason_text(view.review_reason, REVIEW_REASONS),
                  document_types=DOCUMENT_TYPES, on_phone=on_phone(request), **extra, **context)


def _reason_text(reason: str | None, known: dict[str, str]) -> str | None:
    if not reason:
        return None
    return known.get(reason, reason)


def _refused(request: Request, viewer: Viewer, qcp: Any, clock: Any, enrollment_id: str, exc: DomainError,
             field: str = "_form") -> Response:
    """The same page again, the refusal next to the field (or above the form)."""
    view = qcp.view(person_id=viewer.person_id, enrollment_id=enrollment_id)
    status = form_error_status(describe(exc).status)
    return step_page(request, viewer, qcp, clock, view, status=status, errors={field: error_text(request, exc)})


def _on_refusal(request: Request, viewer: Viewer, qcp: Any, clock: Any, enrollment_id: str, *,
                code_field: bool = False) -> Callable[[DomainError], Response]:
    """What a refused step answers: the step's page again, a wrong code beside the code field."""
    def refused(exc: DomainError) -> Response:
        field = "code" if code_field and isinstance(exc, CodeRefused) else "_form"
        return _refused(request, viewer, qcp, clock, enrollment_id, exc, field)
    return refused


def _missing(request: Request, viewer: Viewer, qcp: Any, clock: Any, enrollment_id: str, message: str,
             field: str = "_form") -> Response:
    view = qcp.view(person_id=viewer.person_id, enrollment_id=enrollment_id)
    return step_page(request, viewer, qcp, clock, view, status=400, errors={field: message})


# Entry: « Souscrire à un certificat qualifié » ---------------------------------------------


@get("/signature-personnelle/{cabinet_id:str}/qcp", name="qcp_entry", sync_to_thread=True)
def qcp_entry(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
              use_cases: NamedDependency[UseCases]) -> Response:
    """Resume the enrollment in progress, or show « Accès protégé » before one exists."""
    cabinet = next((c for c in viewer.cabinets if c.cabinet_id == cabinet_id), None)
    if cabinet is None:
        raise NotFoundException()
    current = _qcp(use_cases).current(person_id=viewer.person_id, cabinet_id=cabinet_id)
    if current is not None and current.next_step is not NextStep.CLOSED:
        return see_other(_page(current.id))
    return render(request, "qcp/access.html", viewer=viewer, enrollment=None, cabinet=cabinet)


@post("/signature-personnelle/{cabinet_id:str}/qcp", name="qcp_start", sync_to_thread=True)
def qcp_start(request: Request, cabinet_id: FromPath[str], viewer: NamedDependency[Viewer],
              use_cases: NamedDependency[UseCases]) -> Response:
    """« Envoyer le code »: opens the enrollment (or takes the open one) and sends the code."""
    qcp = _qcp(use_cases)
    try:
        view = qcp.start(person_id=viewer.person_id, cabinet_id=cabinet_id)
    except QcpEnrollmentAlreadyOpen as exc:
        return see_other(_page(exc.enrollment_id))
    sent = qcp.send_email_code(person_id=viewer.person_id, enrollment_id=view.id)
    _remember(request, SESSION_EMAIL_SENT, view.id, sent.destination)
    return see_other(_page(view.id))


# The enrollment's page ----------------------------------------------------------------------


@get("/qcp/{enrollment_id:str}", name="qcp_page", sync_to_thread=True)
def qcp_page(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
             use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Template:
    qcp = _qcp(use_cases)
    view = qcp.view(person_id=viewer.person_id, enrollment_id=enrollment_id)
    if view.next_step in (NextStep.CAPTURE, NextStep.WAIT_FOR_RESULT):
        # Without JavaScript the page reloads itself: each load asks the provider for news.
        view = qcp.identity_check_status(person_id=viewer.person_id, enrollment_id=enrollment_id)
    return step_page(request, viewer, qcp, clock, view)


@get("/qcp/{enrollment_id:str}/statut", name="qcp_status", sync_to_thread=True)
def qcp_status(enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
               use_cases: NamedDependency[UseCases]) -> Response:
    """What the waiting pages poll: the step to show; the page reloads when it changes.

    The poll records a visit and may race the person's own form post on the same enrollment; the
    store then refuses one write (Conflict, "retrying may work"). A poll must not answer an error
    for that (the browser logs it): ask again, a few times.
    """
    for attempt in range(3):
        try:
            view = _qcp(use_cases).identity_check_status(person_id=viewer.person_id, enrollment_id=enrollment_id)
            break
        except Conflict:
            if attempt == 2:
                raise
            time.sleep(0.05 * (attempt + 1))
    return Response(content={"state": view.state.value, "next_step": view.next_step.value,
                             "attempts_left": view.attempts_left, "url": _page(view.id)},
                    headers={"Cache-Control": "no-store"})


@post("/qcp/{enrollment_id:str}/code-email", name="qcp_send_email_code", sync_to_thread=True)
def qcp_send_email_code(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                        use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)

    def send() -> None:
        sent = qcp.send_email_code(person_id=viewer.person_id, enrollment_id=enrollment_id)
        _remember(request, SESSION_EMAIL_SENT, enrollment_id, sent.destination)
        flash(request, N_("Un code vous a été envoyé par e-mail à %(destination)s."), destination=sent.destination)

    return redirect_after(request, send, _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/verifier-email", name="qcp_check_email_code", sync_to_thread=True)
def qcp_check_email_code(request: Request, enrollment_id: FromPath[str], data: FormData,
                         viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases],
                         clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    code = form_value(data, "code")
    if not code:
        return _missing(request, viewer, qcp, clock, enrollment_id, CODE_REQUIRED, "code")
    return redirect_after(request, lambda: qcp.check_email_code(person_id=viewer.person_id, enrollment_id=enrollment_id, code=code), _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id, code_field=True))


@post("/qcp/{enrollment_id:str}/identite", name="qcp_confirm_identity", sync_to_thread=True)
def qcp_confirm_identity(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                         use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    return redirect_after(request, lambda: qcp.confirm_identity(person_id=viewer.person_id, enrollment_id=enrollment_id), _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/prealables", name="qcp_confirm_prerequisites", sync_to_thread=True)
def qcp_confirm_prerequisites(request: Request, enrollment_id: FromPath[str], data: FormData,
                              viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases],
                              clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    has_document, mobile_is_theirs = checked(data, "has_valid_id_document"), checked(data, "mobile_is_theirs")
    if not (has_document and mobile_is_theirs):
        return _missing(request, viewer, qcp, clock, enrollment_id, PREREQUISITES_REQUIRED)
    return redirect_after(request, lambda: qcp.confirm_prerequisites(
        person_id=viewer.person_id, enrollment_id=enrollment_id, has_valid_id_document=has_document,
        mobile_is_theirs=mobile_is_theirs), _page(enrollment_id),
        refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/consentements", name="qcp_consent", sync_to_thread=True)
def qcp_consent(request: Request, enrollment_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    """Both consents, then the identity check starts at once: the QR code comes next."""
    qcp = _qcp(use_cases)
    terms, privacy = checked(data, "id_data_and_terms"), checked(data, "privacy_policy")
    if not (terms and privacy):
        return _missing(request, viewer, qcp, clock, enrollment_id, CONSENTS_REQUIRED)

    def consent() -> None:
        qcp.consent(person_id=viewer.person_id, enrollment_id=enrollment_id, id_data_and_terms=terms,
                    privacy_policy=privacy)
        remember_capture(request, qcp.start_identity_check(person_id=viewer.person_id, enrollment_id=enrollment_id))

    return redirect_after(request, consent, _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/verification", name="qcp_start_identity_check", sync_to_thread=True)
def qcp_start_identity_check(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                             use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    """A first check after a resume, a retry after a rejection, or a restarted capture."""
    qcp = _qcp(use_cases)
    return redirect_after(request, lambda: remember_capture(request, qcp.start_identity_check(person_id=viewer.person_id, enrollment_id=enrollment_id)), _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/nouveau-qr-code", name="qcp_renew_capture_link", sync_to_thread=True)
def qcp_renew_capture_link(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                           use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    return redirect_after(request, lambda: remember_capture(request, qcp.renew_capture_link(person_id=viewer.person_id, enrollment_id=enrollment_id)), _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/valider-identite", name="qcp_validate_identity", sync_to_thread=True)
def qcp_validate_identity(request: Request, enrollment_id: FromPath[str], data: FormData,
                          viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases],
                          clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    confirmed = form_value(data, "confirmed") != "non"
    return redirect_after(request, lambda: qcp.validate_identity(person_id=viewer.person_id, enrollment_id=enrollment_id, confirmed=confirmed), _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/simulateur", name="qcp_simulator_decide", sync_to_thread=True)
def qcp_simulator_decide(request: Request, enrollment_id: FromPath[str], data: FormData,
                         viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases], settings: NamedDependency[Settings]) -> Response:
    """Demos (dev mode, simulator): decide now instead of after the configured delay."""
    verifier = use_cases.identity_simulator()
    if verifier is None:
        raise NotFoundException()
    view = _qcp(use_cases).view(person_id=viewer.person_id, enrollment_id=enrollment_id)
    if view.next_step is not NextStep.WAIT_FOR_RESULT or not view.session_ref:
        return see_other(_page(enrollment_id))
    approved = form_value(data, "decision") != "reject"
    verifier.set_outcome(view.session_ref, approved=approved, reason=None if approved else "document_unreadable")
    verifier.decide_now(view.session_ref)
    return see_other(_page(enrollment_id))


@get("/qcp/{enrollment_id:str}/demande.pdf", name="qcp_request_pdf", sync_to_thread=True)
def qcp_request_pdf(enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                    use_cases: NamedDependency[UseCases]) -> Response:
    document = _qcp(use_cases).request_document(person_id=viewer.person_id, enrollment_id=enrollment_id)
    return Response(content=document.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="demande-de-certificat.pdf"'})


@get("/qcp/{enrollment_id:str}/demande/pages/{number:int}", name="qcp_request_page", sync_to_thread=True)
def qcp_request_page(request: Request, enrollment_id: FromPath[str], number: FromPath[int],
                     viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """One page of « Demande de certificat » as an image, for reading it in the page. ``?taille=grande``
    is the enlarged page a phone opens to read it (and zoom in)."""
    document = _qcp(use_cases).request_document(person_id=viewer.person_id, enrollment_id=enrollment_id)
    width = 1600 if request.query_params.get("taille") == "grande" else 900
    png = use_cases.page_renderer().render_png(document.pdf, page=number, width_px=width)
    return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@get("/qcp/{enrollment_id:str}/demande/page/{number:int}", name="qcp_request_page_view", sync_to_thread=True)
def qcp_request_page_view(request: Request, enrollment_id: FromPath[str], number: FromPath[int],
                          viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    """One page of the request, enlarged, in a page of ours: a phone reads it by scrolling or
    zooming (a bare image opened in the browser would not keep our Content-Security-Policy)."""
    qcp = _qcp(use_cases)
    view = qcp.view(person_id=viewer.person_id, enrollment_id=enrollment_id)
    if view.next_step is not NextStep.READ_REQUEST:
        return see_other(_page(enrollment_id))
    document = qcp.request_document(person_id=viewer.person_id, enrollment_id=enrollment_id)
    pages = use_cases.pdf_inspector().inspect(document.pdf).page_count
    if not 1 <= number <= pages:
        raise NotFoundException()
    return render(request, "qcp/request_page.html", viewer=viewer, enrollment=view, number=number, pages=pages)


@post("/qcp/{enrollment_id:str}/accepter", name="qcp_accept_request", sync_to_thread=True)
def qcp_accept_request(request: Request, enrollment_id: FromPath[str], data: FormData,
                       viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases],
                       clock: NamedDependency[Clock]) -> Response:
    """« J'ai lu et j'accepte le document. », then the SMS code is sent for « Signer »."""
    qcp = _qcp(use_cases)
    if not checked(data, "accepted"):
        return _missing(request, viewer, qcp, clock, enrollment_id, ACCEPT_REQUIRED, "accepted")

    def accept() -> None:
        qcp.accept_request(person_id=viewer.person_id, enrollment_id=enrollment_id,
                           document_digest=form_value(data, "document_digest"))
        sent = qcp.send_signing_code(person_id=viewer.person_id, enrollment_id=enrollment_id)
        _remember(request, SESSION_SMS_SENT, enrollment_id, sent.destination)

    return redirect_after(request, accept, _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/code-sms", name="qcp_send_signing_code", sync_to_thread=True)
def qcp_send_signing_code(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                          use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    """« Code non reçu ? Renvoyer »."""
    qcp = _qcp(use_cases)

    def send() -> None:
        sent = qcp.send_signing_code(person_id=viewer.person_id, enrollment_id=enrollment_id)
        _remember(request, SESSION_SMS_SENT, enrollment_id, sent.destination)
        flash(request, N_("Un nouveau code vous a été envoyé par SMS au %(destination)s."),
              destination=sent.destination)

    return redirect_after(request, send, _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id))


@post("/qcp/{enrollment_id:str}/signer", name="qcp_sign_request", sync_to_thread=True)
def qcp_sign_request(request: Request, enrollment_id: FromPath[str], data: FormData,
                     viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases],
                     clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    code = form_value(data, "code")
    if not code:
        return _missing(request, viewer, qcp, clock, enrollment_id, CODE_REQUIRED, "code")
    return redirect_after(request, lambda: qcp.sign_request(person_id=viewer.person_id, enrollment_id=enrollment_id, code=code), _page(enrollment_id),
                          refused=_on_refusal(request, viewer, qcp, clock, enrollment_id, code_field=True))


@get("/qcp/{enrollment_id:str}/demande-signee.pdf", name="qcp_signed_request", sync_to_thread=True)
def qcp_signed_request(enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                       use_cases: NamedDependency[UseCases]) -> Response:
    pdf = _qcp(use_cases).signed_request(person_id=viewer.person_id, enrollment_id=enrollment_id)
    return Response(content=pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="demande-de-certificat-signee.pdf"'})


@post("/qcp/{enrollment_id:str}/annuler", name="qcp_cancel", sync_to_thread=True)
def qcp_cancel(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
               use_cases: NamedDependency[UseCases], clock: NamedDependency[Clock]) -> Response:
    qcp = _qcp(use_cases)
    return redirect_after(request, lambda: qcp.cancel(person_id=viewer.person_id, enrollment_id=enrollment_id),
                          "/ma-signature", refused=_on_refusal(request, viewer, qcp, clock, enrollment_id),
                          message=N_("Votre demande de certificat qualifié est annulée."))


# The QR link, opened on the phone (no login) --------------------------------------------------


@get("/qcp/capture/{token:str}", name="qcp_capture_link", sync_to_thread=True)
def qcp_capture_link(token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Redirect:
    """Single use and short-lived: the phone is sent on to the capture pages."""
    url = _qcp(use_cases).open_capture_link(token=token)
    return Redirect(path=local_path(url), status_code=HTTP_303_SEE_OTHER)


qcp_router = Router(path="/", route_handlers=[
    qcp_entry, qcp_start, qcp_page, qcp_status, qcp_send_email_code, qcp_check_email_code, qcp_confirm_identity,
    qcp_confirm_prerequisites, qcp_consent, qcp_start_identity_check, qcp_renew_capture_link,
    qcp_validate_identity, qcp_simulator_decide, qcp_request_pdf, qcp_request_page, qcp_request_page_view,
    qcp_accept_request, qcp_send_signing_code,
    qcp_sign_request, qcp_signed_request, qcp_cancel,
], dependencies=VIEWER_DEPENDENCY, include_in_schema=False)

@get("/confidentialite", name="privacy_policy", sync_to_thread=False)
def privacy_policy(request: Request, settings: NamedDependency[Settings]) -> Template:
    """« Politique de Protection des Données Personnelles », in the version consented to."""
    return render(request, "qcp/privacy.html", version=getattr(settings, "privacy_version", ""))


# The phone's link carries no session: it must not ask for a login.
qcp_public_router = Router(path="/", route_handlers=[qcp_capture_link, privacy_policy], include_in_schema=False)
