"""Cabinets, members, invitations and delegations through the JSON API."""

from __future__ import annotations

import pytest

from domain.model.cabinet import Delegation, Role
from tests.api.conftest import OWNER_EMAIL, PASSWORD, problem_of

IRINA = "irina@cs.expert"


def invite(api, cabinet, email=IRINA, **extra):
    body = {"email": email, "given_names": "Irina", "surname": "Faron", **extra}
    return api.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations", json=body)


@pytest.fixture
def owner(api, cabinet):
    api.login()
    return api


@pytest.fixture
def collaborator(owner, cabinet, second_browser, sent):
    """Irina, invited by the owner, joined and logged in on her own browser."""
    assert invite(owner, cabinet).status_code == 201
    token = sent("member_invitation")[-1].context_dict()["token"]
    accepted = second_browser.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    second_browser.login(IRINA)
    return second_browser


def member_id_of(api, cabinet, email):
    members = api.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/members").json()["members"]
    return next(m["member_id"] for m in members if m["email"] == email)


def test_my_cabinets_lists_the_owners_cabinet_with_every_delegation(owner, cabinet):
    answer = owner.get("/api/v1/cabinets")
    assert answer.status_code == 200
    assert answer.json() == [{
        "cabinet_id": cabinet.cabinet_id, "name": "Cabinet Poussart", "siren": "732829320", "role": "owner",
        "delegations": ["sign", "seal", "prepare"], "member_id": answer.json()[0]["member_id"],
    }]


def test_my_cabinets_needs_a_session(api, cabinet):
    problem_of(api.get("/api/v1/cabinets"), 401)


def test_the_owner_sees_members_and_pending_invitations(owner, cabinet):
    created = invite(owner, cabinet, delegations=["prepare"])
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/api/v1/cabinets/{cabinet.cabinet_id}/members"
    page = owner.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/members").json()
    assert page["viewer_is_owner"] is True
    assert page["cabinet"]["siren"] == "732829320"
    assert [m["email"] for m in page["members"]] == [OWNER_EMAIL]
    [pending] = page["pending"]
    assert pending["invitation_id"] == created.json()["invitation_id"]
    assert pending["email"] == IRINA
    assert pending["role"] == "collaborator"
    assert pending["delegations"] == ["prepare"]
    assert pending["expires_at"].startswith("2026-12-05")


def test_an_invitation_with_a_bad_email_is_a_422_problem_on_the_email_field(owner, cabinet):
    body = problem_of(invite(owner, cabinet, email="irina@"), 422)
    assert body["code"] == "email.invalid"
    assert body["errors"] == [{"field": "email", "message": body["detail"]}]
    assert "adresse e-mail est invalide" in body["detail"]


def test_an_invitation_with_a_bad_name_says_which_name(owner, cabinet):
    body = problem_of(owner.post(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations",
                                 json={"email": IRINA, "given_names": "Ir1na", "surname": "Faron"}), 422)
    assert body["errors"][0]["field"] == "given_names"
    assert "prénom" in body["detail"]


def test_inviting_the_same_person_twice_is_a_409_problem(owner, cabinet):
    assert invite(owner, cabinet).status_code == 201
    body = problem_of(invite(owner, cabinet), 409)
    assert body["code"] == "member.duplicate"
    assert body["errors"][0]["field"] == "email"
    assert "déjà membre" in body["detail"]


def test_inviting_an_existing_member_is_a_409_problem(owner, cabinet):
    body = problem_of(invite(owner, cabinet, email=OWNER_EMAIL), 409)
    assert body["code"] == "member.duplicate"


def test_an_invitation_with_an_unknown_delegation_lists_the_choices(owner, cabinet):
    body = problem_of(invite(owner, cabinet, delegations=["sign", "fly"]), 422)
    assert body["code"] == "request.invalid"
    assert body["errors"] == [{"field": "delegations[1]",
                               "message": "Valeur inconnue\u00a0: choisissez parmi « sign », « seal », « prepare »."}]


def test_a_collaborator_cannot_invite(collaborator, cabinet):
    body = problem_of(invite(collaborator, cabinet, email="other@cs.expert"), 403)
    assert body["code"] == "member.not_owner"
    assert "expert-comptable" in body["detail"]


def test_an_outsider_sees_no_cabinet_at_all(second_browser, uc, cabinet):
    uc.create_cabinet(name="Autre cabinet", siren="552100554", owner_given_names="Paul", owner_surname="Martin",
                      owner_email="paul@martin.fr", owner_mobile=None, password=PASSWORD)
    second_browser.login("paul@martin.fr")
    body = problem_of(second_browser.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/members"), 404)
    assert body["code"] == "not_found"
    problem_of(invite(second_browser, cabinet), 404)


def test_revoking_an_invitation_kills_its_link(owner, cabinet, sent, second_browser):
    invitation_id = invite(owner, cabinet).json()["invitation_id"]
    token = sent("member_invitation")[-1].context_dict()["token"]
    answer = owner.delete(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations/{invitation_id}")
    assert answer.status_code == 204, answer.text
    assert owner.get(f"/api/v1/cabinets/{cabinet.cabinet_id}/members").json()["pending"] == []
    body = problem_of(second_browser.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD}), 410)
    assert body["code"] == "invitation.unusable"
    again = problem_of(owner.delete(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations/{invitation_id}"), 410)
    assert again["code"] == "invitation.unusable"


def test_revoking_an_unknown_invitation_is_a_404_problem(owner, cabinet):
    problem_of(owner.delete(f"/api/v1/cabinets/{cabinet.cabinet_id}/invitations/nope"), 404)


# Invitation links ------------------------------------------------------------------------


def test_the_invited_person_reads_the_invitation_then_joins_and_logs_in(owner, cabinet, sent, second_browser):
    invite(owner, cabinet, delegations=["sign"])
    token = sent("member_invitation")[-1].context_dict()["token"]
    details = second_browser.get(f"/api/v1/invitations/{token}")
    assert details.status_code == 200
    assert details.json() == {"cabinet_name": "Cabinet Poussart", "email": IRINA, "display_name": "Irina Faron",
                              "needs_password": True}
    accepted = second_browser.post(f"/api/v1/invitations/{token}/accept",
                                   json={"password": PASSWORD, "mobile": "07 12 34 56 78"})
    assert accepted.status_code == 200, accepted.text
    # Accepting does not log in: the password does.
    problem_of(second_browser.get("/api/v1/me"), 401)
    second_browser.login(IRINA)
    me = second_browser.get("/api/v1/me").json()
    assert me["mobile"] == "+33712345678"
    [mine] = second_browser.get("/api/v1/cabinets").json()
    assert mine["role"] == "collaborator"
    assert mine["delegations"] == ["sign"]


def test_accepting_without_a_password_when_one_is_needed_is_a_422_problem(owner, cabinet, sent, second_browser):
    invite(owner, cabinet)
    token = sent("member_invitation")[-1].context_dict()["token"]
    body = problem_of(second_browser.post(f"/api/v1/invitations/{token}/accept", json={}), 422)
    assert body["code"] == "password.weak"
    assert body["errors"][0]["field"] == "password"


def test_accepting_with_a_bad_mobile_is_a_422_problem_on_the_mobile_field(owner, cabinet, sent, second_browser):
    invite(owner, cabinet)
    token = sent("member_invitation")[-1].context_dict()["token"]
    body = problem_of(second_browser.post(f"/api/v1/invitations/{token}/accept",
                                          json={"password": PASSWORD, "mobile": "05 12 34 56 78"}), 422)
    assert body["code"] == "mobile.invalid"
    assert body["errors"][0]["field"] == "mobile"
    assert "06 ou 07" in body["detail"]


def test_an_unknown_invitation_token_is_a_410_problem(api):
    assert problem_of(api.get("/api/v1/invitations/not-a-token"), 410)["code"] == "invitation.unusable"
    problem_of(api.post("/api/v1/invitations/not-a-token/accept", json={"password": PASSWORD}), 410)


def test_an_invitation_link_works_once(owner, cabinet, sent, second_browser):
    invite(owner, cabinet)
    token = sent("member_invitation")[-1].context_dict()["token"]
    assert second_browser.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD}).status_code == 200
    problem_of(second_browser.post(f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD}), 410)


# Delegations ---------------------------------------------------------------------------------


def test_the_owner_grants_and_withdraws_delegations(owner, collaborator, cabinet):
    member_id = member_id_of(owner, cabinet, IRINA)
    base = f"/api/v1/cabinets/{cabinet.cabinet_id}/members/{member_id}/delegations"
    assert owner.put(f"{base}/sign").status_code == 204
    assert owner.put(f"{base}/prepare").status_code == 204
    assert owner.put(f"{base}/prepare").status_code == 204  # PUT is idempotent
    assert collaborator.get("/api/v1/cabinets").json()[0]["delegations"] == ["sign", "prepare"]
    assert owner.delete(f"{base}/sign").status_code == 204
    assert collaborator.get("/api/v1/cabinets").json()[0]["delegations"] == ["prepare"]


def test_a_delegation_granted_by_a_non_owner_is_a_403_problem(owner, collaborator, cabinet):
    own_id = member_id_of(collaborator, cabinet, IRINA)
    base = f"/api/v1/cabinets/{cabinet.cabinet_id}/members/{own_id}/delegations"
    body = problem_of(collaborator.put(f"{base}/seal"), 403)
    assert body["code"] == "member.not_owner"
    problem_of(collaborator.delete(f"{base}/seal"), 403)
    assert collaborator.get("/api/v1/cabinets").json()[0]["delegations"] == []


def test_an_unknown_delegation_in_the_path_is_a_400_problem_listing_the_choices(owner, collaborator, cabinet):
    member_id = member_id_of(owner, cabinet, IRINA)
    body = problem_of(owner.put(f"/api/v1/cabinets/{cabinet.cabinet_id}/members/{member_id}/delegations/fly"), 400)
    assert body["code"] == "request.invalid_parameter"
    assert body["errors"] == [{"field": "delegation",
                               "message": "Valeur inconnue\u00a0: choisissez parmi « sign », « seal », « prepare »."}]


def test_a_delegation_for_an_unknown_member_is_a_404_problem(owner, cabinet):
    problem_of(owner.put(f"/api/v1/cabinets/{cabinet.cabinet_id}/members/nobody/delegations/sign"), 404)


def test_delegations_need_a_session(api, cabinet):
    problem_of(api.put(f"/api/v1/cabinets/{cabinet.cabinet_id}/members/x/delegations/sign"), 401)


def test_the_domain_enums_are_the_wire_values():
    # The API documents these strings; renaming an enum value is an API break.
    assert [d.value for d in Delegation] == ["sign", "seal", "prepare"]
    assert [r.value for r in Role] == ["owner", "collaborator"]
