"""The signer's pages: `/signature/{token}` from the invitation email, no account needed.

Steps, as plain forms that work on a phone without JavaScript: the documents page by page
with the preparer's message, « J'ai lu et j'accepte » (which sends the code), the code page
(« Signer », « Code non reçu ? Renvoyer »), « Refuser » with a reason and its confirmation,
and the outcome (« Votre signature est enregistrée », or « en cours de finalisation » while
the worker waits for trusted time: that page refreshes itself). An external level-3 signer
first goes through the identity check of the QCP flow (same port, same capture pages).

The link is the signer's credential: pages read it from the path. No session is needed,
except to remember the QR link of a started identity check (as the QCP pages do). Forms
still carry the CSRF token (the cookie Litestar sets on the first GET). A dead link (expired,
replaced, collection ended) gets a page in French saying why, never a 500.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from markupsafe import Markup

from domain.model.errors import (
    CodeRefused,
    CodeResendRefused,
    DomainError,
    IdentityCheckRequired,
    InvitationLinkUnusable,
    NotFound,
    SignatureBeingFinalised,
)
from entrypoints.composition.use_cases import IdentitySimulator, UseCases
from entrypoints.web.deps import request_context
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    form_error_status,
    form_value,
    on_phone,
    redirect_after,
    refusal,
    render,
    see_other,
)
from entrypoints.web.pages.downloads import attachment

__all__ = ["ceremony_router"]

PAGE_WIDTH_PX = 900
MAX_REASON = 1000
ACCEPT_REQUIRED = N_("Cochez « J’ai lu et j’accepte » pour recevoir votre code.")
ACCEPT_REQUIRED_CONSENT = N_("Cochez « J’ai lu et j’accepte » pour autoriser la signature chez votre prestataire.")
CODE_REQUIRED = N_("Saisissez le code à 6 chiffres reçu.")
REASON_REQUIRED = N_("Indiquez la raison de votre refus (1000 caractères au plus).")
CONFIRM_REFUSAL = N_("Cochez la case pour confirmer votre refus.")
LEVEL_LABELS = {1: N_("Niveau 1 : signature simple"), 2: N_("Niveau 2 : signature avancée"),
                3: N_("Niveau 3 : avancée, certificat qualifié")}
SESSION_IDENTITY = "signer_identity"  # {signer_id: {"phone_url", "browser_url", "session_ref"}}
SESSION_SIGNER_RETURN = "signer_return"  # {session_ref: token}: where the browser capture ends
SESSION_CONSENT_RETURN = "consent_return"  # {state: token}: whose page the provider's redirect ends on
CONSENT_DONE = N_("Votre signature est enregistrée")
CONSENT_DONE_TEXT = N_("Votre prestataire de signature qualifiée a signé les documents que vous avez autorisés. "
                       "Vous pouvez fermer cette page.")
CONSENT_FAILED = N_("La signature n’a pas été faite")

# Why a link no longer works, in the words of the page (reason → title, explanation).
DEAD_LINK_TEXTS: dict[str, tuple[str, str]] = {
    "unknown": (N_("Ce lien de signature n’est plus valable"),
                N_("Il a peut-être été remplacé par un lien plus récent (relance, changement de signataire). "
                   "Utilisez le dernier e-mail reçu, ou contactez l’expéditeur.")),
    "expired": (N_("La date limite de signature est passée"),
                N_("Cette collecte n’accepte plus de signature. Contactez l’expéditeur si vous devez encore signer.")),
    "completed": (N_("Cette collecte est terminée"),
                  N_("Tous les signataires ont signé. Vous recevrez (ou avez reçu) un lien de téléchargement "
                     "par e-mail.")),
    "refused": (N_("Cette collecte a été refusée"),
                N_("Un signataire a refusé de signer : la collecte est terminée et aucun document ne sera "
                   "envoyé.")),
    "cancelled": (N_("Cette collecte a été annulée"),
                  N_("L’expéditeur a annulé cette demande de signature. Aucun document ne sera envoyé.")),
}


def _base(token: str) -> str:
    return f"/signature/{token}"


def _dead_page(request: Request, reason: str, *, status: int = 410) -> Response:
    title, text = DEAD_LINK_TEXTS.get(reason, DEAD_LINK_TEXTS["unknown"])
    return render(request, "ceremony/dead.html", status=status, title=title, text=text, reason=reason)


def _reason(error: InvitationLinkUnusable) -> str:
    return str((getattr(error, "params", None) or {}).get("reason") or "unknown")


def _view_or_dead(use_cases: UseCases, request: Request, token: str) -> Any:
    """The ceremony as it stands, or a Response explaining why the link is dead."""
    try:
        return use_cases.ceremony_status(token=token, code_sender=True)
    except InvitationLinkUnusable as exc:
        return _dead_page(request, _reason(exc))


def _ended_page(request: Request, view: Any, token: str) -> Response | None:
    """The page to show instead of the steps, when there is nothing left to do here."""
    if view.signer_status in ("signed", "finalising"):
        return render(request, "ceremony/done.html", view=view, token=token,
                      finalising=view.signer_status == "finalising", refresh=view.signer_status == "finalising")
    if view.signer_status == "refused":
        return render(request, "ceremony/refused.html", view=view, token=token)
    if view.collection_status != "in_progress":
        return _dead_page(request, view.collection_status)
    return None


def _live_view(use_cases: UseCases, request: Request, token: str) -> Any:
    """The ceremony when there are steps left to take here, or the Response to show instead."""
    view = _view_or_dead(use_cases, request, token)
    if isinstance(view, Response):
        return view
    ended = _ended_page(request, view, token)
    return view if ended is None else ended


def _steps_page(request: Request, view: Any, token: str, *, status: int = 200, **context: Any) -> Response:
    return render(request, "ceremony/documents.html", status=status, view=view, token=token,
                  page_width=PAGE_WIDTH_PX, level_label=LEVEL_LABELS.get(view.level, ""), **context)


def _code_page(request: Request, view: Any, token: str, *, status: int = 200, **context: Any) -> Response:
    # The view says whether the QTSP sends the code (its own OTP): also after a refusal, or a reload.
    provider_code = bool(context.pop("provider_code", False)) or view.code_channel == "qtsp"
    return render(request, "ceremony/code.html", status=status, view=view, token=token,
                  provider_code=provider_code, **context)


def _step_error(request: Request, use_cases: UseCases, token: str, exc: DomainError) -> Response:
    """A refusal in the middle of the steps: the dead-link page, the outcome, or the error above the steps."""
    if isinstance(exc, InvitationLinkUnusable):
        return _dead_page(request, _reason(exc))
    view = _live_view(use_cases, request, token)
    if isinstance(view, Response):
        return view
    return _steps_page(request, view, token, status=form_error_status(describe(exc).status),
                       errors={"_form": error_text(request, exc)})


# -- the documents and the steps ---------------------------------------------------------------------


@get("/signature/{token:str}", name="signer_ceremony", sync_to_thread=True)
def ceremony_page(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
    """One read transaction (``view_ceremony``): the outcome page, or the steps (the first
    opening, only, writes)."""
    try:
        view = use_cases.view_ceremony(token=token, context=request_context(request))
    except DomainError as exc:
        return _step_error(request, use_cases, token, exc)
    ended = _ended_page(request, view, token)
    return ended if ended is not None else _steps_page(request, view, token)


_PAGE_CACHE: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
_PAGE_CACHE_LOCK = Lock()
_PAGE_CACHE_SIZE = 64


def _cached_page(sha256: str, render: Any, page: int) -> bytes:
    """Page images of the exact version shown, keyed by its digest (a phone scrolls back and forth)."""
    key = (sha256, page, PAGE_WIDTH_PX)
    with _PAGE_CACHE_LOCK:
        if key in _PAGE_CACHE:
            _PAGE_CACHE.move_to_end(key)
            return _PAGE_CACHE[key]
    image = render()
    with _PAGE_CACHE_LOCK:
        _PAGE_CACHE[key] = image
        while len(_PAGE_CACHE) > _PAGE_CACHE_SIZE:
            _PAGE_CACHE.popitem(last=False)
    return image


@get("/signature/{token:str}/documents/{document_id:str}/pages/{page:int}", name="signer_page_image",
     sync_to_thread=True)
def page_image(token: FromPath[str], document_id: FromPath[str], page: FromPath[int],
               use_cases: NamedDependency[UseCases]) -> Response:
    try:
        view = use_cases.ceremony_status(token=token)
        document = next((d for d in view.documents if d.document_id == document_id), None)
        if document is None or not 1 <= page <= document.page_count:
            raise NotFoundException()
        image = _cached_page(document.sha256,
                             lambda: use_cases.render_page_for_signer(token=token, document_id=document_id,
                                                                      page=page, width_px=PAGE_WIDTH_PX),
                             page)
    except (InvitationLinkUnusable, NotFound):
        raise NotFoundException() from None
    return Response(content=image, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@get("/signature/{token:str}/documents/{document_id:str}/pdf", name="signer_document_pdf", sync_to_thread=True)
def document_pdf(token: FromPath[str], document_id: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
    """The PDF itself, to read it in the phone's own viewer (the version the code is bound to)."""
    try:
        name, content = use_cases.read_document_for_signer(token=token, document_id=document_id)
    except (InvitationLinkUnusable, NotFound):
        raise NotFoundException() from None
    return Response(content=content, media_type="application/pdf",
                    headers={"Content-Disposition": _inline(name)})


def _inline(name: str) -> str:
    return attachment(name, "inline")


# -- the code ---------------------------------------------------------------------------------------------


@post("/signature/{token:str}/code", name="signer_request_code", sync_to_thread=True)
def request_code(request: Request, token: FromPath[str], data: FormData,
                 use_cases: NamedDependency[UseCases]) -> Response:
    """« J'ai lu et j'accepte » → the code (by email at level 1, by SMS at levels 2-3); also « Renvoyer »."""
    response = _request_code(request, token, data, use_cases)
    if request.headers.get("hx-request") != "true":
        return response
    # htmx swaps the « Signer » section of the steps page (an answer it swaps must be a 2xx; the error is
    # in the section); anything else is a page to go to.
    if getattr(response, "template_name", None) == "ceremony/documents.html":
        response.status_code = 200
        return response
    target = str(response.url) if isinstance(response, Redirect) else None
    return Response(content=b"", status_code=200, headers={"HX-Redirect": target or _base(token)})


def _request_code(request: Request, token: str, data: dict[str, Any], use_cases: UseCases) -> Response:
    resend = form_value(data, "renvoyer") == "1"
    if not resend and not checked(data, "accepte"):
        view = _view_or_dead(use_cases, request, token)
        if isinstance(view, Response):
            return view
        return _steps_page(request, view, token, status=400, errors={"accepte": ACCEPT_REQUIRED})

    def refused(exc: DomainError) -> Response:
        if isinstance(exc, IdentityCheckRequired):  # an external level-3 signer proves their identity first
            return see_other(f"{_base(token)}/identite")
        if not isinstance(exc, CodeResendRefused):
            return _step_error(request, use_cases, token, exc)
        view = _view_or_dead(use_cases, request, token)
        if isinstance(view, Response):
            return view
        return _code_page(request, view, token, status=429, errors={"_form": error_text(request, exc)})

    return redirect_after(request, lambda: use_cases.request_signing_code(token=token, context=request_context(request)),
                          lambda sent: f"{_base(token)}/code?envoye={sent.channel}" + ("&renvoye=1" if resend else ""),
                          refused=refused)


@get("/signature/{token:str}/code", name="signer_code", sync_to_thread=True)
def code_page(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases],
              envoye: FromQuery[str | None] = None, renvoye: FromQuery[str | None] = None) -> Response:
    view = _live_view(use_cases, request, token)
    if isinstance(view, Response):
        return view
    if view.identity_check_required:
        return see_other(f"{_base(token)}/identite")
    return _code_page(request, view, token, sent=envoye in ("sms", "email", "qtsp"), resent=renvoye == "1",
                      provider_code=envoye == "qtsp")


@post("/signature/{token:str}/signer", name="signer_sign", sync_to_thread=True)
def sign(request: Request, token: FromPath[str], data: FormData, use_cases: NamedDependency[UseCases]) -> Response:
    code = "".join(form_value(data, "code").split())
    if not code:
        view = _view_or_dead(use_cases, request, token)
        if isinstance(view, Response):
            return view
        return _code_page(request, view, token, status=400, errors={"code": CODE_REQUIRED})

    def refused(exc: DomainError) -> Response:
        if isinstance(exc, SignatureBeingFinalised):  # signed; the page says it is being finalised
            return see_other(_base(token))
        if not isinstance(exc, CodeRefused):
            return _step_error(request, use_cases, token, exc)
        view = _view_or_dead(use_cases, request, token)
        if isinstance(view, Response):
            return view
        return _code_page(request, view, token, **refusal(request, exc, "code"), dead_code=exc.code != "otp.invalid")

    return redirect_after(request, lambda: use_cases.sign(token=token, code=code, context=request_context(request)),
                          _base(token), refused=refused)


# -- consent at the QTSP (oauth2code): no code, the signer authorises on the provider's page ---------------


def consent_redirect_uri(request: Request) -> str:
    """Where the provider sends the signer back: one absolute URI for every signer, as providers
    register it; the state says whose consent it is."""
    base = request.app.state.container.settings().resolved_public_url.rstrip("/")
    return f"{base}/signature/consentement"


@post("/signature/{token:str}/consentement", name="signer_start_consent", sync_to_thread=True)
def start_consent(request: Request, token: FromPath[str], data: FormData,
                  use_cases: NamedDependency[UseCases]) -> Response:
    """« Autoriser chez mon prestataire »: the documents prepared, the signer sent to the provider."""
    if not checked(data, "accepte"):
        view = _view_or_dead(use_cases, request, token)
        if isinstance(view, Response):
            return view
        return _steps_page(request, view, token, status=400, errors={"accepte": ACCEPT_REQUIRED_CONSENT})

    def start() -> str:
        started = use_cases.start_remote_consent(token=token, redirect_uri=consent_redirect_uri(request),
                                                 context=request_context(request))
        # The way back to this signer's page after the provider's redirect (which names no link).
        returns = dict(_session(request).get(SESSION_CONSENT_RETURN) or {})
        returns[started.state] = token
        request.session[SESSION_CONSENT_RETURN] = returns
        return str(started.url)

    def refused(exc: DomainError) -> Response:
        if isinstance(exc, IdentityCheckRequired):
            return see_other(f"{_base(token)}/identite")
        return _step_error(request, use_cases, token, exc)

    return redirect_after(request, start, lambda url: url, refused=refused)


@get("/signature/consentement", name="signer_consent_back", sync_to_thread=True)
def consent_back(request: Request, use_cases: NamedDependency[UseCases]) -> Response:
    """The provider's redirect (OAuth 2.0: ``state`` and ``code``, or ``error``): the signature is
    made now, then the signer's page; a refusal shows the steps again, saying why in French. A
    browser that did not start the consent (the API's client) gets the outcome on a page of its
    own. (``state`` is read from the query by hand: Litestar reserves the name.)"""
    query = request.query_params
    state, code, error = query.get("state") or "", query.get("code"), query.get("error")
    token = (_session(request).get(SESSION_CONSENT_RETURN) or {}).get(state)

    def finish() -> Any:
        return use_cases.finish_remote_consent(state=state, code=code or None, error=error or None, token=token,
                                               redirect_uri=consent_redirect_uri(request),
                                               context=request_context(request))

    if token is not None:
        def refused(exc: DomainError) -> Response:
            if isinstance(exc, SignatureBeingFinalised):
                return see_other(_base(token))
            return _step_error(request, use_cases, token, exc)

        return redirect_after(request, finish, _base(token), refused=refused)
    try:
        finish()
    except DomainError as exc:
        return render(request, "ceremony/dead.html", status=describe(exc).status, title=CONSENT_FAILED,
                      text=error_text(request, exc))
    return render(request, "ceremony/dead.html", title=CONSENT_DONE, text=CONSENT_DONE_TEXT)


# -- refusal ------------------------------------------------------------------------------------------------


@get("/signature/{token:str}/refus", name="signer_refusal", sync_to_thread=True)
def refusal_page(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
    view = _live_view(use_cases, request, token)
    if isinstance(view, Response):
        return view
    return render(request, "ceremony/refuse.html", view=view, token=token)


@post("/signature/{token:str}/refus", name="signer_refuse", sync_to_thread=True)
def refuse(request: Request, token: FromPath[str], data: FormData, use_cases: NamedDependency[UseCases]) -> Response:
    reason = form_value(data, "raison")
    errors: dict[str, str] = {}
    if not reason or len(reason) > MAX_REASON:
        errors["raison"] = REASON_REQUIRED
    if not checked(data, "confirme"):
        errors["confirme"] = CONFIRM_REFUSAL
    if errors:
        view = _view_or_dead(use_cases, request, token)
        if isinstance(view, Response):
            return view
        return render(request, "ceremony/refuse.html", status=400, view=view, token=token, errors=errors,
                      values={"raison": reason[:MAX_REASON]})
    return redirect_after(request, lambda: use_cases.refuse(token=token, reason=reason, context=request_context(request)),
                          _base(token), refused=lambda exc: _step_error(request, use_cases, token, exc))


# -- level 3 for an external signer: the identity check -------------------------------------------------


def _qr_svg(url: str) -> Markup:
    import segno

    # Inline SVG: no extra request, allowed by our Content-Security-Policy.
    return Markup(segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                         title="QR code"))


def _local(url: str) -> str:
    """The capture pages are ours: link them relative, whatever public URL the provider saw."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/identity/") else url


@get("/signature/{token:str}/identite", name="signer_identity", sync_to_thread=True)
def identity_page(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
    view = _live_view(use_cases, request, token)
    if isinstance(view, Response):
        return view
    if not view.identity_check_required:
        return see_other(_base(token))
    try:
        outcome = use_cases.identity_check_outcome(token=token, context=request_context(request))
    except DomainError as exc:
        return _step_error(request, use_cases, token, exc)
    if outcome == "approved":
        return see_other(_base(token) + "?identite=ok")
    started = (_session(request).get(SESSION_IDENTITY) or {}).get(view.signer_id)
    if outcome == "pending" and started:
        return render(request, "ceremony/identity.html", view=view, token=token, stage="capture", refresh=True,
                      qr=_qr_svg(started["phone_url"]), phone_url=started["phone_url"],
                      browser_path=_local(started["browser_url"]), on_phone=on_phone(request),
                      simulator=_submitted(_simulator(use_cases), started["session_ref"]))
    if outcome == "pending":
        return render(request, "ceremony/identity.html", view=view, token=token, stage="waiting", refresh=True)
    return render(request, "ceremony/identity.html", view=view, token=token,
                  stage="rejected" if outcome == "rejected" else "start")


@post("/signature/{token:str}/identite", name="signer_identity_start", sync_to_thread=True)
def identity_start(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:

    def start() -> None:
        view = use_cases.ceremony_status(token=token)
        started = use_cases.start_identity_check(token=token, context=request_context(request))
        remembered = dict(_session(request).get(SESSION_IDENTITY) or {})
        remembered[view.signer_id] = {"phone_url": started.phone_url, "browser_url": started.browser_url,
                                      "session_ref": started.session_ref}
        request.session[SESSION_IDENTITY] = remembered
        returns = dict(_session(request).get(SESSION_SIGNER_RETURN) or {})
        returns[started.session_ref] = token
        request.session[SESSION_SIGNER_RETURN] = returns

    return redirect_after(request, start, f"{_base(token)}/identite",
                          refused=lambda exc: _step_error(request, use_cases, token, exc))


def _simulator(use_cases: UseCases) -> IdentitySimulator | None:
    """The built-in simulator, in dev mode only: demos may decide at once instead of waiting."""
    return use_cases.identity_simulator()


def _submitted(verifier: IdentitySimulator | None, session_ref: str) -> bool:
    """The photos are in and the simulator is deciding (only then can a demo hurry it)."""
    if verifier is None:
        return False
    try:
        return verifier.capture_progress(session_ref).status.value == "submitted"
    except DomainError:
        return False


@post("/signature/{token:str}/identite/simulateur", name="signer_identity_simulator", sync_to_thread=True)
def identity_simulator(request: Request, token: FromPath[str], data: FormData,
                       use_cases: NamedDependency[UseCases]) -> Response:
    """« Approuver maintenant » / « Refuser maintenant » (dev mode, simulator)."""
    verifier = _simulator(use_cases)
    if verifier is None:
        raise NotFoundException()
    view = _view_or_dead(use_cases, request, token)
    if isinstance(view, Response):
        return view
    started = (_session(request).get(SESSION_IDENTITY) or {}).get(view.signer_id)
    if started:
        approved = form_value(data, "decision") != "reject"
        try:
            if not approved:  # approval is the simulator's default, with the signer's own name
                verifier.set_outcome(started["session_ref"], approved=False, reason="document_unreadable")
            verifier.decide_now(started["session_ref"])
        except DomainError:
            pass  # decided already, or replaced: the page says where things stand
    return see_other(f"{_base(token)}/identite")


def _session(request: Request) -> dict[str, Any]:
    try:
        session = request.session
    except Exception:  # no session middleware on this route
        return {}
    return session if isinstance(session, dict) else {}


ceremony_router = Router(path="/", route_handlers=[
    ceremony_page, page_image, document_pdf, request_code, code_page, sign, start_consent, consent_back,
    refusal_page, refuse,
    identity_page, identity_start, identity_simulator,
], include_in_schema=False)
