"""Sending and running a collection: invitations, signatures, refusal, order changes, replacement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.model.cabinet import Delegation
from domain.model.collection import (
    MANUAL_REMINDER_GAP,
    MAX_CANCEL_REASON,
    CollectionStatus,
    EventKind,
    InvitationMode,
    SignerStanding,
)
from domain.model.document import outcome_file_name
from domain.model.errors import (
    CancelReasonRequired,
    CollectionAlreadyEnded,
    CollectionNotRunning,
    DeadlineNotInFuture,
    DuplicateSigner,
    FirstReminderTooSoon,
    InvalidValue,
    InvitationLinkUnusable,
    MissingDelegation,
    NoDocument,
    NoSigner,
    OrderLocked,
    ReminderTooSoon,
    SignerStateRefused,
)
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from tests.domain.collection_builders import (
    PREPARER,
    T0,
    Tokens,
    document,
    draft,
    identity,
    later,
    member,
    ready,
)

SEQ, PAR = InvitationMode.SEQUENTIAL, InvitationMode.PARALLEL


def statuses(c):
    return [s.status for s in c.signers]


def templates(notifications):
    return [(n.template, n.to) for n in notifications]


# -- sending ---------------------------------------------------------------------------------------


def test_sending_needs_a_document():
    c = draft()
    c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.EXTERNAL, identity=identity(2),
                 level=SignatureLevel.SIMPLE, now=T0)
    with pytest.raises(NoDocument):
        c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert c.status is CollectionStatus.DRAFT


def test_sending_needs_a_signer():
    c = draft()
    c.add_document(by=PREPARER, document=document(), now=T0)
    with pytest.raises(NoSigner):
        c.send(by=PREPARER, now=T0, new_token=Tokens())


def test_sending_after_the_deadline_is_refused():
    c = ready(1)
    with pytest.raises(DeadlineNotInFuture):
        c.send(by=PREPARER, now=c.deadline, new_token=Tokens())


def test_only_a_member_with_prepare_sends():
    c = ready(1)
    with pytest.raises(MissingDelegation):
        c.send(by=member(5, Delegation.SIGN), now=T0, new_token=Tokens())


def test_sequential_sending_invites_the_first_signer_only():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    sent = c.send(by=PREPARER, now=T0, new_token=tokens)
    assert c.status is CollectionStatus.IN_PROGRESS and c.sent_at == T0
    assert templates(sent) == [("collection_invitation", "person2@example.org")]
    assert statuses(c) == [SignerStatus.INVITED, SignerStatus.PENDING, SignerStatus.PENDING]
    context = sent[0].context_dict()
    assert context["token"] == tokens.issued[0]
    assert context["collection_title"] == "Lettre de mission 2027"
    assert context["sender_name"] == "PrénomA NomA" and context["cabinet_name"] == "Cabinet Poussart"
    # Only the hash is kept.
    assert c.signers[0].token_hashes == (Tokens.hash(tokens.issued[0]),)
    assert tokens.issued[0] not in repr(c.signers[0])


def test_parallel_sending_invites_everyone_each_with_their_own_link():
    c = ready(3, mode=PAR)
    tokens = Tokens()
    sent = c.send(by=PREPARER, now=T0, new_token=tokens)
    assert [n.to for n in sent] == ["person2@example.org", "person3@example.org", "person4@example.org"]
    assert statuses(c) == [SignerStatus.INVITED] * 3
    assert len({n.context_dict()["token"] for n in sent}) == 3


def test_sending_fixes_the_default_fields_on_every_document():
    c = ready(2)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert set(c.document("doc-1").fields) == {"sig-2", "sig-3"}


def test_a_collection_is_sent_once():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(Exception) as refused:
        c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert refused.value.code == "collection.not_editable"


# -- links ----------------------------------------------------------------------------------------


def test_a_link_finds_its_signer_until_the_deadline():
    c = ready(2, mode=PAR)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    assert c.signer_for_link(Tokens.hash(tokens.issued[1]), later(days=1)).id == "sig-3"
    with pytest.raises(InvitationLinkUnusable) as refused:
        c.signer_for_link(Tokens.hash(tokens.issued[1]), c.deadline)
    assert refused.value.params["reason"] == "expired"
    with pytest.raises(InvitationLinkUnusable) as unknown:
        c.signer_for_link(Tokens.hash("forged"), later(days=1))
    assert unknown.value.params["reason"] == "unknown"


def test_opening_is_recorded_once():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.open(signer_id="sig-2", now=later(hours=1))
    c.open(signer_id="sig-2", now=later(hours=2))
    signer = c.signer("sig-2")
    assert signer.status is SignerStatus.OPENED and signer.opened_at == later(hours=1)
    assert [e.kind for e in c.timeline].count(EventKind.OPENED) == 1


def test_a_signer_not_yet_invited_cannot_open():
    c = ready(2)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(SignerStateRefused):
        c.open(signer_id="sig-3", now=T0)


# -- signing and completion -----------------------------------------------------------------------------


def test_sequential_run_invites_the_next_signer_when_the_previous_signed():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    after_first = c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    assert templates(after_first) == [("collection_invitation", "person3@example.org")]
    assert statuses(c) == [SignerStatus.SIGNED, SignerStatus.INVITED, SignerStatus.PENDING]
    assert c.progress == "1/3"
    c.record_signature(signer_id="sig-3", now=later(hours=2), new_token=tokens)
    assert statuses(c)[2] is SignerStatus.INVITED


def test_in_sequential_mode_a_later_signer_cannot_sign_before_their_turn():
    c = ready(2, mode=SEQ)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(SignerStateRefused):
        c.record_signature(signer_id="sig-3", now=later(hours=1), new_token=Tokens())


def test_in_parallel_mode_signers_sign_in_any_order():
    c = ready(3, mode=PAR)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    assert c.record_signature(signer_id="sig-4", now=later(hours=1), new_token=tokens) == []
    assert c.record_signature(signer_id="sig-2", now=later(hours=2), new_token=tokens) == []
    assert c.status is CollectionStatus.IN_PROGRESS and c.progress == "2/3"


def test_the_collection_completes_when_everyone_signed_and_everyone_is_told():
    c = ready(2, mode=SEQ)
    c.add_observer(by=PREPARER, observer_id="o", identity=identity(9), now=T0)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    done = c.record_signature(signer_id="sig-3", now=later(hours=2), new_token=tokens)
    assert c.status is CollectionStatus.COMPLETED and c.ended_at == later(hours=2)
    assert {n.template for n in done} == {"collection_completed"}
    assert sorted(n.to for n in done) == sorted(["person1@example.org", "person2@example.org",
                                                 "person3@example.org", "person9@example.org"])
    assert c.timeline[-1].kind is EventKind.COMPLETED


def test_a_signer_signs_once():
    c = ready(2, mode=PAR)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=Tokens())
    with pytest.raises(SignerStateRefused):
        c.record_signature(signer_id="sig-2", now=later(hours=2), new_token=Tokens())


def test_nobody_signs_after_the_deadline():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(CollectionNotRunning):
        c.record_signature(signer_id="sig-2", now=c.deadline, new_token=Tokens())


# -- refusal ------------------------------------------------------------------------------------------


def test_a_refusal_ends_the_collection_and_tells_the_preparer_with_the_reason_and_the_other_signers_without():
    c = ready(3, mode=PAR)
    c.add_observer(by=PREPARER, observer_id="o", identity=identity(9), now=T0)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    told = c.refuse(signer_id="sig-3", reason="  Montant   erroné ", now=later(hours=3))
    assert c.status is CollectionStatus.REFUSED and c.ended_at == later(hours=3)
    assert templates(told) == [("collection_refused", "person1@example.org"),
                               ("collection_refused_signer", "person2@example.org"),
                               ("collection_refused_signer", "person4@example.org")]
    assert told[0].context_dict()["reason"] == "Montant erroné"
    assert told[0].context_dict()["signer_name"] == "PrénomC NomC"
    assert c.signer("sig-3").refusal_reason == "Montant erroné"
    to_signers = [n.context_dict() for n in told[1:]]
    assert all("reason" not in n for n in to_signers)  # the reason is the preparer's to read
    assert [n["signed"] for n in to_signers] == ["yes", "no"]


def test_signers_still_waiting_for_their_turn_are_not_told_of_a_refusal():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    told = c.refuse(signer_id="sig-3", reason="non", now=later(hours=2))
    assert templates(told) == [("collection_refused", "person1@example.org"),
                               ("collection_refused_signer", "person2@example.org")]


def test_the_preparer_who_also_signs_gets_one_email_about_a_refusal():
    c = draft(mode=PAR)
    c.add_document(by=PREPARER, document=document(), now=T0)
    c.add_signer(by=PREPARER, signer_id="me", kind=SignerKind.MYSELF, identity=identity(1),
                 level=SignatureLevel.SIMPLE, now=T0, member=PREPARER)
    c.add_signer(by=PREPARER, signer_id="sig-2", kind=SignerKind.EXTERNAL, identity=identity(2),
                 level=SignatureLevel.SIMPLE, now=T0)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    told = c.refuse(signer_id="sig-2", reason="non", now=later(hours=1))
    assert templates(told) == [("collection_refused", "person1@example.org")]


@pytest.mark.parametrize(("end", "expected"), [
    ("refuse", {"sig-2": SignerStanding.SIGNED, "sig-3": SignerStanding.REFUSED,
                "sig-4": SignerStanding.ENDED_BY_REFUSAL}),
    ("cancel", {"sig-2": SignerStanding.SIGNED, "sig-3": SignerStanding.ENDED_BY_CANCELLATION,
                "sig-4": SignerStanding.ENDED_BY_CANCELLATION}),
    ("expire", {"sig-2": SignerStanding.SIGNED, "sig-3": SignerStanding.ENDED_BY_EXPIRY,
                "sig-4": SignerStanding.ENDED_BY_EXPIRY}),
])
def test_once_the_collection_ended_a_signer_who_had_not_signed_is_no_longer_invited(end, expected):
    c = ready(3, mode=PAR)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    c.open(signer_id="sig-3", now=later(hours=1))
    assert [c.standing(s) for s in ("sig-2", "sig-3", "sig-4")] == [
        SignerStanding.SIGNED, SignerStanding.OPENED, SignerStanding.INVITED]
    if end == "refuse":
        c.refuse(signer_id="sig-3", reason="non", now=later(hours=2))
    elif end == "cancel":
        c.cancel(by=PREPARER, now=later(hours=2), reason="Dossier réglé autrement")
    else:
        c.expire(now=c.deadline)
    assert {s: c.standing(s) for s in expected} == expected


def test_after_a_refusal_links_no_longer_work_and_nobody_signs():
    c = ready(2, mode=PAR)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.refuse(signer_id="sig-2", reason="", now=later(hours=1))
    with pytest.raises(InvitationLinkUnusable) as refused:
        c.signer_for_link(Tokens.hash(tokens.issued[1]), later(hours=2))
    assert refused.value.params["reason"] == "refused"
    with pytest.raises(CollectionNotRunning):
        c.record_signature(signer_id="sig-3", now=later(hours=2), new_token=tokens)


def test_a_signer_not_invited_cannot_refuse():
    c = ready(2, mode=SEQ)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(SignerStateRefused):
        c.refuse(signer_id="sig-3", reason="non", now=T0)
    assert c.status is CollectionStatus.IN_PROGRESS


# -- order changes while running ------------------------------------------------------------------------


def test_a_signer_on_holiday_is_moved_down_and_the_next_one_is_invited_at_once():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    holiday_link = Tokens.hash(tokens.issued[0])
    sent = c.reorder(by=PREPARER, signer_ids=["sig-3", "sig-2", "sig-4"], now=later(days=1), new_token=tokens)
    assert templates(sent) == [("collection_invitation", "person3@example.org")]
    assert statuses(c) == [SignerStatus.INVITED, SignerStatus.PENDING, SignerStatus.PENDING]
    # The moved signer's link is dead until their turn comes again with a new one.
    with pytest.raises(InvitationLinkUnusable):
        c.signer_for_link(holiday_link, later(days=1))
    assert EventKind.TURN_POSTPONED in [e.kind for e in c.timeline]
    back = c.record_signature(signer_id="sig-3", now=later(days=2), new_token=tokens)
    assert templates(back) == [("collection_invitation", "person2@example.org")]
    assert c.signer_for_link(Tokens.hash(back[0].context_dict()["token"]), later(days=2)).id == "sig-2"


def test_the_remaining_signers_can_be_reordered_after_some_signed():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    sent = c.reorder(by=PREPARER, signer_ids=["sig-2", "sig-4", "sig-3"], now=later(hours=2), new_token=tokens)
    assert [s.id for s in c.signers] == ["sig-2", "sig-4", "sig-3"]
    assert templates(sent) == [("collection_invitation", "person4@example.org")]
    assert statuses(c) == [SignerStatus.SIGNED, SignerStatus.INVITED, SignerStatus.PENDING]


def test_reordering_without_moving_the_current_signer_sends_nothing():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    assert c.reorder(by=PREPARER, signer_ids=["sig-2", "sig-4", "sig-3"], now=later(hours=1), new_token=tokens) == []
    assert c.signer("sig-2").status is SignerStatus.INVITED


def test_a_signer_who_signed_keeps_their_place():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    with pytest.raises(OrderLocked):
        c.reorder(by=PREPARER, signer_ids=["sig-3", "sig-2", "sig-4"], now=later(hours=2), new_token=tokens)
    assert [s.id for s in c.signers] == ["sig-2", "sig-3", "sig-4"]


def test_in_parallel_mode_a_signer_who_signed_keeps_their_place_too():
    c = ready(3, mode=PAR)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-4", now=later(hours=1), new_token=tokens)
    with pytest.raises(OrderLocked):
        c.reorder(by=PREPARER, signer_ids=["sig-4", "sig-2", "sig-3"], now=later(hours=2), new_token=tokens)
    assert c.reorder(by=PREPARER, signer_ids=["sig-3", "sig-2", "sig-4"], now=later(hours=2), new_token=tokens) == []
    assert statuses(c) == [SignerStatus.INVITED, SignerStatus.INVITED, SignerStatus.SIGNED]


def test_an_ended_collection_cannot_be_reordered():
    c = ready(2)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.cancel(by=PREPARER, now=later(hours=1), reason="Dossier réglé autrement")
    with pytest.raises(CollectionAlreadyEnded):
        c.reorder(by=PREPARER, signer_ids=["sig-3", "sig-2"], now=later(hours=2), new_token=Tokens())


# -- replacement ------------------------------------------------------------------------------------


def test_replacing_an_invited_signer_kills_the_old_link_and_invites_the_new_person():
    c = ready(2, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    old_link = Tokens.hash(tokens.issued[0])
    sent = c.replace_signer(by=PREPARER, signer_id="sig-2", new_signer_id="sig-7", kind=SignerKind.EXTERNAL,
                            identity=identity(7), level=SignatureLevel.ADVANCED, now=later(hours=1),
                            new_token=tokens)
    assert templates(sent) == [("collection_invitation_withdrawn", "person2@example.org"),
                               ("collection_invitation", "person7@example.org")]
    assert [s.id for s in c.signers] == ["sig-7", "sig-3"]
    assert "sig-7" in c.document("doc-1").fields and "sig-2" not in c.document("doc-1").fields
    with pytest.raises(InvitationLinkUnusable):
        c.signer_for_link(old_link, later(hours=1))
    assert c.signer_for_link(Tokens.hash(sent[1].context_dict()["token"]), later(hours=1)).id == "sig-7"
    assert c.timeline[-2].kind is EventKind.SIGNER_REPLACED


def test_replacing_a_signer_waiting_for_their_turn_sends_nothing_yet():
    c = ready(2, mode=SEQ)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert c.replace_signer(by=PREPARER, signer_id="sig-3", new_signer_id="sig-7", kind=SignerKind.EXTERNAL,
                            identity=identity(7), level=SignatureLevel.SIMPLE, now=later(hours=1),
                            new_token=Tokens()) == []
    assert c.signer("sig-7").status is SignerStatus.PENDING


def test_a_signer_who_signed_cannot_be_replaced():
    c = ready(2, mode=PAR)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=Tokens())
    with pytest.raises(SignerStateRefused):
        c.replace_signer(by=PREPARER, signer_id="sig-2", new_signer_id="sig-7", kind=SignerKind.EXTERNAL,
                         identity=identity(7), level=SignatureLevel.SIMPLE, now=later(hours=2), new_token=Tokens())


def test_a_replacement_cannot_be_someone_already_signing():
    c = ready(2, mode=PAR)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(DuplicateSigner):
        c.replace_signer(by=PREPARER, signer_id="sig-2", new_signer_id="sig-7", kind=SignerKind.EXTERNAL,
                         identity=identity(3), level=SignatureLevel.SIMPLE, now=later(hours=1), new_token=Tokens())


def test_a_signer_can_be_replaced_by_another_address_of_the_same_slot():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.replace_signer(by=PREPARER, signer_id="sig-2", new_signer_id="sig-8", kind=SignerKind.EXTERNAL,
                     identity=identity(2), level=SignatureLevel.SIMPLE, now=later(hours=1), new_token=Tokens())
    assert [s.id for s in c.signers] == ["sig-8"]


# -- reminders by hand, cancellation -------------------------------------------------------------------


def test_a_reminder_sends_a_new_link_and_the_first_one_keeps_working():
    c = ready(1)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    reminder = c.remind(signer_id="sig-2", now=later(hours=2), new_token=tokens, by=PREPARER)
    assert (reminder.template, reminder.to) == ("collection_reminder", "person2@example.org")
    for token in tokens.issued:
        assert c.signer_for_link(Tokens.hash(token), later(hours=3)).id == "sig-2"
    assert c.signer("sig-2").reminders_sent == 0  # by hand: not counted against the policy


def test_reminding_by_hand_waits_an_hour_after_the_invitation_and_says_until_when():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert c.manual_reminder_at("sig-2") == T0 + MANUAL_REMINDER_GAP
    with pytest.raises(FirstReminderTooSoon) as refused:
        c.remind(signer_id="sig-2", now=later(minutes=30), new_token=Tokens(), by=PREPARER)
    assert refused.value.params["retry_after_seconds"] == 30 * 60 + 1
    assert refused.value.possible_at == (T0 + MANUAL_REMINDER_GAP).isoformat()


def test_reminding_by_hand_again_waits_an_hour_after_the_last_reminder():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.remind(signer_id="sig-2", now=later(hours=2), new_token=Tokens(), by=PREPARER)
    assert c.manual_reminder_at("sig-2") == later(hours=2) + MANUAL_REMINDER_GAP
    with pytest.raises(ReminderTooSoon) as refused:
        c.remind(signer_id="sig-2", now=later(hours=2, minutes=10), new_token=Tokens(), by=PREPARER)
    assert not isinstance(refused.value, FirstReminderTooSoon)
    assert refused.value.possible_at == (later(hours=2) + MANUAL_REMINDER_GAP).isoformat()


def test_no_reminder_time_for_a_signer_who_is_not_waiting():
    c = ready(2, mode=SEQ)
    assert c.manual_reminder_at("sig-2") is None  # a draft
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert c.manual_reminder_at("sig-3") is None  # not their turn yet


def test_only_a_running_sequential_collection_offers_to_move_its_unsigned_signers():
    sequential, parallel = ready(3, mode=SEQ), ready(3, mode=PAR)
    assert sequential.movable_signers() == []  # the wizard orders a draft
    for c in (sequential, parallel):
        c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert parallel.movable_signers() == []
    assert sequential.movable_signers() == ["sig-2", "sig-3", "sig-4"]
    sequential.record_signature(signer_id="sig-2", now=later(hours=1), new_token=Tokens())
    sequential.record_signature(signer_id="sig-3", now=later(hours=1), new_token=Tokens())
    assert sequential.movable_signers() == []  # one left: nothing to move


def test_only_a_signer_waiting_to_sign_is_reminded():
    c = ready(2, mode=SEQ)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(SignerStateRefused):
        c.remind(signer_id="sig-3", now=later(hours=2), new_token=Tokens(), by=PREPARER)


def test_only_a_member_with_prepare_reminds():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(MissingDelegation):
        c.remind(signer_id="sig-2", now=later(hours=2), new_token=Tokens(), by=member(5, Delegation.SIGN))


def test_cancelling_tells_the_signers_who_were_invited_and_kills_the_links():
    c = ready(3, mode=SEQ)
    tokens = Tokens()
    c.send(by=PREPARER, now=T0, new_token=tokens)
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=tokens)
    told = c.cancel(by=PREPARER, now=later(hours=2), reason="  Le client a changé\nd’avis  ")
    assert c.status is CollectionStatus.CANCELLED
    assert templates(told) == [("collection_cancelled", "person2@example.org"),
                               ("collection_cancelled", "person3@example.org")]
    assert {n.context_dict()["reason"] for n in told} == {"Le client a changé d’avis"}
    assert (c.cancel_reason, c.timeline[-1].detail_dict()["reason"]) == ("Le client a changé d’avis",) * 2
    with pytest.raises(InvitationLinkUnusable):
        c.signer_for_link(Tokens.hash(tokens.issued[1]), later(hours=3))


def test_a_draft_can_be_cancelled_silently_but_an_ended_collection_cannot():
    c = ready(1)
    assert c.cancel(by=PREPARER, now=T0, reason="") == []
    with pytest.raises(CollectionAlreadyEnded):
        c.cancel(by=PREPARER, now=T0 + timedelta(minutes=1), reason="Doublon")


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_running_collection_is_not_cancelled_without_a_reason(reason):
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(CancelReasonRequired) as refused:
        c.cancel(by=PREPARER, now=later(hours=1), reason=reason)
    assert refused.value.field == "reason"
    assert c.status is CollectionStatus.IN_PROGRESS


def test_a_cancellation_reason_is_bounded():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    with pytest.raises(InvalidValue):
        c.cancel(by=PREPARER, now=later(hours=1), reason="x" * (MAX_CANCEL_REASON + 1))
    assert c.status is CollectionStatus.IN_PROGRESS


# -- messages that never arrived ------------------------------------------------------------------------------------


def test_invitations_name_the_collection_and_signer_they_serve():
    c = ready(2, mode=PAR)
    invitations = c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert {(n.about_collection, n.about_signer) for n in invitations} == {("col-1", "sig-2"), ("col-1", "sig-3")}


def test_a_failed_delivery_is_on_the_timeline_and_on_the_signer_until_they_act():
    c = ready(2, mode=PAR)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    assert c.record_delivery_failure(signer_id="sig-2", channel="sms", reason="refused", provider_code="21211",
                                     now=later(minutes=1))
    event = c.timeline[-1]
    assert event.kind is EventKind.DELIVERY_FAILED and event.signer_id == "sig-2"
    assert event.detail_dict() == {"name": c.signer("sig-2").display_name, "channel": "sms", "reason": "refused",
                                   "provider_code": "21211"}
    assert c.delivery_failed("sig-2") == "sms" and c.delivery_failed("sig-3") is None
    c.record_signature(signer_id="sig-2", now=later(hours=1), new_token=Tokens())
    assert c.delivery_failed("sig-2") is None, "the signer signed after all: nothing left to fix"


def test_a_failed_delivery_keeps_only_known_reasons_and_plain_provider_codes():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    c.record_delivery_failure(signer_id="sig-2", channel="email", reason="whatever", provider_code="<b>x</b>",
                              now=later(minutes=1))
    assert c.timeline[-1].detail_dict() == {"name": c.signer("sig-2").display_name, "channel": "email",
                                            "reason": "undelivered"}
    with pytest.raises(InvalidValue):
        c.record_delivery_failure(signer_id="sig-2", channel="fax", reason="refused", now=later(minutes=2))


def test_a_failed_delivery_to_a_signer_no_longer_there_records_nothing():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    before = len(c.timeline)
    assert not c.record_delivery_failure(signer_id="sig-gone", channel="sms", reason="refused", now=later(minutes=1))
    assert len(c.timeline) == before


@pytest.mark.parametrize(("name", "signed"), [("contrat.pdf", "contrat-signé.pdf"), ("Bilan 2026.PDF", "Bilan 2026-signé.pdf"),
                                              ("contrat-signé.pdf", "contrat-signé.pdf"), (".pdf", "document-signé.pdf")])
def test_a_signed_copy_is_named_after_the_original_with_signe(name, signed):
    assert outcome_file_name(name) == signed
