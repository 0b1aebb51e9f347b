"""Invitation links, as seen by the invited person (no session needed: the token is the proof)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.schemas import AcceptInvitationInput, InvitationAccepted, InvitationInfo
from entrypoints.web.problems import problem_responses


class InvitationsController(Controller):
    path = "/invitations"
    tags = ["Invitations"]

    @get("/{token:str}", operation_id="getInvitation", summary="Lire une invitation", sync_to_thread=True,
         responses=problem_responses(404, 410))
    def read(self, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> InvitationInfo:
        """Show who invites whom, and whether the invited person must choose a password."""
        details = use_cases.invitation_details(token=token)
        return InvitationInfo(cabinet_name=details.cabinet_name, email=details.email,
                              display_name=details.display_name, needs_password=details.needs_password)

    @post("/{token:str}/accept", operation_id="acceptInvitation", summary="Accepter une invitation",
          status_code=HTTP_200_OK, dto=CattrsDTO[AcceptInvitationInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(403, 404, 409, 410, 422))
    def accept(self, token: FromPath[str], data: JSONBody[AcceptInvitationInput],
               use_cases: NamedDependency[UseCases]) -> InvitationAccepted:
        """Join the cabinet. A newcomer sets ``password`` (and may give ``mobile``).

        Accepting does not log in: a person who already had an account proves it with
        their own password through ``POST /api/v1/session``.
        """
        person_id = use_cases.accept_invitation(token=token, password=data.password, mobile=data.mobile)
        return InvitationAccepted(person_id=person_id)
