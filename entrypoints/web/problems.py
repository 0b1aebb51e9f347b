"""RFC 9457 problem details for the JSON API.

Every refusal under ``/api`` answers ``application/problem+json``::

    {"type": "https://seing.invalid/problems/siren.invalid", "title": "Saisie invalide",
     "status": 422, "detail": "Le numéro SIREN est invalide : vérifiez les 9 chiffres.",
     "instance": "/api/v1/...", "code": "siren.invalid",
     "errors": [{"field": "siren", "message": "Le numéro SIREN est invalide : ..."}]}

``type`` is stable per ``code`` (clients switch on ``code``); ``detail`` and the field
messages are French, or English when the session chose English. An unexpected exception
answers a 500 problem without any traceback and is logged server side.

HTML pages keep their own error pages: :func:`install` makes the application-level
handlers (unknown routes, wrong methods) answer problems only for ``/api`` paths and hand
everything else to the handlers that were there before.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.responses import create_exception_response
from litestar.middleware._internal.exceptions.middleware import get_exception_handler
from litestar.openapi.datastructures import ResponseSpec

from domain.model.errors import DomainError
from entrypoints.web import i18n
from entrypoints.web.errors import N_, NOT_AN_OBJECT, ErrorInfo, FieldError, describe, edge_error

__all__ = [
    "API_PREFIX",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemField",
    "InputRejected",
    "api_exception_handlers",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]

log = logging.getLogger("seing.api")

API_PREFIX = "/api"
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://seing.invalid/problems/"
CSRF_FAILURE_DETAIL = "CSRF token verification failed"  # what Litestar's CSRF middleware raises


@dataclass
class ProblemField:
    """One refused input."""

    field: str
    message: str


@dataclass
class Problem:
    """RFC 9457 problem details, with Seing's stable ``code`` and per-field ``errors``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ProblemField] = field(default_factory=list)
    # float, not int | float: an integer is a JSON number too, and under the oneOf an OpenAPI
    # generator makes of a union a count would match two branches.
    params: dict[str, str | float | bool] = field(default_factory=dict)
    """Facts a client may use (``remaining_tries``, ``retry_after_seconds``…)."""


class InputRejected(HTTPException):
    """The request body or parameters do not have the expected shape (bad JSON, unknown keys…)."""

    status_code = 422

    def __init__(self, code: str, fields: Sequence[FieldError] = (), *, status: int | None = None) -> None:
        info = edge_error(code, status=status)
        super().__init__(detail=info.message, status_code=info.status)
        self.info = info
        self.fields = list(fields)


Gettext = Callable[[str], str]


def _gettext_for(request: Request[Any, Any, Any]) -> Gettext:
    """The session's language: the API speaks the same language as the pages."""
    return i18n.translations(i18n.request_locale(request)).gettext


def problem_response(
    request: Request[Any, Any, Any],
    info: ErrorInfo,
    fields: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    gettext = _gettext_for(request)
    errors = [ProblemField(field=f.field, message=f.text(gettext)) for f in fields]
    detail = info.text(gettext)
    if not errors and info.field:
        errors = [ProblemField(field=info.field, message=detail)]
    problem = Problem(
        type=f"{PROBLEM_TYPE_BASE}{info.code}",
        title=gettext(info.title),
        status=info.status,
        detail=detail,
        code=info.code,
        instance=request.url.path,
        errors=errors,
        params={k: v for k, v in info.params.items() if isinstance(v, (str, int, float, bool))},
    )
    return Response(problem, status_code=info.status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    info = describe(exc)
    if info.status >= 500:
        # Not the caller's doing (damaged storage, CA not initialised): an operator must know.
        route = request.scope.get("path_template") or request.url.path
        log.error("server-side refusal %s on %s %s", info.code, request.method, route, exc_info=exc)
    retry_after = info.params.get("retry_after_seconds")
    headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
    return problem_response(request, info, headers=headers)


def _input_rejected(request: Request[Any, Any, Any], exc: InputRejected) -> Response[Problem]:
    return problem_response(request, exc.info, exc.fields)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    """Litestar refused a path or query parameter, or found no body at all.

    Bodies that are present go through our own parser (``InputRejected``); an empty body
    never reaches it and Litestar reports the ``data`` parameter as missing.
    """
    items = [item for item in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(item, dict)]
    if any(item.get("source") == "body" or item.get("key") == "data" for item in items):
        return problem_response(request, edge_error("request.invalid"), [FieldError("", NOT_AN_OBJECT)])
    fields = [FieldError(key, _parameter_message(request, key), _parameter_params(request, key))
              for key in (str(item.get("key", "")) for item in items)]
    return problem_response(request, edge_error("request.invalid_parameter"), fields)


_BAD_PARAMETER = N_("Valeur invalide pour ce paramètre.")
_BAD_CHOICE = N_("Valeur inconnue\u00a0: choisissez parmi %(choices)s.")


def _parameter_annotation(request: Request[Any, Any, Any], key: str) -> Any:
    try:
        return request.route_handler.parsed_fn_signature.parameters[key].annotation
    except (AttributeError, KeyError):
        return None


def _parameter_message(request: Request[Any, Any, Any], key: str) -> str:
    return _BAD_CHOICE if _enum_choices(_parameter_annotation(request, key)) else _BAD_PARAMETER


def _parameter_params(request: Request[Any, Any, Any], key: str) -> dict[str, object]:
    choices = _enum_choices(_parameter_annotation(request, key))
    return {"choices": choices} if choices else {}


def _enum_choices(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return ", ".join(f"« {member.value} »" for member in annotation)
    return ""


_HTTP_CODES = {
    400: "http.error",
    401: "auth.required",
    403: "http.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "http.payload_too_large",
    415: "http.unsupported_media_type",
    429: "http.too_many_requests",
}


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if status >= 500:
        return _unexpected(request, exc)
    if isinstance(exc, PermissionDeniedException) and exc.detail == CSRF_FAILURE_DETAIL:
        code = "csrf.failed"
    else:
        code = _HTTP_CODES.get(status, "http.error")
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after"}}
    return problem_response(request, edge_error(code, status=status), headers=headers)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    # The client gets a plain sentence; the traceback stays in the server log. The route
    # template is logged, not the path: reset and invitation paths carry secret tokens.
    route = request.scope.get("path_template") or request.url.path
    log.error("unexpected error on %s %s", request.method, route, exc_info=exc)
    return problem_response(request, edge_error("internal"))


def _dispatch(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if isinstance(exc, DomainError):
        return _domain_error(request, exc)
    if isinstance(exc, InputRejected):
        return _input_rejected(request, exc)
    if isinstance(exc, ValidationException):
        return _validation(request, exc)
    if isinstance(exc, HTTPException):
        return _http_error(request, exc)
    return _unexpected(request, exc)


# Status-code keys win over class keys in Litestar's lookup, so an application-level
# ``{404: html_page}`` would otherwise shadow the API's class handlers: register both.
_STATUS_KEYS = (400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 503)


def api_exception_handlers() -> dict[Any, Callable[[Request[Any, Any, Any], Any], Response[Any]]]:
    """Handlers for the API router: every refusal becomes a problem."""
    handlers: dict[Any, Callable[[Request[Any, Any, Any], Any], Response[Any]]] = {
        DomainError: _dispatch,
        InputRejected: _dispatch,
        ValidationException: _dispatch,
        NotAuthorizedException: _dispatch,
        PermissionDeniedException: _dispatch,
        NotFoundException: _dispatch,
        MethodNotAllowedException: _dispatch,
        HTTPException: _dispatch,
        Exception: _dispatch,
    }
    handlers.update({status: _dispatch for status in _STATUS_KEYS})
    return handlers


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def install_problem_handlers(app_config: AppConfig) -> AppConfig:
    """Make application-level handlers answer problems for ``/api`` paths.

    Unknown routes and wrong methods never reach a router, so they are handled at the
    application level: there, ``/api`` paths get a problem and every other path goes to
    the handler that was registered before (the HTML error pages), or Litestar's default.
    """
    previous = dict(app_config.exception_handlers)

    def path_aware(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if is_api_path(request.url.path):
            return _dispatch(request, exc)
        handler = get_exception_handler(previous, exc)
        if handler is not None:
            return handler(request, exc)
        return create_exception_response(request, exc)

    for key in set(previous) | set(api_exception_handlers()):
        app_config.exception_handlers[key] = path_aware
    return app_config


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses`` entries documenting the problems a route may answer.

    400 (malformed request) and 500 are always listed; they also replace Litestar's
    default 400 entry, whose shape is not ours. So are 401 and 403: any operation may be sent
    ``Authorization: Bearer``, and the key middleware answers 401 to a key it does not know and
    403 to a key the operation does not accept (a person's own operations, the signer's link) or
    whose scopes fall short, before the route runs.
    """
    descriptions = {
        400: "Requête mal formée (JSON invalide, paramètre invalide)",
        401: "Non connecté, ou identifiants ou clé d’API refusés",
        403: "Action non autorisée, jeton CSRF absent/invalide, ou clé d’API non acceptée pour cette opération",
        404: "Ressource introuvable (ou inaccessible à cette personne, ou identifiant mal formé)",
        409: "Action impossible dans l’état actuel",
        410: "Lien expiré, déjà utilisé ou révoqué",
        413: "Corps de requête trop volumineux",
        415: "Format du corps non pris en charge (JSON attendu, ou multipart/form-data pour les envois de fichiers)",
        422: "Saisie invalide (détail par champ dans `errors`)",
        429: "Trop de tentatives : réessayer après le délai de l’en-tête `Retry-After`",
        500: "Erreur interne (enregistrée côté serveur, sans détail technique)",
    }
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=descriptions.get(status, "Problème"),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in sorted({400, 401, 403, *statuses, 500})
    }
