"""« Clés d'API » (cabinet settings, owner only): create a key (its secret shown once, on the
answer to the form, never stored nor put in the session), list the keys, revoke one."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.model.api_keys import ApiScope
from domain.model.errors import DomainError
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    field_errors,
    form_error_status,
    form_value,
    redirect_after,
    refusal,
    render,
)

PAGE = "/cabinet/cles-api"
NAME_REQUIRED = N_("Donnez un nom à la clé, par exemple celui du logiciel qui l’utilisera.")
SCOPE_REQUIRED = N_("Cochez au moins une portée.")


def _page(request: Request, viewer: Viewer, use_cases: UseCases, *, status: int = 200, **context: Any) -> Template:
    if viewer.current is None:
        raise NotFoundException()
    keys, refused = [], None
    try:
        keys = use_cases.list_api_keys(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id)
    except DomainError as exc:  # a collaborator: the page says who may manage keys
        refused = error_text(request, exc)
        status = 403 if status == 200 else status
    context.setdefault("values", {"scope_read": "on"})
    return render(request, "cabinet/api_keys.html", status=status, viewer=viewer, keys=keys, refused=refused,
                  **context)


@get(PAGE, name="api_keys", sync_to_thread=True)
def api_keys(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return _page(request, viewer, use_cases)


@post(PAGE, name="create_api_key", sync_to_thread=True)
def create_api_key(request: Request, data: FormData, viewer: NamedDependency[Viewer],
                   use_cases: NamedDependency[UseCases]) -> Template:
    if viewer.current is None:
        raise NotFoundException()
    values = {"name": form_value(data, "name")}
    scopes = [s for s in ApiScope if checked(data, f"scope_{s.value}")]
    values.update({f"scope_{s.value}": "on" for s in scopes})
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = NAME_REQUIRED
    if not scopes:
        errors["scopes"] = SCOPE_REQUIRED
    if errors:
        return _page(request, viewer, use_cases, status=400, values=values, errors=errors)
    try:
        created = use_cases.create_api_key(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id,
                                           name=values["name"], scopes=scopes)
    except DomainError as exc:
        status, errors = field_errors(request, exc, default_field="_create")
        return _page(request, viewer, use_cases, status=form_error_status(status), values=values, errors=errors)
    # Rendered, not redirected: the secret must not wait in the session for the next page.
    return _page(request, viewer, use_cases, status=201, created=created)


@post(PAGE + "/{key_id:str}/revoquer", name="revoke_api_key", sync_to_thread=True)
def revoke_api_key(request: Request, key_id: FromPath[str], viewer: NamedDependency[Viewer],
                   use_cases: NamedDependency[UseCases]) -> Response:
    if viewer.current is None:
        raise NotFoundException()
    cabinet_id = viewer.current.cabinet_id
    return redirect_after(
        request, lambda: use_cases.revoke_api_key(cabinet_id=cabinet_id, by_person_id=viewer.person_id, key_id=key_id),
        PAGE, message=N_("Clé d’API révoquée\u00a0: elle est refusée dès maintenant."),
        refused=lambda exc: _page(request, viewer, use_cases, **refusal(request, exc, "_keys")))


api_keys_router = Router(path="/", route_handlers=[api_keys, create_api_key, revoke_api_key],
                         dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
