"""Cabinets, their members, delegations and email invitations."""

from __future__ import annotations

from typing import Callable

from domain.model.account import Account
from domain.model.cabinet import Cabinet, Delegation, Invitation, Member, Role
from domain.model.errors import AlreadyMember, InvitationUnusable, NotFound, SirenTaken, WeakPassword
from domain.model.jobs import JobSpec, Notification
from domain.model.person import Person
from domain.model.tokens import hash_token
from domain.model.values import Email, Mobile, PersonName, Siren, check_password_strength
from domain.services.views import (
    CabinetCreated,
    CabinetMembership,
    CabinetView,
    InvitationDetails,
    MemberInvitationView,
    MembersPage,
    MemberView,
)
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.repositories import UnitOfWork
from ports.security import PasswordHasher

UowFactory = Callable[[], UnitOfWork]


def create_cabinet(*, uow: UowFactory, clock: Clock, ids: IdGenerator, hasher: PasswordHasher, name: str,
                   siren: str, owner_given_names: str, owner_surname: str, owner_email: str,
                   owner_mobile: str | None, password: str | None) -> CabinetCreated:
    """Found a cabinet with its owner (expert-comptable); an existing person becomes its owner too."""
    now = clock.now()
    cabinet = Cabinet.found(id=ids.new_id(), name=name, siren=Siren(siren), now=now)
    owner_name = PersonName(owner_given_names, owner_surname)
    email = Email(owner_email)
    mobile = Mobile(owner_mobile) if owner_mobile else None
    with uow() as tx:
        if tx.cabinets.by_siren(str(cabinet.siren)) is not None:
            raise SirenTaken("a cabinet with this SIREN already exists")
        person = tx.persons.by_email(email)
        if person is None:
            if password is None:
                raise WeakPassword("a new owner needs a password")
            check_password_strength(password)
            person = Person.register(id=ids.new_id(), name=owner_name, email=email, mobile=mobile, now=now)
            tx.persons.add(person)
            account = Account(person_id=person.id, password_hash=None)
            account.set_password(hasher.hash(password), now)
            tx.accounts.add(account)
        tx.cabinets.add(cabinet)
        tx.members.add(Member.owner(id=ids.new_id(), cabinet_id=cabinet.id, person_id=person.id, now=now))
        tx.commit()
        return CabinetCreated(cabinet_id=cabinet.id, person_id=person.id)


def my_cabinets(*, uow: UowFactory, person_id: str) -> list[CabinetMembership]:
    with uow() as tx:
        memberships = {m.cabinet_id: m for m in tx.members.of_person(person_id)}
        cabinets = tx.cabinets.list_by_ids(list(memberships))
        return [CabinetMembership(cabinet_id=c.id, name=c.name, siren=str(c.siren),
                                  role=memberships[c.id].role, delegations=memberships[c.id].delegations,
                                  member_id=memberships[c.id].id) for c in cabinets]


def _member_of(tx: UnitOfWork, cabinet_id: str, person_id: str) -> Member:
    member = tx.members.find(cabinet_id, person_id)
    if member is None:
        # Outsiders learn nothing about a cabinet, not even that it exists.
        raise NotFound("cabinet not found")
    return member


def list_members(*, uow: UowFactory, cabinet_id: str, by_person_id: str) -> MembersPage:
    with uow() as tx:
        viewer = _member_of(tx, cabinet_id, by_person_id)
        cabinet = tx.cabinets.get(cabinet_id)
        members = []
        for member in tx.members.of_cabinet(cabinet_id):
            person = tx.persons.get(member.person_id)
            members.append(MemberView(member_id=member.id, person_id=person.id, display_name=person.display_name,
                                      email=str(person.email), role=member.role, delegations=member.delegations))
        pending = []
        if viewer.is_owner:
            pending = [MemberInvitationView(invitation_id=i.id, email=str(i.email),
                                      display_name=f"{i.name.given_names} {i.name.surname}", role=i.role,
                                      delegations=i.delegations, expires_at=i.expires_at)
                       for i in tx.invitations.pending_for_cabinet(cabinet_id)]
        return MembersPage(cabinet=CabinetView(cabinet_id=cabinet.id, name=cabinet.name, siren=str(cabinet.siren)),
                           members=members, pending=pending, viewer_is_owner=viewer.is_owner)


def invite_member(*, uow: UowFactory, clock: Clock, ids: IdGenerator, cabinet_id: str, by_person_id: str,
                  email: str, given_names: str, surname: str, role: Role,
                  delegations: frozenset[Delegation]) -> str:
    now = clock.now()
    address = Email(email)
    name = PersonName(given_names, surname)
    with uow() as tx:
        owner = _member_of(tx, cabinet_id, by_person_id)
        cabinet = tx.cabinets.get(cabinet_id)
        existing = tx.persons.by_email(address)
        already = existing is not None and tx.members.find(cabinet_id, existing.id) is not None
        pending = any(i.email == address for i in tx.invitations.pending_for_cabinet(cabinet_id))
        token = ids.new_token()
        invitation = Invitation.issue(id=ids.new_id(), cabinet_id=cabinet_id, email=address, name=name, role=role,
                                      delegations=delegations, token_hash=hash_token(token), by=owner, now=now,
                                      already_member=already or pending)
        inviter = tx.persons.get(by_person_id)
        tx.invitations.add(invitation)
        tx.jobs.enqueue(JobSpec.notify(Notification.email(
            address, "member_invitation", existing.locale if existing else "fr", cabinet_name=cabinet.name,
            inviter_name=inviter.display_name, invitee_name=f"{name.given_names} {name.surname}", token=token)))
        tx.commit()
        return invitation.id


def revoke_invitation(*, uow: UowFactory, cabinet_id: str, by_person_id: str, invitation_id: str) -> None:
    with uow() as tx:
        owner = _member_of(tx, cabinet_id, by_person_id)
        invitation = tx.invitations.get(invitation_id)
        if invitation.cabinet_id != cabinet_id:
            raise NotFound("invitation not found")
        invitation.revoke(by=owner)
        tx.commit()


def _usable_invitation(tx: UnitOfWork, token: str, clock: Clock) -> Invitation:
    invitation = tx.invitations.by_token_hash(hash_token(token))
    if invitation is None or not invitation.usable(clock.now()):
        raise InvitationUnusable("this invitation link is no longer valid")
    return invitation


def invitation_details(*, uow: UowFactory, clock: Clock, token: str) -> InvitationDetails:
    with uow() as tx:
        invitation = _usable_invitation(tx, token, clock)
        cabinet = tx.cabinets.get(invitation.cabinet_id)
        person = tx.persons.by_email(invitation.email)
        account = tx.accounts.find(person.id) if person else None
        return InvitationDetails(cabinet_name=cabinet.name, email=str(invitation.email),
                                 display_name=f"{invitation.name.given_names} {invitation.name.surname}",
                                 needs_password=account is None or account.password_hash is None)


def accept_invitation(*, uow: UowFactory, clock: Clock, ids: IdGenerator, hasher: PasswordHasher, token: str,
                      password: str | None, mobile: str | None) -> str:
    """The link proves the email; a newcomer chooses a password, a known person just joins."""
    now = clock.now()
    phone = Mobile(mobile) if mobile else None
    with uow() as tx:
        invitation = _usable_invitation(tx, token, clock)
        person = tx.persons.by_email(invitation.email)
        if person is None:
            person = Person.register(id=ids.new_id(), name=invitation.name, email=invitation.email,
                                     mobile=phone, now=now)
            tx.persons.add(person)
        elif phone is not None and person.mobile is None:
            person.change_mobile(phone)
        account = tx.accounts.find(person.id)
        if account is None:
            account = Account(person_id=person.id, password_hash=None)
            tx.accounts.add(account)
        if account.password_hash is None:
            if password is None:
                raise WeakPassword("choose a password to join")
            check_password_strength(password)
            account.set_password(hasher.hash(password), now)
        if tx.members.find(invitation.cabinet_id, person.id) is not None:
            raise AlreadyMember("already a member of this cabinet")
        invitation.accept(now=now)
        tx.members.add(invitation.membership(id=ids.new_id(), person_id=person.id, now=now))
        tx.commit()
        return person.id


def _managed_member(tx: UnitOfWork, cabinet_id: str, by_person_id: str, member_id: str) -> tuple[Member, Member]:
    owner = _member_of(tx, cabinet_id, by_person_id)
    member = tx.members.get(member_id)
    if member.cabinet_id != cabinet_id:
        raise NotFound("member not found")
    return owner, member


def grant_delegation(*, uow: UowFactory, cabinet_id: str, by_person_id: str, member_id: str,
                     delegation: Delegation) -> None:
    with uow() as tx:
        owner, member = _managed_member(tx, cabinet_id, by_person_id, member_id)
        member.grant(delegation, by=owner)
        tx.commit()


def withdraw_delegation(*, uow: UowFactory, cabinet_id: str, by_person_id: str, member_id: str,
                        delegation: Delegation) -> None:
    with uow() as tx:
        owner, member = _managed_member(tx, cabinet_id, by_person_id, member_id)
        member.withdraw(delegation, by=owner)
        tx.commit()


