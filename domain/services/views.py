"""Read models returned by use cases: plain frozen records, safe to render or serialise."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from domain.model.cabinet import Delegation, Role


@frozen
class LoginResult:
    person_id: str
    second_factor_required: bool


@frozen
class TotpSetup:
    secret: str
    provisioning_uri: str


@frozen
class Profile:
    person_id: str
    given_names: str
    surname: str
    display_name: str
    email: str
    mobile: str | None
    totp_enabled: bool
    locale: str
    # Changes whenever the password does: a session opened under another stamp is over.
    credentials_stamp: str = ""


@frozen
class CabinetCreated:
    cabinet_id: str
    person_id: str


@frozen
class CabinetMembership:
    cabinet_id: str
    name: str
    siren: str
    role: Role
    delegations: frozenset[Delegation]
    member_id: str


@frozen
class MemberView:
    member_id: str
    person_id: str
    display_name: str
    email: str
    role: Role
    delegations: frozenset[Delegation]


@frozen
class MemberInvitationView:
    invitation_id: str
    email: str
    display_name: str
    role: Role
    delegations: frozenset[Delegation]
    expires_at: datetime


@frozen
class CabinetView:
    cabinet_id: str
    name: str
    siren: str


@frozen
class MembersPage:
    cabinet: CabinetView
    members: list[MemberView]
    pending: list[MemberInvitationView]
    viewer_is_owner: bool


@frozen
class InvitationDetails:
    cabinet_name: str
    email: str
    display_name: str
    needs_password: bool
