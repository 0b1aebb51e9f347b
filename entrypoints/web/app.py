"""The Litestar application: French HTML pages, sessions, CSRF, static files, and the API hook.

``create_app(container)`` is the only way to build the app; the Litestar CLI and uvicorn
(``--factory``) call it without arguments and it then builds the container from the
environment (``SEING_*`` settings).
"""

from __future__ import annotations

import gc
import logging
import os
import re
import secrets
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, Cookie, MutableScopeHeaders, State
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.stores.file import FileStore
from litestar.template.config import TemplateConfig
from litestar.types import Empty, Message, Scope

from domain.model.errors import DomainError
from entrypoints import log_redaction
from entrypoints.web import api, i18n, labels
from entrypoints.web.api.security import CSRF_COOKIE, CSRF_HEADER
from entrypoints.web.deps import DEPENDENCIES, SESSION_ROTATE, LoginRequired
from entrypoints.web.errors import describe
from entrypoints.web.upload_limit import UploadLimit, sweep_stale_uploads, upload_body_limit

log = logging.getLogger("seing.web")

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
MAX_REQUEST_BODY = 20 * 1024 * 1024

# Paths that receive POSTs from other machines and carry no browser session: the RFC 6960
# OCSP responder, the RFC 3161 time-stamping authority and the identity provider's callback
# (the adapter authenticates it); the signer's JSON API, authorised by the secret link token
# in its path and never by a cookie (a forger would need the token); and the public
# verification, which changes nothing. Nothing else may skip CSRF.
CSRF_EXEMPT_PATHS: list[str] = ["^/pki/ocsp$", "^/pki/tsa$", "^/identity/callback$", "^/api/v1/signature/[^/]+/",
                                "^/api/v1/verifications$"]


# CSRF ------------------------------------------------------------------------------------


def _carries_api_key(scope: Scope) -> bool:
    if not scope.get("path", "").startswith("/api/"):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return value[:7].lower() == b"bearer "
    return False


class _CsrfUnlessApiKey(CSRFMiddleware):
    """Litestar's CSRF check, skipped for an API request that carries ``Authorization: Bearer``.

    CSRF abuses the cookie a browser adds by itself; a key is never added by the browser,
    and a request with a key is authenticated by the key alone (the session is ignored, a
    bad key is a 401, never a fall back to the cookie), so the check has nothing to protect.
    A cross-site page cannot set that header either without a CORS preflight we never grant.
    """

    def __init__(self, app: Any, config: CSRFConfig) -> None:
        super().__init__(app, config)
        # The attributes of the cookie Litestar would write (http.cookies' order), written once:
        # Litestar builds them through http.cookies and dataclasses.asdict for every response
        # to a visitor without the cookie yet, as every first view of a signer's page is.
        attributes = [f"Domain={config.cookie_domain}" if config.cookie_domain else "",
                      "HttpOnly" if config.cookie_httponly else "", f"Path={config.cookie_path}",
                      f"SameSite={config.cookie_samesite}" if config.cookie_samesite else "",
                      "Secure" if config.cookie_secure else ""]
        self._cookie_suffix = "; ".join(a for a in attributes if a)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _carries_api_key(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _set_cookie_if_needed(self, message: Any, token: str) -> None:
        # The token is hex digits: nothing in it needs quoting.
        message.setdefault("headers", []).append(
            (b"set-cookie", f"{self.config.cookie_name}={token}; {self._cookie_suffix}".encode("latin-1")))


# Sessions --------------------------------------------------------------------------------


class _RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a fresh session id when a handler sets ``SESSION_ROTATE`` (login, logout).

    Litestar keeps the id of the incoming cookie for the life of the session; giving the
    logged-in session a new id defeats session fixation.
    """

    def get_session_id(self, connection: Any) -> Any:
        # Litestar draws a new id at the start of every request without a cookie, before anyone
        # knows whether a session will be kept; an anonymous visitor (every signer's page view)
        # never needs one. It is drawn below, when a session is stored.
        cookie = connection.cookies.get(self.config.key)
        if cookie and cookie != "null":
            return cookie
        return connection.get_session_id()

    async def store_in_message(self, scope_session: Any, message: Message, connection: Any) -> None:
        if isinstance(scope_session, dict) and not scope_session and not connection.cookies.get(self.config.key):
            # An anonymous visitor with nothing to remember: no cookie, no file on disk.
            return
        if not self.get_session_id(connection):
            connection._connection_state.session_id = self.generate_session_id()
        if scope_session is not Empty and isinstance(scope_session, dict) and scope_session.pop(SESSION_ROTATE, None):
            old_id = connection.cookies.get(self.config.key)
            store = self.config.get_store_from_app(connection.scope["app"])
            if old_id and old_id != "null":
                await self.delete(old_id, store=store)
            new_id = self.generate_session_id()
            cookie_params = {k: v for k, v in {
                "path": self.config.path, "max_age": self.config.max_age, "domain": self.config.domain,
                "secure": self.config.secure, "httponly": self.config.httponly, "samesite": self.config.samesite,
            }.items() if v is not None}
            await self.set(session_id=new_id, data=self.serialize_data(scope_session, connection.scope), store=store)
            MutableScopeHeaders.from_message(message).add(
                "Set-Cookie", Cookie(key=self.config.key, value=new_id, **cookie_params).to_header(header=""))
            return
        await super().store_in_message(scope_session, message, connection)


class _RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = _RotatingSessionBackend


# Secrets ---------------------------------------------------------------------------------


def _web_secret(settings: Any, data_dir: Path) -> str:
    """The CSRF signing secret: from settings when given, else generated once per data dir."""
    configured = getattr(settings, "session_secret", None) or getattr(settings, "secret_key", None)
    if configured:
        return str(configured)
    path = data_dir / "web-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    # Several web processes may start at once: write aside, then link into place atomically;
    # whoever loses the race reads the winner's secret.
    scratch = data_dir / f".web-secret.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        os.link(scratch, path)
    except FileExistsError:
        pass
    finally:
        scratch.unlink()
    return path.read_text(encoding="utf-8").strip()


# Security headers ------------------------------------------------------------------------

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _security_headers(https: bool):  # noqa: ANN202 - a Litestar before_send hook
    defaults = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # Reset and invitation links carry secrets in the path: never leak them as Referer.
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": _CSP,
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        defaults["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Encoded once: every response of every page passes here.
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in defaults.items()]
    no_store = (b"cache-control", b"no-store")

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = message.setdefault("headers", [])
        if not isinstance(headers, list):
            headers = message["headers"] = list(headers)
        present = {bytes(name).lower() for name, _value in headers}
        headers.extend(header for header in encoded if header[0] not in present)
        if not scope.get("path", "").startswith("/static/") and no_store[0] not in present:
            # Pages show personal data: keep them out of shared caches.
            headers.append(no_store)

    return add_headers


_PATH_TYPES = re.compile(r":[a-z]+\}")  # "{id:str}" in a route's path is "{id}" in the scope's template


async def _complete_allow_header(message: Message, scope: Scope) -> None:
    """OPTIONS answers every method of the path.

    Litestar builds a route's OPTIONS handler when the route first appears and it keeps the
    methods known then; handlers added to the same path later (one controller's GET after
    its POST) were missing from ``Allow``. The app's routes know them all.
    """
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    template = scope.get("path_template")
    app = scope.get("app")
    if not template or app is None:
        return
    methods = {m for route in app.routes if _PATH_TYPES.sub("}", route.path) == template
               for m in getattr(route, "methods", ())}
    if methods:
        MutableScopeHeaders.from_message(message)["Allow"] = ", ".join(sorted(methods))


# Error pages -----------------------------------------------------------------------------

_STATUS_MESSAGES = {
    400: i18n.N_("La demande n’a pas pu être traitée. Vérifiez les informations saisies."),
    401: i18n.N_("Connectez-vous pour accéder à cette page."),
    403: i18n.N_("Vous n’avez pas accès à cette page, ou le formulaire a expiré. Rechargez la page et réessayez."),
    404: i18n.N_("Cette page n’existe pas."),
    405: i18n.N_("Cette action n’est pas possible sur cette page."),
    410: i18n.N_("Ce lien n’est plus valide."),
    413: i18n.N_("Le fichier envoyé est trop volumineux."),
    429: i18n.N_("Trop de tentatives. Patientez quelques minutes avant de réessayer."),
    500: i18n.N_("Une erreur inattendue s’est produite. Réessayez dans un instant\u00a0; si le problème persiste, contactez votre administrateur."),
}


def error_page(request: Request, status: int, message: str) -> Response:
    """The French error page; /api paths never get here (the API answers problem details)."""
    try:
        return Template(template_name="error.html", context={"status": status, "message": message},
                        status_code=status, media_type=MediaType.HTML)
    except Exception:  # pragma: no cover - the error page must never fail
        log.exception("cannot render the error page")
        return Response(content=i18n.translate("fr", _STATUS_MESSAGES[500]), status_code=status,
                        media_type=MediaType.TEXT)


def _on_login_required(request: Request, _exc: LoginRequired) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    query = {"suivant": target} if request.method == "GET" and target != "/" else None
    return Redirect(path="/connexion", query_params=query, status_code=HTTP_303_SEE_OTHER)


def _on_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("HTTP %s on %s: %s", status, request.url.path, exc.detail)
    message = _STATUS_MESSAGES.get(status, _STATUS_MESSAGES[400 if status < 500 else 500])
    response = error_page(request, status, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _on_domain_error(request: Request, exc: DomainError) -> Response:
    info = describe(exc)
    return error_page(request, info.status, info.text(i18n.translations(i18n.request_locale(request)).gettext))


def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, _STATUS_MESSAGES[500])


# Path parameters -------------------------------------------------------------------------

# Ids and tokens are short printable ASCII; file names may hold spaces but never only spaces.
MAX_PATH_PARAMETER = 512
MAX_PATH_NUMBER = 100_000  # page numbers in paths: no document has that many pages
_NAMES_WITH_SPACES = frozenset({"filename"})


def _usable_text(name: str, value: str) -> bool:
    if not value.strip() or len(value) > MAX_PATH_PARAMETER:
        return False
    if any(unicodedata.category(ch)[0] == "C" for ch in value):  # control, format, unassigned...
        return False
    return name in _NAMES_WITH_SPACES or not any(ch.isspace() for ch in value)


async def _check_request_edges(request: Request) -> None:
    """Before every handler (the one ``before_request`` hook: a router or handler that set its
    own would replace it, so none does). A coroutine although it awaits nothing: Litestar runs
    a plain function hook in a worker thread, a hop that cost every request more than the checks.

    A blank, control-character or absurd path parameter is a 404 here, the same for every
    route, rather than a value reaching a repository (Pony refuses a blank key with a
    ValueError, a huge integer with a datatype error: both were 500s). A handler declaring
    ``opt={"body_media_type": ...}`` (the uploads) answers 415 to any other body, as the JSON
    routes do, before the body is parsed.
    """
    for name, value in (request.scope.get("path_params") or {}).items():
        if isinstance(value, str) and not _usable_text(name, value):
            raise NotFoundException()
        if isinstance(value, int) and not 0 <= value <= MAX_PATH_NUMBER:
            raise NotFoundException()
    wanted = request.route_handler.opt.get("body_media_type")
    if wanted and request.method in {"POST", "PUT", "PATCH"}:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != wanted:
            raise HTTPException(status_code=415)


# Templates -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _template_engine() -> JinjaTemplateEngine:
    """One engine per process: templates do not depend on the container, and compiled
    templates are then shared by every app built in the process (tests build many)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiled once per process: no stat() of every template (and those it extends) at every
        # render. A changed template is read when the process starts again.
        auto_reload=False,
    )
    i18n.install(env)
    env.globals.update(ROLE_LABELS=labels.ROLE_LABELS, DELEGATION_LABELS=labels.DELEGATION_LABELS,
                       DELEGATION_HELP=labels.DELEGATION_HELP, DELEGATION_ORDER=labels.DELEGATION_ORDER,
                       CERTIFICATE_STATE_LABELS=labels.CERTIFICATE_STATE_LABELS,
                       REVOCATION_REASON_LABELS=labels.REVOCATION_REASON_LABELS,
                       REGISTRATION_STEPS=labels.REGISTRATION_STEPS, QCP_STEPS=labels.QCP_STEPS,
                       QCP_STAGE_OF_STEP=labels.QCP_STAGE_OF_STEP, API_SCOPE_LABELS=labels.API_SCOPE_LABELS,
                       API_SCOPE_HELP=labels.API_SCOPE_HELP, API_SCOPE_ORDER=labels.API_SCOPE_ORDER)
    return JinjaTemplateEngine.from_environment(env)


# Favicon ---------------------------------------------------------------------------------


@get("/favicon.ico", name="favicon", sync_to_thread=False, include_in_schema=False,
     cache_control=CacheControlHeader(max_age=86400, public=True))
def favicon() -> Response:
    """Browsers ask /favicon.ico on every site whatever the page links; a 404 there is a console error."""
    return Response(content=(STATIC_DIR / "favicon.ico").read_bytes(), media_type="image/x-icon")


# The API hook ----------------------------------------------------------------------------


def include_api(app_config: AppConfig) -> None:
    """Plug the JSON API (``/api/v1``, problem details, OpenAPI at ``/schema``) into the app.

    ``entrypoints.web.api.include_api`` appends its router(s), exception handlers (which answer
    problem details on /api paths, ahead of the HTML error pages) and OpenAPI config.
    """
    api.include_api(app_config)


# The factory -----------------------------------------------------------------------------


def _default_container() -> Any:
    from entrypoints.composition.container import build_container
    from entrypoints.settings import load_settings

    return build_container(load_settings())


def create_app(container: Any = None) -> Litestar:
    """Build the web application around a container (``build_container(settings)``)."""
    from entrypoints.web.pages import PAGE_ROUTERS

    # Before anything logs a path: signer, download, reset... links hold secrets.
    log_redaction.install()
    owns_container = container is None
    if container is None:
        container = _default_container()
        # Each web process of `seing serve` comes here (uvicorn's factory). Opened lazily, the database
        # and the PDF pool would be started by several handler threads at once on the first requests.
        container.init_resources()
    settings = container.settings()
    data_dir = Path(getattr(settings, "data_dir", "var")).resolve()
    public_url = str(getattr(settings, "resolved_public_url", None) or getattr(settings, "public_url", "") or "")
    https = public_url.startswith("https://")

    session_dir = Path(getattr(settings, "sessions_dir", None) or data_dir / "sessions")
    session_dir.mkdir(parents=True, exist_ok=True)
    session_store = FileStore(session_dir, create_directories=True)

    session_config = _RotatingSessionConfig(
        store="sessions", key="seing_session", httponly=True, samesite="lax", secure=https,
        max_age=12 * 3600, exclude=["^/static/"],
    )
    csrf_config = CSRFConfig(
        secret=_web_secret(settings, data_dir), cookie_name=CSRF_COOKIE, cookie_secure=https,
        cookie_samesite="lax", cookie_httponly=False, header_name=CSRF_HEADER,
        exclude=list(CSRF_EXEMPT_PATHS) or None,
    )

    async def _purge_expired_sessions() -> None:
        await session_store.delete_expired()

    def _close_container() -> None:
        # Only what create_app built itself: a caller's container is the caller's to close.
        if owns_container and hasattr(container, "shutdown_resources"):
            container.shutdown_resources()

    sweep_stale_uploads(data_dir / "scratch")
    app_config = AppConfig(
        route_handlers=[
            *PAGE_ROUTERS,
            favicon,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False,
                                       name="static"),
        ],
        dependencies=dict(DEPENDENCIES),
        # Our CSRF middleware rather than ``csrf_config=`` (which installs Litestar's own, with no
        # way to exempt a request by its headers); it runs after the session, before any route.
        # The upload limit first: a too-large body is refused before the session or CSRF reads anything.
        middleware=[DefineMiddleware(UploadLimit, limit=upload_body_limit(int(getattr(settings, "max_upload_mb", 25))),
                                     scratch_dir=data_dir / "scratch"),
                    session_config.middleware, DefineMiddleware(_CsrfUnlessApiKey, config=csrf_config)],
        stores={"sessions": session_store},
        template_config=TemplateConfig(instance=_template_engine()),
        exception_handlers={
            LoginRequired: _on_login_required,
            DomainError: _on_domain_error,
            HTTPException: _on_http_exception,
            Exception: _on_unexpected,
        },
        before_send=[_security_headers(https), _complete_allow_header],
        before_request=_check_request_edges,
        on_startup=[_purge_expired_sessions],
        on_shutdown=[_close_container],
        state=State({"container": container}),
        openapi_config=None,
        # Later issues upload PDFs; a page form never comes near this.
        request_max_body_size=MAX_REQUEST_BODY,
        debug=False,
    )
    include_api(app_config)
    return Litestar.from_config(app_config)


def create_served_app(container: Any = None) -> Litestar:
    """The app as `seing serve` runs it in each web process: ``create_app`` and a settled heap."""
    app = create_app(container)
    app.on_startup.append(_settle_heap)
    return app


def _settle_heap() -> None:
    # What start-up built lives as long as the process: the handlers, their signatures, the modules,
    # the container (about 200,000 objects). Left in the collector's oldest generation, every full
    # collection walked them all, 90-120 ms during which each request of the process waited: most
    # of the signer page's p99 under load (make loadtest: 141-145 ms, 58-62 ms frozen). Frozen,
    # the collector never looks at them again; what requests allocate is collected as before.
    gc.collect()
    gc.freeze()
