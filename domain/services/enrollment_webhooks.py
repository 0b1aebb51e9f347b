"""``enrollment.status_changed`` for integrators: one webhook event per step of a QCP enrollment.

A QCP enrollment records each transition in its history (``EnrollmentEvent``), and its use cases
commit in some twenty places. Rather than touching each, ``announcing_status_changes`` wraps the
unit-of-work factory once: every enrollment read or added through the unit of work is watched, and
``commit`` first enqueues one event per new transition, in the same transaction (outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.model.qcp_enrollment import QcpEnrollment
from domain.model.webhooks import WebhookEvent, event_job

__all__ = ["announcing_status_changes"]


class _WatchedEnrollments:
    def __init__(self, inner: Any, seen: dict[int, list[Any]]) -> None:
        self._inner = inner
        self._seen = seen

    def _watch(self, found: Any) -> Any:
        for item in found if isinstance(found, list) else [found]:
            if isinstance(item, QcpEnrollment):
                self._seen.setdefault(id(item), [item, len(item.history)])
        return found

    def add(self, enrollment: QcpEnrollment) -> None:
        self._inner.add(enrollment)
        self._seen.setdefault(id(enrollment), [enrollment, 0])  # a new enrollment announces its start

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute
        return lambda *args, **kwargs: self._watch(attribute(*args, **kwargs))


class _AnnouncingWork:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._seen: dict[int, list[Any]] = {}

    def __enter__(self) -> _AnnouncingWork:
        self._inner.__enter__()
        self._seen = {}
        self.qcp_enrollments = _WatchedEnrollments(self._inner.qcp_enrollments, self._seen)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._seen = {}
        self._inner.__exit__(*exc_info)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def commit(self) -> None:
        for entry in self._seen.values():
            enrollment, announced = entry
            for step in enrollment.history[announced:]:
                if step.from_state is step.to_state and step.action != "start":
                    continue  # a step that changed nothing the integrator can see
                self._inner.jobs.enqueue(event_job(
                    WebhookEvent.ENROLLMENT_STATUS_CHANGED, cabinet_id=enrollment.cabinet_id, occurred_at=step.at,
                    enrollment_id=enrollment.id, person_id=enrollment.person_id, action=step.action,
                    from_state=step.from_state.value, state=step.to_state.value))
            entry[1] = len(enrollment.history)
        self._inner.commit()

    def rollback(self) -> None:
        self._seen.clear()
        self._inner.rollback()


def announcing_status_changes(uow: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: _AnnouncingWork(uow())
