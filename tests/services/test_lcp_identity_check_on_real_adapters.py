"""The LCP registration's identity check on the real stack (Pony on SQLite, the file-backed
simulator): the session kept in the registration's history and the QR link in the
capture-link table survive their units of work."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from adapters.persistence.migrations import upgrade
from domain.model.errors import CaptureLinkUnusable, LcpIdentityCheckNotPassed
from domain.model.identity import CheckMode
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from ports.contracts.identity import PNG
from tests.web.lcp_helpers import latest_code


@pytest.fixture
def real_container(tmp_path) -> Iterator[Any]:
    settings = Settings(data_dir=tmp_path, mail_backend="outbox", lcp_require_identity_check=True,
                        identity_decision_delay_seconds=0)
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    container.adapters.ca().init_hierarchy()
    yield container
    container.shutdown_resources()


def test_the_check_gates_issuance_on_sqlite(real_container):
    uc = real_container.use_cases
    cabinet = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                owner_surname="Poussart", owner_email="jessica@poussart.fr",
                                owner_mobile="06 24 00 00 13", password="correct horse battery")
    person, cabinet_id = cabinet.person_id, cabinet.cabinet_id
    registration = uc.start_lcp_registration(person_id=person, cabinet_id=cabinet_id).registration_id
    uc.send_lcp_email_code(person_id=person, registration_id=registration)
    uc.verify_lcp_email_code(person_id=person, registration_id=registration,
                             code=latest_code(real_container, "email"))
    uc.send_lcp_sms_code(person_id=person, registration_id=registration)
    uc.verify_lcp_sms_code(person_id=person, registration_id=registration, code=latest_code(real_container, "sms"))
    assert uc.confirm_lcp_identity(person_id=person, registration_id=registration).identity_check == "not_started"
    terms = real_container.settings().lcp_terms_version

    started = uc.start_lcp_identity_check(person_id=person, registration_id=registration)
    with pytest.raises(LcpIdentityCheckNotPassed):
        uc.accept_lcp_terms_and_issue(person_id=person, registration_id=registration, terms_version=terms)
    assert started.check.session_ref in uc.open_lcp_capture_link(token=started.capture_token)
    with pytest.raises(CaptureLinkUnusable):
        uc.open_lcp_capture_link(token=started.capture_token)

    verifier = real_container.adapters.identity_verifier()
    for step in CheckMode.DOCUMENT_ONLY.steps:
        verifier.submit_capture(started.check.session_ref, step, PNG, "image/png")
    verifier.finish_capture(started.check.session_ref)
    assert uc.lcp_identity_check_status(person_id=person, registration_id=registration).check == "passed"
    assert uc.lcp_registration_status(person_id=person, cabinet_id=cabinet_id).next_action == "accept_terms"
    summary = uc.accept_lcp_terms_and_issue(person_id=person, registration_id=registration, terms_version=terms)
    assert summary.certificate_id
