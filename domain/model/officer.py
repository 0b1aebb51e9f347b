"""The registration officer (« opérateur d'enregistrement »): a platform role, not a cabinet one.

The officer reviews captured identity documents (manual-review provider), resolves the
enrollments sent to manual review and validates signed QCP requests. Being an officer
grants nothing inside any cabinet.
"""

from __future__ import annotations

from datetime import datetime

from attrs import define


@define(eq=False)
class RegistrationOfficer:
    person_id: str
    appointed_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def appoint(cls, *, person_id: str, now: datetime) -> RegistrationOfficer:
        return cls(person_id=person_id, appointed_at=now)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def reinstate(self, now: datetime) -> None:
        if self.revoked_at is not None:
            self.revoked_at = None
            self.appointed_at = now

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
