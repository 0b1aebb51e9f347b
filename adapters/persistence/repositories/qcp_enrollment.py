"""QCP enrollments and their capture links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pony.orm import desc

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.qcp_enrollment import TERMINAL_STATES, CaptureLink, QcpEnrollment, QcpState

if TYPE_CHECKING:
    from adapters.persistence.unit_of_work import PonyUnitOfWork

__all__ = ["PonyCaptureLinkRepository", "PonyQcpEnrollmentRepository"]


class PonyQcpEnrollmentRepository(PonyRepository):
    """Enrollments are stored whole as JSON; ``qcp_identity_sessions`` maps each identity-check
    session to its enrollment."""

    kind, entity_name = "qcp_enrollment", "QcpEnrollmentRow"
    to_domain, columns = staticmethod(mappers.enrollment_from_row), staticmethod(mappers.enrollment_columns)

    def __init__(self, uow: PonyUnitOfWork) -> None:
        super().__init__(uow)
        self._sessions = uow.entity("QcpIdentitySessionRow")

    def add(self, enrollment: QcpEnrollment) -> None:
        self._add(enrollment)

    def get(self, enrollment_id: str) -> QcpEnrollment:
        return self._get(enrollment_id)  # type: ignore[no-any-return]

    def open_for(self, person_id: str, cabinet_id: str) -> QcpEnrollment | None:
        closed = [state.value for state in TERMINAL_STATES]
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda e: e.person_id == person_id and e.cabinet_id == cabinet_id and e.state not in closed)
            .order_by(lambda e: (desc(e.created_at), desc(e.id))))

    def by_session_ref(self, session_ref: str) -> QcpEnrollment | None:
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            session = self._sessions.get(session_ref=session_ref)
        return None if session is None else self._find(session.enrollment_id)

    def of_person(self, person_id: str) -> list[QcpEnrollment]:
        return self._select(lambda rows: rows.select(lambda e: e.person_id == person_id)
                            .order_by(lambda e: (desc(e.created_at), desc(e.id))))

    def in_states(self, states: frozenset[QcpState]) -> list[QcpEnrollment]:
        wanted = [state.value for state in states]
        if not wanted:
            return []
        return self._select(lambda rows: rows.select(lambda e: e.state in wanted)
                            .order_by(lambda e: (e.updated_at, e.id)))

    def after_save(self, enrollment: QcpEnrollment) -> None:
        wanted = {attempt.session_ref for attempt in enrollment.attempts}
        current = {s.session_ref: s for s in self._sessions.select(lambda s: s.enrollment_id == enrollment.id)}
        for session_ref in current.keys() - wanted:
            current[session_ref].delete()
        for session_ref in wanted - current.keys():
            self._sessions(session_ref=session_ref, enrollment_id=enrollment.id)


class PonyCaptureLinkRepository(PonyRepository):
    kind, entity_name, key_column = "capture_link", "CaptureLinkRow", "token_hash"
    to_domain, columns = staticmethod(mappers.capture_link_from_row), staticmethod(mappers.capture_link_columns)

    def add(self, link: CaptureLink) -> None:
        self._add(link)

    def by_token_hash(self, token_hash: str) -> CaptureLink | None:
        return self._find(token_hash)  # type: ignore[no-any-return]

    def latest_for_session(self, session_ref: str) -> CaptureLink | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda l: l.session_ref == session_ref).order_by(lambda l: (desc(l.created_at), desc(l.token_hash))))
