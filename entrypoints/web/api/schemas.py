"""Wire shapes of the JSON API: plain dataclasses, separate from the domain's classes.

Inputs are parsed by :mod:`entrypoints.web.api.input`; outputs are built from the use
cases' read models by the ``from_*`` constructors, so the domain never learns the wire.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from domain.model.cabinet import Delegation, Role
from domain.services.views import CabinetMembership, MemberInvitationView, MembersPage, MemberView, Profile


class Locale(enum.Enum):
    FR = "fr"
    EN = "en"


def _sorted(delegations: frozenset[Delegation]) -> list[Delegation]:
    order = list(Delegation)
    return sorted(delegations, key=order.index)


# Inputs ----------------------------------------------------------------------------------


@dataclass
class LoginInput:
    email: str
    password: str


@dataclass
class SecondFactorInput:
    """A 6-digit TOTP code, or one of the recovery codes given when TOTP was enabled."""

    code: str


@dataclass
class LocaleInput:
    locale: Locale


@dataclass
class PasswordChangeInput:
    current_password: str
    new_password: str


@dataclass
class TotpCodeInput:
    """The 6-digit code the authenticator app shows."""

    code: str


@dataclass
class PasswordConfirmationInput:
    password: str


@dataclass
class InvitationInput:
    email: str
    given_names: str
    surname: str
    role: Role = Role.COLLABORATOR
    delegations: list[Delegation] = field(default_factory=list)


@dataclass
class AcceptInvitationInput:
    """``password`` is required when the invited person has no account yet."""

    password: str | None = None
    mobile: str | None = None


@dataclass
class PasswordResetRequestInput:
    email: str


@dataclass
class PasswordResetInput:
    new_password: str


# Outputs ---------------------------------------------------------------------------------


@dataclass
class CsrfToken:
    """Send ``token`` back in the header named ``header_name`` on every unsafe request."""

    token: str
    header_name: str
    cookie_name: str


@dataclass
class SessionState:
    authenticated: bool
    second_factor_required: bool
    person_id: str | None = None


@dataclass
class Me:
    person_id: str
    given_names: str
    surname: str
    display_name: str
    email: str
    mobile: str | None
    totp_enabled: bool
    locale: str

    @classmethod
    def from_profile(cls, profile: Profile) -> Me:
        return cls(person_id=profile.person_id, given_names=profile.given_names, surname=profile.surname,
                   display_name=profile.display_name, email=profile.email, mobile=profile.mobile,
                   totp_enabled=profile.totp_enabled, locale=profile.locale)


@dataclass
class TotpSetupOut:
    """Scan ``provisioning_uri`` (as a QR code) or type ``secret`` into the authenticator app."""

    secret: str
    provisioning_uri: str


@dataclass
class RecoveryCodes:
    """Shown once: each code replaces a TOTP code once, when the phone is lost."""

    codes: list[str]


@dataclass
class MyCabinet:
    cabinet_id: str
    name: str
    siren: str
    role: Role
    delegations: list[Delegation]
    member_id: str

    @classmethod
    def from_membership(cls, membership: CabinetMembership) -> MyCabinet:
        return cls(cabinet_id=membership.cabinet_id, name=membership.name, siren=membership.siren,
                   role=membership.role, delegations=_sorted(membership.delegations),
                   member_id=membership.member_id)


@dataclass
class CabinetSummary:
    cabinet_id: str
    name: str
    siren: str


@dataclass
class MemberOut:
    member_id: str
    person_id: str
    display_name: str
    email: str
    role: Role
    delegations: list[Delegation]

    @classmethod
    def from_view(cls, view: MemberView) -> MemberOut:
        return cls(member_id=view.member_id, person_id=view.person_id, display_name=view.display_name,
                   email=view.email, role=view.role, delegations=_sorted(view.delegations))


@dataclass
class PendingInvitation:
    invitation_id: str
    email: str
    display_name: str
    role: Role
    delegations: list[Delegation]
    expires_at: datetime

    @classmethod
    def from_view(cls, view: MemberInvitationView) -> PendingInvitation:
        return cls(invitation_id=view.invitation_id, email=view.email, display_name=view.display_name,
                   role=view.role, delegations=_sorted(view.delegations), expires_at=view.expires_at)


@dataclass
class Members:
    """``pending`` invitations are listed for the owner only (empty for collaborators)."""

    cabinet: CabinetSummary
    members: list[MemberOut]
    pending: list[PendingInvitation]
    viewer_is_owner: bool

    @classmethod
    def from_page(cls, page: MembersPage) -> Members:
        return cls(cabinet=CabinetSummary(cabinet_id=page.cabinet.cabinet_id, name=page.cabinet.name,
                                          siren=page.cabinet.siren),
                   members=[MemberOut.from_view(m) for m in page.members],
                   pending=[PendingInvitation.from_view(i) for i in page.pending],
                   viewer_is_owner=page.viewer_is_owner)


@dataclass
class InvitationCreated:
    invitation_id: str


@dataclass
class InvitationInfo:
    cabinet_name: str
    email: str
    display_name: str
    needs_password: bool


@dataclass
class InvitationAccepted:
    """The invitation is accepted; log in with ``POST /api/v1/session`` to act in the cabinet."""

    person_id: str
