"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Argon2PasswordHasher"]


# OWASP's Password Storage Cheat Sheet, first Argon2id configuration: m = 19 MiB, t = 2, p = 1.
# argon2-cffi's default (RFC 9106 low-memory: m = 64 MiB, t = 3, p = 4) took 0.9-1.3 s per login on
# the 2-core host a firm runs Seing on, four lanes competing for two cores; this takes about a
# tenth of that on one core, so two logins at once no longer queue behind each other. Measured
# with `python -m bench.passwords` (README, Benchmarks). Hashes made with other settings still
# verify, and are replaced at the next successful login (``needs_rehash``).
TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1


class Argon2PasswordHasher:
    """Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1) unless told otherwise.

    Tests pass smaller costs to stay fast; production keeps these.
    """

    def __init__(self, *, time_cost: int | None = None, memory_cost: int | None = None,
                 parallelism: int | None = None) -> None:
        self._hasher = _Argon2(
            time_cost=time_cost if time_cost is not None else TIME_COST,
            memory_cost=memory_cost if memory_cost is not None else MEMORY_COST_KIB,
            parallelism=parallelism if parallelism is not None else PARALLELISM,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        # A corrupt or foreign hash must not turn a login attempt into a server error.
        except (VerificationError, InvalidHashError, ValueError, TypeError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other settings than the current ones (weaker or
        costlier): the next successful login stores a new one."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
