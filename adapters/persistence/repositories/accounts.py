"""Accounts and their password-reset links."""

from __future__ import annotations

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.account import Account, PasswordReset

__all__ = ["PonyAccountRepository", "PonyPasswordResetRepository"]


class PonyAccountRepository(PonyRepository):
    kind, entity_name, key_column = "account", "AccountRow", "person_id"
    to_domain, columns = staticmethod(mappers.account_from_row), staticmethod(mappers.account_columns)

    def add(self, account: Account) -> None:
        self._add(account)

    def get(self, person_id: str) -> Account:
        return self._get(person_id)  # type: ignore[no-any-return]

    def find(self, person_id: str) -> Account | None:
        return self._find(person_id)  # type: ignore[no-any-return]


class PonyPasswordResetRepository(PonyRepository):
    kind, entity_name = "password_reset", "PasswordResetRow"
    to_domain, columns = staticmethod(mappers.password_reset_from_row), staticmethod(mappers.password_reset_columns)

    def add(self, reset: PasswordReset) -> None:
        self._add(reset)

    def by_token_hash(self, token_hash: str) -> PasswordReset | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.token_hash == token_hash).order_by(lambda r: r.id))

    def unused_for(self, person_id: str) -> list[PasswordReset]:
        return self._select(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.person_id == person_id and r.used_at is None).order_by(lambda r: (r.created_at, r.id)))
