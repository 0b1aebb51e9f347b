"""My cabinets, their members, invitations and delegations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from domain.model.api_keys import ApiScope
from domain.model.cabinet import Delegation
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import IDEMPOTENT, KEY_SCOPE, key_principal
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.schemas import InvitationCreated, InvitationInput, Members, MyCabinet
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.problems import problem_responses

_DELEGATION_PATH = "/{cabinet_id:str}/members/{member_id:str}/delegations/{delegation:str}"


class CabinetsController(Controller):
    path = "/cabinets"
    tags = ["Cabinets"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    # Members, invitations and delegations: an admin key; reading them, a read key.
    opt = {KEY_SCOPE: ApiScope.ADMIN, IDEMPOTENT: True}

    @get(operation_id="listMyCabinets", summary="Mes cabinets", sync_to_thread=True,
         responses=problem_responses(401))
    def mine(self, request: Request[Any, Any, Any], person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> list[MyCabinet]:
        """List the cabinets the logged-in person belongs to, with role and delegations (with an API
        key: the key's cabinet only)."""
        principal = key_principal(request)
        return [MyCabinet.from_membership(m) for m in use_cases.my_cabinets(person_id=person_id)
                if principal is None or m.cabinet_id == principal.cabinet_id]

    @get("/{cabinet_id:str}/members", operation_id="listCabinetMembers", summary="Membres du cabinet",
         sync_to_thread=True, responses=problem_responses(401, 404))
    def members(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                use_cases: NamedDependency[UseCases]) -> Members:
        """List the members of a cabinet the caller belongs to, and for its owner the pending invitations.

        A cabinet the caller does not belong to answers 404, as if it did not exist.
        """
        return Members.from_page(use_cases.list_members(cabinet_id=cabinet_id, by_person_id=person_id))

    @post("/{cabinet_id:str}/invitations", operation_id="inviteMember", summary="Inviter un membre",
          status_code=HTTP_201_CREATED, dto=CattrsDTO[InvitationInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def invite(self, cabinet_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[InvitationInput],
               use_cases: NamedDependency[UseCases]) -> Response[InvitationCreated]:
        """Invite a person by email to join the cabinet (owner only); the link goes out by email."""
        invitation_id = use_cases.invite_member(
            cabinet_id=cabinet_id, by_person_id=person_id, email=data.email, given_names=data.given_names,
            surname=data.surname, role=data.role, delegations=frozenset(data.delegations))
        return Response(InvitationCreated(invitation_id=invitation_id), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/cabinets/{cabinet_id}/members"})

    @delete("/{cabinet_id:str}/invitations/{invitation_id:str}", operation_id="revokeInvitation",
            summary="Révoquer une invitation", status_code=HTTP_204_NO_CONTENT, sync_to_thread=True,
            responses=problem_responses(401, 403, 404, 410))
    def revoke(self, cabinet_id: FromPath[str], invitation_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> None:
        """Revoke a pending invitation (owner only): its link stops working."""
        use_cases.revoke_invitation(cabinet_id=cabinet_id, by_person_id=person_id, invitation_id=invitation_id)

    @put(_DELEGATION_PATH, operation_id="grantDelegation", summary="Accorder une délégation",
         status_code=HTTP_204_NO_CONTENT, sync_to_thread=True, responses=problem_responses(400, 401, 403, 404))
    def grant(self, cabinet_id: FromPath[str], member_id: FromPath[str], delegation: FromPath[Delegation],
              person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> None:
        """Grant a delegation (``sign``, ``seal`` or ``prepare``) to a member (owner only). Idempotent."""
        use_cases.grant_delegation(cabinet_id=cabinet_id, by_person_id=person_id, member_id=member_id,
                                   delegation=delegation)

    @delete(_DELEGATION_PATH, operation_id="withdrawDelegation", summary="Retirer une délégation",
            status_code=HTTP_204_NO_CONTENT, sync_to_thread=True, responses=problem_responses(400, 401, 403, 404))
    def withdraw(self, cabinet_id: FromPath[str], member_id: FromPath[str], delegation: FromPath[Delegation],
                 person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> None:
        """Withdraw a delegation from a member (owner only). Idempotent."""
        use_cases.withdraw_delegation(cabinet_id=cabinet_id, by_person_id=person_id, member_id=member_id,
                                      delegation=delegation)
