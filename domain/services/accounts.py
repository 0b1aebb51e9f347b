"""Logging in, the optional TOTP second factor, passwords and their reset."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Callable

from domain.model.account import MAX_FAILED_LOGINS, RECOVERY_CODE_COUNT, Account, PasswordReset
from domain.model.errors import (
    InvalidCredentials,
    InvalidSecondFactor,
    InvalidValue,
    ResetTokenUnusable,
    SecondFactorState,
    TooManyAttempts,
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
from ports.throttle import AttemptThrottle

UowFactory = Callable[[], UnitOfWork]
SUPPORTED_LOCALES = ("fr", "en")
TOTP_ISSUER = "Seing"


# Throttles, counted per client address (and email) whatever the account: they answer the
# same for known and unknown addresses, so they reveal nothing. One client gets fewer failed
# logins per address than the account lock needs (MAX_FAILED_LOGINS), so a stranger alone
# cannot lock someone out; a second client is needed, and the owner is told by email.
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES_PER_CLIENT_AND_EMAIL = 4
LOGIN_FAILURES_PER_CLIENT = 20
RESET_WINDOW = timedelta(hours=1)
RESET_REQUESTS_PER_EMAIL = 3
RESET_REQUESTS_PER_CLIENT = 10

_Limit = tuple[str, int, timedelta]


def _throttle_check(throttle: AttemptThrottle, limits: list[_Limit], now: datetime) -> None:
    waits = [w for key, limit, window in limits
             if (w := throttle.retry_after(key, limit=limit, window=window, now=now)) is not None]
    if waits:
        raise TooManyAttempts("too many attempts", retry_after_seconds=max(waits))


def _throttle_record(throttle: AttemptThrottle, limits: list[_Limit], now: datetime) -> None:
    for key, _limit, _window in limits:
        throttle.record(key, now=now)


def _client_key(client: str) -> str:
    """One IPv6 subscriber holds a whole /64: counting single addresses would give them
    2^64 budgets. IPv4 addresses count one by one."""
    try:
        ip = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _login_limits(email: str, client: str | None) -> list[_Limit]:
    if not client:
        return []
    client = _client_key(client)
    address = email.strip().lower()
    return [(f"login:{client}:{address}", LOGIN_FAILURES_PER_CLIENT_AND_EMAIL, LOGIN_WINDOW),
            (f"login:{client}", LOGIN_FAILURES_PER_CLIENT, LOGIN_WINDOW)]


def login(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, throttle: AttemptThrottle, email: str,
          password: str, client: str | None = None) -> LoginResult:
    """One error for unknown email, wrong password and locked account: no enumeration.

    ``client`` is the caller's address; too many failures from it answer ``TooManyAttempts``
    before any password is checked.
    """
    now = clock.now()
    limits = _login_limits(email, client)
    _throttle_check(throttle, limits, now)
    try:
        return _login(uow, now, hasher, email, password)
    except InvalidCredentials:
        _throttle_record(throttle, limits, now)
        raise


def _login(uow: UowFactory, now: datetime, hasher: PasswordHasher, email: str, password: str) -> LoginResult:
    try:
        address = Email(email)
    except InvalidValue:
        hasher.hash(password)
        raise InvalidCredentials("unknown email or wrong password") from None
    with uow() as tx:
        person = tx.persons.by_email(address)
        account = tx.accounts.find(person.id) if person else None
        if person is None or account is None or account.password_hash is None:
            # Spend what a real check spends (one slow hash) so timing does not reveal the account.
            hasher.hash(password)
            raise InvalidCredentials("unknown email or wrong password")
        if account.is_locked(now):
            # Checked all the same, and its answer ignored: a locked account must take as long
            # to refuse as an open one, or timing tells which accounts are locked.
            hasher.verify(account.password_hash, password)
            raise InvalidCredentials("account locked")
        if not hasher.verify(account.password_hash, password):
            _record_failure(tx, account, person, now)
            tx.commit()
            raise InvalidCredentials("unknown email or wrong password")
        account.record_password_accepted()
        if hasher.needs_rehash(account.password_hash):
            # Hashing parameters changed since this hash was made: store it again at today's cost.
            account.upgrade_password_hash(hasher.hash(password))
        tx.commit()
        return LoginResult(person_id=person.id, second_factor_required=account.totp_enabled)


def _record_failure(tx: UnitOfWork, account: Account, person: object, now: datetime) -> None:
    """A wrong password or second factor; the owner hears of the lock it may cause."""
    account.record_failed_login(now)
    if account.is_locked(now) and account.failed_logins == MAX_FAILED_LOGINS:
        tx.jobs.enqueue(JobSpec.notify(Notification.email(
            person.email, "account_locked", person.locale, name=person.display_name)))  # type: ignore[attr-defined]


def verify_second_factor(*, uow: UowFactory, clock: Clock, totp: Totp, person_id: str, code: str) -> None:
    """Wrong codes (TOTP or recovery) count with wrong passwords, across logins: a right
    password does not reset the count while a code is awaited (``record_password_accepted``),
    so five wrong answers of either kind lock the account for 15 minutes and the owner is
    told, and knowing the password does not allow guessing codes without end."""
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
        _record_failure(tx, account, tx.persons.get(person_id), now)
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


def disable_totp(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, person_id: str, password: str) -> None:
    with uow() as tx:
        account = tx.accounts.get(person_id)
        _check_current_password(tx, clock.now(), hasher, account, password)
        account.disable_totp()
        tx.commit()


def change_password(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, person_id: str,
                    current_password: str, new_password: str) -> None:
    """Every session opened before ends (``credentials_stamp`` changes); the edge carries the
    caller's own session over to the new stamp."""
    check_password_strength(new_password)
    now = clock.now()
    with uow() as tx:
        account = tx.accounts.get(person_id)
        _check_current_password(tx, now, hasher, account, current_password)
        account.set_password(hasher.hash(new_password), now)
        tx.commit()


def _check_current_password(tx: UnitOfWork, now: datetime, hasher: PasswordHasher, account: Account,
                            password: str) -> None:
    """A stolen session must not become a way to guess the password without end: wrong
    answers count with failed logins (five lock the account and the owner is told), and a
    locked account refuses even the right one. Commits the count before refusing."""
    locked = account.is_locked(now)
    right = account.password_hash is not None and hasher.verify(account.password_hash, password)
    if right and not locked:
        return
    if not locked:
        _record_failure(tx, account, tx.persons.get(account.person_id), now)
        tx.commit()
    raise WrongCurrentPassword("the current password is wrong")


def request_password_reset(*, uow: UowFactory, clock: Clock, ids: IdGenerator, throttle: AttemptThrottle,
                           email: str, client: str | None = None) -> None:
    """Silent when the address is unknown, so the form reveals nothing.

    Throttled per address (any address, known or not, so the refusal reveals nothing either)
    and per client: ``TooManyAttempts`` past the limit, and no email is sent.
    """
    now = clock.now()
    limits: list[_Limit] = [(f"reset:{email.strip().lower()}", RESET_REQUESTS_PER_EMAIL, RESET_WINDOW)]
    if client:
        limits.append((f"reset-client:{_client_key(client)}", RESET_REQUESTS_PER_CLIENT, RESET_WINDOW))
    _throttle_check(throttle, limits, now)
    _throttle_record(throttle, limits, now)
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
            id=ids.new_id(), person_id=person.id, token_hash=hash_token(token), now=now))
        tx.jobs.enqueue(JobSpec.notify(Notification.email(
            person.email, "password_reset", person.locale, name=person.display_name, token=token)))
        tx.commit()


def reset_password(*, uow: UowFactory, clock: Clock, hasher: PasswordHasher, token: str,
                   new_password: str) -> None:
    """A used link voids the person's other links; the new password ends every session
    opened before it (see ``credentials_stamp``)."""
    check_password_strength(new_password)
    now = clock.now()
    with uow() as tx:
        reset = tx.password_resets.by_token_hash(hash_token(token))
        if reset is None:
            raise ResetTokenUnusable("unknown reset link")
        reset.use(now)
        for other in tx.password_resets.unused_for(reset.person_id):
            other.void(now)
        tx.accounts.get(reset.person_id).set_password(hasher.hash(new_password), now)
        tx.commit()


def credentials_stamp(*, uow: UowFactory, person_id: str) -> str:
    """What a session remembers at login: when it no longer matches, the password changed
    since and the session is over. Empty for an account that never changed its password."""
    with uow() as tx:
        account = tx.accounts.find(person_id)
        return _stamp(account)


def _stamp(account: Account | None) -> str:
    changed = account.password_changed_at if account is not None else None
    return changed.isoformat() if changed is not None else ""


def profile(*, uow: UowFactory, person_id: str) -> Profile:
    with uow() as tx:
        person = tx.persons.get(person_id)
        account = tx.accounts.find(person_id)
        return Profile(person_id=person.id, given_names=person.name.given_names, surname=person.name.surname,
                       display_name=person.display_name, email=str(person.email),
                       mobile=str(person.mobile) if person.mobile else None,
                       totp_enabled=bool(account and account.totp_enabled), locale=person.locale,
                       credentials_stamp=_stamp(account))


def set_locale(*, uow: UowFactory, person_id: str, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise InvalidValue("locale", "unsupported language")
    with uow() as tx:
        tx.persons.get(person_id).locale = locale
        tx.commit()
