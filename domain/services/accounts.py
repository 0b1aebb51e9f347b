"""Logging in, the optional TOTP second factor, passwords and their reset."""

from __future__ import annotations

from typing import Callable

from domain.model.account import RECOVERY_CODE_COUNT, Account, PasswordReset
from domain.model.errors import (
    InvalidCredentials,
    InvalidSecondFactor,
    InvalidValue,
    ResetTokenUnusable,
    SecondFactorState,
    WrongCurrentPassword,
)
from domain.model.jobs import JobSpec, Notification
from domain.model.tokens import hash_token
from domain.model.values import Email, check_password_strength
from domain.services.views import LoginResult, Profile, TotpSetup
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.repositories import UnitOfWork
from ports.security import PasswordHasher, Totp

UowFactory = Callable[[], UnitOfWork]
SUPPORTED_LOCALES = ("fr", "en")
TOTP_ISSUER = "Seing"


def login(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, email: str, password: str) -> LoginResult:
    """One error for unknown email, wrong password and locked account: no enumeration."""
    now = clock.now()
    try:
        address = Email(email)
    except InvalidValue:
        raise InvalidCredentials("unknown email or wrong password") from None
    with uow() as tx:
        person = tx.persons.by_email(address)
        account = tx.accounts.find(person.id) if person else None
        if person is None or account is None or account.password_hash is None:
            # Spend what a real check spends (one slow hash) so timing does not reveal the account.
            hasher.hash(password)
            raise InvalidCredentials("unknown email or wrong password")
        if account.is_locked(now):
            raise InvalidCredentials("account locked")
        if not hasher.verify(account.password_hash, password):
            account.record_failed_login(now)
            if account.is_locked(now):
                tx.jobs.enqueue(JobSpec.notify(Notification.email(
                    person.email, "account_locked", person.locale, name=person.display_name)))
            tx.commit()
            raise InvalidCredentials("unknown email or wrong password")
        account.record_successful_login()
        tx.commit()
        return LoginResult(person_id=person.id, second_factor_required=account.totp_enabled)


def verify_second_factor(*, uow: UowFactory, clock: Clock, totp: Totp, person_id: str, code: str) -> None:
    """Wrong codes count with wrong passwords: five of either lock the account for 15 minutes,
    so knowing the password does not allow guessing codes without end."""
    code = "".join(code.split())
    now = clock.now()
    with uow() as tx:
        account = tx.accounts.get(person_id)
        if not account.totp_enabled or account.totp_secret is None:
            raise SecondFactorState("no second factor on this account")
        if account.is_locked(now):
            raise InvalidSecondFactor("account locked")
        if code.isdigit() and len(code) == 6 and totp.verify(account.totp_secret, code, at=now):
            account.record_successful_login()
            tx.commit()
            return
        if account.use_recovery_code(hash_token(code.upper())):
            account.record_successful_login()
            tx.commit()
            return
        account.record_failed_login(now)
        tx.commit()
        raise InvalidSecondFactor("wrong code")


def start_totp_setup(*, uow: UowFactory, totp: Totp, person_id: str) -> TotpSetup:
    with uow() as tx:
        account = tx.accounts.get(person_id)
        person = tx.persons.get(person_id)
        secret = totp.new_secret()
        account.begin_totp_setup(secret)
        tx.commit()
        return TotpSetup(secret=secret, provisioning_uri=totp.provisioning_uri(
            secret, account_name=str(person.email), issuer=TOTP_ISSUER))


def confirm_totp(*, uow: UowFactory, clock: Clock, totp: Totp, ids: IdGenerator, person_id: str,
                 code: str) -> list[str]:
    """Returns the recovery codes: shown once, stored only hashed."""
    with uow() as tx:
        account = tx.accounts.get(person_id)
        if account.totp_secret is None or account.totp_enabled:
            raise SecondFactorState("no second factor setup is in progress")
        if not totp.verify(account.totp_secret, "".join(code.split()), at=clock.now()):
            raise InvalidSecondFactor("wrong code")
        codes = [_recovery_code(ids) for _ in range(RECOVERY_CODE_COUNT)]
        account.confirm_totp(tuple(hash_token(c) for c in codes))
        tx.commit()
        return codes


def _recovery_code(ids: IdGenerator) -> str:
    raw = "".join(ch for ch in ids.new_token().upper() if ch.isalnum())[:10]
    return f"{raw[:5]}-{raw[5:10]}"


def disable_totp(*, uow: UowFactory, hasher: PasswordHasher, person_id: str, password: str) -> None:
    with uow() as tx:
        account = tx.accounts.get(person_id)
        _check_current_password(hasher, account, password)
        account.disable_totp()
        tx.commit()


def change_password(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, person_id: str,
                    current_password: str, new_password: str) -> None:
    check_password_strength(new_password)
    with uow() as tx:
        account = tx.accounts.get(person_id)
        _check_current_password(hasher, account, current_password)
        account.set_password(hasher.hash(new_password), clock.now())
        tx.commit()


def _check_current_password(hasher: PasswordHasher, account: Account, password: str) -> None:
    if account.password_hash is None or not hasher.verify(account.password_hash, password):
        raise WrongCurrentPassword("the current password is wrong")


def request_password_reset(*, uow: UowFactory, clock: Clock, ids: IdGenerator, email: str) -> None:
    """Silent when the address is unknown, so the form reveals nothing."""
    try:
        address = Email(email)
    except InvalidValue:
        return
    with uow() as tx:
        person = tx.persons.by_email(address)
        if person is None or tx.accounts.find(person.id) is None:
            return
        token = ids.new_token()
        tx.password_resets.add(PasswordReset.request(
            id=ids.new_id(), person_id=person.id, token_hash=hash_token(token), now=clock.now()))
        tx.jobs.enqueue(JobSpec.notify(Notification.email(
            person.email, "password_reset", person.locale, name=person.display_name, token=token)))
        tx.commit()


def reset_password(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, token: str,
                   new_password: str) -> None:
    check_password_strength(new_password)
    now = clock.now()
    with uow() as tx:
        reset = tx.password_resets.by_token_hash(hash_token(token))
        if reset is None:
            raise ResetTokenUnusable("unknown reset link")
        reset.use(now)
        tx.accounts.get(reset.person_id).set_password(hasher.hash(new_password), now)
        tx.commit()


def profile(*, uow: UowFactory, person_id: str) -> Profile:
    with uow() as tx:
        person = tx.persons.get(person_id)
        account = tx.accounts.find(person_id)
        return Profile(person_id=person.id, given_names=person.name.given_names, surname=person.name.surname,
                       display_name=person.display_name, email=str(person.email),
                       mobile=str(person.mobile) if person.mobile else None,
                       totp_enabled=bool(account and account.totp_enabled), locale=person.locale)


def set_locale(*, uow: UowFactory, person_id: str, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise InvalidValue("locale", "unsupported language")
    with uow() as tx:
        tx.persons.get(person_id).locale = locale
        tx.commit()
