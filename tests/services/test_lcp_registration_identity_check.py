"""« S'enregistrer » with the identity check required by configuration (and without it):
the use cases through the container with fakes; the simulator decides as soon as the
document's three photos are in (no delay in tests)."""

from __future__ import annotations

import pytest

from domain.model.errors import CaptureLinkUnusable, LcpIdentityCheckNotPassed, RegistrationWrongStep
from domain.model.identity import CheckMode
from domain.model.lcp_registration import RegistrationState
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.identity import PNG
from tests.web.lcp_helpers import latest_code

PASSWORD = "correct horse battery"




def confirmed(container, person_id: str, cabinet_id: str) -> str:
    uc = container.use_cases
    registration = uc.start_lcp_registration(person_id=person_id, cabinet_id=cabinet_id).registration_id
    uc.send_lcp_email_code(person_id=person_id, registration_id=registration)
    uc.verify_lcp_email_code(person_id=person_id, registration_id=registration, code=latest_code(container, "email"))
    uc.send_lcp_sms_code(person_id=person_id, registration_id=registration)
    uc.verify_lcp_sms_code(person_id=person_id, registration_id=registration, code=latest_code(container, "sms"))
    return registration


def capture_document(container, session_ref: str) -> None:
    verifier = container.adapters.identity_verifier()
    for step in CheckMode.DOCUMENT_ONLY.steps:
        verifier.submit_capture(session_ref, step, PNG, "image/png")
    verifier.finish_capture(session_ref)


@pytest.fixture
def world(tmp_path, request):
    required = getattr(request, "param", True)
    container = build_container(Settings(data_dir=tmp_path, lcp_require_identity_check=required), fakes=True)
    uc = container.use_cases
    uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                      owner_surname="Poussart", owner_email="jessica@poussart.fr",
                      owner_mobile="06 24 00 00 13", password=PASSWORD)
    session = uc.login(email="jessica@poussart.fr", password=PASSWORD)
    person_id = session.person_id
    cabinet_id = uc.my_cabinets(person_id=person_id)[0].cabinet_id
    return container, person_id, cabinet_id


def issue(container, person_id: str, registration: str):
    return container.use_cases.accept_lcp_terms_and_issue(
        person_id=person_id, registration_id=registration, terms_version=container.settings().lcp_terms_version)


def test_with_the_flag_the_check_is_the_step_after_the_identity_and_issuance_waits_for_it(world):
    container, person_id, cabinet_id = world
    uc = container.use_cases
    registration = confirmed(container, person_id, cabinet_id)
    view = uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    assert (view.next_action, view.identity_check) == ("start_identity_check", "not_started")

    with pytest.raises(LcpIdentityCheckNotPassed) as refused:
        issue(container, person_id, registration)
    assert refused.value.outcome == "not_started"
    assert refused.value.code == "lcp_registration.identity_check_required"

    started = uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)
    assert started.check.check == "capturing" and started.capture_token
    status = uc.lcp_registration_status(person_id=person_id, cabinet_id=cabinet_id)
    assert (status.next_action, status.identity_check) == ("start_identity_check", "capturing")
    with pytest.raises(LcpIdentityCheckNotPassed) as refused:
        issue(container, person_id, registration)
    assert refused.value.outcome == "capturing"
    assert container.adapters.identity_verifier().capture_progress(started.check.session_ref).mode \
        is CheckMode.DOCUMENT_ONLY

    capture_document(container, started.check.session_ref)
    check = uc.lcp_identity_check_status(person_id=person_id, registration_id=registration)
    assert check.check == "passed"
    status = uc.lcp_registration_status(person_id=person_id, cabinet_id=cabinet_id)
    assert (status.next_action, status.identity_check) == ("accept_terms", "passed")

    summary = issue(container, person_id, registration)
    assert summary.certificate_id
    status = uc.lcp_registration_status(person_id=person_id, cabinet_id=cabinet_id)
    assert status.state is RegistrationState.ISSUED and status.identity_check is None


def test_a_rejected_document_refuses_issuance_with_the_reason_and_a_new_attempt_can_pass(world):
    container, person_id, cabinet_id = world
    uc = container.use_cases
    registration = confirmed(container, person_id, cabinet_id)
    uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    first = uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)
    container.adapters.identity_verifier().set_outcome(first.check.session_ref, approved=False,
                                                        reason="document_expired")
    capture_document(container, first.check.session_ref)

    with pytest.raises(LcpIdentityCheckNotPassed) as refused:
        issue(container, person_id, registration)
    assert (refused.value.outcome, refused.value.reason) == ("rejected", "document_expired")
    status = uc.lcp_registration_status(person_id=person_id, cabinet_id=cabinet_id)
    assert (status.identity_check, status.identity_check_reason) == ("rejected", "document_expired")
    assert status.state is RegistrationState.IDENTITY_CONFIRMED and status.terms_accepted_at is None

    second = uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)
    assert second.check.session_ref != first.check.session_ref
    capture_document(container, second.check.session_ref)
    assert issue(container, person_id, registration).certificate_id


def test_the_qr_link_is_single_use_and_leads_to_the_document_capture(world):
    container, person_id, cabinet_id = world
    uc = container.use_cases
    registration = confirmed(container, person_id, cabinet_id)
    uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    started = uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)
    url = uc.open_lcp_capture_link(token=started.capture_token)
    assert started.check.session_ref in url and "device=phone" in url
    with pytest.raises(CaptureLinkUnusable):
        uc.open_lcp_capture_link(token=started.capture_token)
    renewed = uc.renew_lcp_capture_link(person_id=person_id, registration_id=registration)
    assert renewed.check.session_ref == started.check.session_ref
    capture_document(container, started.check.session_ref)
    with pytest.raises(CaptureLinkUnusable):
        uc.open_lcp_capture_link(token=renewed.capture_token)
    with pytest.raises(CaptureLinkUnusable):
        uc.renew_lcp_capture_link(person_id=person_id, registration_id=registration)


def test_a_passed_check_is_not_started_again(world):
    container, person_id, cabinet_id = world
    uc = container.use_cases
    registration = confirmed(container, person_id, cabinet_id)
    uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    started = uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)
    capture_document(container, started.check.session_ref)
    with pytest.raises(RegistrationWrongStep):
        uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)


@pytest.mark.parametrize("world", [False], indirect=True)
def test_without_the_flag_nothing_changes(world):
    container, person_id, cabinet_id = world
    uc = container.use_cases
    registration = confirmed(container, person_id, cabinet_id)
    view = uc.confirm_lcp_identity(person_id=person_id, registration_id=registration)
    assert (view.next_action, view.identity_check) == ("accept_terms", None)
    with pytest.raises(RegistrationWrongStep):
        uc.start_lcp_identity_check(person_id=person_id, registration_id=registration)
    assert issue(container, person_id, registration).certificate_id
