"""Identifiers and secret tokens from the operating system's randomness."""

from __future__ import annotations

import secrets
import uuid

__all__ = ["RandomIds"]


class RandomIds:
    def new_id(self) -> str:
        return str(uuid.uuid4())

    def new_token(self) -> str:
        # 32 bytes = 256 bits, which token_urlsafe encodes as 43 characters.
        return secrets.token_urlsafe(32)
