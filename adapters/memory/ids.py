"""Predictable identifiers and tokens, so tests can name what they expect."""

from __future__ import annotations

import base64
import hashlib
import itertools

__all__ = ["SequentialIds"]


class SequentialIds:
    """``id-000001``, ``id-000002``…; tokens are distinct, URL-safe and 256 bits long.

    Tokens derive from a counter (not from randomness) so a test can recompute them
    with ``SequentialIds.token_for(n)``.
    """

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)
        self.issued_tokens: list[str] = []

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._ids):06d}"

    def new_token(self) -> str:
        token = self.token_for(next(self._tokens))
        self.issued_tokens.append(token)
        return token

    @staticmethod
    def token_for(n: int) -> str:
        digest = hashlib.sha256(f"seing-test-token-{n}".encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
