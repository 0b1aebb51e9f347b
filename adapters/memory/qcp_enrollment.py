"""In-memory QCP enrollments and capture links, for tests and the demo container.

Like the other in-memory repositories they keep the objects themselves, and ``rows`` lets
the in-memory unit of work hand in its working-copy table, so a rollback drops changes.
"""

from __future__ import annotations

from domain.model.errors import NotFound, UniqueViolation
from domain.model.qcp_enrollment import CaptureLink, QcpEnrollment, QcpState

__all__ = ["InMemoryCaptureLinkRepository", "InMemoryQcpEnrollmentRepository"]


class InMemoryQcpEnrollmentRepository:
    def __init__(self, rows: dict[str, QcpEnrollment] | None = None) -> None:
        self._rows: dict[str, QcpEnrollment] = {} if rows is None else rows

    def add(self, enrollment: QcpEnrollment) -> None:
        if enrollment.id in self._rows:
            raise UniqueViolation(f"enrollment {enrollment.id} already stored")
        if self.open_for(enrollment.person_id, enrollment.cabinet_id) is not None and not enrollment.state.terminal:
            raise UniqueViolation("an enrollment is already open for this person and cabinet")
        self._rows[enrollment.id] = enrollment

    def get(self, enrollment_id: str) -> QcpEnrollment:
        try:
            return self._rows[enrollment_id]
        except KeyError:
            raise NotFound("enrollment not found") from None

    def open_for(self, person_id: str, cabinet_id: str) -> QcpEnrollment | None:
        return next((e for e in self._rows.values() if e.person_id == person_id and e.cabinet_id == cabinet_id
                     and not e.state.terminal), None)

    def by_session_ref(self, session_ref: str) -> QcpEnrollment | None:
        return next((e for e in self._rows.values() if any(a.session_ref == session_ref for a in e.attempts)), None)

    def of_person(self, person_id: str) -> list[QcpEnrollment]:
        mine = [e for e in self._rows.values() if e.person_id == person_id]
        return sorted(reversed(mine), key=lambda e: e.created_at, reverse=True)

    def in_states(self, states: frozenset[QcpState]) -> list[QcpEnrollment]:
        return sorted((e for e in self._rows.values() if e.state in states), key=lambda e: e.updated_at)


class InMemoryCaptureLinkRepository:
    def __init__(self, rows: dict[str, CaptureLink] | None = None) -> None:
        self._rows: dict[str, CaptureLink] = {} if rows is None else rows

    def add(self, link: CaptureLink) -> None:
        if link.token_hash in self._rows:
            raise UniqueViolation("capture link already stored")
        self._rows[link.token_hash] = link

    def by_token_hash(self, token_hash: str) -> CaptureLink | None:
        return self._rows.get(token_hash)

    def latest_for_session(self, session_ref: str) -> CaptureLink | None:
        mine = [link for link in self._rows.values() if link.session_ref == session_ref]
        return max(reversed(mine), key=lambda link: link.created_at) if mine else None
