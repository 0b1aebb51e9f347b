"""The QCP enrollment state machine: every action from every state, allowed or refused,
and the data rules of each step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.model.errors import (
    CaptureLinkUnusable,
    ConsentMissing,
    IdentityAttemptsExhausted,
    IdentitySessionMismatch,
    LcpDataMismatch,
    NoActiveLcpCertificate,
    OfficerValidationMissing,
    PrerequisitesNotConfirmed,
    QcpEnrollmentExpired,
    QcpEnrollmentNotDue,
    QcpTransitionRefused,
    RequestDocumentChanged,
)
from domain.model.identity import DocumentType, ExtractedIdentity, IdentityCheckResult
from domain.model.qcp_enrollment import (
    ALLOWED_FROM,
    MAX_IDENTITY_ATTEMPTS,
    CaptureLink,
    ConsentKind,
    LcpHolding,
    NextStep,
    QcpEnrollment,
    QcpState,
)
from domain.model.values import Email, Mobile, PersonName

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
DIGEST = "a" * 64
SIGNED = "b" * 64


def lcp(**changes) -> LcpHolding:
    values = dict(certificate_serial="0a1b", key_id="key-1", person_id="p1", cabinet_id="c1",
                  cabinet_name="Cabinet Poussart", siren="732829320", name=PersonName("Jessica", "Poussart"),
                  email=Email("jessica@poussart.fr"), mobile=Mobile("06 24 00 00 13"))
    values.update(changes)
    return LcpHolding(**values)


def new(holding: LcpHolding | None = None, **person) -> QcpEnrollment:
    holding = holding or lcp()
    values = dict(name=PersonName("Jessica", "Poussart"), email=Email("jessica@poussart.fr"),
                  mobile=Mobile("+33624000013"))
    values.update(person)
    return QcpEnrollment.start(id="e1", lcp=holding, person_id="p1", cabinet_id="c1", now=T0, **values)


def read(name=("JESSICA", "POUSSART"), birth=date(1988, 3, 14)) -> ExtractedIdentity:
    return ExtractedIdentity(name=PersonName(*name), birth_date=birth, document_type=DocumentType.ID_CARD,
                             document_number="X4RTBPFW4")


def approved(session_ref: str, extracted: ExtractedIdentity | None = None) -> IdentityCheckResult:
    return IdentityCheckResult.approve(session_ref=session_ref, extracted=extracted or read(), decided_at=T0,
                                       evidence_ref=f"ev:{session_ref}")


def rejected(session_ref: str, reason: str = "document_expired") -> IdentityCheckResult:
    return IdentityCheckResult.reject(session_ref=session_ref, reason=reason, decided_at=T0,
                                      evidence_ref=f"ev:{session_ref}")


def reach(state: QcpState) -> QcpEnrollment:
    """An enrollment brought to ``state`` through the legal path."""
    e = new()
    path = [
        (QcpState.EMAIL_VERIFIED, lambda: e.verify_email(T0)),
        (QcpState.IDENTITY_CONFIRMED, lambda: e.confirm_identity(T0)),
        (QcpState.PREREQUISITES_CONFIRMED, lambda: e.confirm_prerequisites(
            has_valid_id_document=True, mobile_is_theirs=True, now=T0)),
        (QcpState.CONSENTED, lambda: e.consent(id_data_and_terms=True, privacy_policy=True, terms_version="cgu-1",
                                               privacy_version="ppdp-1", now=T0)),
        (QcpState.IDENTITY_CHECK_IN_PROGRESS, lambda: e.begin_identity_check("s1", T0)),
        (QcpState.SUBMITTED, lambda: e.identity_check_submitted(T0)),
    ]
    if state is QcpState.STARTED:
        return e
    for reached, step in path:
        step()
        if reached is state:
            return e
    if state is QcpState.REJECTED:
        e.record_identity_result(rejected("s1"), T0)
        return e
    if state is QcpState.MANUAL_REVIEW:
        e.record_identity_result(approved("s1", read(name=("JESSICA", "DUPONT"))), T0)
        e.validate_identity(confirmed=True, now=T0)
        return e
    e.record_identity_result(approved("s1"), T0)
    if state is QcpState.APPROVED:
        return e
    e.validate_identity(confirmed=True, now=T0)
    if state is QcpState.IDENTITY_VALIDATED:
        return e
    if state is QcpState.CANCELLED:
        e.cancel(T0)
        return e
    if state is QcpState.EXPIRED:
        e.expire(e.expires_at)
        return e
    e.accept_request(document_digest=DIGEST, now=T0)
    if state is QcpState.REQUEST_ACCEPTED:
        return e
    e.sign_request(document_digest=DIGEST, signed_ref="doc-1", signed_digest=SIGNED, now=T0)
    if state is QcpState.REQUEST_SIGNED:
        return e
    e.await_officer(T0)
    if state is QcpState.PENDING_OFFICER_VALIDATION:
        return e
    e.officer_validate(officer_id="o1", now=T0)
    e.issue("serial-1", T0)
    assert state is QcpState.ISSUED
    return e


def test_reach_builds_every_state():
    for state in QcpState:
        assert reach(state).state is state


# action -> (call with valid arguments, expected state after)
ACTIONS = {
    "verify_email": (lambda e: e.verify_email(T0), QcpState.EMAIL_VERIFIED),
    "confirm_identity": (lambda e: e.confirm_identity(T0), QcpState.IDENTITY_CONFIRMED),
    "confirm_prerequisites": (lambda e: e.confirm_prerequisites(has_valid_id_document=True, mobile_is_theirs=True,
                                                                 now=T0), QcpState.PREREQUISITES_CONFIRMED),
    "consent": (lambda e: e.consent(id_data_and_terms=True, privacy_policy=True, terms_version="cgu-2",
                                    privacy_version="ppdp-2", now=T0), QcpState.CONSENTED),
    "begin_identity_check": (lambda e: e.begin_identity_check("s-new", T0), QcpState.IDENTITY_CHECK_IN_PROGRESS),
    "identity_check_submitted": (lambda e: e.identity_check_submitted(T0), QcpState.SUBMITTED),
    "record_identity_result": (lambda e: e.record_identity_result(approved(e.current_session_ref or "s-none"), T0)
                               if e.current_session_ref and not e.has_result_for(e.current_session_ref)
                               else e.record_identity_result(approved("s-other"), T0), QcpState.APPROVED),
    "validate_identity": (lambda e: e.validate_identity(confirmed=True, now=T0), QcpState.IDENTITY_VALIDATED),
    "resolve_review": (lambda e: e.resolve_review(officer_id="o1", approved=True, identity=read(), now=T0),
                       QcpState.IDENTITY_VALIDATED),
    "accept_request": (lambda e: e.accept_request(document_digest=DIGEST, now=T0), QcpState.REQUEST_ACCEPTED),
    "sign_request": (lambda e: e.sign_request(document_digest=DIGEST, signed_ref="d", signed_digest=SIGNED, now=T0),
                     QcpState.REQUEST_SIGNED),
    "await_officer": (lambda e: e.await_officer(T0), QcpState.PENDING_OFFICER_VALIDATION),
    "officer_validate": (lambda e: e.officer_validate(officer_id="o1", now=T0), QcpState.PENDING_OFFICER_VALIDATION),
    "issue": (lambda e: (e.officer_validate(officer_id="o1", now=T0)
                         if e.state is QcpState.PENDING_OFFICER_VALIDATION else None, e.issue("serial", T0)),
              QcpState.ISSUED),
    "cancel": (lambda e: e.cancel(T0), QcpState.CANCELLED),
    "expire": (lambda e: e.expire(e.expires_at), QcpState.EXPIRED),
}

CASES = [(state, action) for state in QcpState for action in ACTIONS]


def test_every_action_has_a_rule():
    assert set(ACTIONS) == set(ALLOWED_FROM)


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s.value}-{a}" for s, a in CASES])
def test_each_action_from_each_state(state, action):
    enrollment = reach(state)
    call, expected = ACTIONS[action]
    if state in ALLOWED_FROM[action]:
        call(enrollment)
        assert enrollment.state is expected
        assert enrollment.history[-1].to_state is expected
    else:
        before = len(enrollment.history)
        with pytest.raises(QcpTransitionRefused) as refused:
            call(enrollment)
        assert refused.value.code == "qcp.transition_refused"
        assert refused.value.params == {"state": state.value, "action": action}
        assert enrollment.state is state
        assert len(enrollment.history) == before


def test_terminal_states_refuse_everything():
    for state in (QcpState.ISSUED, QcpState.CANCELLED, QcpState.EXPIRED):
        assert all(state not in allowed for allowed in ALLOWED_FROM.values())


# Start ----------------------------------------------------------------------------------


def test_enrollment_needs_an_active_lcp_of_the_same_person_and_cabinet():
    with pytest.raises(NoActiveLcpCertificate):
        QcpEnrollment.start(id="e", lcp=None, person_id="p1", cabinet_id="c1", name=PersonName("Jessica", "Poussart"),
                            email=Email("jessica@poussart.fr"), mobile=Mobile("0624000013"), now=T0)
    with pytest.raises(NoActiveLcpCertificate):
        new(lcp(cabinet_id="other"))
    with pytest.raises(NoActiveLcpCertificate):
        new(lcp(person_id="someone-else"))


@pytest.mark.parametrize(("change", "field"), [
    ({"name": PersonName("Jessie", "Poussart")}, "name"),
    ({"email": Email("jessica@autre.fr")}, "email"),
    ({"mobile": Mobile("0711111111")}, "mobile"),
    ({"mobile": None}, "mobile"),
])
def test_name_email_and_mobile_must_be_the_lcp_data(change, field):
    with pytest.raises(LcpDataMismatch) as refused:
        new(**change)
    assert refused.value.field == field


def test_the_name_is_compared_ignoring_case_and_accents():
    enrollment = new(lcp(name=PersonName("Jéssica", "Poussart")), name=PersonName("JESSICA", "poussart"))
    assert enrollment.state is QcpState.STARTED
    assert enrollment.next_step is NextStep.SEND_EMAIL_CODE


# Steps' data rules ----------------------------------------------------------------------


@pytest.mark.parametrize(("id_document", "mobile"), [(False, True), (True, False), (False, False)])
def test_both_prerequisites_are_required(id_document, mobile):
    e = reach(QcpState.IDENTITY_CONFIRMED)
    with pytest.raises(PrerequisitesNotConfirmed):
        e.confirm_prerequisites(has_valid_id_document=id_document, mobile_is_theirs=mobile, now=T0)
    assert e.state is QcpState.IDENTITY_CONFIRMED


@pytest.mark.parametrize(("terms", "privacy", "missing"), [(False, True, "id_data_and_terms"),
                                                            (True, False, "privacy_policy")])
def test_both_consents_are_required(terms, privacy, missing):
    e = reach(QcpState.PREREQUISITES_CONFIRMED)
    with pytest.raises(ConsentMissing) as refused:
        e.consent(id_data_and_terms=terms, privacy_policy=privacy, terms_version="v", privacy_version="v", now=T0)
    assert refused.value.consent == missing
    assert e.consents == []


def test_consents_are_stored_with_the_text_version_and_the_time():
    e = reach(QcpState.PREREQUISITES_CONFIRMED)
    later = T0 + timedelta(minutes=3)
    e.consent(id_data_and_terms=True, privacy_policy=True, terms_version="cgu-2026-11", privacy_version="ppdp-3",
              now=later)
    terms = e.consent_of(ConsentKind.ID_DATA_AND_TERMS)
    privacy = e.consent_of(ConsentKind.PRIVACY_POLICY)
    assert (terms.text_version, terms.given_at) == ("cgu-2026-11", later)
    assert (privacy.text_version, privacy.given_at) == ("ppdp-3", later)


def test_three_rejections_end_the_identity_checks():
    e = reach(QcpState.REJECTED)
    assert e.rejection_reason == "document_expired"
    assert e.next_step is NextStep.RETRY_IDENTITY_CHECK
    for attempt in range(2, MAX_IDENTITY_ATTEMPTS + 1):
        e.begin_identity_check(f"s{attempt}", T0)
        e.identity_check_submitted(T0)
        e.record_identity_result(rejected(f"s{attempt}", "face_mismatch"), T0)
    assert e.attempts_left == 0
    assert e.next_step is NextStep.CLOSED
    assert not e.allows("begin_identity_check")
    with pytest.raises(IdentityAttemptsExhausted):
        e.begin_identity_check("s4", T0)
    assert e.rejection_reason == "face_mismatch"


def test_restarting_an_unfinished_capture_does_not_cost_an_attempt():
    e = reach(QcpState.IDENTITY_CHECK_IN_PROGRESS)
    e.begin_identity_check("s1-bis", T0)
    assert [a.session_ref for a in e.attempts] == ["s1-bis"]
    assert e.attempts_left == MAX_IDENTITY_ATTEMPTS


def test_a_result_for_another_session_is_refused():
    e = reach(QcpState.SUBMITTED)
    with pytest.raises(IdentitySessionMismatch):
        e.record_identity_result(approved("someone-elses"), T0)
    assert e.state is QcpState.SUBMITTED


def test_a_result_may_arrive_before_the_capture_says_it_ended():
    e = reach(QcpState.IDENTITY_CHECK_IN_PROGRESS)
    assert e.record_identity_result(approved("s1"), T0)
    assert e.state is QcpState.APPROVED
    assert e.current_attempt.submitted_at == T0


def test_the_same_result_delivered_twice_changes_nothing():
    e = reach(QcpState.SUBMITTED)
    assert e.record_identity_result(approved("s1"), T0) is True
    history = len(e.history)
    assert e.record_identity_result(approved("s1"), T0) is False
    assert len(e.history) == history
    assert e.state is QcpState.APPROVED


def test_extracted_identity_matching_the_lcp_ignoring_case_and_accents_is_validated():
    e = reach(QcpState.SUBMITTED)
    e.record_identity_result(approved("s1", read(name=("JÉSSICA", "POUSSART"))), T0)
    assert e.validate_identity(confirmed=True, now=T0) is True
    assert e.validated_identity.name == PersonName("JÉSSICA", "POUSSART")
    assert e.next_step is NextStep.READ_REQUEST


@pytest.mark.parametrize("extracted", [read(name=("JESSICA", "POUSSARD")), read(name=("JESSICA MARIE", "POUSSART"))])
def test_an_identity_differing_from_the_lcp_goes_to_manual_review(extracted):
    e = reach(QcpState.SUBMITTED)
    e.record_identity_result(approved("s1", extracted), T0)
    assert e.validate_identity(confirmed=True, now=T0) is False
    assert e.state is QcpState.MANUAL_REVIEW
    assert e.review_reason == "extracted_identity_differs_from_lcp"
    assert e.next_step is NextStep.WAIT_FOR_MANUAL_REVIEW


def test_a_birth_date_differing_from_the_declared_one_goes_to_manual_review():
    e = QcpEnrollment.start(id="e", lcp=lcp(birth_date=date(1988, 3, 15)), person_id="p1", cabinet_id="c1",
                            name=PersonName("Jessica", "Poussart"), email=Email("jessica@poussart.fr"),
                            mobile=Mobile("0624000013"), now=T0)
    e.verify_email(T0)
    e.confirm_identity(T0)
    e.confirm_prerequisites(has_valid_id_document=True, mobile_is_theirs=True, now=T0)
    e.consent(id_data_and_terms=True, privacy_policy=True, terms_version="v", privacy_version="v", now=T0)
    e.begin_identity_check("s1", T0)
    e.record_identity_result(approved("s1"), T0)
    assert e.validate_identity(confirmed=True, now=T0) is False


def test_a_person_disputing_the_data_read_goes_to_manual_review():
    e = reach(QcpState.APPROVED)
    assert e.validate_identity(confirmed=False, now=T0) is False
    assert e.review_reason == "person_disputes_extracted_data"


def test_an_officer_rejecting_a_review_ends_the_checks():
    e = reach(QcpState.MANUAL_REVIEW)
    e.resolve_review(officer_id="o1", approved=False, reason="not the same person", now=T0)
    assert e.state is QcpState.REJECTED
    assert e.rejection_reason == "not the same person"
    assert e.attempts_left == 0
    assert e.next_step is NextStep.CLOSED


def test_an_officer_approving_a_review_validates_the_identity_read():
    e = reach(QcpState.MANUAL_REVIEW)
    e.resolve_review(officer_id="o1", approved=True, now=T0)
    assert e.validated_identity.name == PersonName("JESSICA", "DUPONT")
    assert e.state is QcpState.IDENTITY_VALIDATED


def test_the_signed_request_must_be_the_accepted_one():
    e = reach(QcpState.REQUEST_ACCEPTED)
    with pytest.raises(RequestDocumentChanged):
        e.sign_request(document_digest="c" * 64, signed_ref="d", signed_digest=SIGNED, now=T0)
    assert e.state is QcpState.REQUEST_ACCEPTED


def test_issuing_needs_the_officer_validation_first():
    e = reach(QcpState.PENDING_OFFICER_VALIDATION)
    with pytest.raises(OfficerValidationMissing):
        e.issue("serial", T0)
    e.officer_validate(officer_id="o1", now=T0)
    with pytest.raises(QcpTransitionRefused):
        e.officer_validate(officer_id="o2", now=T0)
    e.issue("serial", T0)
    assert (e.certificate_id, e.officer_id, e.next_step) == ("serial", "o1", NextStep.DONE)


def test_an_officer_refusal_closes_the_enrollment_with_its_reason():
    e = reach(QcpState.PENDING_OFFICER_VALIDATION)
    e.officer_validate(officer_id="o1", approved=False, reason="incomplete", now=T0)
    assert e.state is QcpState.CANCELLED
    assert e.closed_reason == "incomplete"


# Deadline ---------------------------------------------------------------------------------


def test_past_the_deadline_every_step_is_refused_as_expired():
    e = reach(QcpState.CONSENTED)
    with pytest.raises(QcpEnrollmentExpired):
        e.begin_identity_check("s1", e.expires_at)
    assert e.state is QcpState.CONSENTED


def test_expiring_before_the_deadline_is_refused():
    e = reach(QcpState.STARTED)
    with pytest.raises(QcpEnrollmentNotDue):
        e.expire(e.expires_at - timedelta(seconds=1))
    e.expire(e.expires_at)
    assert e.next_step is NextStep.CLOSED


def test_cancelling_works_even_past_the_deadline():
    e = reach(QcpState.SUBMITTED)
    e.cancel(e.expires_at + timedelta(days=1))
    assert e.state is QcpState.CANCELLED


# Resuming ---------------------------------------------------------------------------------


def test_next_step_routes_every_state():
    expected = {
        QcpState.STARTED: NextStep.SEND_EMAIL_CODE, QcpState.EMAIL_VERIFIED: NextStep.CONFIRM_IDENTITY,
        QcpState.IDENTITY_CONFIRMED: NextStep.CONFIRM_PREREQUISITES,
        QcpState.PREREQUISITES_CONFIRMED: NextStep.CONSENT, QcpState.CONSENTED: NextStep.START_IDENTITY_CHECK,
        QcpState.IDENTITY_CHECK_IN_PROGRESS: NextStep.CAPTURE, QcpState.SUBMITTED: NextStep.WAIT_FOR_RESULT,
        QcpState.APPROVED: NextStep.VALIDATE_IDENTITY, QcpState.REJECTED: NextStep.RETRY_IDENTITY_CHECK,
        QcpState.MANUAL_REVIEW: NextStep.WAIT_FOR_MANUAL_REVIEW, QcpState.IDENTITY_VALIDATED: NextStep.READ_REQUEST,
        QcpState.REQUEST_ACCEPTED: NextStep.SIGN_REQUEST, QcpState.REQUEST_SIGNED: NextStep.WAIT_FOR_OFFICER,
        QcpState.PENDING_OFFICER_VALIDATION: NextStep.WAIT_FOR_OFFICER, QcpState.ISSUED: NextStep.DONE,
        QcpState.CANCELLED: NextStep.CLOSED, QcpState.EXPIRED: NextStep.CLOSED,
    }
    for state in QcpState:
        assert reach(state).next_step is expected[state], state


# Capture link -----------------------------------------------------------------------------


def test_a_capture_link_works_once_and_for_ten_minutes():
    link = CaptureLink.issue(token_hash="h", enrollment_id="e", session_ref="s", phone_url="http://x/phone",
                             browser_url="http://x/browser", now=T0)
    assert link.use(T0 + timedelta(minutes=9)) == "http://x/phone"
    with pytest.raises(CaptureLinkUnusable):
        link.use(T0 + timedelta(minutes=9))
    stale = CaptureLink.issue(token_hash="h", enrollment_id="e", session_ref="s", phone_url="p", browser_url="b",
                              now=T0)
    with pytest.raises(CaptureLinkUnusable):
        stale.use(T0 + timedelta(minutes=10))
