"""The LCP registration state machine: every move allowed, every move refused, and the rules
of starting; plus the certificate record's rules (status with time, who revokes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.model.cabinet import Delegation, Member, Role
from domain.model.certificates import Certificate, CertificateFormat, CertificateState, der_to_pem
from domain.model.errors import (
    CertificateExpired,
    CertificateRevoked,
    DomainError,
    IdentityChanged,
    InvalidValue,
    LcpAlreadyActive,
    MissingDelegation,
    NotCertificateHolder,
    NotFound,
    RegistrationClosed,
    RegistrationInProgress,
    RegistrationMobileRequired,
    RegistrationWrongStep,
)
from domain.model.lcp_registration import (
    ACTIVE_STATES,
    FINAL_STATES,
    TRANSITIONS,
    LcpRegistration,
    RegistrationAction,
    RegistrationState,
    TermsConsent,
)
from domain.model.person import Person
from domain.model.pki import CertificatePolicy, RevocationReason
from domain.model.values import Email, Mobile, PersonName

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
S = RegistrationState
A = RegistrationAction


def a_person(*, mobile: str | None = "06 24 00 00 13") -> Person:
    return Person.register(id="per-1", name=PersonName("Jessica", "Poussart"), email=Email("jessica@poussart.fr"),
                           mobile=Mobile(mobile) if mobile else None, now=T0)


def a_member(*delegations: Delegation, cabinet_id: str = "cab-1", person_id: str = "per-1") -> Member:
    return Member(id="mem-1", cabinet_id=cabinet_id, person_id=person_id, role=Role.COLLABORATOR,
                  delegations=frozenset(delegations), joined_at=T0)


def started(**changes: object) -> LcpRegistration:
    arguments: dict[str, object] = {"id": "reg-1", "person": a_person(), "cabinet_id": "cab-1",
                                    "member": a_member(Delegation.SIGN), "active_registration": None,
                                    "has_active_lcp": False, "now": T0}
    arguments.update(changes)
    return LcpRegistration.start(**arguments)  # type: ignore[arg-type]


def do(registration: LcpRegistration, action: RegistrationAction, now: datetime) -> None:
    """Take ``action`` the way the services do."""
    if action in (A.SEND_EMAIL_CODE, A.SEND_SMS_CODE):
        registration.require(action)
    elif action is A.VERIFY_EMAIL:
        registration.verify_email(now)
    elif action is A.VERIFY_MOBILE:
        registration.verify_mobile(now)
    elif action is A.CONFIRM_IDENTITY:
        registration.confirm_identity(name=PersonName("Jessica Marie", "Poussart"), email=registration.email,
                                      mobile=registration.mobile, now=now)
    elif action is A.START_IDENTITY_CHECK:
        registration.begin_identity_check("session-1", now)
    elif action is A.ACCEPT_TERMS:
        registration.accept_terms(version="cgu-2026-11", now=now)
    elif action is A.ISSUE:
        registration.mark_issued(certificate_id="cert-1", now=now)
    elif action is A.CANCEL:
        registration.cancel(now)


PATH = [A.VERIFY_EMAIL, A.VERIFY_MOBILE, A.CONFIRM_IDENTITY, A.ACCEPT_TERMS, A.ISSUE]


def in_state(state: RegistrationState) -> LcpRegistration:
    registration = started()
    if state is S.CANCELLED:
        registration.cancel(T0 + timedelta(minutes=1))
        return registration
    for minute, action in enumerate(PATH, start=1):
        if registration.state is state:
            break
        do(registration, action, T0 + timedelta(minutes=minute))
    assert registration.state is state
    return registration


ALLOWED = {(state, action) for action, (sources, _target) in TRANSITIONS.items() for state in sources}
EVERY_PAIR = [(state, action) for state in S for action in A]


# Starting --------------------------------------------------------------------------------


def test_a_member_holding_sign_starts_with_their_email_and_mobile() -> None:
    registration = started()
    assert registration.state is S.STARTED and registration.is_active
    assert (registration.person_id, registration.cabinet_id) == ("per-1", "cab-1")
    assert (registration.email, registration.mobile) == (Email("jessica@poussart.fr"), Mobile("+33624000013"))
    assert registration.started_at == T0 and registration.next_action is A.VERIFY_EMAIL
    assert [step.kind for step in registration.history] == ["started"]


def test_a_member_without_sign_cannot_start() -> None:
    with pytest.raises(MissingDelegation) as refused:
        started(member=a_member(Delegation.PREPARE, Delegation.SEAL))
    assert refused.value.code == "member.missing_delegation"


def test_a_non_member_cannot_start_and_learns_nothing_of_the_cabinet() -> None:
    with pytest.raises(NotFound):
        started(member=None)
    with pytest.raises(NotFound):
        started(member=a_member(Delegation.SIGN, cabinet_id="cab-2"))


def test_someone_elses_membership_does_not_let_a_person_start() -> None:
    with pytest.raises(InvalidValue):
        started(member=a_member(Delegation.SIGN, person_id="per-2"))


def test_a_person_without_a_mobile_is_asked_to_add_one() -> None:
    with pytest.raises(RegistrationMobileRequired) as refused:
        started(person=a_person(mobile=None))
    assert refused.value.code == "lcp_registration.mobile_required"
    assert refused.value.params["field"] == "mobile"


def test_a_person_with_an_active_lcp_for_the_cabinet_cannot_register_again() -> None:
    with pytest.raises(LcpAlreadyActive) as refused:
        started(has_active_lcp=True)
    assert refused.value.code == "lcp_registration.already_certified"


def test_only_one_registration_is_under_way_per_person_and_cabinet() -> None:
    with pytest.raises(RegistrationInProgress) as refused:
        started(id="reg-2", active_registration=in_state(S.EMAIL_VERIFIED))
    assert refused.value.code == "lcp_registration.in_progress"
    assert refused.value.registration_id == "reg-1"


@pytest.mark.parametrize("final", sorted(FINAL_STATES, key=lambda s: s.value))
def test_an_ended_registration_does_not_prevent_a_new_one(final: RegistrationState) -> None:
    assert started(id="reg-2", active_registration=in_state(final)).state is S.STARTED


def test_a_start_time_without_timezone_is_refused() -> None:
    with pytest.raises(ValueError):
        started(now=datetime(2026, 11, 28, 9, 0))


# Every transition ------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "action"), sorted(ALLOWED, key=lambda p: (p[0].value, p[1].value)))
def test_an_allowed_move_leads_to_its_state(state: RegistrationState, action: RegistrationAction) -> None:
    registration = in_state(state)
    now = T0 + timedelta(hours=1)
    do(registration, action, now)
    target = TRANSITIONS[action][1]
    assert registration.state is (target or state)
    if target is not None:
        assert registration.updated_at == now
        assert registration.history[-1].kind == action.value and registration.history[-1].at == now


@pytest.mark.parametrize(("state", "action"),
                         [pair for pair in EVERY_PAIR if pair not in ALLOWED],
                         ids=lambda v: v.value)
def test_a_refused_move_raises_a_typed_error_and_changes_nothing(state: RegistrationState,
                                                                 action: RegistrationAction) -> None:
    registration = in_state(state)
    history = list(registration.history)
    with pytest.raises(RegistrationWrongStep) as refused:
        do(registration, action, T0 + timedelta(hours=1))
    error = refused.value
    expected = RegistrationClosed if state in FINAL_STATES else RegistrationWrongStep
    assert type(error) is expected
    assert error.code == ("lcp_registration.closed" if state in FINAL_STATES else "lcp_registration.wrong_step")
    assert (error.state, error.action) == (state.value, action.value)
    assert isinstance(error, DomainError)
    assert registration.state is state and registration.history == history


def test_the_machine_table_covers_every_state_and_ends_only_in_final_states() -> None:
    reachable = {S.STARTED} | {target for _sources, target in TRANSITIONS.values() if target}
    assert reachable == set(S)
    for state in FINAL_STATES:
        assert not any(registration_allows(state, action) for action in A)
    for state in ACTIVE_STATES:
        assert registration_allows(state, A.CANCEL)


def registration_allows(state: RegistrationState, action: RegistrationAction) -> bool:
    return (state, action) in ALLOWED


def test_the_full_path_records_each_step_with_its_time() -> None:
    registration = in_state(S.ISSUED)
    assert registration.email_verified_at == T0 + timedelta(minutes=1)
    assert registration.mobile_verified_at == T0 + timedelta(minutes=2)
    assert registration.identity_confirmed_at == T0 + timedelta(minutes=3)
    assert registration.consent == TermsConsent(version="cgu-2026-11", accepted_at=T0 + timedelta(minutes=4))
    assert (registration.issued_at, registration.certificate_id) == (T0 + timedelta(minutes=5), "cert-1")
    assert registration.name == PersonName("Jessica Marie", "Poussart")
    assert not registration.is_active and registration.next_action is None
    assert [s.kind for s in registration.history] == ["started", *(a.value for a in PATH)]


def test_a_cancellation_is_dated_and_ends_the_registration() -> None:
    registration = in_state(S.MOBILE_VERIFIED)
    registration.cancel(T0 + timedelta(hours=2), reason="by_person")
    assert (registration.state, registration.cancelled_at) == (S.CANCELLED, T0 + timedelta(hours=2))
    assert registration.history[-1].detail_dict() == {"reason": "by_person"}


# Rules inside the steps ------------------------------------------------------------------


def test_identity_cannot_be_confirmed_with_another_mobile_than_the_verified_one() -> None:
    registration = in_state(S.MOBILE_VERIFIED)
    with pytest.raises(IdentityChanged) as refused:
        registration.confirm_identity(name=registration.name, email=registration.email,
                                      mobile=Mobile("07 11 22 33 44"), now=T0 + timedelta(hours=1))
    assert refused.value.code == "lcp_registration.identity_changed"
    assert registration.state is S.MOBILE_VERIFIED


def test_identity_cannot_be_confirmed_with_another_email_or_without_mobile() -> None:
    registration = in_state(S.MOBILE_VERIFIED)
    with pytest.raises(IdentityChanged):
        registration.confirm_identity(name=registration.name, email=Email("other@poussart.fr"),
                                      mobile=registration.mobile, now=T0 + timedelta(hours=1))
    with pytest.raises(IdentityChanged):
        registration.confirm_identity(name=registration.name, email=registration.email, mobile=None,
                                      now=T0 + timedelta(hours=1))
    assert registration.state is S.MOBILE_VERIFIED


@pytest.mark.parametrize("version", ["", "   ", "x" * 65])
def test_a_consent_names_the_version_of_the_terms(version: str) -> None:
    registration = in_state(S.IDENTITY_CONFIRMED)
    with pytest.raises(InvalidValue):
        registration.accept_terms(version=version, now=T0 + timedelta(hours=1))
    assert registration.state is S.IDENTITY_CONFIRMED and registration.consent is None


def test_issuance_names_the_certificate() -> None:
    registration = in_state(S.TERMS_ACCEPTED)
    with pytest.raises(InvalidValue):
        registration.mark_issued(certificate_id="", now=T0 + timedelta(hours=1))
    assert registration.state is S.TERMS_ACCEPTED


# Certificate records -----------------------------------------------------------------------

DER = b"\x30\x82" + bytes(range(200))


def a_certificate(**changes: object) -> Certificate:
    values: dict[str, object] = {
        "id": "cert-1", "person_id": "per-1", "cabinet_id": "cab-1", "policy": CertificatePolicy.LCP,
        "serial": "7f3a", "issuer": "lcp", "subject": "CN=Jessica POUSSART", "not_before": T0,
        "not_after": T0 + timedelta(days=3 * 365), "key_id": "key-1", "der": DER, "issued_at": T0}
    values.update(changes)
    return Certificate(**values)  # type: ignore[arg-type]


def test_a_certificate_is_active_until_its_end_then_expired() -> None:
    certificate = a_certificate()
    assert certificate.status(T0) is CertificateState.ACTIVE
    assert certificate.status(certificate.not_after - timedelta(seconds=1)) is CertificateState.ACTIVE
    assert certificate.status(certificate.not_after) is CertificateState.EXPIRED


def test_the_holder_revokes_and_revoked_stays_revoked() -> None:
    certificate = a_certificate()
    certificate.revoke(by_person_id="per-1", reason=RevocationReason.KEY_COMPROMISE, now=T0 + timedelta(days=1))
    assert certificate.status(T0 + timedelta(days=2)) is CertificateState.REVOKED
    assert certificate.status(certificate.not_after + timedelta(days=1)) is CertificateState.REVOKED
    with pytest.raises(CertificateRevoked):
        certificate.revoke(by_person_id="per-1", reason=RevocationReason.UNSPECIFIED, now=T0 + timedelta(days=3))
    assert (certificate.revoked_at, certificate.revocation_reason, certificate.revoked_by) == (
        T0 + timedelta(days=1), RevocationReason.KEY_COMPROMISE, "per-1")


def test_someone_else_cannot_revoke_but_an_administrator_can() -> None:
    certificate = a_certificate()
    with pytest.raises(NotCertificateHolder) as refused:
        certificate.revoke(by_person_id="per-2", reason=RevocationReason.UNSPECIFIED, now=T0)
    assert refused.value.code == "certificate.not_holder" and certificate.revoked_at is None
    certificate.revoke(by_person_id="admin-1", reason=RevocationReason.AFFILIATION_CHANGED, now=T0,
                       as_administrator=True)
    assert certificate.revoked_by == "admin-1"


def test_an_expired_certificate_cannot_be_revoked() -> None:
    certificate = a_certificate()
    with pytest.raises(CertificateExpired):
        certificate.revoke(by_person_id="per-1", reason=RevocationReason.UNSPECIFIED, now=certificate.not_after)
    assert certificate.revoked_at is None


def test_a_certificate_exports_as_der_or_pem_and_nothing_else() -> None:
    certificate = a_certificate()
    assert certificate.export("der") == DER
    pem = certificate.export(CertificateFormat.PEM)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----\n") and pem.endswith(b"-----END CERTIFICATE-----\n")
    assert all(len(line) <= 64 for line in pem.splitlines())
    assert pem == der_to_pem(DER)
    with pytest.raises(InvalidValue):
        certificate.export("p12")


# The optional identity check ---------------------------------------------------------------


def test_an_identity_check_is_kept_in_the_history_and_leaves_the_state_as_it_is() -> None:
    registration = in_state(S.IDENTITY_CONFIRMED)
    now = T0 + timedelta(hours=1)
    assert registration.identity_session_ref is None
    registration.begin_identity_check("session-1", now)
    assert registration.state is S.IDENTITY_CONFIRMED and registration.identity_session_ref == "session-1"
    registration.begin_identity_check("session-2", now)  # a new attempt replaces the previous one
    assert registration.identity_session_ref == "session-2"

    assert not registration.record_identity_decision("session-1", outcome="passed", reason=None, now=now)
    assert registration.record_identity_decision("session-2", outcome="rejected", reason="document_expired", now=now)
    assert not registration.record_identity_decision("session-2", outcome="rejected", reason="x", now=now)
    assert registration.identity_decision("session-2") == {"session_ref": "session-2", "outcome": "rejected",
                                                           "reason": "document_expired"}


@pytest.mark.parametrize("state", sorted(set(S) - {S.IDENTITY_CONFIRMED}, key=lambda s: s.value))
def test_an_identity_check_outside_its_step_is_refused(state: RegistrationState) -> None:
    registration = in_state(state)
    with pytest.raises(RegistrationWrongStep):
        registration.begin_identity_check("session-1", T0 + timedelta(hours=1))
    assert registration.identity_session_ref is None
