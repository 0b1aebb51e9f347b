"""Contract of the audit trail (ports/audit.py).

Subclass once per adapter and implement ``make_adapter``; a database adapter also
implements ``commit`` and ``reload`` (a fresh unit of work over the same data).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.model.audit import AuditEvent, RequestContext, verify_chain
from domain.model.errors import UniqueViolation
from ports.audit import AuditTrail

__all__ = ["AuditTrailContract"]

T0 = datetime(2026, 11, 28, 9, 0, 12, 345678, tzinfo=UTC)


def _chain(collection_id: str, count: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for i in range(count):
        events.append(AuditEvent.after(events[-1] if events else None, collection_id=collection_id,
                                       kind="opened" if i else "created", at=T0 + timedelta(seconds=i),
                                       actor=f"sig-{i}", context=RequestContext("203.0.113.7", "Mozilla/5.0 é"),
                                       details={"name": "Irène Faron", "n": i}))
    return events


class AuditTrailContract:
    def make_adapter(self) -> AuditTrail:
        raise NotImplementedError

    def commit(self, trail: AuditTrail) -> None:
        """Make changes durable (a database adapter commits its unit of work here)."""

    def reload(self, trail: AuditTrail) -> AuditTrail:
        return trail

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), AuditTrail)

    def test_events_come_back_exactly_in_sequence_order_and_still_verify(self) -> None:
        trail = self.make_adapter()
        events = _chain("col-1", 4)
        for event in events:
            trail.append(event)
        self.commit(trail)
        found = self.reload(trail).of_collection("col-1")
        assert found == events
        assert found[2].at == T0 + timedelta(seconds=2) and found[2].at.utcoffset() == timedelta(0)
        assert found[1].user_agent == "Mozilla/5.0 é" and found[1].detail_dict()["name"] == "Irène Faron"
        assert verify_chain(found) is None

    def test_the_last_event_naming_a_detail_is_found_without_the_whole_chain(self) -> None:
        trail = self.make_adapter()
        events: list[AuditEvent] = []
        # A value that spells the key (quoted) must not pass for the key itself.
        for i, details in enumerate([{"timeline_index": 0}, {"timeline_index": 1}, {"note": '"timeline_index": 9'},
                                     {"other": "x"}]):
            events.append(AuditEvent.after(events[-1] if events else None, collection_id="col-1", kind="opened",
                                           at=T0 + timedelta(seconds=i), details=details))
            trail.append(events[-1])
        trail.append(AuditEvent.after(None, collection_id="col-2", kind="opened", at=T0, details={"timeline_index": 5}))
        self.commit(trail)
        trail = self.reload(trail)
        found = trail.last_with_detail("col-1", "timeline_index")
        assert found == events[1] and found.detail_dict()["timeline_index"] == "1"
        assert trail.last_with_detail("col-1", "absent") is None
        assert trail.last_with_detail("unknown", "timeline_index") is None

    def test_last_is_the_highest_sequence_and_none_for_an_unknown_collection(self) -> None:
        trail = self.make_adapter()
        for event in _chain("col-1", 3):
            trail.append(event)
        self.commit(trail)
        trail = self.reload(trail)
        last = trail.last("col-1")
        assert last is not None and last.sequence == 3
        assert trail.last("col-unknown") is None
        assert trail.of_collection("col-unknown") == []

    def test_chains_are_kept_per_collection_and_listed(self) -> None:
        trail = self.make_adapter()
        for event in _chain("col-b", 2) + _chain("col-a", 1):
            trail.append(event)
        self.commit(trail)
        trail = self.reload(trail)
        assert trail.collection_ids() == ["col-a", "col-b"]
        assert [e.sequence for e in trail.of_collection("col-b")] == [1, 2]

    def test_a_second_event_with_the_same_sequence_is_refused(self) -> None:
        trail = self.make_adapter()
        first = _chain("col-1", 1)[0]
        trail.append(first)
        self.commit(trail)
        trail = self.reload(trail)
        racing = AuditEvent.after(None, collection_id="col-1", kind="opened", at=T0)
        try:
            trail.append(racing)
            self.commit(trail)
        except UniqueViolation:
            return
        raise AssertionError("two events with one sequence were both stored")
