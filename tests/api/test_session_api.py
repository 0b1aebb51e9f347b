"""Login, second factor, logout, CSRF and password reset through the JSON API."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from domain.model.errors import InvalidCredentials
from tests.api.conftest import OWNER_EMAIL, PASSWORD, problem_of


def test_the_csrf_token_is_readable_and_sets_its_cookie(raw):
    answer = raw.get("/api/v1/csrf")
    assert answer.status_code == 200
    body = answer.json()
    assert body["header_name"].lower() == "x-csrftoken"
    assert body["token"]
    assert raw.cookies.get(body["cookie_name"])


def test_login_opens_a_session_that_me_then_reads(api, cabinet):
    state = api.login()
    assert state == {"authenticated": True, "second_factor_required": False, "person_id": cabinet.person_id}
    me = api.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == OWNER_EMAIL
    assert me.json()["display_name"]
    assert api.get("/api/v1/session").json()["authenticated"] is True


def test_login_gives_the_session_a_new_id(api, raw, cabinet):
    api.get("/api/v1/session")
    before = raw.cookies.get("seing_session")
    api.login()
    assert raw.cookies.get("seing_session") not in (None, "null", before)


def test_a_wrong_password_is_a_401_problem_that_does_not_say_which_part_was_wrong(api, cabinet):
    wrong_password = api.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": "not the password"})
    unknown_email = api.post("/api/v1/session", json={"email": "nobody@poussart.fr", "password": PASSWORD})
    first = problem_of(wrong_password, 401)
    second = problem_of(unknown_email, 401)
    assert first["code"] == second["code"] == "auth.invalid_credentials"
    assert first["detail"] == second["detail"]
    assert "mot de passe incorrect" in first["detail"]


def test_five_wrong_passwords_lock_the_account_with_the_same_message(api, cabinet, container):
    # One client alone is throttled before the lock (below); the lock needs a second one.
    for client in ("203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.3"):
        with pytest.raises(InvalidCredentials):
            container.use_cases.login(email=OWNER_EMAIL, password="wrong wrong", client=client)
    locked = problem_of(api.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD}), 401)
    assert locked["code"] == "auth.invalid_credentials"


def test_one_client_is_throttled_with_retry_after_before_the_account_locks(api, cabinet, container):
    for _ in range(4):
        problem_of(api.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": "wrong wrong"}), 401)
    answer = api.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD})
    throttled = problem_of(answer, 429)
    assert throttled["code"] == "auth.throttled" and "patientez" in throttled["detail"]
    assert answer.headers["Retry-After"] == "900"
    # The account itself is not locked: its owner gets in from another place.
    assert container.use_cases.login(email=OWNER_EMAIL, password=PASSWORD, client="198.51.100.7")


def test_reset_requests_are_throttled_with_retry_after(api, cabinet):
    for _ in range(3):
        assert api.post("/api/v1/password-reset", json={"email": OWNER_EMAIL}).status_code == 202
    answer = api.post("/api/v1/password-reset", json={"email": OWNER_EMAIL})
    assert problem_of(answer, 429)["code"] == "auth.throttled"
    assert answer.headers["Retry-After"] == "3600"


def test_me_without_a_session_is_a_401_problem(api):
    body = problem_of(api.get("/api/v1/me"), 401)
    assert body["code"] == "auth.required"
    assert "connecté" in body["detail"]


def test_logout_ends_the_session(api, cabinet):
    api.login()
    answer = api.delete("/api/v1/session")
    assert answer.status_code == 204
    problem_of(api.get("/api/v1/me"), 401)
    assert api.get("/api/v1/session").json() == {"authenticated": False, "second_factor_required": False,
                                                 "person_id": None}


def test_an_unsafe_request_without_the_csrf_header_is_refused(raw, cabinet):
    raw.get("/api/v1/csrf")
    answer = raw.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD})
    body = problem_of(answer, 403)
    assert body["code"] == "csrf.failed"
    assert "X-CSRFToken" in body["detail"]


def test_a_forged_csrf_header_is_refused(raw, cabinet):
    raw.get("/api/v1/csrf")
    answer = raw.post("/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD},
                      headers={"X-CSRFToken": "0" * 128})
    assert problem_of(answer, 403)["code"] == "csrf.failed"


def test_logout_needs_the_csrf_header_too(api, raw, cabinet):
    api.login()
    problem_of(raw.delete("/api/v1/session"), 403)
    assert api.get("/api/v1/me").status_code == 200


# Second factor -----------------------------------------------------------------------


@pytest.fixture
def totp_secret(uc, cabinet, container):
    setup = uc.start_totp_setup(person_id=cabinet.person_id)
    now = container.adapters.clock().now()
    codes = uc.confirm_totp(person_id=cabinet.person_id, code=pyotp.TOTP(setup.secret).at(now))
    return setup.secret, codes


def test_a_second_factor_account_is_not_logged_in_until_its_code(api, cabinet, totp_secret, container):
    secret, _codes = totp_secret
    state = api.login()
    assert state == {"authenticated": False, "second_factor_required": True, "person_id": None}
    problem_of(api.get("/api/v1/me"), 401)
    code = pyotp.TOTP(secret).at(container.adapters.clock().now())
    answer = api.post("/api/v1/session/second-factor", json={"code": code})
    assert answer.status_code == 200, answer.text
    assert answer.json()["authenticated"] is True
    assert api.get("/api/v1/me").status_code == 200


def test_a_recovery_code_also_finishes_the_login(api, cabinet, totp_secret):
    _secret, codes = totp_secret
    api.login()
    answer = api.post("/api/v1/session/second-factor", json={"code": codes[0]})
    assert answer.status_code == 200, answer.text


def test_a_wrong_second_factor_code_is_a_422_problem_on_the_code_field(api, cabinet, totp_secret):
    api.login()
    body = problem_of(api.post("/api/v1/session/second-factor", json={"code": "000000"}), 422)
    assert body["code"] == "auth.invalid_second_factor"
    assert body["errors"][0]["field"] == "code"


def test_five_wrong_second_factor_codes_drop_the_pending_login(api, cabinet, totp_secret, container):
    secret, _codes = totp_secret
    api.login()
    for _ in range(4):
        problem_of(api.post("/api/v1/session/second-factor", json={"code": "000000"}), 422)
    last = problem_of(api.post("/api/v1/session/second-factor", json={"code": "000000"}), 401)
    assert last["code"] == "auth.too_many_attempts"
    good = pyotp.TOTP(secret).at(container.adapters.clock().now())
    after = problem_of(api.post("/api/v1/session/second-factor", json={"code": good}), 409)
    assert after["code"] == "auth.no_pending_login"


def test_a_second_factor_without_a_pending_login_is_refused(api, cabinet):
    body = problem_of(api.post("/api/v1/session/second-factor", json={"code": "123456"}), 409)
    assert body["code"] == "auth.no_pending_login"


# Locale -------------------------------------------------------------------------------


def test_choosing_english_changes_the_profile_and_the_language_of_problems(api, cabinet):
    api.login()
    answer = api.put("/api/v1/me/locale", json={"locale": "en"})
    assert answer.status_code == 204, answer.text
    assert api.get("/api/v1/me").json()["locale"] == "en"


def test_an_unknown_locale_is_a_422_problem_listing_the_choices(api, cabinet):
    api.login()
    body = problem_of(api.put("/api/v1/me/locale", json={"locale": "de"}), 422)
    assert body["errors"] == [{"field": "locale", "message": "Valeur inconnue\u00a0: choisissez parmi « fr », « en »."}]


def test_setting_the_locale_needs_a_session(api):
    problem_of(api.put("/api/v1/me/locale", json={"locale": "en"}), 401)


# Password reset ------------------------------------------------------------------------


def test_a_reset_request_answers_the_same_for_known_and_unknown_addresses(api, cabinet, sent):
    known = api.post("/api/v1/password-reset", json={"email": OWNER_EMAIL})
    unknown = api.post("/api/v1/password-reset", json={"email": "nobody@nowhere.fr"})
    malformed = api.post("/api/v1/password-reset", json={"email": "not an address"})
    assert known.status_code == unknown.status_code == malformed.status_code == 202
    assert known.content == unknown.content == malformed.content
    assert len(sent("password_reset")) == 1


def test_the_reset_link_sets_a_new_password_once(api, cabinet, sent):
    api.post("/api/v1/password-reset", json={"email": OWNER_EMAIL})
    token = sent("password_reset")[-1].context_dict()["token"]
    answer = api.post(f"/api/v1/password-reset/{token}", json={"new_password": "a brand new passphrase"})
    assert answer.status_code == 204, answer.text
    api.login(password="a brand new passphrase")
    again = problem_of(api.post(f"/api/v1/password-reset/{token}", json={"new_password": "yet another one!"}), 410)
    assert again["code"] == "auth.reset_token_unusable"


def test_a_short_new_password_is_a_422_problem_on_the_password_field(api, cabinet, sent):
    api.post("/api/v1/password-reset", json={"email": OWNER_EMAIL})
    token = sent("password_reset")[-1].context_dict()["token"]
    body = problem_of(api.post(f"/api/v1/password-reset/{token}", json={"new_password": "short"}), 422)
    assert body["code"] == "password.weak"
    assert body["errors"][0]["field"] == "password"
    assert "10" in body["detail"]


def test_an_unknown_reset_token_is_a_410_problem(api):
    body = problem_of(api.post("/api/v1/password-reset/not-a-token", json={"new_password": "long enough pass"}), 410)
    assert "réinitialisation" in body["detail"]


def test_a_password_change_ends_the_other_sessions_and_says_so(api, second_browser, cabinet, container):
    api.login()
    second_browser.login()
    container.adapters.clock().advance(timedelta(seconds=1))
    changed = api.put("/api/v1/me/password", json={"current_password": PASSWORD,
                                                    "new_password": "a brand new password"})
    assert changed.status_code == 204, changed.text
    assert api.get("/api/v1/me").status_code == 200
    ended = problem_of(second_browser.get("/api/v1/me"), 401)
    assert ended["code"] == "auth.session_ended" and "mot de passe a été changé" in ended["detail"]
    assert second_browser.get("/api/v1/session").json()["authenticated"] is False


def test_a_password_reset_ends_every_session(api, second_browser, cabinet, container):
    second_browser.login()
    assert api.post("/api/v1/password-reset", json={"email": OWNER_EMAIL}).status_code == 202
    jobs = container.adapters.job_store().list(limit=100)
    token = [j.spec.as_notification() for j in jobs if j.spec.kind == "notify"][0].context_dict()["token"]
    container.adapters.clock().advance(timedelta(seconds=1))
    assert api.post(f"/api/v1/password-reset/{token}",
                    json={"new_password": "a brand new password"}).status_code == 204
    assert problem_of(second_browser.get("/api/v1/me"), 401)["code"] == "auth.session_ended"


def test_a_half_login_waiting_for_its_code_is_void_after_a_password_change(api, cabinet, totp_secret, container):
    secret, _codes = totp_secret
    api.login()
    clock = container.adapters.clock()
    clock.advance(timedelta(seconds=1))
    container.use_cases.change_password(person_id=cabinet.person_id, current_password=PASSWORD,
                                        new_password="a brand new password")
    answer = api.post("/api/v1/session/second-factor", json={"code": pyotp.TOTP(secret).at(clock.now())})
    assert problem_of(answer, 401)["code"] == "auth.session_ended"
    assert api.get("/api/v1/session").json()["authenticated"] is False
