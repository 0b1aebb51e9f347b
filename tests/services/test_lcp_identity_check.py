"""The optional document-only identity check before an LCP is issued (configuration flag)."""

from __future__ import annotations

from datetime import timedelta

from adapters.identity.simulator import SimulatorIdentityVerifier
from adapters.memory.clock import FixedClock
from domain.model.identity import CaptureStep, CheckMode
from domain.model.values import Email, PersonName
from domain.services.identity_checks import (
    LcpIdentityCheckPolicy,
    LcpIdentityOutcome,
    lcp_identity_verdict,
    start_lcp_identity_check,
)
from ports.contracts.identity import PNG

NAME = PersonName("Jessica", "Poussart")
EMAIL = Email("jessica@poussart.fr")


def simulator() -> SimulatorIdentityVerifier:
    return SimulatorIdentityVerifier(public_url="http://seing.test", clock=FixedClock(), decision_delay=timedelta(0))


def capture_document(verifier, ref):
    for step in CheckMode.DOCUMENT_ONLY.steps:
        verifier.submit_capture(ref, step, PNG, "image/png")
    verifier.finish_capture(ref)


def test_without_the_flag_no_check_is_started_and_issuance_is_allowed():
    verifier = simulator()
    policy = LcpIdentityCheckPolicy()
    assert start_lcp_identity_check(verifier=verifier, policy=policy, person_id="p1", name=NAME, email=EMAIL) is None
    verdict = lcp_identity_verdict(verifier=verifier, policy=policy, session_ref=None, name=NAME)
    assert verdict.outcome is LcpIdentityOutcome.NOT_REQUIRED and verdict.allows_issuance


def test_with_the_flag_the_document_alone_is_captured_and_must_pass():
    verifier = simulator()
    policy = LcpIdentityCheckPolicy(required=True)
    session = start_lcp_identity_check(verifier=verifier, policy=policy, person_id="p1", name=NAME, email=EMAIL)
    assert session.mode is CheckMode.DOCUMENT_ONLY
    assert verifier.capture_progress(session.session_ref).remaining == CheckMode.DOCUMENT_ONLY.steps
    assert CaptureStep.FACE_CENTRE not in verifier.capture_progress(session.session_ref).remaining
    pending = lcp_identity_verdict(verifier=verifier, policy=policy, session_ref=session.session_ref, name=NAME)
    assert pending.outcome is LcpIdentityOutcome.PENDING and not pending.allows_issuance
    capture_document(verifier, session.session_ref)
    verdict = lcp_identity_verdict(verifier=verifier, policy=policy, session_ref=session.session_ref, name=NAME)
    assert verdict.outcome is LcpIdentityOutcome.PASSED and verdict.allows_issuance


def test_a_rejected_or_mismatching_document_blocks_the_lcp():
    verifier = simulator()
    policy = LcpIdentityCheckPolicy(required=True)
    refused = start_lcp_identity_check(verifier=verifier, policy=policy, person_id="p1", name=NAME, email=EMAIL)
    verifier.set_outcome(refused.session_ref, approved=False, reason="document_expired")
    capture_document(verifier, refused.session_ref)
    verdict = lcp_identity_verdict(verifier=verifier, policy=policy, session_ref=refused.session_ref, name=NAME)
    assert verdict.outcome is LcpIdentityOutcome.REJECTED and verdict.result.reason == "document_expired"

    other = start_lcp_identity_check(verifier=verifier, policy=policy, person_id="p1", name=NAME, email=EMAIL)
    capture_document(verifier, other.session_ref)
    verdict = lcp_identity_verdict(verifier=verifier, policy=policy, session_ref=other.session_ref,
                                   name=PersonName("Jessica", "Dupont"))
    assert verdict.outcome is LcpIdentityOutcome.MISMATCH and not verdict.allows_issuance
