"""Membres du cabinet: invite, accept the invitation link, grant and withdraw delegations, revoke, switch cabinet."""

from __future__ import annotations

import re

from domain.model.cabinet import Delegation, Role
from tests.web.conftest import OWNER_EMAIL, error_for, login, post_form, queued_token

COLLABORATOR = "irina.faron@example.fr"
COLLABORATOR_PASSWORD = "irina chooses a long one"


def _invite(client, **overrides):
    data = {"given_names": "Irina", "surname": "Faron", "email": COLLABORATOR, "role": "collaborator",
            "delegation_sign": "on"}
    data.update(overrides)
    return post_form(client, "/cabinet/membres/inviter", {k: v for k, v in data.items() if v is not None})


def _member(container, owner, email):
    page = container.use_cases.list_members(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id)
    return next(m for m in page.members if m.email == email)


def _join_as_collaborator(client, container, owner):
    login(client)
    assert _invite(client).status_code == 303
    token = queued_token(container, "member_invitation", COLLABORATOR)
    post_form(client, "/deconnexion")
    response = post_form(client, f"/invitation/{token}",
                         {"password": COLLABORATOR_PASSWORD, "password_confirm": COLLABORATOR_PASSWORD})
    assert response.status_code == 303
    return token


def test_members_page_lists_the_owner_and_the_invite_form(client, owner):
    login(client)
    page = client.get("/cabinet/membres")
    assert page.status_code == 200
    assert "<h1>Membres du cabinet" in page.text
    assert "Jessica Poussart" in page.text and OWNER_EMAIL in page.text
    assert "Expert-comptable" in page.text
    for label in ("Prénom", "Nom", "Adresse e-mail"):
        assert f">{label} <span" in page.text or f">{label}</label>" in page.text
    assert 'id="delegation_sign"' in page.text and '<label for="delegation_sign">' in page.text


def test_inviting_shows_the_pending_invitation_with_a_french_date(client, container, owner):
    login(client)
    response = _invite(client, delegation_prepare="on")
    assert response.status_code == 303
    page = client.get("/cabinet/membres")
    assert f"Invitation envoyée à {COLLABORATOR}." in page.text
    assert "Invitations en attente" in page.text and "Irina Faron" in page.text
    # Invitations last 7 days from the fixed test clock (28 November 2026, 09:00 UTC = 10 h 00 in Paris).
    assert "5 décembre 2026 à 10 h 00" in page.text
    assert queued_token(container, "member_invitation", COLLABORATOR)


def test_invitation_bad_inputs_keep_what_was_typed(client, owner):
    login(client)
    missing = _invite(client, email="", given_names="")
    assert missing.status_code == 400
    assert error_for(missing.text, "email") == "Indiquez l’adresse e-mail de la personne à inviter."
    assert error_for(missing.text, "given_names") == "Indiquez le prénom."
    assert 'value="Faron"' in missing.text
    assert 'id="delegation_sign" name="delegation_sign" value="on" checked' in missing.text

    bad_email = _invite(client, email="irina.faron@")
    assert 400 <= bad_email.status_code < 500
    assert "L’adresse e-mail est invalide" in error_for(bad_email.text, "email")
    assert 'value="irina.faron@"' in bad_email.text
    # The field in error takes the focus, not the first field of the form.
    assert re.search(r'<input[^>]*id="email"[^>]*autofocus', bad_email.text)
    assert not re.search(r'<input[^>]*id="given_names"[^>]*autofocus', bad_email.text)

    bad_name = _invite(client, given_names="Irina2")
    assert 400 <= bad_name.status_code < 500
    assert "prénom valide" in error_for(bad_name.text, "given_names")

    bad_role = _invite(client, role="emperor")
    assert bad_role.status_code == 400
    assert error_for(bad_role.text, "role") == "Choisissez un rôle."


def test_inviting_the_same_person_twice_is_refused(client, owner):
    login(client)
    assert _invite(client).status_code == 303
    again = _invite(client)
    assert again.status_code == 409
    assert "déjà membre du cabinet ou déjà invitée" in again.text


def test_invitation_link_shows_the_cabinet_and_sets_a_password(client, container, owner):
    login(client)
    _invite(client)
    token = queued_token(container, "member_invitation", COLLABORATOR)
    post_form(client, "/deconnexion")

    page = client.get(f"/invitation/{token}")
    assert page.status_code == 200
    assert "Cabinet Poussart &amp; Associés" in page.text
    assert COLLABORATOR in page.text
    assert '<label for="password">Mot de passe' in page.text

    differ = post_form(client, f"/invitation/{token}", {"password": COLLABORATOR_PASSWORD,
                                                         "password_confirm": "something else", "mobile": "06 11 22 33 44"})
    assert differ.status_code == 400
    assert error_for(differ.text, "password_confirm") == "Les deux mots de passe ne correspondent pas."
    assert 'value="06 11 22 33 44"' in differ.text

    bad_mobile = post_form(client, f"/invitation/{token}", {"password": COLLABORATOR_PASSWORD,
                                                             "password_confirm": COLLABORATOR_PASSWORD, "mobile": "01 23"})
    assert 400 <= bad_mobile.status_code < 500
    assert "Le numéro de mobile est invalide" in error_for(bad_mobile.text, "mobile")

    short = post_form(client, f"/invitation/{token}", {"password": "short", "password_confirm": "short"})
    assert 400 <= short.status_code < 500
    assert "au moins 10" in error_for(short.text, "password")

    joined = post_form(client, f"/invitation/{token}", {"password": COLLABORATOR_PASSWORD,
                                                         "password_confirm": COLLABORATOR_PASSWORD})
    assert joined.status_code == 303
    signature = client.get("/ma-signature")
    assert "Bienvenue\u00a0! Vous avez rejoint le cabinet Cabinet Poussart &amp; Associés." in signature.text
    assert "Irina Faron" in signature.text and "Collaborateur" in signature.text and "Signer" in signature.text

    used = client.get(f"/invitation/{token}")
    assert used.status_code == 410
    assert "Ce lien d’invitation n’est plus valable" in used.text


def test_owner_grants_and_withdraws_delegations_with_plain_forms(client, container, owner):
    _join_as_collaborator(client, container, owner)
    post_form(client, "/deconnexion")
    login(client)
    member = _member(container, owner, COLLABORATOR)
    path = f"/cabinet/membres/{member.member_id}/delegations"
    for delegation in ("prepare", "seal"):
        response = post_form(client, path, {"delegation": delegation, "action": "accorder"})
        assert response.status_code == 303
    assert _member(container, owner, COLLABORATOR).delegations == frozenset(Delegation)
    assert "Délégation accordée." in client.get("/cabinet/membres").text
    assert post_form(client, path, {"delegation": "seal", "action": "retirer"}).status_code == 303
    assert _member(container, owner, COLLABORATOR).delegations == {Delegation.SIGN, Delegation.PREPARE}

    bad = post_form(client, path, {"delegation": "fly", "action": "accorder"})
    assert bad.status_code == 400 and "Cette délégation n’existe pas." in bad.text
    unknown = post_form(client, "/cabinet/membres/nobody/delegations", {"delegation": "sign", "action": "accorder"})
    assert unknown.status_code == 404
    assert "Cet élément n’existe pas" in unknown.text


def test_a_collaborator_sees_members_but_cannot_grant(client, container, owner):
    _join_as_collaborator(client, container, owner)
    page = client.get("/cabinet/membres")
    assert page.status_code == 200
    assert "Inviter un membre" not in page.text and "Accorder" not in page.text
    member = _member(container, owner, COLLABORATOR)
    refused = post_form(client, f"/cabinet/membres/{member.member_id}/delegations",
                        {"delegation": "prepare", "action": "accorder"})
    assert refused.status_code == 403
    assert "Seul l’expert-comptable titulaire du cabinet peut faire cela." in refused.text
    assert Delegation.PREPARE not in _member(container, owner, COLLABORATOR).delegations
    invite = _invite(client, email="someone@example.fr")
    assert invite.status_code == 403


def test_owner_revokes_a_pending_invitation(client, container, owner):
    login(client)
    _invite(client)
    token = queued_token(container, "member_invitation", COLLABORATOR)
    page = client.get("/cabinet/membres")
    invitation_id = re.search(r'action="/cabinet/invitations/([^/]+)/revoquer"', page.text).group(1)
    response = post_form(client, f"/cabinet/invitations/{invitation_id}/revoquer")
    assert response.status_code == 303
    page = client.get("/cabinet/membres")
    assert "Invitation révoquée." in page.text and "Aucune invitation en attente." in page.text
    post_form(client, "/deconnexion")
    assert client.get(f"/invitation/{token}").status_code == 410
    login(client)
    twice = post_form(client, f"/cabinet/invitations/{invitation_id}/revoquer")
    assert 400 <= twice.status_code < 500


def test_a_person_in_two_cabinets_switches_between_them(client, container, owner):
    other = container.use_cases.create_cabinet(
        name="Cabinet Martin", siren="552100554", owner_given_names="Paul", owner_surname="Martin",
        owner_email="paul.martin@example.fr", owner_mobile="06 98 76 54 32", password="paul's long password")
    container.use_cases.invite_member(cabinet_id=other.cabinet_id, by_person_id=other.person_id, email=OWNER_EMAIL,
                                      given_names="Jessica", surname="Poussart",
                                      role=Role.COLLABORATOR,
                                      delegations=frozenset())
    token = queued_token(container, "member_invitation", OWNER_EMAIL)
    # Jessica already has a password: the link just adds the membership, then she logs in.
    page = client.get(f"/invitation/{token}")
    assert 'name="password"' not in page.text
    joined = post_form(client, f"/invitation/{token}")
    assert joined.headers["location"] == "/connexion"
    assert "Vous avez rejoint le cabinet Cabinet Martin" in client.get("/connexion").text

    login(client)
    members = client.get("/cabinet/membres")
    assert '<select id="cabinet_id" name="cabinet_id">' in members.text
    first = re.search(r"<h1>Membres du cabinet <small class=\"muted\">([^<]+)</small>", members.text).group(1)
    target = other.cabinet_id if "Poussart" in first else owner.cabinet_id
    switched = post_form(client, "/cabinet", {"cabinet_id": target, "suivant": "/cabinet/membres"})
    assert switched.status_code == 303 and switched.headers["location"] == "/cabinet/membres"
    second = re.search(r"<h1>Membres du cabinet <small class=\"muted\">([^<]+)</small>",
                       client.get("/cabinet/membres").text).group(1)
    assert second != first
    assert post_form(client, "/cabinet", {"cabinet_id": "not-mine"}).status_code == 404
