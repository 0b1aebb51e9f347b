"""Helpers shared by the page handlers: rendering, forms, flash messages, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.enums import MediaType, RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from domain.model.errors import DomainError
from entrypoints.web.deps import Viewer
from entrypoints.web.errors import describe
from entrypoints.web.i18n import request_locale, translations

T = TypeVar("T")

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

SESSION_FLASH = "flash"


def form_value(data: dict[str, Any] | None, name: str) -> str:
    """One text field of a submitted form ('' when absent; the first of repeated values)."""
    if not data:
        return ""
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if name not in ("password", "new_password", "new_password_confirm",
                                                "current_password", "password_confirm") else str(value)


def checked(data: dict[str, Any] | None, name: str) -> bool:
    return bool(data) and name in data and data.get(name) not in ("", None, [])


def flash(request: Request, message: str, category: str = "success", **params: str) -> None:
    """Queue a (French msgid) message for the next page shown to this session."""
    messages = list(request.session.get(SESSION_FLASH) or [])
    messages.append({"message": message, "category": category, "params": params})
    request.session[SESSION_FLASH] = messages


def render(request: Request, template: str, *, status: int = 200, viewer: Viewer | None = None,
           **context: Any) -> Template:
    flashes = []
    try:
        if request.session.get(SESSION_FLASH):
            flashes = request.session.pop(SESSION_FLASH)
    except Exception:  # no session on this route
        flashes = []
    return Template(template_name=template, status_code=status, media_type=MediaType.HTML,
                    context={"viewer": viewer, "flashes": flashes, "errors": {}, "values": {}, **context})


def see_other(path: str) -> Redirect:
    """POST-redirect-GET."""
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def redirect_after(request: Request, action: Callable[[], T], to: str | Callable[[T], str], *,
                   refused: Callable[[DomainError], Response], message: str | None = None,
                   **params: str) -> Response:
    """POST-redirect-GET around one use case, the shape of every page form.

    ``action`` calls the use case. A refusal (``DomainError``) is answered by ``refused``: the
    same page again, saying why (see :func:`refusal`), nothing flashed. Otherwise ``message``
    (a French msgid, with ``params``) is flashed and the browser goes to ``to`` (303): a path,
    or a function of what the use case answered.
    """
    try:
        result = action()
    except DomainError as exc:
        return refused(exc)
    if message:
        flash(request, message, **params)
    return see_other(to(result) if callable(to) else to)


def refusal(request: Request, error: DomainError, field: str = "_form") -> dict[str, Any]:
    """``status`` and ``errors`` to render a refused form again: the use case's reason beside ``field``."""
    return {"status": form_error_status(describe(error).status), "errors": {field: error_text(request, error)}}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: a ``suivant`` parameter must not send the user to another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def gettext_for(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def error_text(request: Request, error: DomainError) -> str:
    """The error's message in the request's language, parameters filled in."""
    return describe(error).text(gettext_for(request))


def field_errors(request: Request, error: DomainError, default_field: str | None = None,
                 aliases: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    """HTTP status and ``{field: message}`` for a refused form (``_form`` when not about a field)."""
    info = describe(error)
    field = info.field or default_field or "_form"
    return info.status, {aliases.get(field, field) if aliases else field: info.text(gettext_for(request))}


def form_error_status(status: int) -> int:
    """A refused form answers 4xx; 401/410 keep their meaning, the rest is a plain 400."""
    return status if 400 <= status < 500 else 400


def on_phone(request: Request) -> bool:
    """Whether the page is read on a phone, from the browser's hints (the ``Sec-CH-UA-Mobile``
    client hint, else the user agent's « Mobi » / iPhone / Android markers). Pages use it to
    word instructions for the device in hand (« scannez avec votre smartphone » makes no sense
    on the smartphone itself); a wrong guess only changes the wording, never what is allowed."""
    hint = request.headers.get("sec-ch-ua-mobile")
    if hint:
        return hint.strip() == "?1"
    agent = request.headers.get("user-agent") or ""
    return any(marker in agent for marker in ("Mobi", "iPhone", "iPod", "Android"))
