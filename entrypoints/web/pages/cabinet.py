"""Cabinet switcher and « Membres du cabinet » (invitations, delegations)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.model.cabinet import Delegation, Role
from domain.model.errors import DomainError
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import SESSION_CABINET, VIEWER_DEPENDENCY, Viewer
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import (
    FormData,
    checked,
    field_errors,
    flash,
    form_error_status,
    form_value,
    redirect_after,
    refusal,
    render,
    safe_next,
    see_other,
)

EMAIL_REQUIRED = N_("Indiquez l’adresse e-mail de la personne à inviter.")
GIVEN_NAMES_REQUIRED = N_("Indiquez le prénom.")
SURNAME_REQUIRED = N_("Indiquez le nom.")
ROLE_INVALID = N_("Choisissez un rôle.")

_ACTIONS = {"accorder": "grant", "retirer": "withdraw"}


@post("/cabinet", name="switch_cabinet", sync_to_thread=False)
def switch_cabinet(request: Request, data: FormData, viewer: NamedDependency[Viewer]) -> Response:
    wanted = form_value(data, "cabinet_id")
    chosen = next((c for c in viewer.cabinets if c.cabinet_id == wanted), None)
    if chosen is None:
        raise NotFoundException()
    request.session[SESSION_CABINET] = chosen.cabinet_id
    return see_other(safe_next(form_value(data, "suivant")))


def _members_page(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases], *, status: int = 200,
                  **context: Any) -> Template:
    page = None
    if viewer.current is not None:
        page = use_cases.list_members(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id)
    context.setdefault("values", {"role": Role.COLLABORATOR.value})
    return render(request, "cabinet/members.html", status=status, viewer=viewer, page=page, **context)


@get("/cabinet/membres", name="members", sync_to_thread=True)
def members(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return _members_page(request, viewer, use_cases)


@post("/cabinet/membres/inviter", name="invite_member", sync_to_thread=True)
def invite_member(request: Request, data: FormData, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    if viewer.current is None:
        raise NotFoundException()
    values = {name: form_value(data, name) for name in ("email", "given_names", "surname", "role")}
    delegations = frozenset(d for d in Delegation if checked(data, f"delegation_{d.value}"))
    values.update({f"delegation_{d.value}": "on" for d in delegations})
    errors: dict[str, str] = {}
    for name, message in (("given_names", GIVEN_NAMES_REQUIRED), ("surname", SURNAME_REQUIRED),
                          ("email", EMAIL_REQUIRED)):
        if not values[name]:
            errors[name] = message
    try:
        role = Role(values["role"])
    except ValueError:
        errors["role"] = ROLE_INVALID
    if errors:
        return _members_page(request, viewer, use_cases, status=400, values=values, errors=errors,
                             invite_open=True)
    try:
        use_cases.invite_member(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id,
                                email=values["email"], given_names=values["given_names"],
                                surname=values["surname"], role=role, delegations=delegations)
    except DomainError as exc:
        status, errors = field_errors(request, exc, default_field="_invite")
        return _members_page(request, viewer, use_cases, status=form_error_status(status), values=values,
                             errors=errors, invite_open=True)
    flash(request, N_("Invitation envoyée à %(email)s."), email=values["email"])
    return see_other("/cabinet/membres")


@post("/cabinet/membres/{member_id:str}/delegations", name="change_delegation", sync_to_thread=True)
def change_delegation(request: Request, member_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                      use_cases: NamedDependency[UseCases]) -> Response:
    if viewer.current is None:
        raise NotFoundException()
    try:
        delegation = Delegation(form_value(data, "delegation"))
        action = _ACTIONS[form_value(data, "action")]
    except (ValueError, KeyError):
        return _members_page(request, viewer, use_cases, status=400,
                             errors={"_members": N_("Cette délégation n’existe pas.")})
    use_case = use_cases.grant_delegation if action == "grant" else use_cases.withdraw_delegation
    cabinet_id = viewer.current.cabinet_id
    return redirect_after(
        request, lambda: use_case(cabinet_id=cabinet_id, by_person_id=viewer.person_id, member_id=member_id,
                                  delegation=delegation),
        f"/cabinet/membres#membre-{member_id}",
        message=N_("Délégation accordée.") if action == "grant" else N_("Délégation retirée."),
        refused=lambda exc: _members_page(request, viewer, use_cases, **refusal(request, exc, "_members")))


@post("/cabinet/invitations/{invitation_id:str}/revoquer", name="revoke_invitation", sync_to_thread=True)
def revoke_invitation(request: Request, invitation_id: FromPath[str], viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    if viewer.current is None:
        raise NotFoundException()
    cabinet_id = viewer.current.cabinet_id
    return redirect_after(
        request, lambda: use_cases.revoke_invitation(cabinet_id=cabinet_id, by_person_id=viewer.person_id,
                                                     invitation_id=invitation_id),
        "/cabinet/membres", message=N_("Invitation révoquée."),
        refused=lambda exc: _members_page(request, viewer, use_cases, **refusal(request, exc, "_pending")))


cabinet_router = Router(path="/", route_handlers=[
    switch_cabinet, members, invite_member, change_delegation, revoke_invitation,
], dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
