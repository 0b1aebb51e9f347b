"""Ports for one-time codes: making a code, hashing it, storing challenges.

Why a keyed HMAC (``CodeHasher``) and not a salted slow hash (``PasswordHasher``):
a 6-digit code has only 10^6 values, so any hash computable from the database alone,
however slow and salted, is brute-forced offline from a leaked row in hours (Argon2 at
~50 ms is ~14 CPU-hours for the whole space, less on a GPU farm). What protects the code is
a secret the database does not hold: HMAC-SHA256 under a server key from configuration.
It is also cheap, which matters because checks are online and reachable by anyone holding
a signing link: a slow hash per try would hand them a CPU-exhaustion lever on a two-core
host, for no gain (the 5-try limit, not hash cost, is what stops online guessing). The challenge id is mixed into the MAC so equal codes give unrelated
hashes, and the stored hash names its key so the key can be rotated while codes live.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.one_time_code import CodeEvent, OneTimeCodeChallenge

__all__ = [
    "CodeEventSink",
    "CodeGenerator",
    "CodeHasher",
    "OneTimeCodeRepository",
]


@runtime_checkable
class CodeGenerator(Protocol):
    def new_code(self) -> str:
        """A fresh, unpredictable code of exactly 6 ASCII digits (leading zeros kept)."""
        ...


@runtime_checkable
class CodeHasher(Protocol):
    def hash(self, code: str, *, context: str) -> str:
        """An opaque keyed hash of ``code`` for ``context`` (the challenge id).

        Deterministic for one key, different for another context, never containing the
        code; it embeds a reference to the key that made it.
        """
        ...

    def verify(self, code_hash: str, code: str, *, context: str) -> bool:
        """True when ``code`` is the one hashed; constant-time; False (never an exception)
        for a wrong code, a malformed hash or a key no longer configured."""
        ...


@runtime_checkable
class OneTimeCodeRepository(Protocol):
    """Challenges are tracked like every aggregate: changes made to one obtained from the
    repository (attempts, status) are persisted by the unit of work's commit. A persistent
    implementation must refuse a concurrent update of the same challenge (optimistic
    check on ``status``/``attempts``), or two parallel checks could both use one code."""

    def add(self, challenge: OneTimeCodeChallenge) -> None: ...

    def get(self, challenge_id: str) -> OneTimeCodeChallenge:
        """Raise domain NotFound when absent."""
        ...

    def latest_for(self, person_id: str, purpose: str) -> OneTimeCodeChallenge | None:
        """The most recently created challenge for this person and purpose, whatever its status."""
        ...

    def sends_since(self, person_id: str, since: datetime, *, purpose: str | None = None) -> list[datetime]:
        """Creation times (one per code sent) of the person's challenges created at or after
        ``since``, oldest first; only those for ``purpose`` when given."""
        ...


CodeEventSink = Callable[[CodeEvent], None]
"""Where a use case hands each recorded step, e.g. the caller's audit-trail append,
called before commit so the events are stored in the same transaction."""

