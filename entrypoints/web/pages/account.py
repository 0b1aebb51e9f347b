"""« Mon compte » (password, TOTP second factor); « Ma signature personnelle » is in signature.py."""

from __future__ import annotations

from typing import Any

import segno
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.response import Template
from markupsafe import Markup

from domain.model.errors import DomainError
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import SESSION_ROTATE, SESSION_STAMP, VIEWER_DEPENDENCY, Viewer
from entrypoints.web.i18n import N_
from entrypoints.web.pages.auth import CODE_REQUIRED, PASSWORD_REQUIRED, PASSWORDS_DIFFER
from entrypoints.web.pages.common import (
    FormData,
    error_text,
    field_errors,
    flash,
    form_error_status,
    form_value,
    redirect_after,
    refusal,
    render,
    see_other,
)

SESSION_TOTP_SETUP = "totp_setup"


def _qr_svg(uri: str) -> Markup:
    # Inline SVG: no extra request, works under our strict Content-Security-Policy.
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                title="QR code")
    return Markup(svg)


def _account_page(request: Request, viewer: NamedDependency[Viewer], *, status: int = 200, **context: Any) -> Template:
    setup = request.session.get(SESSION_TOTP_SETUP)
    if viewer.profile.totp_enabled:
        setup = None
    return render(request, "account/account.html", status=status, viewer=viewer,
                  totp_setup=setup, totp_qr=_qr_svg(setup["uri"]) if setup else None, **context)


@get("/mon-compte", name="my_account", sync_to_thread=False)
def my_account(request: Request, viewer: NamedDependency[Viewer]) -> Template:
    return _account_page(request, viewer)


@post("/mon-compte/mot-de-passe", name="change_password", sync_to_thread=True)
def change_password(request: Request, data: FormData, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    current = form_value(data, "current_password")
    new = form_value(data, "new_password")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = PASSWORD_REQUIRED
    if new != form_value(data, "new_password_confirm"):
        errors["new_password_confirm"] = PASSWORDS_DIFFER
    if not errors:
        try:
            use_cases.change_password(person_id=viewer.person_id, current_password=current, new_password=new)
        except DomainError as exc:
            _status, found = field_errors(request, exc, default_field="current_password",
                                          aliases={"password": "new_password"})
            errors.update(found)
    if errors:
        return _account_page(request, viewer, status=400, errors=errors)
    # Every other session of this person is over (their stamp is stale); this one carries on.
    request.session[SESSION_STAMP] = use_cases.credentials_stamp(person_id=viewer.person_id)
    request.session[SESSION_ROTATE] = True
    flash(request, N_("Votre mot de passe a été changé. Vos autres sessions ouvertes (autres navigateurs, "
                      "autres appareils) ont été fermées."))
    return see_other("/mon-compte")


@post("/mon-compte/double-authentification", name="totp_start", sync_to_thread=True)
def totp_start(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    setup = use_cases.start_totp_setup(person_id=viewer.person_id)
    request.session[SESSION_TOTP_SETUP] = {"secret": setup.secret, "uri": setup.provisioning_uri}
    return see_other("/mon-compte#double-authentification")


@post("/mon-compte/double-authentification/confirmer", name="totp_confirm", sync_to_thread=True)
def totp_confirm(request: Request, data: FormData, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    if not request.session.get(SESSION_TOTP_SETUP):
        return see_other("/mon-compte")
    code = form_value(data, "code")
    if not code:
        return _account_page(request, viewer, status=400, errors={"code": CODE_REQUIRED})
    try:
        recovery_codes = use_cases.confirm_totp(person_id=viewer.person_id, code=code)
    except DomainError as exc:
        status, _ = field_errors(request, exc)
        return _account_page(request, viewer, status=form_error_status(status),
                             errors={"code": error_text(request, exc)})
    request.session.pop(SESSION_TOTP_SETUP, None)
    # Shown once, in this response only: they are stored hashed.
    return render(request, "account/recovery_codes.html", viewer=viewer, recovery_codes=list(recovery_codes))


@post("/mon-compte/double-authentification/annuler", name="totp_cancel", sync_to_thread=False)
def totp_cancel(request: Request) -> Response:
    request.session.pop(SESSION_TOTP_SETUP, None)
    return see_other("/mon-compte")


@post("/mon-compte/double-authentification/desactiver", name="totp_disable", sync_to_thread=True)
def totp_disable(request: Request, data: FormData, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    password = form_value(data, "password")
    if not password:
        return _account_page(request, viewer, status=400, errors={"disable_password": PASSWORD_REQUIRED})
    return redirect_after(
        request, lambda: use_cases.disable_totp(person_id=viewer.person_id, password=password), "/mon-compte",
        message=N_("La double authentification est désactivée."),
        refused=lambda exc: _account_page(request, viewer, **refusal(request, exc, "disable_password")))


account_router = Router(path="/", route_handlers=[
    my_account, change_password, totp_start, totp_confirm, totp_cancel, totp_disable,
], dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
