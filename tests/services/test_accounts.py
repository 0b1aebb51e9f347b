from datetime import timedelta

import pyotp
import pytest

from domain.model.errors import (
    InvalidCredentials,
    InvalidSecondFactor,
    ResetTokenUnusable,
    TooManyAttempts,
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


# Hardening (issue 13) -------------------------------------------------------------------------


def test_a_right_password_does_not_buy_fresh_second_factor_guesses(uc, cabinet, clock, sent):
    # Ten logins with the right password, four wrong codes each: the fifth wrong code locks.
    secret, _ = enable_totp(uc, cabinet, clock)
    assert uc.login(email=EMAIL, password=PASSWORD).second_factor_required
    for _ in range(4):
        with pytest.raises(InvalidSecondFactor):
            uc.verify_second_factor(person_id=cabinet.person_id, code="000000")
    assert uc.login(email=EMAIL, password=PASSWORD).second_factor_required
    with pytest.raises(InvalidSecondFactor):
        uc.verify_second_factor(person_id=cabinet.person_id, code="000000")
    with pytest.raises(InvalidSecondFactor):
        uc.verify_second_factor(person_id=cabinet.person_id, code=pyotp.TOTP(secret).at(clock.now()))
    with pytest.raises(InvalidCredentials):
        uc.login(email=EMAIL, password=PASSWORD)
    assert [n.template for n in sent()] == ["account_locked"]


def test_recovery_codes_share_the_second_factor_budget(uc, cabinet, clock):
    _, recovery = enable_totp(uc, cabinet, clock)
    for _ in range(5):
        uc.login(email=EMAIL, password=PASSWORD)
        with pytest.raises(InvalidSecondFactor):
            uc.verify_second_factor(person_id=cabinet.person_id, code="AAAAA-BBBBB")
    with pytest.raises(InvalidSecondFactor):
        uc.verify_second_factor(person_id=cabinet.person_id, code=recovery[0])


def test_a_right_second_factor_clears_the_failures(uc, cabinet, clock):
    secret, _ = enable_totp(uc, cabinet, clock)
    for _ in range(4):
        with pytest.raises(InvalidSecondFactor):
            uc.verify_second_factor(person_id=cabinet.person_id, code="000000")
    uc.verify_second_factor(person_id=cabinet.person_id, code=pyotp.TOTP(secret).at(clock.now()))
    for _ in range(4):
        with pytest.raises(InvalidSecondFactor):
            uc.verify_second_factor(person_id=cabinet.person_id, code="000000")
    clock.advance(timedelta(seconds=30))
    uc.verify_second_factor(person_id=cabinet.person_id, code=pyotp.TOTP(secret).at(clock.now()))


class CountingHasher:
    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def hash(self, password):
        self.calls += 1
        return self.inner.hash(password)

    def verify(self, password_hash, password):
        self.calls += 1
        return self.inner.verify(password_hash, password)

    def needs_rehash(self, password_hash):
        return self.inner.needs_rehash(password_hash)


def _stored_hash(container, person_id):
    with container.adapters.uow() as tx:
        return tx.accounts.get(person_id).password_hash


def test_a_login_rehashes_a_password_hashed_with_older_parameters_and_keeps_the_sessions(container, uc, cabinet):
    from dependency_injector import providers

    from adapters.security.passwords import Argon2PasswordHasher

    old = Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    with container.adapters.uow() as tx:
        account = tx.accounts.get(cabinet.person_id)
        account.upgrade_password_hash(old.hash(PASSWORD))
        changed_at = account.password_changed_at
        tx.commit()
    current = Argon2PasswordHasher(time_cost=1, memory_cost=9 * 1024, parallelism=1)
    container.adapters.password_hasher.override(providers.Object(current))
    with pytest.raises(InvalidCredentials):  # a wrong password changes nothing
        uc.login(email=EMAIL, password="wrong password!")
    assert current.needs_rehash(_stored_hash(container, cabinet.person_id))
    assert uc.login(email=EMAIL, password=PASSWORD).person_id == cabinet.person_id
    stored = _stored_hash(container, cabinet.person_id)
    assert not current.needs_rehash(stored) and current.verify(stored, PASSWORD)
    with container.adapters.uow() as tx:
        assert tx.accounts.get(cabinet.person_id).password_changed_at == changed_at  # no session ends
    again = _stored_hash(container, cabinet.person_id)
    uc.login(email=EMAIL, password=PASSWORD)
    assert _stored_hash(container, cabinet.person_id) == again  # up to date: left alone


def test_a_locked_account_spends_a_password_check_like_an_open_one(container, uc, cabinet):
    from dependency_injector import providers

    hasher = CountingHasher(container.adapters.password_hasher())
    container.adapters.password_hasher.override(providers.Object(hasher))
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            uc.login(email=EMAIL, password="wrong password!")
    hasher.calls = 0
    with pytest.raises(InvalidCredentials):
        uc.login(email=EMAIL, password=PASSWORD)
    assert hasher.calls == 1


def test_one_client_is_throttled_before_it_can_lock_an_account(uc, cabinet, clock, sent):
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            uc.login(email=EMAIL, password="wrong password!", client="203.0.113.9")
    with pytest.raises(TooManyAttempts) as refused:
        uc.login(email=EMAIL, password=PASSWORD, client="203.0.113.9")
    assert refused.value.retry_after_seconds == 15 * 60
    assert sent() == []
    # The owner, from elsewhere, still gets in; the throttled client after the window too.
    assert uc.login(email=EMAIL, password=PASSWORD, client="198.51.100.7").person_id == cabinet.person_id
    clock.advance(timedelta(minutes=15))
    assert uc.login(email=EMAIL, password=PASSWORD, client="203.0.113.9").person_id == cabinet.person_id


def test_one_client_is_throttled_across_addresses_known_or_not(uc, cabinet):
    for n in range(20):
        with pytest.raises(InvalidCredentials):
            uc.login(email=f"someone{n}@example.fr", password="wrong password!", client="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        uc.login(email=EMAIL, password=PASSWORD, client="203.0.113.9")


def test_a_lock_from_two_clients_tells_the_owner(uc, cabinet, sent):
    for client in ("203.0.113.9", "203.0.113.9", "203.0.113.9", "203.0.113.10", "203.0.113.10"):
        with pytest.raises(InvalidCredentials):
            uc.login(email=EMAIL, password="wrong password!", client=client)
    assert [n.template for n in sent()] == ["account_locked"]


def test_reset_requests_are_throttled_per_address_known_or_not(uc, cabinet, sent, clock):
    for address in (EMAIL, "nobody@nowhere.fr"):
        for _ in range(3):
            uc.request_password_reset(email=address)
        with pytest.raises(TooManyAttempts) as refused:
            uc.request_password_reset(email=address.upper())
        assert refused.value.retry_after_seconds == 3600
    assert len([n for n in sent() if n.template == "password_reset"]) == 3
    clock.advance(timedelta(hours=1))
    uc.request_password_reset(email=EMAIL)
    assert len([n for n in sent() if n.template == "password_reset"]) == 4


def test_reset_requests_are_throttled_per_client(uc, cabinet):
    for n in range(10):
        uc.request_password_reset(email=f"someone{n}@example.fr", client="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        uc.request_password_reset(email=EMAIL, client="203.0.113.9")
    uc.request_password_reset(email=EMAIL, client="198.51.100.7")


def test_a_used_reset_link_voids_the_other_ones(uc, cabinet, sent):
    uc.request_password_reset(email=EMAIL)
    first = reset_token(sent)
    uc.request_password_reset(email=EMAIL)
    second = reset_token(sent)
    uc.reset_password(token=second, new_password="a brand new password")
    with pytest.raises(ResetTokenUnusable):
        uc.reset_password(token=first, new_password="an attacker's password")
    assert uc.login(email=EMAIL, password="a brand new password")


def test_a_password_change_or_reset_changes_the_credentials_stamp(uc, cabinet, sent, clock):
    before = uc.credentials_stamp(person_id=cabinet.person_id)
    assert uc.profile(person_id=cabinet.person_id).credentials_stamp == before
    clock.advance(timedelta(seconds=1))
    uc.change_password(person_id=cabinet.person_id, current_password=PASSWORD, new_password="a brand new password")
    changed = uc.credentials_stamp(person_id=cabinet.person_id)
    assert changed != before
    clock.advance(timedelta(seconds=1))
    uc.request_password_reset(email=EMAIL)
    uc.reset_password(token=reset_token(sent), new_password="yet another password")
    assert uc.credentials_stamp(person_id=cabinet.person_id) not in (before, changed)


def test_guessing_the_current_password_from_a_session_locks_the_account(uc, cabinet, sent):
    for _ in range(5):
        with pytest.raises(WrongCurrentPassword):
            uc.change_password(person_id=cabinet.person_id, current_password="a wrong guess",
                               new_password="a brand new password")
    with pytest.raises(WrongCurrentPassword):
        uc.change_password(person_id=cabinet.person_id, current_password=PASSWORD,
                           new_password="a brand new password")
    with pytest.raises(InvalidCredentials):
        uc.login(email=EMAIL, password=PASSWORD)
    assert [n.template for n in sent()] == ["account_locked"]


def test_guessing_the_password_to_disable_totp_counts_too(uc, cabinet, clock):
    enable_totp(uc, cabinet, clock)
    for _ in range(5):
        with pytest.raises(WrongCurrentPassword):
            uc.disable_totp(person_id=cabinet.person_id, password="a wrong guess")
    with pytest.raises(WrongCurrentPassword):
        uc.disable_totp(person_id=cabinet.person_id, password=PASSWORD)
    assert uc.profile(person_id=cabinet.person_id).totp_enabled


def test_an_ipv6_client_is_counted_by_its_64_prefix(uc, cabinet):
    for n in range(4):
        with pytest.raises(InvalidCredentials):
            uc.login(email=EMAIL, password="wrong password!", client=f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(TooManyAttempts):
        uc.login(email=EMAIL, password=PASSWORD, client="2001:db8:1:2:ffff::9")
    assert uc.login(email=EMAIL, password=PASSWORD, client="2001:db8:1:3::1").person_id == cabinet.person_id
