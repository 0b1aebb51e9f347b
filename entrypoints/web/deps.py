"""How handlers reach the composition root: small ``provide_*`` functions registered with ``Provide``.

Handlers get the typed ``UseCases`` facade (``use_cases``), the settings and the clock; never the
container itself, so never an adapter.

The container lives on ``app.state.container``; no dependency-injector wiring in handlers
(Litestar inspects handler signatures and the two clash). The JSON API reuses these.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from domain.model.audit import RequestContext
from domain.model.errors import NotFound
from domain.services.views import CabinetMembership, Profile
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.i18n import N_, SESSION_LOCALE_KEY
from ports.clock import Clock

SESSION_PERSON = "person_id"
SESSION_CABINET = "cabinet_id"
SESSION_PENDING_2FA = "pending_second_factor"
SESSION_ROTATE = "_rotate_session_id"
# The account's credentials stamp when the session logged in: a password change or reset
# changes it, which ends every session opened before (pages and API alike).
SESSION_STAMP = "credentials_stamp"
SESSION_ENDED = N_("Votre mot de passe a été changé depuis votre connexion\u00a0: cette session est fermée, reconnectez-vous.")


def client_address(request: Request) -> str | None:
    """Who is calling, for the login and reset throttles (what the edge saw; a proxy sets it)."""
    return request.client.host if request.client else None


def session_is_current(session: Any, stamp: str) -> bool:
    return isinstance(session, dict) and str(session.get(SESSION_STAMP) or "") == stamp


class LoginRequired(Exception):
    """Raised by ``provide_viewer`` when no one is logged in; pages redirect to the login form."""


@frozen
class Viewer:
    """The logged-in person, their cabinets and the cabinet they are working in."""

    profile: Profile
    cabinets: list[CabinetMembership]
    current: CabinetMembership | None
    registration_officer: bool = False  # the platform role: the menu offers the back-office

    @property
    def person_id(self) -> str:
        return self.profile.person_id


def provide_use_cases(state: State) -> UseCases:
    """``use_cases.login(email=..., password=...)`` etc., ports already injected, typed."""
    return state.container.facade()  # type: ignore[no-any-return]


def use_cases_of(request: Request) -> UseCases:
    """The facade, for helpers that have the request but were not given ``use_cases``."""
    return request.app.state.container.facade()  # type: ignore[no-any-return]


def provide_settings(state: State) -> Any:
    return state.container.settings()


def provide_clock(state: State) -> Clock:
    """The Clock port: the web edge reads time from it too (tests move a fixed clock)."""
    return state.container.facade().clock()  # type: ignore[no-any-return]


def request_context(request: Request) -> RequestContext:
    """IP and user agent for the audit trail (what the edge saw; a proxy sets the client).

    One helper for every page and API route that acts on a collection, signer or preparer alike.
    """
    client = request.client.host if request.client else None
    return RequestContext(ip=client, user_agent=(request.headers.get("user-agent") or "")[:400] or None)


def provide_viewer(request: Request, use_cases: NamedDependency[UseCases]) -> Viewer:
    """Runs in a worker thread (``sync_to_thread``): the use cases open database sessions."""
    session = request.session
    person_id = session.get(SESSION_PERSON)
    if not person_id:
        raise LoginRequired()
    try:
        profile = use_cases.profile(person_id=person_id)
    except NotFound:
        # The person vanished (database reset): forget the session rather than fail.
        request.clear_session()
        raise LoginRequired() from None
    if not session_is_current(session, profile.credentials_stamp):
        locale = session.get(SESSION_LOCALE_KEY)
        request.set_session({**({SESSION_LOCALE_KEY: locale} if locale else {}),
                             "flash": [{"message": SESSION_ENDED, "category": "error", "params": {}}],
                             SESSION_ROTATE: True})
        raise LoginRequired()
    cabinets = list(use_cases.my_cabinets(person_id=person_id))
    wanted = session.get(SESSION_CABINET)
    current = next((c for c in cabinets if c.cabinet_id == wanted), cabinets[0] if cabinets else None)
    if current is not None and current.cabinet_id != wanted:
        session[SESSION_CABINET] = current.cabinet_id
    return Viewer(profile=profile, cabinets=cabinets, current=current,
                  registration_officer=bool(use_cases.is_registration_officer(person_id=person_id)))


DEPENDENCIES: dict[str, Provide] = {
    "use_cases": Provide(provide_use_cases, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "clock": Provide(provide_clock, sync_to_thread=False),
}

# Pages that need a logged-in person declare ``viewer``; registered on those routers only.
VIEWER_DEPENDENCY: dict[str, Provide] = {"viewer": Provide(provide_viewer, sync_to_thread=True)}
