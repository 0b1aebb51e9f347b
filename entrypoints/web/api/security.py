"""Who is calling: the same server-side session as the pages, and its CSRF token.

The API authenticates with the session cookie the pages use (``seing_session``), so it is
exposed to cross-site request forgery exactly like a form: unsafe methods (POST, PUT,
PATCH, DELETE) must carry the CSRF token in the ``X-CSRFToken`` header. A client reads the
token with ``GET /api/v1/csrf`` (the response also sets the CSRF cookie) and sends it back
with the cookies. Litestar's CSRF middleware, configured by ``create_app``, checks it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import ImproperlyConfiguredException, NotAuthorizedException
from litestar.utils.scope.state import ScopeState

from entrypoints.composition.use_cases import UseCases
from entrypoints.web import i18n
from entrypoints.web.api.access import PRINCIPAL_SCOPE_KEY
from entrypoints.web.deps import (
    SESSION_PENDING_2FA,
    SESSION_PERSON,
    SESSION_ROTATE,
    SESSION_STAMP,
    session_is_current,
)
from entrypoints.web.problems import InputRejected

CSRF_COOKIE = "seing_csrf"
CSRF_HEADER = "x-csrftoken"


def _session(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        session = request.session
    except ImproperlyConfiguredException:  # no session middleware on this route: nobody is logged in
        return {}
    return session if isinstance(session, dict) else {}


def provide_person_id(request: Request[Any, Any, Any], use_cases: NamedDependency[UseCases]) -> str:
    """The logged-in person's id, or a 401 problem: ``auth.required``, or ``auth.session_ended``
    when the password was changed or reset since this session logged in.

    With an API key, the person the key acts for (``access.ApiKeyAuthentication`` checked the
    key, its scope and its cabinet); the session cookie is then ignored.
    Registered with ``sync_to_thread=True``: it reads the account's credentials stamp.
    """
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if principal is not None:
        return str(principal.person_id)
    if request.headers.get("authorization", "")[:7].lower() == "bearer ":
        # A key on a route the key middleware does not guard: never fall back to the cookie.
        raise NotAuthorizedException("auth.required")
    session = _session(request)
    person_id = session.get(SESSION_PERSON)
    if not person_id:
        raise NotAuthorizedException("auth.required")
    if not session_is_current(session, use_cases.credentials_stamp(person_id=str(person_id))):
        _end_stale_session(request, session)
        raise InputRejected("auth.session_ended")
    return str(person_id)


def _end_stale_session(request: Request[Any, Any, Any], session: dict[str, Any]) -> None:
    """Logged out, language kept, under a new id (the old one is deleted from the store)."""
    request.set_session({i18n.SESSION_LOCALE_KEY: i18n.normalise_locale(session.get(i18n.SESSION_LOCALE_KEY)),
                         SESSION_ROTATE: True})


def start_session(request: Request[Any, Any, Any], profile: Any) -> None:
    """A fresh session (new id, against fixation) for a person who proved who they are."""
    request.set_session({
        SESSION_PERSON: profile.person_id,
        SESSION_STAMP: profile.credentials_stamp,
        i18n.SESSION_LOCALE_KEY: i18n.normalise_locale(profile.locale),
        SESSION_ROTATE: True,
    })


def keep_session_after_password_change(request: Request[Any, Any, Any], stamp: str) -> None:
    """The caller changed the password: their session carries on, under a new id."""
    request.session[SESSION_STAMP] = stamp
    request.session[SESSION_ROTATE] = True


def start_pending_second_factor(request: Request[Any, Any, Any], person_id: str, stamp: str) -> None:
    """Password accepted, second factor awaited: the session is not logged in yet. ``stamp``
    is the account's credentials stamp now: a password change meanwhile voids the login."""
    locale = _session(request).get(i18n.SESSION_LOCALE_KEY)
    request.set_session({
        i18n.SESSION_LOCALE_KEY: i18n.normalise_locale(locale),
        SESSION_PENDING_2FA: {"person_id": person_id, "next": "/", "attempts": 0, "stamp": stamp},
        SESSION_ROTATE: True,
    })


def pending_second_factor(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    pending = _session(request).get(SESSION_PENDING_2FA)
    return pending if isinstance(pending, dict) and pending.get("person_id") else None


def session_person_id(request: Request[Any, Any, Any], use_cases: UseCases) -> str | None:
    session = _session(request)
    person_id = session.get(SESSION_PERSON)
    if not person_id:
        return None
    if not session_is_current(session, use_cases.credentials_stamp(person_id=str(person_id))):
        _end_stale_session(request, session)
        return None
    return str(person_id)


def record_failed_second_factor(request: Request[Any, Any, Any], pending: dict[str, Any], limit: int) -> bool:
    """Count a wrong code; True when the limit is reached and the pending login is dropped."""
    attempts = int(pending.get("attempts", 0)) + 1
    if attempts >= limit:
        _session(request).pop(SESSION_PENDING_2FA, None)
        return True
    request.session[SESSION_PENDING_2FA] = {**pending, "attempts": attempts}
    return False


def end_session(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


def set_session_locale(request: Request[Any, Any, Any], locale: str) -> None:
    if _session(request):
        request.session[i18n.SESSION_LOCALE_KEY] = i18n.normalise_locale(locale)


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The token Litestar's CSRF middleware issued or accepted for this request."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def csrf_names(request: Request[Any, Any, Any]) -> tuple[str, str]:
    return CSRF_HEADER, CSRF_COOKIE
