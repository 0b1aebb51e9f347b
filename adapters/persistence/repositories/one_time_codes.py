"""One-time code challenges."""

from __future__ import annotations

from datetime import datetime

from pony.orm import desc

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.one_time_code import OneTimeCodeChallenge

__all__ = ["PonyOneTimeCodeRepository"]


class PonyOneTimeCodeRepository(PonyRepository):
    kind, entity_name = "one_time_code", "OneTimeCodeRow"
    to_domain, columns = staticmethod(mappers.challenge_from_row), staticmethod(mappers.challenge_columns)

    def add(self, challenge: OneTimeCodeChallenge) -> None:
        self._add(challenge)

    def get(self, challenge_id: str) -> OneTimeCodeChallenge:
        return self._get(challenge_id)  # type: ignore[no-any-return]

    def latest_for(self, person_id: str, purpose: str) -> OneTimeCodeChallenge | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda c: c.person_id == person_id and c.purpose == purpose)
            .order_by(lambda c: (desc(c.created_at), desc(c.id))))

    def sends_since(self, person_id: str, since: datetime, *, purpose: str | None = None) -> list[datetime]:
        at = mappers.to_column(since)
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            query = self._rows.select(lambda c: c.person_id == person_id and c.created_at >= at)
            if purpose is not None:
                query = query.filter(lambda c: c.purpose == purpose)
            return sorted(mappers.from_column(c.created_at) for c in query)  # type: ignore[misc]
