"""Connexion, second factor, déconnexion, mot de passe oublié, invitation, language switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from domain.model.errors import (
    DomainError,
    InvalidCredentials,
    InvitationUnusable,
    ResetTokenUnusable,
    TooManyAttempts,
)
from entrypoints.composition.use_cases import UseCases
from entrypoints.web import i18n
from entrypoints.web.deps import (
    SESSION_CABINET,
    SESSION_ENDED,
    SESSION_PENDING_2FA,
    SESSION_PERSON,
    SESSION_ROTATE,
    SESSION_STAMP,
    client_address,
)
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import (
    SESSION_FLASH,
    FormData,
    error_text,
    field_errors,
    flash,
    form_error_status,
    form_value,
    render,
    safe_next,
    see_other,
)
from ports.clock import Clock

MAX_SECOND_FACTOR_ATTEMPTS = 5
# The password was checked at most this long ago; past it, the login starts again.
SECOND_FACTOR_WINDOW = timedelta(minutes=10)

PASSWORDS_DIFFER = N_("Les deux mots de passe ne correspondent pas.")
EMAIL_REQUIRED = N_("Indiquez votre adresse e-mail.")
PASSWORD_REQUIRED = N_("Indiquez votre mot de passe.")
CODE_REQUIRED = N_("Saisissez le code à 6 chiffres ou un code de récupération.")


def _start_session(request: Request, profile: Any) -> None:
    """A fresh session (new id) for the person who just proved who they are."""
    request.set_session({
        SESSION_PERSON: profile.person_id,
        SESSION_STAMP: profile.credentials_stamp,
        i18n.SESSION_LOCALE_KEY: i18n.normalise_locale(profile.locale),
        SESSION_ROTATE: True,
    })


def _finish_login(request: Request, use_cases: NamedDependency[UseCases], person_id: str, next_path: str) -> Redirect:
    _start_session(request, use_cases.profile(person_id=person_id))
    return see_other(next_path)


def _throttled(request: Request, template: str, exc: TooManyAttempts, **context: Any) -> Response:
    response = render(request, template, status=429, errors={"_form": error_text(request, exc)}, **context)
    response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


def landing_path(request: Request, use_cases: UseCases, person_id: str) -> str:
    """Where a person's work is: the officer's back-office, a preparer's « Mes collectes », else the cabinet."""
    if use_cases.is_registration_officer(person_id=person_id):
        return "/back-office"
    cabinets = list(use_cases.my_cabinets(person_id=person_id))
    wanted = request.session.get(SESSION_CABINET)
    current = next((c for c in cabinets if c.cabinet_id == wanted), cabinets[0] if cabinets else None)
    if current is not None and "prepare" in {d.value for d in current.delegations}:
        return "/collectes"
    return "/cabinet/membres"


@get("/", name="home", sync_to_thread=True)
def home(request: Request, use_cases: NamedDependency[UseCases]) -> Redirect:
    person_id = request.session.get(SESSION_PERSON)
    if not person_id:
        return see_other("/connexion")
    return see_other(landing_path(request, use_cases, person_id))


@get("/connexion", name="login", sync_to_thread=False)
def login_form(request: Request, suivant: FromQuery[str | None] = None) -> Response:
    if request.session.get(SESSION_PERSON):
        return see_other(safe_next(suivant))
    return render(request, "auth/login.html", values={"suivant": safe_next(suivant, "")})


@post("/connexion", name="login_submit", sync_to_thread=True)
def login_submit(request: Request, data: FormData, use_cases: NamedDependency[UseCases],
                 clock: NamedDependency[Clock]) -> Response:
    email = form_value(data, "email")
    password = form_value(data, "password")
    next_path = safe_next(form_value(data, "suivant"))
    values = {"email": email, "suivant": safe_next(form_value(data, "suivant"), "")}
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = EMAIL_REQUIRED
    if not password:
        errors["password"] = PASSWORD_REQUIRED
    if errors:
        return render(request, "auth/login.html", status=400, values=values, errors=errors)
    try:
        result = use_cases.login(email=email, password=password, client=client_address(request))
    except TooManyAttempts as exc:
        return _throttled(request, "auth/login.html", exc, values=values)
    except InvalidCredentials as exc:
        # Wrong email, wrong password and locked account all read the same.
        return render(request, "auth/login.html", status=401, values=values,
                      errors={"_form": error_text(request, exc)})
    if result.second_factor_required:
        request.set_session({
            **{k: v for k, v in request.session.items() if k == i18n.SESSION_LOCALE_KEY},
            SESSION_PENDING_2FA: {"person_id": result.person_id, "next": next_path, "attempts": 0,
                                  "since": clock.now().isoformat(),
                                  "stamp": use_cases.credentials_stamp(person_id=result.person_id)},
            SESSION_ROTATE: True,
        })
        return see_other("/connexion/code")
    return _finish_login(request, use_cases, result.person_id, next_path)


def _pending_second_factor(request: Request, clock: Any) -> dict[str, Any] | None:
    """The login waiting for its second factor, unless it is too old (then forgotten)."""
    pending = request.session.get(SESSION_PENDING_2FA)
    if not pending:
        return None
    try:
        since = datetime.fromisoformat(pending["since"])
    except (KeyError, TypeError, ValueError):
        since = None
    if since is None or clock.now() - since > SECOND_FACTOR_WINDOW:
        request.session.pop(SESSION_PENDING_2FA, None)
        flash(request, N_("Le délai pour saisir le code est dépassé : reconnectez-vous."), "error")
        return None
    return pending


@get("/connexion/code", name="second_factor", sync_to_thread=False)
def second_factor_form(request: Request, clock: NamedDependency[Clock]) -> Response:
    if not _pending_second_factor(request, clock):
        return see_other("/connexion")
    return render(request, "auth/second_factor.html")


@post("/connexion/code", name="second_factor_submit", sync_to_thread=True)
def second_factor_submit(request: Request, data: FormData, use_cases: NamedDependency[UseCases],
                         clock: NamedDependency[Clock]) -> Response:
    pending = _pending_second_factor(request, clock)
    if not pending:
        return see_other("/connexion")
    if str(pending.get("stamp") or "") != use_cases.credentials_stamp(person_id=pending["person_id"]):
        # The password changed after it was checked here: that half-login is void.
        request.session.pop(SESSION_PENDING_2FA, None)
        flash(request, SESSION_ENDED, "error")
        return see_other("/connexion")
    code = form_value(data, "code")
    if not code:
        return render(request, "auth/second_factor.html", status=400, errors={"code": CODE_REQUIRED})
    try:
        use_cases.verify_second_factor(person_id=pending["person_id"], code=code)
    except DomainError as exc:
        attempts = int(pending.get("attempts", 0)) + 1
        if attempts >= MAX_SECOND_FACTOR_ATTEMPTS:
            request.session.pop(SESSION_PENDING_2FA, None)
            flash(request, N_("Trop de codes erronés\u00a0: reconnectez-vous."), "error")
            return see_other("/connexion")
        request.session[SESSION_PENDING_2FA] = {**pending, "attempts": attempts}
        status, _errors = field_errors(request, exc)
        return render(request, "auth/second_factor.html", status=form_error_status(status),
                      errors={"code": error_text(request, exc)})
    return _finish_login(request, use_cases, pending["person_id"], safe_next(pending.get("next")))


@post("/deconnexion", name="logout", sync_to_thread=False)
def logout(request: Request) -> Redirect:
    locale = request.session.get(i18n.SESSION_LOCALE_KEY)
    request.set_session({
        i18n.SESSION_LOCALE_KEY: i18n.normalise_locale(locale),
        SESSION_FLASH: [{"message": N_("Vous êtes déconnecté."), "category": "success"}],
        SESSION_ROTATE: True,
    })
    return see_other("/connexion")


# Mot de passe oublié -------------------------------------------------------------------------


@get("/mot-de-passe/oublie", name="forgot_password", sync_to_thread=False)
def forgot_form(request: Request) -> Template:
    return render(request, "auth/forgot.html")


@post("/mot-de-passe/oublie", name="forgot_password_submit", sync_to_thread=True)
def forgot_submit(request: Request, data: FormData, use_cases: NamedDependency[UseCases]) -> Response:
    email = form_value(data, "email")
    if not email:
        return render(request, "auth/forgot.html", status=400, errors={"email": EMAIL_REQUIRED})
    # Silent for unknown addresses: the page says the same thing either way.
    try:
        use_cases.request_password_reset(email=email, client=client_address(request))
    except TooManyAttempts as exc:
        return _throttled(request, "auth/forgot.html", exc, values={"email": email})
    return render(request, "auth/forgot.html", values={"email": email}, sent=True)


@get("/mot-de-passe/reinitialiser/{token:str}", name="reset_password", sync_to_thread=False)
def reset_form(request: Request, token: FromPath[str]) -> Template:
    return render(request, "auth/reset.html", token=token)


@post("/mot-de-passe/reinitialiser/{token:str}", name="reset_password_submit", sync_to_thread=True)
def reset_submit(request: Request, token: FromPath[str], data: FormData, use_cases: NamedDependency[UseCases]) -> Response:
    password = form_value(data, "new_password")
    confirm = form_value(data, "new_password_confirm")
    if password != confirm:
        return render(request, "auth/reset.html", status=400, token=token,
                      errors={"new_password_confirm": PASSWORDS_DIFFER})
    try:
        use_cases.reset_password(token=token, new_password=password)
    except ResetTokenUnusable as exc:
        return render(request, "auth/reset.html", status=410, token=token, unusable=True,
                      errors={"_form": error_text(request, exc)})
    except DomainError as exc:
        status, _ = field_errors(request, exc)
        return render(request, "auth/reset.html", status=form_error_status(status), token=token,
                      errors={"new_password": error_text(request, exc)})
    # Every session is over, this browser's too if it was logged in.
    request.set_session({i18n.SESSION_LOCALE_KEY: i18n.normalise_locale(request.session.get(i18n.SESSION_LOCALE_KEY)),
                         SESSION_ROTATE: True})
    flash(request, N_("Votre mot de passe a été changé et toutes vos sessions ouvertes ont été fermées. "
                      "Vous pouvez vous connecter."))
    return see_other("/connexion")


# Invitation ----------------------------------------------------------------------------------


@get("/invitation/{token:str}", name="invitation", sync_to_thread=True)
def invitation_form(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Template:
    try:
        details = use_cases.invitation_details(token=token)
    except InvitationUnusable as exc:
        return render(request, "auth/invitation.html", status=410, token=token, details=None,
                      errors={"_form": error_text(request, exc)})
    return render(request, "auth/invitation.html", token=token, details=details)


@post("/invitation/{token:str}", name="invitation_submit", sync_to_thread=True)
def invitation_submit(request: Request, token: FromPath[str], data: FormData, use_cases: NamedDependency[UseCases]) -> Response:
    try:
        details = use_cases.invitation_details(token=token)
    except InvitationUnusable as exc:
        return render(request, "auth/invitation.html", status=410, token=token, details=None,
                      errors={"_form": error_text(request, exc)})
    mobile = form_value(data, "mobile")
    values = {"mobile": mobile}
    password: str | None = None
    if details.needs_password:
        password = form_value(data, "password")
        if password != form_value(data, "password_confirm"):
            return render(request, "auth/invitation.html", status=400, token=token, details=details,
                          values=values, errors={"password_confirm": PASSWORDS_DIFFER})
    try:
        person_id = use_cases.accept_invitation(token=token, password=password, mobile=mobile or None)
    except DomainError as exc:
        status, errors = field_errors(request, exc, default_field="_form")
        return render(request, "auth/invitation.html", status=form_error_status(status), token=token,
                      details=details, values=values, errors=errors)
    if details.needs_password:
        # The link proved the address and the password was chosen just now: log them in.
        _start_session(request, use_cases.profile(person_id=person_id))
        flash(request, N_("Bienvenue\u00a0! Vous avez rejoint le cabinet %(cabinet)s."), cabinet=details.cabinet_name)
        memberships = use_cases.my_cabinets(person_id=person_id)
        joined = next((m for m in memberships if m.name == details.cabinet_name), None)
        if joined is not None:
            request.session[SESSION_CABINET] = joined.cabinet_id
        return see_other("/ma-signature")
    flash(request, N_("Vous avez rejoint le cabinet %(cabinet)s. Connectez-vous pour continuer."),
          cabinet=details.cabinet_name)
    return see_other("/connexion")


# Language ------------------------------------------------------------------------------------


@post("/langue", name="set_language", sync_to_thread=True)
def set_language(request: Request, data: FormData, use_cases: NamedDependency[UseCases]) -> Redirect:
    locale = i18n.normalise_locale(form_value(data, "locale"))
    request.session[i18n.SESSION_LOCALE_KEY] = locale
    person_id = request.session.get(SESSION_PERSON)
    if person_id:
        use_cases.set_locale(person_id=person_id, locale=locale)
    return see_other(safe_next(form_value(data, "suivant")))


auth_router = Router(path="/", route_handlers=[
    home, login_form, login_submit, second_factor_form, second_factor_submit, logout,
    forgot_form, forgot_submit, reset_form, reset_submit, invitation_form, invitation_submit,
    set_language,
], include_in_schema=False)
