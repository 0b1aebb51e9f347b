"""The seal certificate request as a state machine: pure, no ports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.model.cabinet import Delegation, Member, Role
from domain.model.errors import InvalidValue, NotOwner
from domain.model.pki import CertificatePolicy
from domain.model.seals import (
    NoSealCertificate,
    SealCertificate,
    SealCertificateRequest,
    SealDelegationMissing,
    SealProfile,
    SealRequestNotFound,
    SealRequestState,
    SealRequestStateRefused,
    current_seal_certificate,
)

NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
OWNER = Member(id="m-owner", cabinet_id="c1", person_id="p-owner", role=Role.OWNER, delegations=frozenset(Delegation))
SEALER = Member(id="m-sealer", cabinet_id="c1", person_id="p-sealer", role=Role.COLLABORATOR,
                delegations=frozenset({Delegation.SEAL}))
PREPARER = Member(id="m-prep", cabinet_id="c1", person_id="p-prep", role=Role.COLLABORATOR,
                  delegations=frozenset({Delegation.PREPARE}))
OTHER_OWNER = Member(id="m-x", cabinet_id="c2", person_id="p-x", role=Role.OWNER, delegations=frozenset(Delegation))


def certificate(not_after: datetime = NOW + timedelta(days=1000), serial: str = "0a") -> SealCertificate:
    return SealCertificate(serial=serial, issuer="qcp", subject="CN=Cabinet", not_before=NOW, not_after=not_after,
                           key_id="k1", der=b"\x30")


def pending(profile: SealProfile = SealProfile.QUALIFIED) -> SealCertificateRequest:
    return SealCertificateRequest.make(id="r1", member=SEALER, profile=profile, now=NOW)


def test_the_profiles_name_their_policies():
    assert SealProfile.ADVANCED.policy is CertificatePolicy.LCP
    assert SealProfile.QUALIFIED.policy is CertificatePolicy.QCP_L
    assert SealProfile.parse(" Qualified ") is SealProfile.QUALIFIED
    with pytest.raises(InvalidValue) as refused:
        SealProfile.parse("gold")
    assert refused.value.code == "value.invalid"


def test_only_a_member_who_may_seal_requests_the_seal_certificate():
    with pytest.raises(SealDelegationMissing) as refused:
        SealCertificateRequest.make(id="r1", member=PREPARER, profile=SealProfile.ADVANCED, now=NOW)
    assert refused.value.code == "seal.delegation_missing"
    assert pending().state is SealRequestState.PENDING


def test_the_owner_approves_and_the_request_carries_the_certificate():
    issued = pending().approve(by=OWNER, now=NOW, certificate=certificate())
    assert (issued.state, issued.decided_by, issued.certificate.serial) == (SealRequestState.ISSUED, "p-owner", "0a")
    assert issued.usable_at(NOW + timedelta(days=1))


def test_a_collaborator_cannot_approve_nor_reject():
    with pytest.raises(NotOwner):
        pending().approve(by=SEALER, now=NOW, certificate=certificate())
    with pytest.raises(NotOwner):
        pending().reject(by=SEALER, now=NOW)


def test_another_cabinets_owner_does_not_even_find_the_request():
    with pytest.raises(SealRequestNotFound):
        pending().check_approvable(by=OTHER_OWNER)


def test_decided_requests_refuse_a_second_decision_with_a_stable_code():
    rejected = pending().reject(by=OWNER, now=NOW, reason="  pas  maintenant ")
    assert rejected.reason == "pas maintenant"
    with pytest.raises(SealRequestStateRefused) as refused:
        rejected.approve(by=OWNER, now=NOW, certificate=certificate())
    assert refused.value.code == "seal_request.state"
    assert refused.value.params == {"state": "rejected", "action": "approve"}


def test_the_requester_may_withdraw_but_another_collaborator_may_not():
    assert pending().cancel(by=SEALER, now=NOW).state is SealRequestState.CANCELLED
    other = Member(id="m-2", cabinet_id="c1", person_id="p-2", role=Role.COLLABORATOR,
                   delegations=frozenset({Delegation.SEAL}))
    with pytest.raises(NotOwner):
        pending().cancel(by=other, now=NOW)


def test_a_revoked_or_expired_certificate_is_not_the_current_one():
    old = pending().approve(by=OWNER, now=NOW, certificate=certificate(serial="01"))
    newer = SealCertificateRequest.make(id="r2", member=SEALER, profile=SealProfile.ADVANCED,
                                        now=NOW + timedelta(hours=1)).approve(
        by=OWNER, now=NOW + timedelta(hours=1), certificate=certificate(serial="02"))
    assert current_seal_certificate([old, newer], NOW + timedelta(days=2)).id == "r2"
    revoked = newer.revoke(by=OWNER, now=NOW + timedelta(days=3))
    assert current_seal_certificate([old, revoked], NOW + timedelta(days=4)).id == "r1"
    with pytest.raises(NoSealCertificate) as refused:
        current_seal_certificate([old, revoked], NOW + timedelta(days=2000))
    assert refused.value.code == "seal.no_certificate"


def test_the_stamp_goes_in_the_blank_room_found_by_default_and_bottom_right_without_any():
    from domain.model.document import PageSize
    from domain.model.seals import SealStamp, StampCorner

    a4 = [PageSize(595, 842)] * 2
    stamp = SealStamp.parse()
    assert stamp.corner is StampCorner.BLANK_ROOM and stamp.page_index(a4) == 1
    assert stamp.place(a4, (300.0, 400.0)) == (1, 300.0, 400.0, 200.0, 60.0)
    assert stamp.place(a4) == (1, 595 - 36 - 200.0, 36.0, 200.0, 60.0)
    # A corner chosen is kept whatever room the page has.
    assert SealStamp.parse("first", "top_left").place(a4, (300.0, 400.0)) == (0, 36.0, 842 - 36 - 60.0, 200.0, 60.0)
