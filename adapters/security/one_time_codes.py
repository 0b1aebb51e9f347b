"""One-time codes with pyotp, hashed with HMAC-SHA256 under a server key.

Why HMAC rather than a slow salted hash: see ports/one_time_codes.py.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import pyotp

from ports.clock import Clock

__all__ = ["HmacCodeHasher", "PyotpCodeGenerator"]

_SCHEME = "hmac-sha256"
MIN_KEY_BYTES = 32


class PyotpCodeGenerator:
    """A 6-digit code from a fresh 160-bit random pyotp secret.

    The secret is thrown away: the code is checked against its stored hash, not recomputed,
    so its unpredictability comes from the random secret, and the TOTP time step plays no
    part in the 10-minute validity (which the domain enforces). pyotp's default 30-second
    step is kept: pyotp refuses steps over 120 s.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def new_code(self) -> str:
        secret = pyotp.random_base32()
        return pyotp.TOTP(secret, digits=6).at(for_time=self._clock.now())


class HmacCodeHasher:
    """``hmac-sha256$<key id>$<hex>`` over ``context`` and the code.

    ``keys`` maps key ids to secrets (at least 32 bytes, from configuration); new hashes use
    ``current_key_id``; the others still verify, so a key can be rotated without
    invalidating codes already sent (keep the old one for the codes' 10 minutes).
    """

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str) -> None:
        if current_key_id not in keys:
            raise ValueError("the current key id must be one of the keys")
        for key_id, key in keys.items():
            if not key_id or "$" in key_id:
                raise ValueError("a key id is a non-empty string without '$'")
            if len(key) < MIN_KEY_BYTES:
                raise ValueError(f"one-time code key {key_id!r} is shorter than {MIN_KEY_BYTES} bytes")
        self._keys = {k: bytes(v) for k, v in keys.items()}
        self._current = current_key_id

    @classmethod
    def from_secret(cls, secret: str, key_id: str = "k1") -> HmacCodeHasher:
        """One key from a configuration string (e.g. 64 hex characters or a long passphrase)."""
        return cls({key_id: secret.encode("utf-8")}, key_id)

    def hash(self, code: str, *, context: str) -> str:
        return f"{_SCHEME}${self._current}${self._mac(self._keys[self._current], code, context)}"

    def verify(self, code_hash: str, code: str, *, context: str) -> bool:
        parts = code_hash.split("$")
        if len(parts) != 3 or parts[0] != _SCHEME or parts[1] not in self._keys:
            return False
        expected = self._mac(self._keys[parts[1]], code, context)
        return hmac.compare_digest(expected, parts[2])

    @staticmethod
    def _mac(key: bytes, code: str, context: str) -> str:
        # Length-prefixed so no (context, code) pair can be re-split into another.
        ctx = context.encode("utf-8")
        message = len(ctx).to_bytes(4, "big") + ctx + code.encode("utf-8")
        return hmac.new(key, message, hashlib.sha256).hexdigest()
