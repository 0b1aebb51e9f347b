"""My account through the API: password change and the TOTP second factor."""

from __future__ import annotations

import pyotp
import pytest

from tests.api.conftest import OWNER_EMAIL, PASSWORD, problem_of

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def owner(api, cabinet):
    api.login()
    return api


def totp_code(secret, container):
    return pyotp.TOTP(secret).at(container.adapters.clock().now())


def test_changing_the_password_makes_the_new_one_the_login(owner, second_browser):
    answer = owner.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert answer.status_code == 204, answer.text
    problem_of(second_browser.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD}), 401)
    second_browser.login(password=NEW_PASSWORD)


def test_a_wrong_current_password_is_a_422_problem_on_that_field(owner):
    body = problem_of(owner.put("/api/v1/me/password", json={"current_password": "not it at all",
                                                            "new_password": NEW_PASSWORD}), 422)
    assert body["code"] == "auth.wrong_current_password"
    assert body["errors"][0]["field"] == "current_password"


def test_a_short_new_password_is_refused(owner):
    body = problem_of(owner.put("/api/v1/me/password", json={"current_password": PASSWORD,
                                                            "new_password": "short"}), 422)
    assert body["code"] == "password.weak"


def test_changing_the_password_needs_a_session(api):
    problem_of(api.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
               401)


def test_the_second_factor_is_set_up_confirmed_used_and_disabled(owner, container, second_browser):
    setup = owner.post("/api/v1/me/totp")
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["provisioning_uri"].startswith("otpauth://totp/")
    confirmed = owner.post("/api/v1/me/totp/confirmation", json={"code": totp_code(secret, container)})
    assert confirmed.status_code == 200, confirmed.text
    assert len(confirmed.json()["codes"]) == 10
    assert owner.get("/api/v1/me").json()["totp_enabled"] is True

    assert second_browser.login()["second_factor_required"] is True

    disabled = owner.post("/api/v1/me/totp/deactivation", json={"password": PASSWORD})
    assert disabled.status_code == 204, disabled.text
    assert owner.get("/api/v1/me").json()["totp_enabled"] is False


def test_confirming_with_a_wrong_code_is_a_422_problem(owner):
    owner.post("/api/v1/me/totp")
    body = problem_of(owner.post("/api/v1/me/totp/confirmation", json={"code": "000000"}), 422)
    assert body["code"] == "auth.invalid_second_factor"


def test_confirming_without_a_setup_is_a_409_problem(owner):
    body = problem_of(owner.post("/api/v1/me/totp/confirmation", json={"code": "123456"}), 409)
    assert body["code"] == "auth.second_factor_state"


def test_disabling_needs_the_password(owner, container):
    secret = owner.post("/api/v1/me/totp").json()["secret"]
    owner.post("/api/v1/me/totp/confirmation", json={"code": totp_code(secret, container)})
    body = problem_of(owner.post("/api/v1/me/totp/deactivation", json={"password": "not the password"}), 422)
    assert body["code"] == "auth.wrong_current_password"
    assert body["errors"][0]["field"] == "password"
    assert owner.get("/api/v1/me").json()["totp_enabled"] is True


def test_disabling_when_off_is_a_409_problem(owner):
    assert problem_of(owner.post("/api/v1/me/totp/deactivation", json={"password": PASSWORD}), 409)["code"] == \
        "auth.second_factor_state"
