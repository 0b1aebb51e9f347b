"""Who holds an active QCP, as a test sets it."""

from __future__ import annotations

from datetime import datetime

__all__ = ["FixedQcpHolders"]


class FixedQcpHolders:
    def __init__(self, member_ids: set[str] | None = None) -> None:
        self.member_ids: set[str] = set(member_ids or ())

    def has_active_qcp(self, member_id: str, now: datetime) -> bool:
        return member_id in self.member_ids
