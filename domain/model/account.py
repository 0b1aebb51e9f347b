"""A person's login account: password, lockout, optional TOTP second factor."""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import define, field

from domain.model.errors import ResetTokenUnusable, SecondFactorState

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
RESET_VALIDITY = timedelta(hours=1)
RECOVERY_CODE_COUNT = 10


@define(eq=False)
class Account:
    """One per person; the email it logs in with is the person's email."""

    person_id: str
    password_hash: str | None  # None until an invited person sets a password
    failed_logins: int = 0
    locked_until: datetime | None = None
    totp_secret: str | None = None
    totp_enabled: bool = False
    recovery_code_hashes: tuple[str, ...] = field(factory=tuple, converter=tuple)
    password_changed_at: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def record_failed_login(self, now: datetime) -> None:
        if self.locked_until is not None and now >= self.locked_until:
            self.failed_logins = 0
            self.locked_until = None
        self.failed_logins += 1
        if self.failed_logins >= MAX_FAILED_LOGINS:
            self.locked_until = now + LOCKOUT

    def record_successful_login(self) -> None:
        self.failed_logins = 0
        self.locked_until = None

    def record_password_accepted(self) -> None:
        """The right password. With a second factor the login is not over: failures keep
        counting until the code is right, so knowing the password does not buy fresh
        guesses at the code on every new login."""
        if not self.totp_enabled:
            self.record_successful_login()

    def upgrade_password_hash(self, password_hash: str) -> None:
        """The same password hashed again with the current parameters, after a successful check:
        not a change of password (sessions stay open, ``password_changed_at`` stays)."""
        self.password_hash = password_hash

    def set_password(self, password_hash: str, now: datetime) -> None:
        self.password_hash = password_hash
        self.password_changed_at = now
        self.failed_logins = 0
        self.locked_until = None

    # Second factor -----------------------------------------------------------------

    def begin_totp_setup(self, secret: str) -> None:
        if self.totp_enabled:
            raise SecondFactorState("the second factor is already enabled")
        self.totp_secret = secret

    def confirm_totp(self, recovery_code_hashes: tuple[str, ...]) -> None:
        if self.totp_enabled or self.totp_secret is None:
            raise SecondFactorState("no second factor setup is in progress")
        self.totp_enabled = True
        self.recovery_code_hashes = recovery_code_hashes

    def disable_totp(self) -> None:
        if not self.totp_enabled:
            raise SecondFactorState("the second factor is not enabled")
        self.totp_enabled = False
        self.totp_secret = None
        self.recovery_code_hashes = ()

    def use_recovery_code(self, code_hash: str) -> bool:
        """Each recovery code works once."""
        if code_hash not in self.recovery_code_hashes:
            return False
        self.recovery_code_hashes = tuple(h for h in self.recovery_code_hashes if h != code_hash)
        return True


@define(eq=False)
class PasswordReset:
    """A password-reset link: random token stored hashed, one hour, single use."""

    id: str
    person_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def request(cls, *, id: str, person_id: str, token_hash: str, now: datetime) -> PasswordReset:
        return cls(id=id, person_id=person_id, token_hash=token_hash, created_at=now,
                   expires_at=now + RESET_VALIDITY)

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at

    def use(self, now: datetime) -> None:
        if not self.usable(now):
            raise ResetTokenUnusable("this reset link is no longer valid")
        self.used_at = now

    def void(self, now: datetime) -> None:
        """Another link of the same person was used: this one must not work any more."""
        if self.used_at is None:
            self.used_at = now
