"""In-memory one-time code challenges, for tests and the demo container."""

from __future__ import annotations

from datetime import datetime

from domain.model.errors import NotFound
from domain.model.one_time_code import OneTimeCodeChallenge

__all__ = ["InMemoryOneTimeCodeRepository"]


class InMemoryOneTimeCodeRepository:
    """Keeps the challenge objects themselves, so changes to a fetched one are kept, as a
    tracked aggregate would be after commit.

    ``rows`` lets an in-memory unit of work hand in its working-copy table, so a rollback
    drops the changes. Its insertion order breaks ties between equal ``created_at``.
    """

    def __init__(self, rows: dict[str, OneTimeCodeChallenge] | None = None) -> None:
        self._rows: dict[str, OneTimeCodeChallenge] = {} if rows is None else rows

    def add(self, challenge: OneTimeCodeChallenge) -> None:
        if challenge.id in self._rows:
            raise ValueError(f"challenge {challenge.id} already added")
        self._rows[challenge.id] = challenge

    def get(self, challenge_id: str) -> OneTimeCodeChallenge:
        try:
            return self._rows[challenge_id]
        except KeyError:
            raise NotFound(f"one-time code challenge {challenge_id} not found") from None

    def latest_for(self, person_id: str, purpose: str) -> OneTimeCodeChallenge | None:
        mine = [c for c in self._rows.values() if c.person_id == person_id and c.purpose == purpose]
        if not mine:
            return None
        # max() keeps the first of equal keys; reversed so the last added wins a tie.
        return max(reversed(mine), key=lambda c: c.created_at)

    def sends_since(self, person_id: str, since: datetime, *, purpose: str | None = None) -> list[datetime]:
        return sorted(c.created_at for c in self._rows.values()
                      if c.person_id == person_id and c.created_at >= since
                      and (purpose is None or c.purpose == purpose))
