"""The worker's decisions, taken by the aggregate: which reminders are due, when it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.model.collection import CollectionStatus, EventKind, InvitationMode, ReminderPolicy
from domain.model.errors import CollectionNotRunning
from tests.domain.collection_builders import PREPARER, T0, Tokens, identity, later, ready

EVERY_2_MAX_2 = ReminderPolicy(every_days=2, max_count=2)


def sent(n=2, mode=InvitationMode.SEQUENTIAL, reminders=EVERY_2_MAX_2):
    c = ready(n, mode=mode, reminders=reminders)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    return c


def test_no_reminder_is_due_before_the_interval():
    c = sent()
    assert c.due_reminders(later(days=2, seconds=-1)) == []
    assert c.due_reminders(later(days=2)) == ["sig-2"]


def test_reminders_follow_the_interval_from_the_last_one_and_stop_at_the_maximum():
    c = sent()
    tokens = Tokens()
    c.remind(signer_id="sig-2", now=later(days=2), new_token=tokens)
    assert c.due_reminders(later(days=3)) == []
    assert c.due_reminders(later(days=4)) == ["sig-2"]
    c.remind(signer_id="sig-2", now=later(days=4), new_token=tokens)
    assert c.signer("sig-2").reminders_sent == 2
    assert c.due_reminders(later(days=10)) == []


def test_a_reminder_by_hand_pushes_the_next_automatic_one_back():
    c = sent()
    c.remind(signer_id="sig-2", now=later(days=1), new_token=Tokens(), by=PREPARER)
    assert c.due_reminders(later(days=2)) == []
    assert c.due_reminders(later(days=3)) == ["sig-2"]


def test_only_signers_waiting_to_sign_are_reminded():
    c = sent(3, mode=InvitationMode.PARALLEL)
    c.record_signature(signer_id="sig-3", now=later(days=1), new_token=Tokens())
    assert c.due_reminders(later(days=2)) == ["sig-2", "sig-4"]


def test_a_signer_invited_later_in_a_sequential_run_is_reminded_from_their_own_invitation():
    c = sent()
    c.record_signature(signer_id="sig-2", now=later(days=1), new_token=Tokens())
    assert c.due_reminders(later(days=2)) == []
    assert c.due_reminders(later(days=3)) == ["sig-3"]


def test_no_reminder_when_the_policy_is_off():
    c = sent(reminders=ReminderPolicy.off())
    assert c.due_reminders(later(days=14)) == []
    assert c.next_due_at() == c.deadline


def test_no_reminder_is_due_at_or_after_the_deadline():
    c = sent()
    assert c.due_reminders(c.deadline) == []


def test_next_due_at_is_the_earliest_reminder_or_the_deadline():
    c = sent()
    assert c.next_due_at() == later(days=2)
    c.remind(signer_id="sig-2", now=later(days=2), new_token=Tokens())
    c.remind(signer_id="sig-2", now=later(days=4), new_token=Tokens())
    assert c.next_due_at() == c.deadline


def test_a_draft_or_an_ended_collection_has_nothing_due():
    c = ready(1)
    assert c.next_due_at() is None
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.cancel(by=PREPARER, now=later(days=1), reason="Dossier réglé autrement")
    assert c.next_due_at() is None and c.due_reminders(later(days=3)) == []


def test_expiry_at_the_deadline_tells_everyone():
    c = ready(2, mode=InvitationMode.SEQUENTIAL)
    c.add_observer(by=PREPARER, observer_id="o", identity=identity(9), now=T0)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    told = c.expire(now=c.deadline)
    assert c.status is CollectionStatus.EXPIRED and c.ended_at == c.deadline
    assert {n.template for n in told} == {"collection_expired"}
    assert sorted(n.to for n in told) == ["person1@example.org", "person2@example.org", "person3@example.org",
                                          "person9@example.org"]
    assert c.timeline[-1].kind is EventKind.EXPIRED


def test_a_collection_does_not_expire_before_its_deadline():
    c = sent()
    with pytest.raises(CollectionNotRunning):
        c.expire(now=c.deadline - timedelta(seconds=1))
    assert c.status is CollectionStatus.IN_PROGRESS


def test_a_completed_collection_does_not_expire():
    c = sent(1)
    c.record_signature(signer_id="sig-2", now=later(days=1), new_token=Tokens())
    with pytest.raises(CollectionNotRunning):
        c.expire(now=c.deadline)
    assert c.status is CollectionStatus.COMPLETED
