"""The hash-chained audit trail: the pure chain, the in-memory port, the collections hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from adapters.memory.audit import InMemoryAuditTrail
from domain.model.audit import GENESIS, AuditEvent, RequestContext, verify_chain
from ports.contracts.audit import AuditTrailContract

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class TestInMemoryAuditTrail(AuditTrailContract):
    def make_adapter(self) -> InMemoryAuditTrail:
        return InMemoryAuditTrail()


def chain(n: int = 5) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for i in range(n):
        events.append(AuditEvent.after(events[-1] if events else None, collection_id="c1", kind="opened",
                                       at=T0 + timedelta(minutes=i), actor="s1",
                                       context=RequestContext("198.51.100.4", "Firefox"), details={"i": i}))
    return events


def test_an_untouched_chain_verifies():
    events = chain()
    assert events[0].previous_hash == GENESIS
    assert all(b.previous_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert verify_chain(events) is None


def test_editing_an_event_breaks_the_chain_at_that_event():
    events = chain()
    events[2] = attrs.evolve(events[2], details={"i": "99"})
    broken = verify_chain(events)
    assert broken is not None and (broken.sequence, broken.reason) == (3, "hash")


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link():
    events = chain()
    edited = attrs.evolve(events[1], ip="10.0.0.1")
    events[1] = attrs.evolve(edited, hash=edited.computed_hash())
    broken = verify_chain(events)
    assert broken is not None and (broken.sequence, broken.reason) == (3, "link")


def test_a_removed_event_breaks_the_sequence():
    events = chain()
    del events[1]
    broken = verify_chain(events)
    assert broken is not None and broken.reason == "sequence"


def test_the_hash_covers_time_to_the_microsecond():
    event = chain(1)[0]
    moved = attrs.evolve(event, at=event.at + timedelta(microseconds=1))
    assert moved.computed_hash() != event.hash


def test_collection_use_cases_append_their_timeline_to_the_trail(container, uc, cabinet):
    collection_id = uc.create_collection_draft(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id,
                                               title="Lettre de mission")
    uc.update_collection_info(collection_id=collection_id, by_person_id=cabinet.person_id, title="Lettre 2026",
                              message="Bonjour")
    events = container.adapters.store().tables["audit"][collection_id]
    assert [e.kind for e in events] == ["created", "info_updated"]
    assert events[0].actor is not None
    report = uc.verify_audit_trails()
    assert (report.chains, report.events, report.broken) == (1, 2, ())
