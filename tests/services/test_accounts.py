from datetime import timedelta

import pyotp
import pytest

from domain.model.errors import (
    InvalidCredentials,
    InvalidSecondFactor,
    ResetTokenUnusable,
    WeakPassword,
    WrongCurrentPassword,
)
from tests.services.conftest import PASSWORD

EMAIL = "jessica@poussart.fr"


def test_login_with_the_right_password(uc, cabinet):
    result = uc.login(email="  Jessica@Poussart.FR ", password=PASSWORD)
    assert result.person_id == cabinet.person_id and not result.second_factor_required


@pytest.mark.parametrize("email,password", [(EMAIL, "wrong password!"), ("nobody@x.fr", PASSWORD),
                                            ("not an email", PASSWORD)])
def test_wrong_email_or_password_give_the_same_error(uc, cabinet, email, password):
    with pytest.raises(InvalidCredentials) as error:
        uc.login(email=email, password=password)
    assert error.value.code == "auth.invalid_credentials"


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(uc, cabinet, clock, sent):
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            uc.login(email=EMAIL, password="wrong password!")
    with pytest.raises(InvalidCredentials):
        uc.login(email=EMAIL, password=PASSWORD)
    assert [n.template for n in sent()] == ["account_locked"]
    clock.advance(timedelta(minutes=15, seconds=1))
    assert uc.login(email=EMAIL, password=PASSWORD).person_id == cabinet.person_id


def enable_totp(uc, cabinet, clock):
    setup = uc.start_totp_setup(person_id=cabinet.person_id)
    assert setup.provisioning_uri.startswith("otpauth://totp/")
    code = pyotp.TOTP(setup.secret).at(clock.now())
    return setup.secret, uc.confirm_totp(person_id=cabinet.person_id, code=code)


def test_totp_makes_login_ask_for_a_second_factor(uc, cabinet, clock):
    secret, recovery = enable_totp(uc, cabinet, clock)
    assert len(recovery) == 10
    assert uc.login(email=EMAIL, password=PASSWORD).second_factor_required
    uc.verify_second_factor(person_id=cabinet.person_id, code=pyotp.TOTP(secret).at(clock.now()))
    assert uc.profile(person_id=cabinet.person_id).totp_enabled


def test_a_wrong_totp_code_is_refused(uc, cabinet, clock):
    enable_totp(uc, cabinet, clock)
    with pytest.raises(InvalidSecondFactor):
        uc.verify_second_factor(person_id=cabinet.person_id, code="000000")


def test_totp_setup_is_not_enabled_by_a_wrong_confirmation_code(uc, cabinet):
    uc.start_totp_setup(person_id=cabinet.person_id)
    with pytest.raises(InvalidSecondFactor):
        uc.confirm_totp(person_id=cabinet.person_id, code="123456")
    assert not uc.login(email=EMAIL, password=PASSWORD).second_factor_required


def test_a_recovery_code_replaces_the_totp_code_once(uc, cabinet, clock):
    _, recovery = enable_totp(uc, cabinet, clock)
    uc.verify_second_factor(person_id=cabinet.person_id, code=recovery[0].lower())
    with pytest.raises(InvalidSecondFactor):
        uc.verify_second_factor(person_id=cabinet.person_id, code=recovery[0])


def test_disabling_totp_needs_the_password(uc, cabinet, clock):
    enable_totp(uc, cabinet, clock)
    with pytest.raises(WrongCurrentPassword):
        uc.disable_totp(person_id=cabinet.person_id, password="wrong password!")
    uc.disable_totp(person_id=cabinet.person_id, password=PASSWORD)
    assert not uc.login(email=EMAIL, password=PASSWORD).second_factor_required


def test_changing_the_password(uc, cabinet):
    uc.change_password(person_id=cabinet.person_id, current_password=PASSWORD, new_password="a brand new password")
    with pytest.raises(InvalidCredentials):
        uc.login(email=EMAIL, password=PASSWORD)
    assert uc.login(email=EMAIL, password="a brand new password")


def test_a_short_new_password_is_refused_and_the_old_one_still_works(uc, cabinet):
    with pytest.raises(WeakPassword):
        uc.change_password(person_id=cabinet.person_id, current_password=PASSWORD, new_password="short")
    assert uc.login(email=EMAIL, password=PASSWORD)


def reset_token(sent):
    return [n for n in sent() if n.template == "password_reset"][-1].context_dict()["token"]


def test_password_reset_by_email_link(uc, cabinet, sent):
    uc.request_password_reset(email=EMAIL)
    uc.reset_password(token=reset_token(sent), new_password="a brand new password")
    assert uc.login(email=EMAIL, password="a brand new password").person_id == cabinet.person_id


def test_a_reset_for_an_unknown_email_says_nothing_and_sends_nothing(uc, cabinet, sent):
    uc.request_password_reset(email="nobody@nowhere.fr")
    uc.request_password_reset(email="not an email")
    assert sent() == []


def test_a_reset_link_works_once_and_expires_after_an_hour(uc, cabinet, sent, clock):
    uc.request_password_reset(email=EMAIL)
    token = reset_token(sent)
    uc.reset_password(token=token, new_password="a brand new password")
    with pytest.raises(ResetTokenUnusable):
        uc.reset_password(token=token, new_password="yet another password")
    uc.request_password_reset(email=EMAIL)
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(ResetTokenUnusable):
        uc.reset_password(token=reset_token(sent), new_password="yet another password")


def test_a_reset_unlocks_a_locked_account(uc, cabinet, sent):
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            uc.login(email=EMAIL, password="wrong password!")
    uc.request_password_reset(email=EMAIL)
    uc.reset_password(token=reset_token(sent), new_password="a brand new password")
    assert uc.login(email=EMAIL, password="a brand new password")


def test_the_language_is_french_by_default_and_english_can_be_chosen(uc, cabinet):
    assert uc.profile(person_id=cabinet.person_id).locale == "fr"
    uc.set_locale(person_id=cabinet.person_id, locale="en")
    assert uc.profile(person_id=cabinet.person_id).locale == "en"


def test_five_wrong_second_factor_codes_lock_the_account(uc, cabinet, clock):
    secret, _ = enable_totp(uc, cabinet, clock)
    for _ in range(5):
        with pytest.raises(InvalidSecondFactor):
            uc.verify_second_factor(person_id=cabinet.person_id, code="000000")
    with pytest.raises(InvalidSecondFactor):
        uc.verify_second_factor(person_id=cabinet.person_id, code=pyotp.TOTP(secret).at(clock.now()))
    with pytest.raises(InvalidCredentials):
        uc.login(email=EMAIL, password=PASSWORD)
    clock.advance(timedelta(minutes=15, seconds=1))
    uc.verify_second_factor(person_id=cabinet.person_id, code=pyotp.TOTP(secret).at(clock.now()))
