from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a wrong password."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the hasher's own: the login
        that has just checked the password stores a fresh hash."""
        ...


@runtime_checkable
class Totp(Protocol):
    """Time-based one-time passwords (RFC 6238) for the optional second factor."""

    def new_secret(self) -> str: ...

    def provisioning_uri(self, secret: str, *, account_name: str, issuer: str) -> str:
        """The otpauth:// URI an authenticator app scans as a QR code."""
        ...

    def verify(self, secret: str, code: str, *, at: datetime) -> bool: ...
