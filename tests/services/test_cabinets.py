import pytest

from domain.model.cabinet import Delegation, Role
from domain.model.errors import (
    AlreadyMember,
    InvalidEmail,
    InvalidSiren,
    InvitationUnusable,
    NotFound,
    NotOwner,
    SirenTaken,
    WeakPassword,
)
from tests.services.conftest import PASSWORD


def invite(uc, cabinet, email="irina@cs.expert", delegations=frozenset()):
    uc.invite_member(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, email=email,
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR, delegations=delegations)


def token_of(sent):
    return [n for n in sent() if n.template == "member_invitation"][-1].context_dict()["token"]


def test_creating_a_cabinet_makes_its_founder_the_owner(uc, cabinet):
    [membership] = uc.my_cabinets(person_id=cabinet.person_id)
    assert membership.name == "Cabinet Poussart"
    assert membership.role is Role.OWNER
    assert membership.delegations == frozenset(Delegation)


def test_a_cabinet_with_a_bad_siren_is_refused_and_nothing_is_stored(uc, container):
    with pytest.raises(InvalidSiren):
        uc.create_cabinet(name="X", siren="732829321", owner_given_names="A", owner_surname="B",
                          owner_email="a@b.fr", owner_mobile=None, password=PASSWORD)
    assert container.adapters.store().tables["persons"] == {}


def test_a_second_cabinet_with_the_same_siren_is_refused(uc, cabinet):
    with pytest.raises(SirenTaken):
        uc.create_cabinet(name="Copy", siren="732 829 320", owner_given_names="A", owner_surname="B",
                          owner_email="a@b.fr", owner_mobile=None, password=PASSWORD)


def test_a_person_can_own_several_cabinets(uc, cabinet):
    uc.create_cabinet(name="Second cabinet", siren="552100554", owner_given_names="Jessica",
                      owner_surname="Poussart", owner_email="jessica@poussart.fr", owner_mobile=None, password=None)
    assert [c.name for c in uc.my_cabinets(person_id=cabinet.person_id)] == ["Cabinet Poussart", "Second cabinet"]


def test_an_invitation_sends_an_email_with_a_link_token(uc, cabinet, sent):
    invite(uc, cabinet)
    [mail] = [n for n in sent() if n.template == "member_invitation"]
    assert mail.to == "irina@cs.expert"
    assert mail.context_dict()["cabinet_name"] == "Cabinet Poussart"
    assert len(mail.context_dict()["token"]) >= 43  # 256 bits, URL-safe


def test_the_invitation_token_is_stored_only_hashed(uc, cabinet, sent, container):
    invite(uc, cabinet)
    token = token_of(sent)
    [stored] = container.adapters.store().tables["invitations"].values()
    assert stored.token_hash != token and token not in repr(stored)


def test_accepting_an_invitation_creates_the_member_with_its_delegations(uc, cabinet, sent):
    invite(uc, cabinet, delegations=frozenset({Delegation.SIGN}))
    person_id = uc.accept_invitation(token=token_of(sent), password="another good password", mobile="0712345678")
    [membership] = uc.my_cabinets(person_id=person_id)
    assert membership.role is Role.COLLABORATOR and membership.delegations == {Delegation.SIGN}
    assert uc.login(email="irina@cs.expert", password="another good password").person_id == person_id


def test_an_invitation_link_works_once(uc, cabinet, sent):
    invite(uc, cabinet)
    token = token_of(sent)
    uc.accept_invitation(token=token, password="another good password", mobile=None)
    with pytest.raises(InvitationUnusable):
        uc.accept_invitation(token=token, password="another good password", mobile=None)


def test_accepting_without_a_good_password_keeps_the_invitation_open(uc, cabinet, sent):
    invite(uc, cabinet)
    token = token_of(sent)
    with pytest.raises(WeakPassword):
        uc.accept_invitation(token=token, password="short", mobile=None)
    assert uc.invitation_details(token=token).needs_password


def test_an_existing_person_joins_without_a_new_password(uc, cabinet, sent):
    second = uc.create_cabinet(name="Other", siren="552100554", owner_given_names="Irina", owner_surname="Faron",
                               owner_email="irina@cs.expert", owner_mobile=None, password=PASSWORD)
    invite(uc, cabinet)
    assert not uc.invitation_details(token=token_of(sent)).needs_password
    assert uc.accept_invitation(token=token_of(sent), password=None, mobile=None) == second.person_id
    assert len(uc.my_cabinets(person_id=second.person_id)) == 2


def test_inviting_a_current_member_is_refused(uc, cabinet):
    with pytest.raises(AlreadyMember):
        invite(uc, cabinet, email="Jessica@Poussart.fr")


def test_inviting_twice_the_same_email_is_refused_while_pending(uc, cabinet):
    invite(uc, cabinet)
    with pytest.raises(AlreadyMember):
        invite(uc, cabinet)


def test_an_invitation_to_a_malformed_email_is_refused(uc, cabinet, sent):
    with pytest.raises(InvalidEmail):
        invite(uc, cabinet, email="irina-at-cs.expert")
    assert sent() == []


def collaborator(uc, cabinet, sent):
    invite(uc, cabinet)
    person_id = uc.accept_invitation(token=token_of(sent), password="another good password", mobile=None)
    page = uc.list_members(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id)
    return person_id, next(m.member_id for m in page.members if m.person_id == person_id)


def test_the_owner_grants_sign_and_prepare(uc, cabinet, sent):
    _, member_id = collaborator(uc, cabinet, sent)
    for delegation in (Delegation.SIGN, Delegation.PREPARE):
        uc.grant_delegation(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, member_id=member_id,
                            delegation=delegation)
    page = uc.list_members(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id)
    assert next(m for m in page.members if m.member_id == member_id).delegations == {Delegation.SIGN,
                                                                                       Delegation.PREPARE}


def test_a_collaborator_cannot_grant_delegations_even_to_themself(uc, cabinet, sent):
    person_id, member_id = collaborator(uc, cabinet, sent)
    with pytest.raises(NotOwner):
        uc.grant_delegation(cabinet_id=cabinet.cabinet_id, by_person_id=person_id, member_id=member_id,
                            delegation=Delegation.SIGN)


def test_a_collaborator_sees_members_but_not_pending_invitations(uc, cabinet, sent):
    person_id, _ = collaborator(uc, cabinet, sent)
    invite(uc, cabinet, email="third@cs.expert")
    page = uc.list_members(cabinet_id=cabinet.cabinet_id, by_person_id=person_id)
    assert len(page.members) == 2 and page.pending == [] and not page.viewer_is_owner


def test_an_outsider_cannot_see_a_cabinet(uc, cabinet):
    other = uc.create_cabinet(name="Other", siren="552100554", owner_given_names="Irina", owner_surname="Faron",
                              owner_email="irina@cs.expert", owner_mobile=None, password=PASSWORD)
    with pytest.raises(NotFound):
        uc.list_members(cabinet_id=cabinet.cabinet_id, by_person_id=other.person_id)


def test_a_revoked_invitation_link_stops_working(uc, cabinet, sent):
    invite(uc, cabinet)
    page = uc.list_members(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id)
    uc.revoke_invitation(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id,
                         invitation_id=page.pending[0].invitation_id)
    with pytest.raises(InvitationUnusable):
        uc.invitation_details(token=token_of(sent))
