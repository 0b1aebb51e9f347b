from datetime import UTC, datetime, timedelta

import pytest

from domain.model.account import Account
from domain.model.cabinet import Delegation, Invitation, InvitationStatus, Member, Role
from domain.model.errors import AlreadyMember, InvitationUnusable, LastOwner, NotOwner
from domain.model.values import Email, PersonName

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def owner(cabinet="cab-1"):
    return Member.owner(id="m-owner", cabinet_id=cabinet, person_id="p-owner", now=NOW)


def collaborator(cabinet="cab-1", delegations=()):
    return Member(id="m-collab", cabinet_id=cabinet, person_id="p-collab", role=Role.COLLABORATOR,
                  delegations=frozenset(delegations), joined_at=NOW)


def test_the_owner_holds_every_delegation_from_the_start():
    assert owner().delegations == frozenset(Delegation)


def test_an_owner_grants_and_withdraws_a_delegation():
    member = collaborator()
    member.grant(Delegation.SIGN, by=owner())
    member.grant(Delegation.PREPARE, by=owner())
    assert member.delegations == {Delegation.SIGN, Delegation.PREPARE}
    member.withdraw(Delegation.SIGN, by=owner())
    assert member.delegations == {Delegation.PREPARE}


def test_a_collaborator_cannot_grant_a_delegation():
    other = Member(id="m-2", cabinet_id="cab-1", person_id="p-2", role=Role.COLLABORATOR, delegations=())
    with pytest.raises(NotOwner) as error:
        collaborator().grant(Delegation.SIGN, by=other)
    assert error.value.code == "member.not_owner"


def test_an_owner_of_another_cabinet_cannot_grant_a_delegation():
    member = collaborator(cabinet="cab-1")
    with pytest.raises(NotOwner):
        member.grant(Delegation.SIGN, by=owner(cabinet="cab-2"))
    assert member.delegations == frozenset()


def test_the_last_owner_cannot_step_down():
    the_owner = owner()
    with pytest.raises(LastOwner):
        the_owner.change_role(Role.COLLABORATOR, by=the_owner, owners_left=1)
    assert the_owner.is_owner


def invitation(**overrides):
    values = dict(id="inv-1", cabinet_id="cab-1", email=Email("irina@cs.expert"), name=PersonName("Irina", "Faron"),
                  role=Role.COLLABORATOR, delegations=frozenset({Delegation.SIGN}), token_hash="h", by=owner(),
                  now=NOW, already_member=False)
    values.update(overrides)
    return Invitation.issue(**values)


def test_only_an_owner_invites():
    with pytest.raises(NotOwner):
        invitation(by=collaborator())


def test_inviting_a_current_member_is_refused():
    with pytest.raises(AlreadyMember) as error:
        invitation(already_member=True)
    assert error.value.code == "member.duplicate"


def test_an_invitation_is_accepted_once():
    inv = invitation()
    inv.accept(now=NOW + timedelta(hours=1))
    assert inv.status is InvitationStatus.ACCEPTED
    with pytest.raises(InvitationUnusable):
        inv.accept(now=NOW + timedelta(hours=2))


def test_an_invitation_expires_after_seven_days():
    inv = invitation()
    with pytest.raises(InvitationUnusable):
        inv.accept(now=NOW + timedelta(days=7, seconds=1))
    assert inv.status is InvitationStatus.PENDING


def test_a_revoked_invitation_cannot_be_accepted():
    inv = invitation()
    inv.revoke(by=owner())
    with pytest.raises(InvitationUnusable):
        inv.accept(now=NOW)


def test_the_membership_carries_the_invited_role_and_delegations():
    member = invitation().membership(id="m-9", person_id="p-9", now=NOW)
    assert (member.role, member.delegations, member.cabinet_id) == (Role.COLLABORATOR, {Delegation.SIGN}, "cab-1")


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes():
    account = Account(person_id="p", password_hash="x")
    for minute in range(4):
        account.record_failed_login(NOW + timedelta(minutes=minute))
    assert not account.is_locked(NOW + timedelta(minutes=4))
    account.record_failed_login(NOW + timedelta(minutes=4))
    assert account.is_locked(NOW + timedelta(minutes=18))
    assert not account.is_locked(NOW + timedelta(minutes=19, seconds=1))


def test_a_failure_after_the_lock_expired_starts_a_new_count():
    account = Account(person_id="p", password_hash="x")
    for _ in range(5):
        account.record_failed_login(NOW)
    account.record_failed_login(NOW + timedelta(minutes=16))
    assert account.failed_logins == 1
    assert not account.is_locked(NOW + timedelta(minutes=16))


def test_a_recovery_code_works_once():
    account = Account(person_id="p", password_hash="x", totp_secret="S")
    account.confirm_totp(("h1", "h2"))
    assert account.use_recovery_code("h1")
    assert not account.use_recovery_code("h1")
    assert account.recovery_code_hashes == ("h2",)
