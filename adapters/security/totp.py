"""Time-based one-time passwords (RFC 6238) with pyotp."""

from __future__ import annotations

from datetime import datetime

import pyotp

__all__ = ["PyotpTotp"]


class PyotpTotp:
    """Six digits, 30-second steps, SHA-1: what every authenticator app understands.

    A code from the step before or after ``at`` is accepted too, for clock drift and
    for the seconds the user takes to type it.
    """

    valid_window = 1

    def new_secret(self) -> str:
        return pyotp.random_base32()  # 32 base32 characters = 160 bits, RFC 4226's advice

    def provisioning_uri(self, secret: str, *, account_name: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)

    def verify(self, secret: str, code: str, *, at: datetime) -> bool:
        if at.tzinfo is None:
            raise ValueError("TOTP verification needs a timezone-aware time")
        code = code.strip().replace(" ", "")
        if not (code.isascii() and code.isdigit()):
            return False
        try:
            return pyotp.TOTP(secret).verify(code, for_time=at, valid_window=self.valid_window)
        except (ValueError, TypeError):  # a corrupt secret is a failed check, not a crash
            return False
