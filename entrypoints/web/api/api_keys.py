"""« Clés d'API » of a cabinet: create (the secret is shown once), list, revoke. Owner only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from domain.model.api_keys import ApiScope
from domain.services.api_keys import ApiKeyView
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import IDEMPOTENT, KEY_READ_SCOPE, KEY_SCOPE
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.problems import problem_responses


@dataclass
class ApiKeyInput:
    """``scopes``: ``read`` (consult), ``prepare`` (create and send collections), ``seal``, ``admin``
    (members, invitations, keys; includes the others)."""

    name: str
    scopes: list[ApiScope]


@dataclass
class ApiKeyOut:
    key_id: str
    name: str
    prefix: str
    scopes: list[ApiScope]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, view: ApiKeyView) -> ApiKeyOut:
        return cls(key_id=view.key_id, name=view.name, prefix=view.prefix, scopes=list(view.scopes),
                   created_at=view.created_at, created_by=view.created_by_name, last_used_at=view.last_used_at,
                   revoked_at=view.revoked_at, active=view.active)


@dataclass
class ApiKeyCreatedOut:
    """``secret`` is the whole key, to send as ``Authorization: Bearer <secret>``. It is shown
    this once: Seing keeps only its hash."""

    key: ApiKeyOut
    secret: str


class ApiKeysController(Controller):
    path = "/cabinets/{cabinet_id:str}/api-keys"
    tags = ["Cabinets"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    # A key that manages keys is an admin key, even to list them.
    opt = {KEY_SCOPE: ApiScope.ADMIN, KEY_READ_SCOPE: ApiScope.ADMIN}

    @get(operation_id="listApiKeys", summary="Clés d’API du cabinet", sync_to_thread=True,
         responses=problem_responses(401, 403, 404))
    def list(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
             use_cases: NamedDependency[UseCases]) -> list[ApiKeyOut]:
        """The cabinet's keys, newest first, revoked ones included, without their secrets (owner only)."""
        return [ApiKeyOut.of(v) for v in use_cases.list_api_keys(cabinet_id=cabinet_id, by_person_id=person_id)]

    # Not idempotent on purpose: a replay would have to keep the secret in clear for 24 hours.
    @post(operation_id="createApiKey", summary="Créer une clé d’API", status_code=HTTP_201_CREATED,
          dto=CattrsDTO[ApiKeyInput], return_dto=None, sync_to_thread=True, opt={IDEMPOTENT: False},
          responses=problem_responses(401, 403, 404, 422))
    def create(self, cabinet_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[ApiKeyInput],
               use_cases: NamedDependency[UseCases]) -> Response[ApiKeyCreatedOut]:
        """Create a key with a name and scopes (owner only). The answer holds the secret, shown once."""
        created = use_cases.create_api_key(cabinet_id=cabinet_id, by_person_id=person_id, name=data.name,
                                           scopes=data.scopes)
        return Response(ApiKeyCreatedOut(key=ApiKeyOut.of(created.key), secret=created.secret),
                        status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/cabinets/{cabinet_id}/api-keys", "Cache-Control": "no-store"})

    @delete("/{key_id:str}", operation_id="revokeApiKey", summary="Révoquer une clé d’API",
            status_code=HTTP_204_NO_CONTENT, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409))
    def revoke(self, cabinet_id: FromPath[str], key_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> None:
        """Revoke a key (owner only): it is refused from now on."""
        use_cases.revoke_api_key(cabinet_id=cabinet_id, by_person_id=person_id, key_id=key_id)
