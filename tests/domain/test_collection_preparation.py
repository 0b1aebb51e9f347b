"""Preparing a collection: who may, which signers and levels, documents and field placements."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from domain.model.cabinet import Delegation
from domain.model.collection import (
    DEADLINE_TZ,
    DEFAULT_DEADLINE,
    Collection,
    CollectionStatus,
    EventKind,
    InvitationMode,
    ReminderPolicy,
    allowed_levels,
    deadline_on,
    default_deadline,
)
from domain.model.document import DocumentRef, FieldPlacement, PageSize
from domain.model.errors import (
    CollectionNotEditable,
    DeadlineNotInFuture,
    DeadlineTooFar,
    DocumentVersionConflict,
    DuplicateObserver,
    DuplicateSigner,
    FieldOutOfPage,
    InvalidCollectionInfo,
    InvalidOrder,
    InvalidReminderPolicy,
    LevelNotAllowed,
    MissingDelegation,
    MobileRequired,
    NotFound,
    SignerCannotSign,
    SignerStateRefused,
)
from domain.model.signer import SignatureLevel, SignerKind
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

L1, L2, L3 = SignatureLevel.SIMPLE, SignatureLevel.ADVANCED, SignatureLevel.ADVANCED_QUALIFIED


def add_external(c: Collection, n: int, level: SignatureLevel = L1, **kw) -> None:
    c.add_signer(by=PREPARER, signer_id=f"sig-{n}", kind=SignerKind.EXTERNAL, identity=identity(n, **kw),
                 level=level, now=T0)


# -- drafting ---------------------------------------------------------------------------------


def test_a_member_with_prepare_drafts_a_collection_due_in_fifteen_days_by_default():
    c = draft()
    assert c.status is CollectionStatus.DRAFT
    due = c.deadline.astimezone(DEADLINE_TZ)
    assert due.date() == (T0 + DEFAULT_DEADLINE).astimezone(DEADLINE_TZ).date()
    assert (due.hour, due.minute) == (23, 59)
    assert c.prepared_by == PREPARER.id and c.cabinet_id == PREPARER.cabinet_id
    assert c.mode is InvitationMode.SEQUENTIAL
    assert [e.kind for e in c.timeline] == [EventKind.CREATED]


@pytest.mark.parametrize("hour", [0, 5, 12, 22, 23])
def test_the_default_deadline_is_the_end_of_a_day_whatever_the_hour_of_creation(hour):
    """The recap shows the same deadline before and after the options step is saved: a day, 23 h 59."""
    now = T0.replace(hour=hour, minute=25)
    deadline = Collection.draft(id="col-1", by=PREPARER, preparer=identity(1), cabinet_name="Cabinet Poussart",
                                title="Bilan", now=now).deadline
    assert deadline == default_deadline(now)
    due = deadline.astimezone(DEADLINE_TZ)
    assert (due.hour, due.minute) == (23, 59)
    assert due.date() == (now + DEFAULT_DEADLINE).astimezone(DEADLINE_TZ).date()
    assert deadline == deadline_on(due.date())


def test_a_member_without_prepare_cannot_draft():
    with pytest.raises(MissingDelegation):
        draft(by=member(7, Delegation.SIGN))


def test_a_member_without_prepare_cannot_change_a_draft():
    c = draft()
    with pytest.raises(MissingDelegation):
        c.add_document(by=member(7, Delegation.SIGN), document=document(), now=T0)


def test_a_member_of_another_cabinet_cannot_touch_the_collection():
    c = draft()
    with pytest.raises(NotFound):
        c.update_info(by=member(8, Delegation.PREPARE, cabinet_id="cab-2"), title="x", message="", now=T0)


def test_the_deadline_must_be_in_the_future():
    with pytest.raises(DeadlineNotInFuture):
        draft(deadline=T0)
    with pytest.raises(DeadlineNotInFuture):
        draft(deadline=T0 - timedelta(minutes=1))
    c = draft()
    with pytest.raises(DeadlineNotInFuture):
        c.set_options(by=PREPARER, now=T0, deadline=T0 - timedelta(days=1))


def test_the_deadline_cannot_be_years_away():
    with pytest.raises(DeadlineTooFar):
        draft(deadline=T0 + timedelta(days=400))


def test_a_title_is_required_and_bounded():
    c = draft()
    with pytest.raises(InvalidCollectionInfo) as refused:
        c.update_info(by=PREPARER, title="   ", message="", now=T0)
    assert refused.value.params["field"] == "title"
    with pytest.raises(InvalidCollectionInfo):
        c.update_info(by=PREPARER, title="x" * 201, message="", now=T0)
    c.update_info(by=PREPARER, title="  Lettre   de mission ", message=" Bonjour ", now=T0)
    assert (c.title, c.message) == ("Lettre de mission", "Bonjour")


def test_options_set_deadline_reminders_and_mode():
    c = draft()
    c.set_options(by=PREPARER, now=T0, deadline=later(days=5), reminders=ReminderPolicy(every_days=2, max_count=1),
                  mode=InvitationMode.PARALLEL)
    assert c.deadline == later(days=5)
    assert c.reminders == ReminderPolicy(every_days=2, max_count=1)
    assert c.mode is InvitationMode.PARALLEL


def test_a_reminder_policy_out_of_bounds_is_refused():
    with pytest.raises(InvalidReminderPolicy):
        ReminderPolicy(every_days=0)
    with pytest.raises(InvalidReminderPolicy):
        ReminderPolicy(max_count=21)


# -- signers ------------------------------------------------------------------------------------


def test_the_preparer_adds_themself_when_they_hold_sign():
    c = draft()
    signer = c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.MYSELF, identity=identity(1), level=L2,
                          now=T0, member=PREPARER)
    assert signer.member_id == PREPARER.id and signer.kind is SignerKind.MYSELF


def test_myself_is_the_preparer_and_no_one_else():
    c = draft()
    with pytest.raises(SignerStateRefused):
        c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.MYSELF, identity=identity(2), level=L1, now=T0,
                     member=member(2, Delegation.SIGN))


def test_a_preparer_without_sign_cannot_add_themself():
    only_prepare = member(3, Delegation.PREPARE)
    c = draft(by=only_prepare)
    with pytest.raises(SignerCannotSign):
        c.add_signer(by=only_prepare, signer_id="s", kind=SignerKind.MYSELF, identity=identity(3), level=L1,
                     now=T0, member=only_prepare)


def test_a_member_signer_must_hold_sign():
    c = draft()
    c.add_signer(by=PREPARER, signer_id="ok", kind=SignerKind.MEMBER, identity=identity(2), level=L1, now=T0,
                 member=member(2, Delegation.SIGN))
    with pytest.raises(SignerCannotSign):
        c.add_signer(by=PREPARER, signer_id="no", kind=SignerKind.MEMBER, identity=identity(3), level=L1, now=T0,
                     member=member(3, Delegation.SEAL))


def test_a_member_signer_belongs_to_the_cabinet():
    c = draft()
    with pytest.raises(NotFound):
        c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.MEMBER, identity=identity(2), level=L1, now=T0,
                     member=member(2, Delegation.SIGN, cabinet_id="cab-2"))


@pytest.mark.parametrize("level", [L2, L3])
def test_a_mobile_is_required_from_level_two(level):
    c = draft()
    with pytest.raises(MobileRequired):
        add_external(c, 2, level, mobile=False)
    add_external(c, 3, L1, mobile=False)
    with pytest.raises(MobileRequired):
        c.set_level(by=PREPARER, signer_id="sig-3", level=level, now=T0)


def test_level_three_is_refused_to_a_member_without_an_active_qcp():
    c = draft()
    with pytest.raises(LevelNotAllowed):
        c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.MEMBER, identity=identity(2), level=L3, now=T0,
                     member=member(2, Delegation.SIGN), has_active_qcp=False)


def test_level_three_is_allowed_to_a_member_with_an_active_qcp_and_to_an_external_signer():
    c = draft()
    c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.MEMBER, identity=identity(2), level=L3, now=T0,
                 member=member(2, Delegation.SIGN), has_active_qcp=True)
    add_external(c, 3, L3)
    assert [s.level for s in c.signers] == [L3, L3]


def test_set_level_rechecks_the_qcp():
    c = draft()
    c.add_signer(by=PREPARER, signer_id="s", kind=SignerKind.MYSELF, identity=identity(1), level=L1, now=T0,
                 member=PREPARER)
    with pytest.raises(LevelNotAllowed):
        c.set_level(by=PREPARER, signer_id="s", level=L3, now=T0, has_active_qcp=False)
    c.set_level(by=PREPARER, signer_id="s", level=L3, now=T0, has_active_qcp=True)
    assert c.signer("s").level is L3


def test_the_dropdown_offers_level_three_only_where_possible():
    assert allowed_levels(kind=SignerKind.MEMBER, has_mobile=True, has_active_qcp=False) == [L1, L2]
    assert allowed_levels(kind=SignerKind.MEMBER, has_mobile=True, has_active_qcp=True) == [L1, L2, L3]
    assert allowed_levels(kind=SignerKind.EXTERNAL, has_mobile=True, has_active_qcp=False) == [L1, L2, L3]
    assert allowed_levels(kind=SignerKind.EXTERNAL, has_mobile=False, has_active_qcp=False) == [L1]


def test_the_same_person_cannot_sign_twice():
    c = draft()
    add_external(c, 2)
    with pytest.raises(DuplicateSigner):
        c.add_signer(by=PREPARER, signer_id="again", kind=SignerKind.EXTERNAL,
                     identity=identity(3, email="PERSON2@Example.org"), level=L1, now=T0)


def test_the_same_member_cannot_sign_twice_even_under_another_email():
    c = draft()
    signing = member(2, Delegation.SIGN)
    c.add_signer(by=PREPARER, signer_id="a", kind=SignerKind.MEMBER, identity=identity(2), level=L1, now=T0,
                 member=signing)
    with pytest.raises(DuplicateSigner):
        c.add_signer(by=PREPARER, signer_id="b", kind=SignerKind.MEMBER, identity=identity(4), level=L1, now=T0,
                     member=signing)


def test_removing_a_signer_removes_their_fields():
    c = ready(2)
    c.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-2",
                  placement=FieldPlacement(page=1, x=100, y=100, width=150, height=50))
    c.remove_signer(by=PREPARER, signer_id="sig-2", now=T0)
    assert [s.id for s in c.signers] == ["sig-3"]
    assert "sig-2" not in c.document("doc-1").fields


def test_reordering_a_draft_puts_the_first_row_first():
    c = ready(3)
    c.reorder(by=PREPARER, signer_ids=["sig-4", "sig-2", "sig-3"], now=T0)
    assert [s.id for s in c.signers] == ["sig-4", "sig-2", "sig-3"]


@pytest.mark.parametrize("order", [["sig-2", "sig-3"], ["sig-2", "sig-3", "sig-3"], ["sig-2", "sig-3", "x"],
                                   ["sig-2", "sig-3", "sig-4", "sig-2"]])
def test_a_new_order_lists_every_signer_exactly_once(order):
    c = ready(3)
    with pytest.raises(InvalidOrder):
        c.reorder(by=PREPARER, signer_ids=order, now=T0)


def test_observers_are_listed_once():
    c = draft()
    c.add_observer(by=PREPARER, observer_id="o1", identity=identity(5), now=T0)
    with pytest.raises(DuplicateObserver):
        c.add_observer(by=PREPARER, observer_id="o2", identity=identity(5), now=T0)
    c.remove_observer(by=PREPARER, observer_id="o1", now=T0)
    assert c.observers == []


# -- documents and placements ---------------------------------------------------------------------


def test_default_fields_take_the_blank_room_found_on_upload_in_its_order():
    slots = (FieldPlacement(page=2, x=36, y=36, width=180, height=60),
             FieldPlacement(page=2, x=228, y=36, width=180, height=60),
             FieldPlacement(page=1, x=36, y=300, width=180, height=60))
    doc = attrs.evolve(document(), free_slots=slots)
    assert [doc.default_placement(i) for i in range(3)] == list(slots)


def test_past_the_blank_room_fields_are_stacked_without_covering_a_blank_room_box():
    slots = (FieldPlacement(page=2, x=36, y=36, width=180, height=60),)
    doc = attrs.evolve(document(), free_slots=slots)
    extra = [doc.default_placement(i) for i in range(1, 8)]
    assert all(p.fits(PageSize(595, 842)) and p.page == 2 for p in extra)
    assert not any(p.overlaps(slots[0]) for p in extra)
    assert len({(p.x, p.y) for p in extra}) == len(extra)


def test_a_document_lacks_room_when_a_signer_past_its_blank_room_has_no_box_of_their_own():
    c = ready(3)
    doc = c.document("doc-1")
    doc.free_slots = (FieldPlacement(page=2, x=36, y=36, width=180, height=60),
                      FieldPlacement(page=2, x=228, y=36, width=180, height=60))
    assert c.documents_lacking_room() == [doc]
    c.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-4",
                  placement=FieldPlacement(page=1, x=36, y=500, width=180, height=60))
    assert c.documents_lacking_room() == [], "the third signer was placed by hand: the room is enough"
    c.remove_signer(by=PREPARER, signer_id="sig-4", now=T0)
    assert c.documents_lacking_room() == []


def test_a_signature_page_takes_every_default_box_and_keeps_the_ones_placed_by_hand():
    c = ready(4)
    doc = c.document("doc-1")
    original = doc.sha256
    doc.free_slots = (FieldPlacement(page=2, x=36, y=36, width=180, height=60),
                      FieldPlacement(page=2, x=228, y=36, width=180, height=60))
    chosen = FieldPlacement(page=1, x=36, y=500, width=180, height=60)
    c.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-5", placement=chosen)
    extended = DocumentRef(sha256="e" * 64, size=2000)
    c.add_signature_page(by=PREPARER, document_id="doc-1", base_sha256=original, ref=extended,
                         size=PageSize(595, 842), now=T0)

    assert doc.sha256 == "e" * 64 and doc.uploaded_sha256 == original and doc.page_count == 3
    defaults = [c.placement("doc-1", f"sig-{n}") for n in (2, 3, 4)]
    assert {p.page for p in defaults} == {3}, "all the default boxes together on the signature page"
    assert len({(p.x, p.y) for p in defaults}) == 3
    assert c.placement("doc-1", "sig-5") == chosen
    assert c.documents_lacking_room() == []
    event = c.timeline[-1]
    assert event.kind is EventKind.SIGNATURE_PAGE_ADDED
    assert dict(event.detail) == {"name": "lettre-1.pdf", "sha256": "e" * 64, "uploaded_sha256": original}


def test_a_signature_page_is_added_only_to_the_file_it_was_made_from_and_only_once():
    c = ready(3)
    extended = DocumentRef(sha256="e" * 64, size=2000)
    with pytest.raises(DocumentVersionConflict):
        c.add_signature_page(by=PREPARER, document_id="doc-1", base_sha256="f" * 64, ref=extended,
                             size=PageSize(595, 842), now=T0)
    c.add_signature_page(by=PREPARER, document_id="doc-1", base_sha256=c.document("doc-1").sha256, ref=extended,
                         size=PageSize(595, 842), now=T0)
    with pytest.raises(DocumentVersionConflict):
        c.add_signature_page(by=PREPARER, document_id="doc-1", base_sha256="e" * 64,
                             ref=DocumentRef(sha256="d" * 64, size=3000), size=PageSize(595, 842), now=T0)


def test_default_fields_are_stacked_at_the_bottom_of_the_last_page():
    c = ready(3)
    doc = c.document("doc-1")
    places = [c.placement("doc-1", s.id) for s in c.signers]
    assert {p.page for p in places} == {doc.page_count}
    assert places[0].y < places[1].y < places[2].y
    assert all(p.fits(PageSize(595, 842)) for p in places)
    assert places[0].y + places[0].height <= places[1].y


def test_default_fields_start_a_new_column_when_the_page_is_full():
    c = ready(1)
    doc = c.document("doc-1")
    slots = [doc.default_placement(i) for i in range(20)]
    assert all(s.fits(PageSize(595, 842)) for s in slots)
    assert len({(s.x, s.y) for s in slots}) == 20


def test_a_field_is_placed_where_the_preparer_clicks():
    c = ready(2)
    chosen = FieldPlacement(page=1, x=300, y=400, width=150, height=50)
    c.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-3", placement=chosen)
    assert c.placement("doc-1", "sig-3") == chosen


@pytest.mark.parametrize("placement", [
    FieldPlacement(page=3, x=10, y=10, width=100, height=40),  # no such page
    FieldPlacement(page=0, x=10, y=10, width=100, height=40),
    FieldPlacement(page=1, x=500, y=10, width=100, height=40),  # past the right edge
    FieldPlacement(page=1, x=-1, y=10, width=100, height=40),
    FieldPlacement(page=1, x=10, y=10, width=5, height=40),  # too small to sign in
])
def test_a_field_off_the_page_is_refused(placement):
    c = ready(1)
    with pytest.raises(FieldOutOfPage):
        c.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-2", placement=placement)


def test_a_field_for_an_unknown_signer_or_document_is_refused():
    c = ready(1)
    placement = FieldPlacement(page=1, x=10, y=10, width=100, height=40)
    with pytest.raises(NotFound):
        c.place_field(by=PREPARER, document_id="doc-1", signer_id="nobody", placement=placement)
    with pytest.raises(NotFound):
        c.place_field(by=PREPARER, document_id="doc-9", signer_id="sig-2", placement=placement)


def test_a_sent_collection_is_no_longer_editable():
    c = ready(1)
    c.send(by=PREPARER, now=T0, new_token=Tokens())
    for change in (
        lambda: c.add_document(by=PREPARER, document=document(2), now=T0),
        lambda: add_external(c, 9),
        lambda: c.remove_signer(by=PREPARER, signer_id="sig-2", now=T0),
        lambda: c.set_level(by=PREPARER, signer_id="sig-2", level=L2, now=T0),
        lambda: c.update_info(by=PREPARER, title="autre", message="", now=T0),
        lambda: c.set_options(by=PREPARER, now=T0, mode=InvitationMode.PARALLEL),
        lambda: c.place_field(by=PREPARER, document_id="doc-1", signer_id="sig-2",
                              placement=FieldPlacement(page=1, x=10, y=10, width=100, height=40)),
    ):
        with pytest.raises(CollectionNotEditable):
            change()
