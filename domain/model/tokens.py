"""Secrets sent in links are stored only as their SHA-256, so a database leak gives no access."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
