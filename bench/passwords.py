"""How long one password check takes with each Argon2id setting, on this machine.

`python -m bench.passwords [--rounds N]` prints the median time of ``verify`` for argon2-cffi's
default (RFC 9106 low-memory: m = 64 MiB, t = 3, p = 4, Seing's setting until issue 15) and for
OWASP's two minimum configurations, with the ratio to the first, all measured in this run. A
login checks one password, so this is the floor of a login's time.
"""

from __future__ import annotations

import argparse
import statistics
import time

from argon2 import PasswordHasher, Type

from adapters.security.passwords import MEMORY_COST_KIB, PARALLELISM, TIME_COST

SETTINGS = [
    ("argon2-cffi default (baseline)", 3, 64 * 1024, 4),
    ("OWASP m=46 MiB t=1 p=1", 1, 46 * 1024, 1),
    ("OWASP m=19 MiB t=2 p=1", 2, 19 * 1024, 1),
    ("Seing (adapters/security/passwords.py)", TIME_COST, MEMORY_COST_KIB, PARALLELISM),
]


def median_ms(time_cost: int, memory_kib: int, parallelism: int, rounds: int) -> float:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)
    stored = hasher.hash("correct horse battery staple")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        hasher.verify(stored, "correct horse battery staple")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    rounds = parser.parse_args().rounds
    baseline = None
    for name, t, m, p in SETTINGS:
        ms = median_ms(t, m, p, rounds)
        baseline = baseline or ms
        print(f"{name:42} m={m // 1024:>3} MiB t={t} p={p}  median {ms:7.1f} ms  ratio {ms / baseline:.2f}")


if __name__ == "__main__":
    main()
