"""Cabinets (firms), their members, delegations and invitations."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from attrs import define, field

from domain.model.errors import (
    AlreadyMember,
    InvalidName,
    InvitationUnusable,
    LastOwner,
    MissingDelegation,
    NotOwner,
)
from domain.model.values import Email, PersonName, Siren

INVITATION_VALIDITY = timedelta(days=7)


class Role(enum.Enum):
    OWNER = "owner"  # expert-comptable
    COLLABORATOR = "collaborator"  # collaborateur


class Delegation(enum.Enum):
    SIGN = "sign"  # signer personnellement
    SEAL = "seal"  # sceller avec le cachet du cabinet
    PREPARE = "prepare"  # préparer et lancer des collectes


def _frozen_delegations(values: object) -> frozenset[Delegation]:
    return frozenset(Delegation(v) for v in values)  # type: ignore[union-attr]


def _clean_cabinet_name(raw: str) -> str:
    return " ".join(str(raw).split())


@define(eq=False)
class Cabinet:
    id: str
    name: str = field(converter=_clean_cabinet_name)
    siren: Siren
    created_at: datetime

    @name.validator
    def _check_name(self, _attribute: object, value: str) -> None:
        if not value or len(value) > 200:
            raise InvalidName("cabinet_name", "a cabinet needs a name of at most 200 characters")

    @classmethod
    def found(cls, *, id: str, name: str, siren: Siren, now: datetime) -> Cabinet:
        return cls(id=id, name=name, siren=siren, created_at=now)


@define(eq=False)
class Member:
    """A person's membership in one cabinet. A person may belong to several cabinets."""

    id: str
    cabinet_id: str
    person_id: str
    role: Role
    delegations: frozenset[Delegation] = field(converter=_frozen_delegations, factory=frozenset)
    joined_at: datetime | None = None

    @classmethod
    def owner(cls, *, id: str, cabinet_id: str, person_id: str, now: datetime) -> Member:
        # The expert-comptable can do everything in the cabinet from the start.
        return cls(id=id, cabinet_id=cabinet_id, person_id=person_id, role=Role.OWNER,
                   delegations=frozenset(Delegation), joined_at=now)

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER

    def has(self, delegation: Delegation) -> bool:
        return delegation in self.delegations

    def require(self, delegation: Delegation) -> None:
        if not self.has(delegation):
            raise MissingDelegation(f"member lacks {delegation.value}", delegation=delegation.value)

    def require_owner(self) -> None:
        if not self.is_owner:
            raise NotOwner("only the cabinet owner may do this")

    def grant(self, delegation: Delegation, *, by: Member) -> None:
        self._check_authority(by)
        self.delegations = self.delegations | {delegation}

    def withdraw(self, delegation: Delegation, *, by: Member) -> None:
        self._check_authority(by)
        self.delegations = self.delegations - {delegation}

    def change_role(self, role: Role, *, by: Member, owners_left: int) -> None:
        """``owners_left`` is the number of owners of the cabinet, this member included."""
        self._check_authority(by)
        if self.is_owner and role is not Role.OWNER and owners_left <= 1:
            raise LastOwner("a cabinet keeps at least one owner")
        self.role = role

    def _check_authority(self, by: Member) -> None:
        by.require_owner()
        if by.cabinet_id != self.cabinet_id:
            raise NotOwner("an owner only manages the members of their own cabinet")


class InvitationStatus(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


@define(eq=False)
class Invitation:
    """An owner's invitation, by email link, to join a cabinet."""

    id: str
    cabinet_id: str
    email: Email
    name: PersonName
    role: Role
    delegations: frozenset[Delegation] = field(converter=_frozen_delegations)
    token_hash: str
    invited_by: str  # member id of the owner
    created_at: datetime
    expires_at: datetime
    status: InvitationStatus = InvitationStatus.PENDING
    accepted_at: datetime | None = None

    @classmethod
    def issue(cls, *, id: str, cabinet_id: str, email: Email, name: PersonName, role: Role,
              delegations: frozenset[Delegation], token_hash: str, by: Member, now: datetime,
              already_member: bool) -> Invitation:
        by.require_owner()
        if by.cabinet_id != cabinet_id:
            raise NotOwner("an owner only invites into their own cabinet")
        if already_member:
            raise AlreadyMember("this person is already a member of the cabinet")
        return cls(id=id, cabinet_id=cabinet_id, email=email, name=name, role=role,
                   delegations=delegations, token_hash=token_hash, invited_by=by.id,
                   created_at=now, expires_at=now + INVITATION_VALIDITY)

    def usable(self, now: datetime) -> bool:
        return self.status is InvitationStatus.PENDING and now < self.expires_at

    def accept(self, *, now: datetime) -> None:
        if not self.usable(now):
            raise InvitationUnusable("this invitation link is no longer valid")
        self.status = InvitationStatus.ACCEPTED
        self.accepted_at = now

    def revoke(self, *, by: Member) -> None:
        by.require_owner()
        if self.status is not InvitationStatus.PENDING:
            raise InvitationUnusable("only a pending invitation can be revoked")
        self.status = InvitationStatus.REVOKED

    def membership(self, *, id: str, person_id: str, now: datetime) -> Member:
        return Member(id=id, cabinet_id=self.cabinet_id, person_id=person_id, role=self.role,
                      delegations=self.delegations, joined_at=now)
