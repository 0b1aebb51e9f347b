"""Connexion, lockout, second factor, logout, forgotten password: every page and its bad inputs."""

from __future__ import annotations

import re

import pyotp
import pytest

from domain.model.errors import InvalidCredentials
from tests.web.conftest import OWNER_EMAIL, OWNER_PASSWORD, error_for, login, post_form, queued_token

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


def _form_error(html: str) -> str:
    match = re.search(r'<div class="alert alert-error" role="alert" id="erreur_form">(.*?)</div>', html, re.S)
    assert match, "no form-level error shown"
    return match.group(1).strip()


def test_wrong_password_answers_401_in_french_and_keeps_the_email(client, owner):
    response = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": "not the password"})
    assert response.status_code == 401
    assert _form_error(response.text).startswith(WRONG_CREDENTIALS)
    assert f'value="{OWNER_EMAIL}"' in response.text
    assert "not the password" not in response.text


def test_unknown_email_reads_exactly_like_a_wrong_password(client, owner):
    unknown = post_form(client, "/connexion", {"email": "nobody@example.fr", "password": "whatever12345"})
    wrong = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": "whatever12345"})
    assert unknown.status_code == wrong.status_code == 401
    assert _form_error(unknown.text) == _form_error(wrong.text)


def test_empty_login_fields_are_named_in_french(client, owner):
    response = post_form(client, "/connexion", {"email": "", "password": ""})
    assert response.status_code == 400
    assert error_for(response.text, "email") == "Indiquez votre adresse e-mail."
    assert error_for(response.text, "password") == "Indiquez votre mot de passe."
    assert 'aria-describedby="email-erreur"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_five_wrong_passwords_lock_the_account_with_the_same_message(client, container, owner):
    wrong_message = None
    for _ in range(3):
        response = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": "not the password"})
        assert response.status_code == 401
        wrong_message = _form_error(response.text)
    # One client alone is throttled before the lock: the last two failures come from elsewhere.
    for client_address in ("203.0.113.1", "203.0.113.2"):
        with pytest.raises(InvalidCredentials):
            container.use_cases.login(email=OWNER_EMAIL, password="not the password", client=client_address)
    locked = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert locked.status_code == 401
    assert _form_error(locked.text) == wrong_message
    assert "seing_session" not in client.cookies or client.get("/ma-signature", follow_redirects=False).status_code == 303


def test_the_lock_lifts_after_fifteen_minutes(client, container, owner):
    from datetime import timedelta

    for _ in range(5):
        post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": "not the password"})
    container.adapters.clock().advance(timedelta(minutes=15, seconds=1))
    assert login(client).headers["location"] == "/"


def test_login_follows_a_local_next_page_only(client, owner):
    redirect = client.get("/cabinet/membres", follow_redirects=False)
    assert redirect.headers["location"] == "/connexion?suivant=%2Fcabinet%2Fmembres"
    page = client.get(redirect.headers["location"])
    assert 'name="suivant" value="/cabinet/membres"' in page.text
    response = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD,
                                                "suivant": "/cabinet/membres"})
    assert response.headers["location"] == "/cabinet/membres"
    post_form(client, "/deconnexion")
    response = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD,
                                                "suivant": "//evil.example/steal"})
    assert response.headers["location"] == "/"


def test_logout_ends_the_session(client, owner):
    login(client)
    assert client.get("/mon-compte").status_code == 200
    response = post_form(client, "/deconnexion")
    assert response.status_code == 303 and response.headers["location"] == "/connexion"
    assert "Vous êtes déconnecté." in client.get("/connexion").text
    assert client.get("/mon-compte", follow_redirects=False).status_code == 303


def test_logout_is_post_only(client, owner):
    login(client)
    assert client.get("/deconnexion").status_code == 405
    assert client.get("/mon-compte").status_code == 200


def _enable_totp(client, container) -> tuple[str, list[str]]:
    login(client)
    assert post_form(client, "/mon-compte/double-authentification").status_code == 303
    page = client.get("/mon-compte")
    assert "<svg" in page.text  # the QR code, inline
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text).group(1)
    now = container.adapters.clock().now()
    wrong = post_form(client, "/mon-compte/double-authentification/confirmer", {"code": "000000"})
    assert wrong.status_code in (400, 422)
    assert error_for(wrong.text, "code").startswith("Ce code n’est pas valide")
    assert secret in wrong.text  # the setup is still on screen
    confirmed = post_form(client, "/mon-compte/double-authentification/confirmer",
                          {"code": pyotp.TOTP(secret).at(now)})
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([^<]+)</code></li>", confirmed.text)
    assert len(codes) >= 5
    post_form(client, "/deconnexion")
    return secret, codes


def test_totp_setup_then_login_asks_for_the_code(client, container, owner):
    secret, _codes = _enable_totp(client, container)
    response = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert response.headers["location"] == "/connexion/code"
    # Not logged in yet: the second factor is still owed.
    assert client.get("/mon-compte", follow_redirects=False).status_code == 303
    page = client.get("/connexion/code")
    assert '<label for="code">Code' in page.text
    wrong = post_form(client, "/connexion/code", {"code": "123456"})
    assert wrong.status_code in (400, 422)
    assert "Ce code n’est pas valide" in error_for(wrong.text, "code")
    now = container.adapters.clock().now()
    ok = post_form(client, "/connexion/code", {"code": pyotp.TOTP(secret).at(now)})
    assert ok.status_code == 303
    account = client.get("/mon-compte")
    assert "La double authentification est activée" in account.text


def test_a_recovery_code_works_once(client, container, owner):
    _secret, codes = _enable_totp(client, container)
    post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert post_form(client, "/connexion/code", {"code": codes[0]}).status_code == 303
    post_form(client, "/deconnexion")
    post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert post_form(client, "/connexion/code", {"code": codes[0]}).status_code in (400, 422)


def test_five_wrong_codes_send_back_to_the_login_form(client, container, owner):
    _enable_totp(client, container)
    post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    for _ in range(4):
        assert post_form(client, "/connexion/code", {"code": "000000"}).status_code in (400, 422)
    last = post_form(client, "/connexion/code", {"code": "000000"})
    assert last.status_code == 303 and last.headers["location"] == "/connexion"
    assert client.get("/connexion/code", follow_redirects=False).status_code == 303


def test_disable_totp_needs_the_password(client, container, owner):
    secret, _codes = _enable_totp(client, container)
    post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    post_form(client, "/connexion/code", {"code": pyotp.TOTP(secret).at(container.adapters.clock().now())})
    empty = post_form(client, "/mon-compte/double-authentification/desactiver", {"password": ""})
    assert empty.status_code == 400
    assert error_for(empty.text, "disable_password") == "Indiquez votre mot de passe."
    wrong = post_form(client, "/mon-compte/double-authentification/desactiver", {"password": "wrong password"})
    assert 400 <= wrong.status_code < 500
    assert error_for(wrong.text, "disable_password") == "Le mot de passe actuel est incorrect."
    done = post_form(client, "/mon-compte/double-authentification/desactiver", {"password": OWNER_PASSWORD})
    assert done.status_code == 303
    assert "La double authentification est désactivée." in client.get("/mon-compte").text
    post_form(client, "/deconnexion")
    assert login(client).headers["location"] == "/"


def test_the_second_factor_must_come_within_ten_minutes(client, container, owner):
    from datetime import timedelta

    secret, _codes = _enable_totp(client, container)
    post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    clock = container.adapters.clock()
    clock.advance(timedelta(minutes=10, seconds=1))
    late = post_form(client, "/connexion/code", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert late.status_code == 303 and late.headers["location"] == "/connexion"
    assert "Le délai pour saisir le code est dépassé" in client.get("/connexion").text
    assert client.get("/mon-compte", follow_redirects=False).status_code == 303


def test_second_factor_page_without_a_pending_login_goes_to_login(client):
    assert client.get("/connexion/code", follow_redirects=False).headers["location"] == "/connexion"


def test_forgotten_password_says_the_same_for_unknown_addresses(client, container, owner):
    known = post_form(client, "/mot-de-passe/oublie", {"email": OWNER_EMAIL})
    unknown = post_form(client, "/mot-de-passe/oublie", {"email": "nobody@example.fr"})
    assert known.status_code == unknown.status_code == 200
    sentence = "Si un compte correspond à cette adresse"
    assert sentence in known.text and sentence in unknown.text
    assert f'value="{OWNER_EMAIL}"' in known.text
    assert queued_token(container, "password_reset", OWNER_EMAIL)


def test_forgotten_password_without_email_is_refused(client):
    response = post_form(client, "/mot-de-passe/oublie", {"email": ""})
    assert response.status_code == 400
    assert error_for(response.text, "email") == "Indiquez votre adresse e-mail."


def test_password_reset_end_to_end(client, container, owner):
    post_form(client, "/mot-de-passe/oublie", {"email": OWNER_EMAIL})
    token = queued_token(container, "password_reset", OWNER_EMAIL)
    path = f"/mot-de-passe/reinitialiser/{token}"
    page = client.get(path)
    assert page.status_code == 200 and '<label for="new_password">Nouveau mot de passe' in page.text

    differ = post_form(client, path, {"new_password": "a brand new secret", "new_password_confirm": "another"})
    assert differ.status_code == 400
    assert error_for(differ.text, "new_password_confirm") == "Les deux mots de passe ne correspondent pas."
    short = post_form(client, path, {"new_password": "short", "new_password_confirm": "short"})
    assert 400 <= short.status_code < 500
    assert "au moins 10" in error_for(short.text, "new_password")

    done = post_form(client, path, {"new_password": "a brand new secret", "new_password_confirm": "a brand new secret"})
    assert done.status_code == 303 and done.headers["location"] == "/connexion"
    assert "Votre mot de passe a été changé" in client.get("/connexion").text
    assert post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 401
    assert login(client, OWNER_EMAIL, "a brand new secret").status_code == 303

    post_form(client, "/deconnexion")
    again = post_form(client, path, {"new_password": "yet another secret", "new_password_confirm": "yet another secret"})
    assert again.status_code == 410
    assert "n’est plus valable" in again.text
    assert 'href="/mot-de-passe/oublie"' in again.text


def test_an_unknown_reset_link_is_refused_in_french(client):
    response = post_form(client, "/mot-de-passe/reinitialiser/not-a-token",
                         {"new_password": "a brand new secret", "new_password_confirm": "a brand new secret"})
    assert response.status_code == 410
    assert "Ce lien de réinitialisation n’est plus valable" in response.text


# Throttling and sessions after a password change (issue 13) ------------------------------------


def test_one_client_is_throttled_in_french_with_retry_after_before_the_lock(client, container, owner):
    for _ in range(4):
        assert post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": "not the password"}).status_code == 401
    throttled = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "900"
    assert _form_error(throttled.text).startswith("Trop de tentatives")
    assert container.use_cases.login(email=OWNER_EMAIL, password=OWNER_PASSWORD, client="198.51.100.7")


def test_reset_requests_are_throttled_in_french(client, owner):
    for _ in range(3):
        assert post_form(client, "/mot-de-passe/oublie", {"email": OWNER_EMAIL}).status_code == 200
    throttled = post_form(client, "/mot-de-passe/oublie", {"email": OWNER_EMAIL})
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "3600"
    assert "Trop de tentatives" in throttled.text


def test_a_password_change_ends_the_other_sessions_and_says_so(client, container, owner):
    from datetime import timedelta

    from litestar.testing import TestClient

    login(client)
    with TestClient(client.app, base_url=str(client.base_url)) as other:
        login(other)
        assert other.get("/mon-compte").status_code == 200
        container.adapters.clock().advance(timedelta(seconds=1))
        changed = post_form(client, "/mon-compte/mot-de-passe", {
            "current_password": OWNER_PASSWORD, "new_password": "a brand new password",
            "new_password_confirm": "a brand new password"})
        assert changed.status_code == 303
        assert "Vos autres sessions ouvertes" in client.get(changed.headers["location"]).text
        assert client.get("/mon-compte").status_code == 200
        ended = other.get("/mon-compte", follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"].startswith("/connexion")
        page = other.get(ended.headers["location"])
        assert "mot de passe a été changé depuis votre connexion" in page.text


def test_a_password_reset_ends_the_sessions_and_says_so(client, container, owner):
    from datetime import timedelta

    login(client)
    assert client.get("/mon-compte").status_code == 200
    post_form(client, "/mot-de-passe/oublie", {"email": OWNER_EMAIL})
    token = queued_token(container, "password_reset", OWNER_EMAIL)
    container.adapters.clock().advance(timedelta(seconds=1))
    done = post_form(client, f"/mot-de-passe/reinitialiser/{token}", {
        "new_password": "a brand new password", "new_password_confirm": "a brand new password"})
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "toutes vos sessions ouvertes ont été fermées" in page.text
    assert client.get("/mon-compte", follow_redirects=False).status_code == 303


def test_a_half_login_waiting_for_its_code_is_void_after_a_password_reset(client, container, owner):
    from datetime import timedelta

    secret, _codes = _enable_totp(client, container)
    post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    clock = container.adapters.clock()
    clock.advance(timedelta(seconds=1))
    container.use_cases.request_password_reset(email=OWNER_EMAIL)
    container.use_cases.reset_password(token=queued_token(container, "password_reset", OWNER_EMAIL),
                                       new_password="a brand new password")
    late = post_form(client, "/connexion/code", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert late.status_code == 303 and late.headers["location"] == "/connexion"
    assert "mot de passe a été changé depuis votre connexion" in client.get("/connexion").text
    assert client.get("/mon-compte", follow_redirects=False).status_code == 303
