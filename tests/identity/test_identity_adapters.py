"""The IdentityVerifier contract against the fake, the simulator (memory and files) and the
manual-review provider, plus what is particular to each."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from adapters.identity.fake import FakeIdentityVerifier
from adapters.identity.manual import ManualReviewIdentityVerifier
from adapters.identity.simulator import SimulatorIdentityVerifier
from adapters.memory.clock import FixedClock
from domain.model.errors import (
    IdentityAlreadyDecided,
    IdentityCallbackRefused,
    IdentitySessionClosed,
    InvalidValue,
)
from domain.model.identity import (
    CaptureStep,
    CheckMode,
    DocumentType,
    ExtractedIdentity,
    IdentityCheckStatus,
)
from domain.model.values import PersonName
from ports.contracts.identity import PNG, CaptureHostContract, IdentityVerifierContract, sample_subject

URL = "http://seing.test"


def capture_everything(verifier, session_ref: str, mode: CheckMode = CheckMode.DOCUMENT_AND_FACE) -> None:
    for step in mode.steps:
        verifier.submit_capture(session_ref, step, PNG + step.value.encode(), "image/png")
    verifier.finish_capture(session_ref)


def stored(verifier, session_ref: str) -> list[bytes]:
    found = [verifier.store.image(session_ref, step) for step in CaptureStep]
    return [image for image in found if image is not None]


# Fake ---------------------------------------------------------------------------------


class TestFakeIdentityVerifier(IdentityVerifierContract):
    def make_verifier(self):
        return FakeIdentityVerifier(FixedClock())

    def drive_to_approved(self, verifier, session, subject):
        verifier.approve_next()
        verifier.complete(session.session_ref)

    def drive_to_rejected(self, verifier, session, reason):
        verifier.reject_next(reason)
        verifier.complete(session.session_ref)

    def callback_for(self, verifier, session):
        return verifier.callback_payload(session.session_ref)


def test_fake_refuses_a_callback_with_a_wrong_signature():
    fake = FakeIdentityVerifier(FixedClock())
    session = fake.start_session(sample_subject())
    body, _headers = fake.callback_payload(session.session_ref)
    with pytest.raises(IdentityCallbackRefused):
        fake.handle_callback(body, {"X-Fake-Signature": "0" * 64})


def test_fake_plays_its_script_in_order():
    fake = FakeIdentityVerifier(FixedClock())
    fake.reject_next("blurry")
    fake.approve_next()
    first, second = fake.start_session(sample_subject()), fake.start_session(sample_subject())
    assert fake.complete(first.session_ref).reason == "blurry"
    assert fake.complete(second.session_ref).approved


# Simulator ----------------------------------------------------------------------------


class SimulatorHooks:
    storage = False

    def make_verifier(self):
        storage_dir = self.tmp / "idv" if self.storage else None
        return SimulatorIdentityVerifier(public_url=URL, clock=FixedClock(), storage_dir=storage_dir,
                                         decision_delay=timedelta(0))

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp = tmp_path

    def drive_to_approved(self, verifier, session, subject):
        verifier.set_outcome(session.session_ref, approved=True)
        capture_everything(verifier, session.session_ref, session.mode)

    def drive_to_rejected(self, verifier, session, reason):
        verifier.set_outcome(session.session_ref, approved=False, reason=reason)
        capture_everything(verifier, session.session_ref, session.mode)

    def callback_for(self, verifier, session):
        return json.dumps({"session_ref": session.session_ref}).encode(), {}

    def decide(self, verifier, session_ref, approved):
        verifier.set_outcome(session_ref, approved=approved)
        verifier.result(session_ref)

    def stored_images(self, verifier, session_ref):
        return stored(verifier, session_ref)


class TestSimulatorInMemory(SimulatorHooks, IdentityVerifierContract, CaptureHostContract):
    pass


class TestSimulatorOnFiles(SimulatorHooks, IdentityVerifierContract, CaptureHostContract):
    storage = True


def test_simulator_waits_for_its_delay_before_deciding():
    clock = FixedClock()
    simulator = SimulatorIdentityVerifier(public_url=URL, clock=clock, decision_delay=timedelta(minutes=3))
    session = simulator.start_session(sample_subject())
    capture_everything(simulator, session.session_ref)
    assert simulator.status(session.session_ref) is IdentityCheckStatus.SUBMITTED
    clock.advance(timedelta(minutes=2, seconds=59))
    assert simulator.result(session.session_ref) is None
    clock.advance(timedelta(seconds=1))
    assert simulator.result(session.session_ref).approved


def test_simulator_reads_the_declared_identity_in_capitals_by_default():
    simulator = SimulatorIdentityVerifier(public_url=URL, clock=FixedClock(), decision_delay=timedelta(0))
    subject = sample_subject()
    session = simulator.start_session(subject)
    capture_everything(simulator, session.session_ref)
    extracted = simulator.result(session.session_ref).extracted
    assert extracted.name == PersonName("JESSICA", "POUSSART")
    assert extracted.birth_date == subject.birth_date
    assert extracted.document_type is DocumentType.ID_CARD


def test_simulator_default_outcome_and_configured_extraction_apply_to_every_session():
    simulator = SimulatorIdentityVerifier(public_url=URL, clock=FixedClock(), decision_delay=timedelta(0))
    simulator.set_outcome(None, approved=False, reason="face_mismatch")
    session = simulator.start_session(sample_subject())
    capture_everything(simulator, session.session_ref)
    assert simulator.result(session.session_ref).reason == "face_mismatch"

    other = ExtractedIdentity(name=PersonName("Jessika", "Poussard"), birth_date=date(1990, 1, 1),
                              document_type=DocumentType.PASSPORT, document_number="19AB00001")
    simulator.set_outcome(None, approved=True, extracted=other)
    second = simulator.start_session(sample_subject())
    capture_everything(simulator, second.session_ref)
    assert simulator.result(second.session_ref).extracted == other


def test_simulator_file_storage_survives_a_restart(tmp_path):
    clock = FixedClock()
    first = SimulatorIdentityVerifier(public_url=URL, clock=clock, storage_dir=tmp_path, decision_delay=timedelta(0))
    session = first.start_session(sample_subject())
    first.submit_capture(session.session_ref, CaptureStep.DOCUMENT_CENTRE, PNG, "image/png")
    again = SimulatorIdentityVerifier(public_url=URL, clock=clock, storage_dir=tmp_path, decision_delay=timedelta(0))
    assert again.capture_progress(session.session_ref).done == (CaptureStep.DOCUMENT_CENTRE,)
    for step in CheckMode.DOCUMENT_AND_FACE.steps[1:]:
        again.submit_capture(session.session_ref, step, PNG, "image/png")
    again.finish_capture(session.session_ref)
    result = again.result(session.session_ref)
    assert first.result(session.session_ref) == result
    assert list(tmp_path.glob("*/*.img")) == []


def test_retention_keeps_images_until_the_purge_after_it():
    clock = FixedClock()
    simulator = SimulatorIdentityVerifier(public_url=URL, clock=clock, decision_delay=timedelta(0),
                                          image_retention=timedelta(days=1))
    session = simulator.start_session(sample_subject())
    capture_everything(simulator, session.session_ref)
    assert simulator.result(session.session_ref).approved
    assert simulator.purge_images() == 0
    assert len(stored(simulator, session.session_ref)) == 6
    clock.advance(timedelta(days=1))
    assert simulator.purge_images() == 1
    assert stored(simulator, session.session_ref) == []


def test_retained_images_are_served_with_their_type_until_purged():
    from domain.model.identity import CaptureStep
    from ports.identity import RetainedImages

    clock = FixedClock()
    simulator = SimulatorIdentityVerifier(public_url=URL, clock=clock, decision_delay=timedelta(0),
                                          image_retention=timedelta(days=1))
    assert isinstance(simulator, RetainedImages)
    session = simulator.start_session(sample_subject())
    capture_everything(simulator, session.session_ref)
    assert simulator.retained_image(session.session_ref, CaptureStep.DOCUMENT_CENTRE) == (
        "image/png", stored(simulator, session.session_ref)[0])
    assert simulator.retained_image("unknown-session", CaptureStep.DOCUMENT_CENTRE) is None
    clock.advance(timedelta(days=1))
    simulator.purge_images()
    assert simulator.retained_image(session.session_ref, CaptureStep.DOCUMENT_CENTRE) is None


# Manual review ------------------------------------------------------------------------


def read_on_document() -> ExtractedIdentity:
    return ExtractedIdentity(name=PersonName("JESSICA", "POUSSART"), birth_date=date(1988, 3, 14),
                             document_type=DocumentType.ID_CARD, document_number="X4RTBPFW4",
                             document_expiry=date(2031, 5, 1))


class TestManualReview(IdentityVerifierContract, CaptureHostContract):
    storage = False

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp = tmp_path

    def make_verifier(self):
        return ManualReviewIdentityVerifier(public_url=URL, clock=FixedClock(),
                                            storage_dir=self.tmp / "idv" if self.storage else None)

    def drive_to_approved(self, verifier, session, subject):
        capture_everything(verifier, session.session_ref, session.mode)
        verifier.decide(session.session_ref, approved=True, officer_id="officer-1", extracted=read_on_document())

    def drive_to_rejected(self, verifier, session, reason):
        capture_everything(verifier, session.session_ref, session.mode)
        verifier.decide(session.session_ref, approved=False, officer_id="officer-1", reason=reason)

    def callback_for(self, verifier, session):
        return json.dumps({"session_ref": session.session_ref}).encode(), {}

    def decide(self, verifier, session_ref, approved):
        verifier.decide(session_ref, approved=approved, officer_id="officer-1",
                        extracted=read_on_document() if approved else None, reason=None if approved else "blurry")

    def stored_images(self, verifier, session_ref):
        return stored(verifier, session_ref)


class TestManualReviewOnFiles(TestManualReview):
    storage = True


def test_officer_sees_submitted_sessions_oldest_first_with_their_images():
    clock = FixedClock()
    manual = ManualReviewIdentityVerifier(public_url=URL, clock=clock)
    first = manual.start_session(sample_subject("p1"))
    second = manual.start_session(sample_subject("p2"), mode=CheckMode.DOCUMENT_ONLY)
    unfinished = manual.start_session(sample_subject("p3"))
    capture_everything(manual, first.session_ref)
    clock.advance(timedelta(minutes=1))
    capture_everything(manual, second.session_ref, CheckMode.DOCUMENT_ONLY)
    pending = manual.pending_reviews()
    assert [p.session_ref for p in pending] == [first.session_ref, second.session_ref]
    assert unfinished.session_ref not in [p.session_ref for p in pending]
    file = manual.review(second.session_ref)
    assert [step for step, _ct, _data in file.images] == list(CheckMode.DOCUMENT_ONLY.steps)
    assert file.images[0][2] == PNG + b"document_centre"
    assert file.subject.reference == "p2"


def test_manual_review_never_decides_by_itself():
    clock = FixedClock()
    manual = ManualReviewIdentityVerifier(public_url=URL, clock=clock)
    session = manual.start_session(sample_subject())
    capture_everything(manual, session.session_ref)
    clock.advance(timedelta(days=3))
    assert manual.result(session.session_ref) is None
    assert manual.status(session.session_ref) is IdentityCheckStatus.SUBMITTED


def test_a_decision_needs_data_or_a_reason_and_happens_once():
    manual = ManualReviewIdentityVerifier(public_url=URL, clock=FixedClock())
    session = manual.start_session(sample_subject())
    capture_everything(manual, session.session_ref)
    with pytest.raises(InvalidValue):
        manual.decide(session.session_ref, approved=True, officer_id="officer-1")
    with pytest.raises(InvalidValue):
        manual.decide(session.session_ref, approved=False, officer_id="officer-1", reason="  ")
    result = manual.decide(session.session_ref, approved=False, officer_id="officer-1", reason="photocopy")
    assert result.evidence_ref == f"manual:{session.session_ref}"
    with pytest.raises(IdentityAlreadyDecided):
        manual.decide(session.session_ref, approved=True, officer_id="officer-2", extracted=read_on_document())
    with pytest.raises(IdentitySessionClosed):
        manual.review(session.session_ref)


def test_decided_images_are_gone_but_their_hashes_stay():
    manual = ManualReviewIdentityVerifier(public_url=URL, clock=FixedClock())
    session = manual.start_session(sample_subject())
    capture_everything(manual, session.session_ref)
    result = manual.decide(session.session_ref, approved=True, officer_id="o", extracted=read_on_document())
    assert stored(manual, session.session_ref) == []
    assert result.image_digests[0].sha256 == hashlib.sha256(PNG + result.image_digests[0].step.value.encode()).hexdigest()


def test_simulator_outcomes_told_to_one_process_are_followed_by_another(tmp_path):
    clock = FixedClock()
    web = SimulatorIdentityVerifier(public_url=URL, clock=clock, storage_dir=tmp_path, decision_delay=timedelta(0))
    worker = SimulatorIdentityVerifier(public_url=URL, clock=clock, storage_dir=tmp_path, decision_delay=timedelta(0))
    web.set_outcome(None, approved=False, reason="face_mismatch")
    first = web.start_session(sample_subject())
    second = web.start_session(sample_subject())
    web.set_outcome(second.session_ref, approved=True)
    for session in (first, second):
        for step in CheckMode.DOCUMENT_AND_FACE.steps:
            web.submit_capture(session.session_ref, step, PNG, "image/png")
    # The last capture step, then the decision, happen in the worker process.
    for session in (first, second):
        worker.finish_capture(session.session_ref)
    assert worker.result(first.session_ref).reason == "face_mismatch"
    assert worker.result(second.session_ref).approved
