"""Cabinets, their members and the invitations to join them."""

from __future__ import annotations

from datetime import datetime

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.cabinet import Cabinet, Invitation, InvitationStatus, Member

__all__ = ["PonyCabinetRepository", "PonyInvitationRepository", "PonyMemberRepository"]


class PonyCabinetRepository(PonyRepository):
    kind, entity_name = "cabinet", "CabinetRow"
    to_domain, columns = staticmethod(mappers.cabinet_from_row), staticmethod(mappers.cabinet_columns)

    def add(self, cabinet: Cabinet) -> None:
        self._add(cabinet)

    def get(self, cabinet_id: str) -> Cabinet:
        return self._get(cabinet_id)  # type: ignore[no-any-return]

    def by_siren(self, siren: str) -> Cabinet | None:
        return self._first(lambda rows: rows.select(lambda c: c.siren == siren))  # type: ignore[no-any-return]

    def list_by_ids(self, cabinet_ids: list[str]) -> list[Cabinet]:
        if not cabinet_ids:
            return []
        ids = list(cabinet_ids)
        found = self._select(lambda rows: rows.select(lambda c: c.id in ids))
        # Sorted here, not by the database, whose collation depends on the dialect and the server.
        return sorted(found, key=lambda c: (c.name, c.id))


class PonyMemberRepository(PonyRepository):
    kind, entity_name = "member", "MemberRow"
    to_domain, columns = staticmethod(mappers.member_from_row), staticmethod(mappers.member_columns)

    def add(self, member: Member) -> None:
        self._add(member)

    def get(self, member_id: str) -> Member:
        return self._get(member_id)  # type: ignore[no-any-return]

    def find(self, cabinet_id: str, person_id: str) -> Member | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda m: m.cabinet_id == cabinet_id and m.person_id == person_id))

    def of_cabinet(self, cabinet_id: str) -> list[Member]:
        members = self._select(lambda rows: rows.select(lambda m: m.cabinet_id == cabinet_id))
        # Joining order, those who have not joined last; sorted here because NULL ordering differs by dialect.
        return sorted(members, key=lambda m: (m.joined_at is None, m.joined_at or datetime.min, m.id))

    def of_person(self, person_id: str) -> list[Member]:
        return self._select(lambda rows: rows.select(lambda m: m.person_id == person_id).order_by(lambda m: m.id))

    def remove(self, member: Member) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=member.id)
            if row is not None:
                row.delete()
            self._uow.forget((self.kind, member.id))


class PonyInvitationRepository(PonyRepository):
    kind, entity_name = "invitation", "InvitationRow"
    to_domain, columns = staticmethod(mappers.invitation_from_row), staticmethod(mappers.invitation_columns)

    def add(self, invitation: Invitation) -> None:
        self._add(invitation)

    def get(self, invitation_id: str) -> Invitation:
        return self._get(invitation_id)  # type: ignore[no-any-return]

    def by_token_hash(self, token_hash: str) -> Invitation | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda i: i.token_hash == token_hash).order_by(lambda i: i.id))

    def pending_for_cabinet(self, cabinet_id: str) -> list[Invitation]:
        pending = InvitationStatus.PENDING.value
        return self._select(lambda rows: rows.select(
            lambda i: i.cabinet_id == cabinet_id and i.status == pending).order_by(lambda i: (i.created_at, i.id)))
