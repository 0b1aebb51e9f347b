"""A password hasher fast enough for thousands of tests, honest enough to catch mistakes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["PlainPasswordHasher"]


class PlainPasswordHasher:
    """``plain$<salt>$<sha256(salt + password)>``: salted, so equal passwords hash differently,
    and a test that compares hashes instead of calling ``verify`` fails as it would in production.

    Never use it outside tests: a single SHA-256 is far too cheap against brute force.
    """

    def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"plain${salt}${self._digest(salt, password)}"

    def verify(self, password_hash: str, password: str) -> bool:
        scheme, _, rest = password_hash.partition("$")
        salt, _, digest = rest.partition("$")
        if scheme != "plain" or not salt or not digest:
            return False
        return hmac.compare_digest(digest, self._digest(salt, password))

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("plain$")

    @staticmethod
    def _digest(salt: str, password: str) -> str:
        return hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
