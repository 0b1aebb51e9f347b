"""The QCP enrollment use cases end to end: in-memory storage, the identity simulator (or the
scripted fake), the built-in CA on the in-memory vault, and pyHanko signing the request at
PAdES B-LT with the person's LCP key."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509

from adapters.documents.certificate_request import PdfCertificateRequestDocument
from adapters.identity.fake import FakeIdentityVerifier
from adapters.identity.simulator import SimulatorIdentityVerifier
from adapters.memory.clock import FixedClock
from adapters.memory.documents import InMemoryDocumentStore
from adapters.memory.ids import SequentialIds
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import InProcessTimestampAuthority
from domain.model.cabinet import Cabinet
from domain.model.certificates import Certificate
from domain.model.errors import (
    CaptureLinkUnusable,
    CodeDead,
    CodeExpired,
    CodeInvalid,
    IdentityAttemptsExhausted,
    NotFound,
    QcpEnrollmentAlreadyOpen,
    QcpEnrollmentExpired,
    QcpTransitionRefused,
    RequestDocumentChanged,
)
from domain.model.identity import CheckMode, DocumentType, ExtractedIdentity
from domain.model.lcp_registration import LcpRegistration, RegistrationState
from domain.model.person import Person
from domain.model.pki import CaName, CertificatePolicy
from domain.model.qcp_enrollment import NextStep, QcpState
from domain.model.values import Email, Mobile, PersonName, Siren
from domain.services.qcp_enrollment import OfficerValidation, QcpEnrollmentUseCases, QcpSettings
from ports.contracts.identity import PNG
from ports.pdf_signing import RevocationData
from tests.pki.helpers import make_test_pki, sample_subject

URL = "http://seing.test"
PERSON = "p-0001"
CABINET = "c-0001"


class BuiltinCaRevocation:
    """Revocation data straight from the built-in CA's CRLs (the web app serves the same)."""

    def __init__(self, ca):
        self.ca = ca
        self.by_subject = {x509.load_der_x509_certificate(c.der).subject: c.name for c in ca.ca_certificates()}

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        name = self.by_subject[x509.load_der_x509_certificate(issuer).subject]
        return RevocationData(crls=(self.ca.crl(name),))


class World:
    def __init__(self, tmp_path, *, verifier_kind: str = "simulator",
                 officer: OfficerValidation = OfficerValidation.AUTOMATIC, pki_settings=None,
                 public_url: str = "http://seing.test") -> None:
        self.clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        self.pki = make_test_pki(tmp_path, clock=self.clock, settings=pki_settings, public_url=public_url)
        self.store = InMemoryStore()
        self.ids = SequentialIds("id")
        now = self.clock.now()
        person = Person.register(id=PERSON, name=PersonName("Jessica", "Poussart"),
                                 email=Email("jessica@poussart.fr"), mobile=Mobile("06 24 00 00 13"), now=now)
        key, certificate = self.pki.person(policy=CertificatePolicy.LCP, subject=sample_subject(
            person_id=PERSON, email=Email("jessica@poussart.fr"), organization="Cabinet Poussart"))
        self.lcp_certificate = certificate
        self.lcp_key_id = key.id
        with self.uow() as tx:
            # What the LCP registration leaves behind: the cabinet, the person, the verified
            # registration and the certificate record.
            tx.cabinets.add(Cabinet.found(id=CABINET, name="Cabinet Poussart", siren=Siren("732829320"), now=now))
            tx.persons.add(person)
            tx.certificates.add(Certificate.record(id="lcp-cert-1", person_id=PERSON, cabinet_id=CABINET,
                                                   issued=certificate, key_id=key.id, now=now))
            tx.lcp_registrations.add(LcpRegistration(
                id="reg-1", person_id=PERSON, cabinet_id=CABINET, name=person.name, email=person.email,
                mobile=person.mobile, started_at=now, state=RegistrationState.ISSUED, certificate_id="lcp-cert-1"))
            tx.commit()
        if verifier_kind == "simulator":
            self.verifier = SimulatorIdentityVerifier(public_url=URL, clock=self.clock, decision_delay=timedelta(0),
                                                      storage_dir=tmp_path / "idv")
        else:
            self.verifier = FakeIdentityVerifier(self.clock)
        tsa = self.pki.ca.tsa()
        authority = InProcessTimestampAuthority(vault=self.pki.vault, key_ref=tsa.key, certificate=tsa.certificate.der,
                                                chain=tsa.issuers, clock=self.clock)
        self.signing = PyHankoPdfSigning(vault=self.pki.vault, timestamp_authority=authority,
                                         revocation_source=BuiltinCaRevocation(self.pki.ca), clock=self.clock)
        self.documents = InMemoryDocumentStore()
        self.uc = QcpEnrollmentUseCases(
            uow=self.uow, clock=self.clock, ids=self.ids, code_generator=PyotpCodeGenerator(self.clock),
            code_hasher=HmacCodeHasher({"k1": b"k" * 32}, "k1"), verifier=self.verifier,
            request_renderer=PdfCertificateRequestDocument(),
            documents=self.documents, pdf_signing=self.signing, vault=self.pki.vault, ca=self.pki.ca,
            settings=QcpSettings(public_url=URL, officer_validation=officer))

    def uow(self):
        return InMemoryUnitOfWork(self.store, clock=self.clock)

    def notifications(self):
        jobs = sorted(self.store.tables["jobs"].values(), key=lambda job: job.id)
        return [job.spec.as_notification() for job in jobs if job.spec.kind == "notify"]

    def qcps(self):
        with self.uow() as tx:
            return [c for c in tx.certificates.of_person(PERSON) if c.policy is CertificatePolicy.QCP_N]

    def last_code(self) -> str:
        return [n for n in self.notifications() if n.template == "one_time_code"][-1].context_dict()["code"]

    # Steps, as the pages drive them -----------------------------------------------------

    def through_email(self, eid: str) -> None:
        self.uc.send_email_code(person_id=PERSON, enrollment_id=eid)
        self.uc.check_email_code(person_id=PERSON, enrollment_id=eid, code=self.last_code())

    def through_consents(self, eid: str) -> None:
        self.through_email(eid)
        self.uc.confirm_identity(person_id=PERSON, enrollment_id=eid)
        self.uc.confirm_prerequisites(person_id=PERSON, enrollment_id=eid, has_valid_id_document=True,
                                      mobile_is_theirs=True)
        self.uc.consent(person_id=PERSON, enrollment_id=eid, id_data_and_terms=True, privacy_policy=True)

    def capture_on_phone(self, started) -> None:
        token = started.qr_url.rsplit("/", 1)[1]
        phone_url = self.uc.open_capture_link(token=token)
        assert started.session_ref in phone_url
        for step in CheckMode.DOCUMENT_AND_FACE.steps:
            self.verifier.submit_capture(started.session_ref, step, PNG + step.value.encode(), "image/png")
        self.verifier.finish_capture(started.session_ref)
        self.uc.identity_capture_finished(session_ref=started.session_ref)

    def through_identity(self, eid: str, *, approved: bool = True, reason: str | None = None):
        started = self.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
        self.verifier.set_outcome(started.session_ref, approved=approved, reason=reason)
        self.capture_on_phone(started)
        return self.uc.identity_check_status(person_id=PERSON, enrollment_id=eid)

    def sign(self, eid: str):
        document = self.uc.request_document(person_id=PERSON, enrollment_id=eid)
        self.uc.accept_request(person_id=PERSON, enrollment_id=eid, document_digest=document.digest)
        sent = self.uc.send_signing_code(person_id=PERSON, enrollment_id=eid)
        assert (sent.channel, sent.destination) == ("sms", "06 ** ** 13")
        return self.uc.sign_request(person_id=PERSON, enrollment_id=eid, code=self.last_code())


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


def test_the_whole_enrollment_issues_a_qcp_certificate(world):
    view = world.uc.start(person_id=PERSON, cabinet_id=CABINET)
    eid = view.id
    assert (view.next_step, view.full_name, view.mobile_national) == (NextStep.SEND_EMAIL_CODE, "Jessica POUSSART",
                                                                      "06 24 00 00 13")
    world.through_consents(eid)
    view = world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert view.next_step is NextStep.START_IDENTITY_CHECK
    assert (view.terms_version, view.privacy_version) == ("cgu-2026-11", "ppdp-2026-11")

    view = world.through_identity(eid)
    assert view.next_step is NextStep.VALIDATE_IDENTITY
    assert (view.extracted.given_names, view.extracted.surname) == ("JESSICA", "POUSSART")
    view = world.uc.validate_identity(person_id=PERSON, enrollment_id=eid, confirmed=True)
    assert view.next_step is NextStep.READ_REQUEST

    document = world.uc.request_document(person_id=PERSON, enrollment_id=eid)
    assert document.pdf.startswith(b"%PDF-")
    assert world.uc.request_document(person_id=PERSON, enrollment_id=eid).digest == document.digest
    view = world.sign(eid)
    assert view.state is QcpState.ISSUED
    assert view.next_step is NextStep.DONE

    # The certificate: QCP-n, 5 years, a new key, recorded for the person in that cabinet.
    (held,) = world.qcps()
    assert held.id == view.certificate_id
    assert (held.person_id, held.cabinet_id) == (PERSON, CABINET)
    assert held.not_after - held.not_before >= timedelta(days=5 * 365)
    assert held.key_id != world.lcp_key_id
    assert held.issuer == CaName.QCP.value
    assert world.pki.ca.certificate(held.serial).policy is CertificatePolicy.QCP_N
    issued = x509.load_der_x509_certificate(held.der)
    assert "Jessica POUSSART" in issued.subject.rfc4514_string()

    # The email of the guide.
    email = [n for n in world.notifications() if n.template == "qcp_certificate_issued"][-1]
    assert email.to == "jessica@poussart.fr"
    assert email.context_dict()["holder"] == "JESSICA POUSSART"
    assert email.context_dict()["validity_years"] == "5"

    # The request was signed at B-LT with the LCP key and kept.
    signed = world.uc.signed_request(person_id=PERSON, enrollment_id=eid)
    assert signed.startswith(document.pdf)  # incremental update over the accepted bytes
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(signed))
    (signature,) = reader.embedded_signatures
    assert signature.signer_cert.dump() == world.lcp_certificate.der
    assert "/DSS" in reader.root  # validation data embedded: B-LT


    # Integrators heard each step of the enrollment, then the certificate, each once.
    events = [job.spec.payload_dict() for job in sorted(world.store.tables["jobs"].values(), key=lambda j: j.id)
              if job.spec.kind == "webhook_event"]
    steps = [e["data.state"] for e in events if e["event"] == "enrollment.status_changed"]
    assert steps[0] == "started" and steps[-1] == "issued" and len(steps) == len(set(steps))
    assert all(e["cabinet_id"] == CABINET and e["data.enrollment_id"] == eid for e in events
               if e["event"] == "enrollment.status_changed")
    [certificate] = [e for e in events if e["event"] == "certificate.issued"]
    assert (certificate["data.certificate_id"], certificate["data.policy"]) == (held.id, "QCP-n")


def test_the_result_is_not_emailed_to_a_person_watching_the_page(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    world.through_identity(eid)
    assert not [n for n in world.notifications() if n.template == "qcp_identity_result"]


def test_a_polling_page_records_presence_at_most_once_a_third_of_the_window(world):
    """The flow's pages poll every few seconds: a write at each poll met the enrollment's other
    writers (another device, the officer's decision) in optimistic conflicts."""
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id

    def seen():
        with world.uow() as tx:
            return tx.qcp_enrollments.get(eid).last_seen_at

    first = seen()
    world.clock.advance(timedelta(seconds=10))
    world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert seen() == first  # a poll soon after: a read
    world.clock.advance(timedelta(seconds=20))
    world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert seen() == world.clock.now()  # a third of the 90 s window later: presence recorded


def test_a_view_that_meets_another_writer_reads_again_instead_of_failing(world):
    from domain.model.errors import Conflict

    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.clock.advance(timedelta(minutes=1))
    commits = []
    real_uow = world.uc.uow

    def uow_whose_first_commit_conflicts():
        tx = real_uow()
        commit = tx.commit

        def conflicting_once():
            commits.append(1)
            if len(commits) == 1:
                world.uc.cancel(person_id=PERSON, enrollment_id=eid)  # the other writer, meanwhile
                raise Conflict("the store refused the change")
            commit()
        tx.commit = conflicting_once
        return tx

    world.uc.uow = uow_whose_first_commit_conflicts
    view = world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert len(commits) >= 1 and view.state.value == "cancelled"  # the other writer's change is shown


def test_five_wrong_email_codes_kill_the_code_then_a_new_one_works(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    sent = world.uc.send_email_code(person_id=PERSON, enrollment_id=eid)
    assert (sent.channel, sent.destination) == ("email", "j•••@poussart.fr")
    assert sent.expires_at == world.clock.now() + timedelta(minutes=10)
    right = world.last_code()
    wrong = "000000" if right != "000000" else "111111"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(CodeInvalid) as refused:
            world.uc.check_email_code(person_id=PERSON, enrollment_id=eid, code=wrong)
        assert refused.value.remaining_tries == remaining
    with pytest.raises(CodeDead):
        world.uc.check_email_code(person_id=PERSON, enrollment_id=eid, code=wrong)
    with pytest.raises(CodeDead):
        world.uc.check_email_code(person_id=PERSON, enrollment_id=eid, code=right)
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).state is QcpState.STARTED

    world.clock.advance(timedelta(minutes=1))
    world.uc.send_email_code(person_id=PERSON, enrollment_id=eid)
    view = world.uc.check_email_code(person_id=PERSON, enrollment_id=eid, code=world.last_code())
    assert view.next_step is NextStep.CONFIRM_IDENTITY
    # The refused tries are in the enrollment's history.
    with world.uow() as tx:
        actions = [e.action for e in tx.qcp_enrollments.get(eid).history]
    assert actions.count("otp.failed") == 6 and "otp.dead" in actions


def test_an_expired_email_code_is_refused(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.uc.send_email_code(person_id=PERSON, enrollment_id=eid)
    world.clock.advance(timedelta(minutes=10))
    with pytest.raises(CodeExpired):
        world.uc.check_email_code(person_id=PERSON, enrollment_id=eid, code=world.last_code())
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).state is QcpState.STARTED


def test_a_rejection_is_shown_then_retried_at_most_three_times(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    view = world.through_identity(eid, approved=False, reason="document_expired")
    assert (view.state, view.rejection_reason, view.attempts_left) == (QcpState.REJECTED, "document_expired", 2)
    assert view.next_step is NextStep.RETRY_IDENTITY_CHECK
    view = world.through_identity(eid, approved=False, reason="face_mismatch")
    assert view.attempts_left == 1
    view = world.through_identity(eid, approved=True)
    assert view.next_step is NextStep.VALIDATE_IDENTITY


def test_after_three_rejections_no_new_check_starts(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    for _ in range(3):
        view = world.through_identity(eid, approved=False, reason="blurry")
    assert view.next_step is NextStep.CLOSED
    with pytest.raises(IdentityAttemptsExhausted):
        world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    # Nothing left to resume: a new enrollment closes that one instead of being blocked by it.
    assert world.uc.start(person_id=PERSON, cabinet_id=CABINET).id != eid
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).state is QcpState.CANCELLED


def test_a_data_mismatch_goes_to_manual_review_then_an_officer_lets_it_through(tmp_path):
    world = World(tmp_path, officer=OfficerValidation.MANUAL)
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    world.verifier.set_outcome(started.session_ref, approved=True, extracted=ExtractedIdentity(
        name=PersonName("JESSICA", "POUSSARD"), birth_date=date(1988, 3, 14), document_type=DocumentType.ID_CARD,
        document_number="X4RTBPFW4"))
    world.capture_on_phone(started)
    view = world.uc.validate_identity(person_id=PERSON, enrollment_id=eid, confirmed=True)
    assert (view.state, view.next_step) == (QcpState.MANUAL_REVIEW, NextStep.WAIT_FOR_MANUAL_REVIEW)
    assert [v.id for v in world.uc.officer_queue()] == [eid]

    world.clock.advance(timedelta(hours=2))  # the person has long left: they are emailed
    view = world.uc.resolve_manual_review(officer_id="officer-1", enrollment_id=eid, approved=True)
    assert view.next_step is NextStep.READ_REQUEST
    mail = [n for n in world.notifications() if n.template == "qcp_identity_result"][-1]
    assert mail.context_dict()["approved"] == "yes"

    view = world.sign(eid)
    assert view.state is QcpState.PENDING_OFFICER_VALIDATION  # manual validation configured
    assert view.next_step is NextStep.WAIT_FOR_OFFICER
    assert world.qcps() == []
    view = world.uc.officer_validate(officer_id="officer-1", enrollment_id=eid)
    assert view.state is QcpState.ISSUED
    assert len(world.qcps()) == 1


def test_cancelling_closes_the_enrollment_and_its_capture(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    view = world.uc.cancel(person_id=PERSON, enrollment_id=eid)
    assert (view.state, view.next_step) == (QcpState.CANCELLED, NextStep.CLOSED)
    assert world.verifier.status(started.session_ref).value == "cancelled"
    with pytest.raises(CaptureLinkUnusable):
        world.uc.open_capture_link(token=started.qr_url.rsplit("/", 1)[1])
    with pytest.raises(QcpTransitionRefused):
        world.uc.confirm_identity(person_id=PERSON, enrollment_id=eid)
    # A new enrollment may start once the previous one is closed.
    assert world.uc.start(person_id=PERSON, cabinet_id=CABINET).state is QcpState.STARTED


def test_resuming_after_a_new_login_lands_on_the_step_left(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_email(eid)
    world.uc.confirm_identity(person_id=PERSON, enrollment_id=eid)
    # Browser closed. Later, "Ma signature personnelle" offers to resume:
    current = world.uc.current(person_id=PERSON, cabinet_id=CABINET)
    assert (current.id, current.next_step) == (eid, NextStep.CONFIRM_PREREQUISITES)
    with pytest.raises(QcpEnrollmentAlreadyOpen) as refused:
        world.uc.start(person_id=PERSON, cabinet_id=CABINET)
    assert refused.value.enrollment_id == eid


def test_someone_else_cannot_see_or_drive_an_enrollment(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    with pytest.raises(NotFound):
        world.uc.view(person_id="intruder", enrollment_id=eid)
    with pytest.raises(NotFound):
        world.uc.send_email_code(person_id="intruder", enrollment_id=eid)


def test_the_qr_link_is_single_use_and_short_lived(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    token = started.qr_url.rsplit("/", 1)[1]
    assert started.qr_expires_at == world.clock.now() + timedelta(minutes=10)
    world.uc.open_capture_link(token=token)
    with pytest.raises(CaptureLinkUnusable):
        world.uc.open_capture_link(token=token)
    with world.uow() as tx:  # stored hashed only
        assert tx.capture_links.by_token_hash(token) is None
    world.clock.advance(timedelta(minutes=11))
    renewed = world.uc.renew_capture_link(person_id=PERSON, enrollment_id=eid)
    assert renewed.session_ref == started.session_ref and renewed.qr_url != started.qr_url
    world.clock.advance(timedelta(minutes=10))
    with pytest.raises(CaptureLinkUnusable):
        world.uc.open_capture_link(token=renewed.qr_url.rsplit("/", 1)[1])


def test_a_result_by_callback_is_emailed_when_the_person_left_and_polling_adds_nothing(tmp_path):
    world = World(tmp_path, verifier_kind="fake")
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    world.clock.advance(timedelta(minutes=5))
    world.verifier.reject_next("document_expired")
    world.verifier.complete(started.session_ref)
    body, headers = world.verifier.callback_payload(started.session_ref)
    assert world.uc.receive_identity_callback(payload=body, headers=headers) is True
    assert world.uc.receive_identity_callback(payload=body, headers=headers) is False
    assert world.uc.poll_identity_results() == 0
    mails = [n for n in world.notifications() if n.template == "qcp_identity_result"]
    assert len(mails) == 1
    assert mails[0].context_dict()["reason"] == "document_expired"
    view = world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert view.rejection_reason == "document_expired"


def test_the_worker_polls_results_the_person_is_not_waiting_for(tmp_path):
    world = World(tmp_path, verifier_kind="fake")
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    world.verifier.submit(started.session_ref)
    assert world.uc.poll_identity_results() == 0
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).state is QcpState.SUBMITTED
    world.clock.advance(timedelta(minutes=4))
    world.verifier.complete(started.session_ref)
    assert world.uc.poll_identity_results() == 1
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).next_step is NextStep.VALIDATE_IDENTITY
    assert [n.context_dict()["approved"] for n in world.notifications() if n.template == "qcp_identity_result"] == ["yes"]


def test_captured_images_are_gone_once_the_result_is_recorded(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    view = world.through_identity(eid)
    assert list((world.verifier.store.root).glob("*/*.img")) == []
    result = world.verifier.result(view.session_ref)
    assert hashlib.sha256(PNG + b"face_turn").hexdigest() in {d.sha256 for d in result.image_digests}


def test_a_changed_request_cannot_be_accepted(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    world.through_identity(eid)
    world.uc.validate_identity(person_id=PERSON, enrollment_id=eid)
    with pytest.raises(RequestDocumentChanged):
        world.uc.accept_request(person_id=PERSON, enrollment_id=eid, document_digest="0" * 64)


def test_a_stale_enrollment_expires(world):
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.clock.advance(timedelta(days=31))
    with pytest.raises(QcpEnrollmentExpired):
        world.uc.confirm_identity(person_id=PERSON, enrollment_id=eid)
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).state is QcpState.EXPIRED
    other = world.uc.start(person_id=PERSON, cabinet_id=CABINET)
    world.clock.advance(timedelta(days=31))
    assert world.uc.expire_enrollments() == 1
    assert world.uc.view(person_id=PERSON, enrollment_id=other.id).next_step is NextStep.CLOSED


def test_a_manual_provider_decision_is_recorded_when_the_officer_decides(tmp_path):
    from adapters.identity.manual import ManualReviewIdentityVerifier

    world = World(tmp_path)
    world.verifier = ManualReviewIdentityVerifier(public_url=URL, clock=world.clock)
    world.uc.verifier = world.verifier
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    world.capture_on_phone(started)
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).next_step is NextStep.WAIT_FOR_RESULT
    (pending,) = world.uc.pending_identity_reviews()
    assert len(world.uc.identity_review_file(session_ref=pending.session_ref).images) == 6
    assert world.uc.review_identity(officer_id="officer-1", session_ref=pending.session_ref, approved=False,
                                    reason="photocopy") is True
    assert world.uc.identity_decided(session_ref=pending.session_ref) is False
    view = world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert (view.rejection_reason, view.attempts_left) == ("photocopy", 2)

    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    world.capture_on_phone(started)
    assert world.uc.review_identity(officer_id="officer-1", session_ref=started.session_ref, approved=True,
                                    given_names="JESSICA", surname="POUSSART", birth_date=date(1988, 3, 14),
                                    document_type="passport", document_number="19ab12345") is True
    view = world.uc.validate_identity(person_id=PERSON, enrollment_id=eid)
    assert view.next_step is NextStep.READ_REQUEST
    assert view.extracted.document_type == "passport"


def test_without_an_active_lcp_in_that_cabinet_enrollment_is_refused(world):
    from domain.model.errors import NoActiveLcpCertificate
    from domain.model.pki import RevocationReason

    with pytest.raises(NoActiveLcpCertificate):
        world.uc.start(person_id=PERSON, cabinet_id="another-cabinet")
    with world.uow() as tx:
        tx.certificates.get("lcp-cert-1").revoke(reason=RevocationReason.KEY_COMPROMISE, by_person_id=PERSON,
                                                 as_administrator=False, now=world.clock.now())
        tx.commit()
    with pytest.raises(NoActiveLcpCertificate):
        world.uc.start(person_id=PERSON, cabinet_id=CABINET)


def test_a_profile_changed_since_the_lcp_is_refused(world):
    from domain.model.errors import LcpDataMismatch

    with world.uow() as tx:
        tx.persons.get(PERSON).change_mobile(Mobile("07 11 22 33 44"))
        tx.commit()
    with pytest.raises(LcpDataMismatch) as refused:
        world.uc.start(person_id=PERSON, cabinet_id=CABINET)
    assert refused.value.field == "mobile"


def test_an_unreachable_provider_keeps_the_person_waiting_and_the_worker_retries(tmp_path):
    world = World(tmp_path, verifier_kind="fake")
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    started = world.uc.start_identity_check(person_id=PERSON, enrollment_id=eid)
    world.verifier.complete(started.session_ref)
    world.verifier.unavailable = True
    assert world.uc.identity_check_status(person_id=PERSON, enrollment_id=eid).next_step is NextStep.CAPTURE
    assert world.uc.poll_identity_results() == 0
    world.verifier.unavailable = False
    assert world.uc.poll_identity_results() == 1
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).next_step is NextStep.VALIDATE_IDENTITY


def test_the_qcp_issued_by_enrollment_passes_the_etsi_profile_linter(tmp_path):
    from tests.conftest import require_service

    try:
        from tests.pki.test_etsi_lint import PUBLIC_URL, SETTINGS, codes, lint
    except ImportError:
        require_service(False, "pkilint (a dev dependency)")
    world = World(tmp_path, pki_settings=SETTINGS, public_url=PUBLIC_URL)
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    world.through_identity(eid)
    world.uc.validate_identity(person_id=PERSON, enrollment_id=eid)
    world.sign(eid)
    (qcp,) = world.qcps()
    assert lint("etsi", qcp.der, "NCP-NATURAL-PERSON-CERTIFICATE") == set()
    # QCP-n without a QSCD on purpose (level 3, not QES): the only differences from that profile.
    assert codes(lint("etsi", qcp.der, "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE")) == {
        "etsi.en_319_412_5.qcs-5.01.qc_sscd_qualified_statement_absent",
        "etsi.en_319_412_2.qcs-5.2-2.mismatched_policy_identifier_for_certificate_type",
    }


def _ltv_passes(pdf: bytes, root_der: bytes) -> bytes:
    """AdES validation with time from the file's own data only (the signing tests' check):
    revocation required, nothing fetched. Returns the signer's certificate."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.ades.report import AdESStatus

    from tests.signing.test_pdf_signing import ades_lt_status

    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    result = ades_lt_status(root_der, signature)
    assert result.ades_subindic.status is AdESStatus.PASSED, (result.ades_subindic, result.api_status)
    assert result.api_status.bottom_line
    return signature.signer_cert.dump()


def _enrolled(world) -> str:
    """Runs the whole enrollment to the issued QCP-n; returns the enrollment's id."""
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    world.through_identity(eid)
    world.uc.validate_identity(person_id=PERSON, enrollment_id=eid)
    world.sign(eid)
    return eid


def _signed_with_the_qcp(world, qcp: Certificate, pdf: bytes) -> bytes:
    """``pdf`` signed at PAdES B-LT with the QCP's vault key, through the flow's PdfSigning adapter."""
    from ports.contracts.pdf_signing import BytesOnly
    from ports.pdf_signing import PadesLevel, SignatureRequest, SigningIdentity

    return BytesOnly(world.signing).sign(pdf, SignatureRequest(
        identity=SigningIdentity(key_ref=world.pki.vault.get(qcp.key_id), certificate=qcp.der,
                                 chain=world.pki.ca.chain(qcp.serial)[1:]),
        level=PadesLevel.B_LT, field_name="Signature2"))


def test_the_signed_request_and_a_pdf_signed_with_the_new_qcp_validate_offline_with_pyhanko(world):
    eid = _enrolled(world)
    root = world.pki.ca.chain(world.lcp_certificate.serial)[-1]

    signer = _ltv_passes(world.uc.signed_request(person_id=PERSON, enrollment_id=eid), root)
    assert signer == world.lcp_certificate.der

    (qcp,) = world.qcps()
    pdf = world.uc.request_document(person_id=PERSON, enrollment_id=eid).pdf
    assert _ltv_passes(_signed_with_the_qcp(world, qcp, pdf), root) == qcp.der


def test_the_qcp_issued_by_enrollment_states_qcp_n_compliance_esign_and_pds_but_no_qscd(world):
    from adapters.shared import der
    from tests.pki.test_profiles import _oid_text, policies, qc_statements

    _enrolled(world)
    (qcp,) = world.qcps()
    issued = x509.load_der_x509_certificate(qcp.der)
    assert policies(issued) == [CertificatePolicy.QCP_N.value]
    statements = qc_statements(issued)
    # QcCompliance, QcType (esign, checked below) and QcPDS; no QcSSCD (0.4.0.1862.1.4): level 3, not QES.
    assert list(statements) == ["0.4.0.1862.1.1", "0.4.0.1862.1.6", "0.4.0.1862.1.5"]
    (types,) = statements["0.4.0.1862.1.6"]
    assert [_oid_text(t) for t in der.children(types)] == ["0.4.0.1862.1.6.1"]  # esign
    (locations,) = statements["0.4.0.1862.1.5"]
    assert f"{URL}/pki/pds".encode() in locations


@pytest.fixture
def loopback_pki():
    """The CA's /pki endpoints on loopback: pdfsig asks the OCSP responder named in the AIA."""
    from tests.signing.pki_server import PkiHttpServer

    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.mark.external
def test_a_pdf_signed_with_the_enrolled_qcp_is_valid_and_trusted_for_pdfsig_and_pyhanko(tmp_path, loopback_pki):
    import shutil

    from tests.conftest import require_service

    require_service(shutil.which("pdfsig") is not None, "poppler's pdfsig (apt-get install poppler-utils)")
    require_service(shutil.which("certutil") is not None, "NSS certutil (apt-get install libnss3-tools)")
    from tests.signing.pdfs import pdf_bytes
    from tests.signing.test_pdfsig import make_nss_db, pdfsig

    # Certificates name the loopback server in their AIA and CRL distribution points.
    world = World(tmp_path, public_url=loopback_pki.base_url)
    loopback_pki.pki = world.pki
    _enrolled(world)
    (qcp,) = world.qcps()
    assert world.pki.ca.certificate(qcp.serial).policy is CertificatePolicy.QCP_N
    root = world.pki.ca.chain(qcp.serial)[-1]

    signed = tmp_path / "signed.pdf"
    signed.write_bytes(_signed_with_the_qcp(world, qcp, pdf_bytes(pages=2)))
    (nss := tmp_path / "nss").mkdir()
    (report,) = pdfsig(make_nss_db(nss, root), signed)
    assert "Signature is Valid" in report, report
    assert "Certificate is Trusted" in report, report
    assert "ETSI.CAdES.detached" in report, report
    assert any(r.startswith("POST /pki/ocsp") or r.startswith("GET /pki/ocsp/") for r in loopback_pki.requests)

    assert _ltv_passes(signed.read_bytes(), root) == qcp.der


def _to_signing(world) -> str:
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    world.through_consents(eid)
    world.through_identity(eid)
    world.uc.validate_identity(person_id=PERSON, enrollment_id=eid)
    document = world.uc.request_document(person_id=PERSON, enrollment_id=eid)
    world.uc.accept_request(person_id=PERSON, enrollment_id=eid, document_digest=document.digest)
    world.uc.send_signing_code(person_id=PERSON, enrollment_id=eid)
    return eid


def test_a_wrong_sms_code_signs_nothing(world):
    eid = _to_signing(world)
    right = world.last_code()
    with pytest.raises(CodeInvalid):
        world.uc.sign_request(person_id=PERSON, enrollment_id=eid, code="000000" if right != "000000" else "111111")
    view = world.uc.view(person_id=PERSON, enrollment_id=eid)
    assert (view.state, view.next_step) == (QcpState.REQUEST_ACCEPTED, NextStep.SIGN_REQUEST)
    assert [key for key, _digest in world.pki.vault.signed if key == world.lcp_key_id] == []  # nothing signed
    assert world.uc.sign_request(person_id=PERSON, enrollment_id=eid, code=right).state is QcpState.ISSUED


def test_a_second_qcp_for_the_same_cabinet_is_refused(world):
    from domain.model.errors import QcpAlreadyHeld

    eid = _to_signing(world)
    world.uc.sign_request(person_id=PERSON, enrollment_id=eid, code=world.last_code())
    with pytest.raises(QcpAlreadyHeld):
        world.uc.start(person_id=PERSON, cabinet_id=CABINET)


def test_a_revoked_lcp_cannot_sign_the_request(world):
    from domain.model.errors import NoActiveLcpCertificate
    from domain.model.pki import RevocationReason

    eid = _to_signing(world)
    with world.uow() as tx:
        tx.certificates.get("lcp-cert-1").revoke(reason=RevocationReason.KEY_COMPROMISE, by_person_id=PERSON,
                                                 now=world.clock.now())
        tx.commit()
    with pytest.raises(NoActiveLcpCertificate):
        world.uc.sign_request(person_id=PERSON, enrollment_id=eid, code=world.last_code())
    assert world.qcps() == []


def test_a_failed_issuance_leaves_no_key_and_a_failed_record_revokes_the_certificate(world, monkeypatch):
    from adapters.memory.certificates import InMemoryCertificateRepository
    from domain.model.pki import CertificateStatus

    eid = _to_signing(world)
    keys_before = set(world.pki.vault._keys)
    real_issue = world.pki.ca.issue
    monkeypatch.setattr(world.pki.ca, "issue", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("CA down")))
    with pytest.raises(RuntimeError):
        world.uc.sign_request(person_id=PERSON, enrollment_id=eid, code=world.last_code())
    assert set(world.pki.vault._keys) == keys_before
    assert world.uc.view(person_id=PERSON, enrollment_id=eid).state is QcpState.REQUEST_ACCEPTED

    monkeypatch.setattr(world.pki.ca, "issue", real_issue)
    world.clock.advance(timedelta(minutes=1))
    world.uc.send_signing_code(person_id=PERSON, enrollment_id=eid)
    real_add = InMemoryCertificateRepository.add

    def refuse_qcp(self, certificate):
        if certificate.policy is CertificatePolicy.QCP_N:
            raise RuntimeError("storage down")
        real_add(self, certificate)

    monkeypatch.setattr(InMemoryCertificateRepository, "add", refuse_qcp)
    with pytest.raises(RuntimeError):
        world.uc.sign_request(person_id=PERSON, enrollment_id=eid, code=world.last_code())
    (orphan,) = [c for c in world.pki.ca.certificates_of(PERSON) if c.policy is CertificatePolicy.QCP_N]
    assert orphan.status is CertificateStatus.REVOKED
    assert set(world.pki.vault._keys) == keys_before
    assert world.qcps() == []


def test_the_officer_file_shows_the_evidence_of_a_signed_request_without_recording_anything(tmp_path):
    from domain.model.identity import CaptureStep

    world = World(tmp_path, officer=OfficerValidation.MANUAL)
    eid = world.uc.start(person_id=PERSON, cabinet_id=CABINET).id
    with pytest.raises(NotFound):  # not awaiting an officer yet
        world.uc.officer_file(enrollment_id=eid)
    world.through_consents(eid)
    world.through_identity(eid)
    world.uc.validate_identity(person_id=PERSON, enrollment_id=eid)
    world.sign(eid)
    with world.uow() as tx:
        before = (tx.qcp_enrollments.get(eid).updated_at, len(tx.qcp_enrollments.get(eid).history))

    file = world.uc.officer_file(enrollment_id=eid)

    assert file.enrollment.id == eid and file.provider_decision == "approved" and file.provider_decided_at
    assert file.extracted is not None and file.extracted.document_number
    assert len(file.image_digests) == 6 and file.retained_steps == ()  # deleted at the decision (no retention)
    assert file.has_signed_request and file.request_signed_at and file.created_at <= file.request_signed_at
    assert world.uc.officer_signed_request(enrollment_id=eid).startswith(b"%PDF")
    with pytest.raises(NotFound):
        world.uc.officer_identity_image(enrollment_id=eid, step=CaptureStep.DOCUMENT_CENTRE)
    assert not world.uc.identity_reviewed_by_officer()  # the simulator decides by itself
    with world.uow() as tx:
        assert (tx.qcp_enrollments.get(eid).updated_at, len(tx.qcp_enrollments.get(eid).history)) == before
