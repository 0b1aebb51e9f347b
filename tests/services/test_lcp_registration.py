"""LCP registration end to end on in-memory repositories, the real one-time code adapters and
the real built-in CA (in-memory vault, files in a tmp dir): codes are read back from the
queued notifications, the issued certificate is parsed, revocation is checked in the CRL."""

from __future__ import annotations

import functools
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from adapters.ca.builtin import BuiltinCaSettings, BuiltinCertificateAuthority
from adapters.memory.clock import FixedClock
from adapters.memory.ids import SequentialIds
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from domain.model.cabinet import Cabinet, Delegation, Member, Role
from domain.model.certificates import CertificateState
from domain.model.errors import (
    CertificateNotFound,
    CertificateRevoked,
    CodeDead,
    CodeExpired,
    CodeInvalid,
    CodePayloadMismatch,
    CodeResendTooSoon,
    IdentityChanged,
    InvalidValue,
    LcpAlreadyActive,
    MissingDelegation,
    NotFound,
    RegistrationClosed,
    RegistrationInProgress,
    RegistrationMobileRequired,
    RegistrationNotFound,
    RegistrationWrongStep,
    TermsOutdated,
)
from domain.model.jobs import Channel, Notification
from domain.model.lcp_registration import RegistrationState
from domain.model.person import Person
from domain.model.pki import CaName, CertificatePolicy, CertificateStatus, RevocationReason
from domain.model.values import Email, Mobile, PersonName, Siren
from domain.services import certificates as certs
from domain.services import lcp_registration as lcp
from ports.repositories import UnitOfWork
from tests.pki.helpers import TestPki, make_test_pki

TERMS = "cgu-2026-11"
SIREN = "732829320"
CABINET_NAME = "Cabinet Poussart"
LCP_OID = "0.4.0.2042.1.3"


class World:
    """Everything a use case needs, and a way to read what it did.

    The CA hierarchy is made once per module (its P-384 keys are the slow part) and each
    test works on a copy of its files, with the shared vault holding the CA keys.
    """

    def __init__(self, tmp_path: Path, hierarchy: TestPki) -> None:
        self.clock = FixedClock()
        self.ids = SequentialIds()
        self.store = InMemoryStore()
        storage = tmp_path / "pki"
        shutil.copytree(hierarchy.storage_dir, storage)
        ca = BuiltinCertificateAuthority(hierarchy.vault, storage, hierarchy.public_url, clock=self.clock,
                                         settings=BuiltinCaSettings(siren=SIREN))
        self.pki = TestPki(vault=hierarchy.vault, ca=ca, clock=self.clock, storage_dir=storage,  # type: ignore[arg-type]
                           public_url=hierarchy.public_url)
        self.codes = PyotpCodeGenerator(self.clock)
        self.hasher = HmacCodeHasher({"k1": b"k" * 32}, "k1")

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=self.clock)

    def add(self, *objects: object) -> None:
        with self.uow() as tx:
            for obj in objects:
                {Cabinet: tx.cabinets, Person: tx.persons, Member: tx.members}[type(obj)].add(obj)
            tx.commit()

    def notifications(self) -> list[Notification]:
        jobs = sorted(self.store.tables["jobs"].values(), key=lambda j: j.id)  # type: ignore[attr-defined]
        return [j.spec.as_notification() for j in jobs if j.spec.kind == "notify"]

    def last_code(self, channel: Channel) -> str:
        sent = [n for n in self.notifications() if n.channel is channel and "code" in n.context_dict()]
        return sent[-1].context_dict()["code"]

    # the use cases, with their ports bound as the container will
    def __getattr__(self, name: str):  # noqa: ANN204
        ports = {"uow": self.uow, "clock": self.clock, "ids": self.ids, "code_generator": self.codes,
                 "code_hasher": self.hasher, "vault": self.pki.vault, "ca": self.pki.ca,
                 "current_terms_version": TERMS}
        for module in (lcp, certs):
            function = getattr(module, name, None)
            if callable(function):
                wanted = function.__code__.co_varnames[: function.__code__.co_argcount
                                                       + function.__code__.co_kwonlyargcount]
                return functools.partial(function, **{k: v for k, v in ports.items() if k in wanted})
        raise AttributeError(name)


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_test_pki(tmp_path_factory.mktemp("ca"), clock=FixedClock(),  # type: ignore[arg-type]
                         settings=BuiltinCaSettings(siren=SIREN))


@pytest.fixture
def world(tmp_path: Path, hierarchy: TestPki) -> World:
    world = World(tmp_path, hierarchy)
    now = world.clock.now()
    world.add(
        Cabinet.found(id="cab-1", name=CABINET_NAME, siren=Siren(SIREN), now=now),
        Cabinet.found(id="cab-2", name="Cabinet Voisin", siren=Siren("552100554"), now=now),
        Person.register(id="per-1", name=PersonName("Jessica Marie", "Poussart"), email=Email("jessica@poussart.fr"),
                        mobile=Mobile("06 24 00 00 13"), now=now),
        Person.register(id="per-2", name=PersonName("Paul", "Dupré"), email=Email("paul@poussart.fr"),
                        mobile=Mobile("07 11 22 33 44"), now=now),
        Person.register(id="per-3", name=PersonName("Léa", "Sansmobile"), email=Email("lea@poussart.fr"),
                        mobile=None, now=now),
        Member.owner(id="mem-1", cabinet_id="cab-1", person_id="per-1", now=now),
        Member(id="mem-2", cabinet_id="cab-1", person_id="per-2", role=Role.COLLABORATOR,
               delegations=frozenset({Delegation.PREPARE}), joined_at=now),
        Member(id="mem-3", cabinet_id="cab-1", person_id="per-3", role=Role.COLLABORATOR,
               delegations=frozenset({Delegation.SIGN}), joined_at=now),
        Member(id="mem-4", cabinet_id="cab-2", person_id="per-1", role=Role.COLLABORATOR,
               delegations=frozenset({Delegation.SIGN}), joined_at=now),
    )
    return world


def registered_up_to(world: World, state: RegistrationState, *, person_id: str = "per-1",
                     cabinet_id: str = "cab-1") -> str:
    """Run the registration to ``state``, typing the codes received; return its id."""
    registration_id = world.start_registration(person_id=person_id, cabinet_id=cabinet_id).registration_id
    steps = [
        (RegistrationState.EMAIL_VERIFIED, lambda: (
            world.send_email_code(person_id=person_id, registration_id=registration_id),
            world.verify_email_code(person_id=person_id, registration_id=registration_id,
                                    code=world.last_code(Channel.EMAIL)))),
        (RegistrationState.MOBILE_VERIFIED, lambda: (
            world.send_sms_code(person_id=person_id, registration_id=registration_id),
            world.verify_sms_code(person_id=person_id, registration_id=registration_id,
                                  code=world.last_code(Channel.SMS)))),
        (RegistrationState.IDENTITY_CONFIRMED, lambda: world.confirm_identity(
            person_id=person_id, registration_id=registration_id)),
        (RegistrationState.ISSUED, lambda: world.accept_terms_and_issue(
            person_id=person_id, registration_id=registration_id, terms_version=TERMS)),
    ]
    for reached, step in steps:
        if state is RegistrationState.STARTED:
            break
        world.clock.advance(timedelta(seconds=20))
        step()
        if reached is state:
            break
    return registration_id


def status(world: World, person_id: str = "per-1", cabinet_id: str = "cab-1"):  # noqa: ANN201
    return world.registration_status(person_id=person_id, cabinet_id=cabinet_id)


# The full flow ---------------------------------------------------------------------------


def test_a_member_holding_sign_registers_and_gets_an_lcp_certificate_for_the_cabinet(world: World) -> None:
    started = world.start_registration(person_id="per-1", cabinet_id="cab-1")
    assert started.state is RegistrationState.STARTED and started.next_action == "verify_email"
    rid = started.registration_id

    sent = world.send_email_code(person_id="per-1", registration_id=rid)
    assert (sent.channel, sent.destination) == ("email", "j•••@poussart.fr")
    email = world.notifications()[-1]
    assert (email.channel, email.to) == (Channel.EMAIL, "jessica@poussart.fr")
    view = world.verify_email_code(person_id="per-1", registration_id=rid, code=world.last_code(Channel.EMAIL))
    assert view.state is RegistrationState.EMAIL_VERIFIED

    sent = world.send_sms_code(person_id="per-1", registration_id=rid)
    assert (sent.channel, sent.destination) == ("sms", "06 ** ** 13")
    sms = world.notifications()[-1]
    assert (sms.channel, sms.to) == (Channel.SMS, "+33624000013")
    view = world.verify_sms_code(person_id="per-1", registration_id=rid, code=world.last_code(Channel.SMS))
    assert view.state is RegistrationState.MOBILE_VERIFIED
    assert (view.given_names, view.surname, view.common_name) == ("Jessica Marie", "Poussart", "Jessica Marie POUSSART")
    assert (view.email, view.mobile) == ("jessica@poussart.fr", "06 24 00 00 13")

    view = world.confirm_identity(person_id="per-1", registration_id=rid)
    assert view.state is RegistrationState.IDENTITY_CONFIRMED and view.next_action == "accept_terms"

    world.clock.advance(timedelta(minutes=1))
    accepted_at = world.clock.now()
    summary = world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    assert summary.status is CertificateState.ACTIVE and summary.can_revoke
    assert (summary.policy, summary.policy_name, summary.policy_oid) == (CertificatePolicy.LCP, "LCP", LCP_OID)
    assert (summary.cabinet_id, summary.cabinet_name) == ("cab-1", CABINET_NAME)
    assert summary.not_after - summary.not_before >= timedelta(days=3 * 365 - 1)

    final = status(world)
    assert final is not None and final.state is RegistrationState.ISSUED and final.next_action is None
    assert (final.terms_version, final.terms_accepted_at) == (TERMS, accepted_at)
    assert final.certificate_id == summary.certificate_id

    issued_mail = world.notifications()[-1]
    assert (issued_mail.template, issued_mail.to) == ("lcp_certificate_issued", "jessica@poussart.fr")
    assert issued_mail.context_dict()["serial"] == summary.serial
    assert issued_mail.context_dict()["cabinet_name"] == CABINET_NAME
    assert issued_mail.context_dict()["valid_years"] == "3"

    # Integrators subscribed to certificate.issued hear of it once.
    jobs = sorted(world.store.tables["jobs"].values(), key=lambda j: j.id)  # type: ignore[attr-defined]
    [event] = [j.spec.payload_dict() for j in jobs if j.spec.kind == "webhook_event"]
    assert (event["event"], event["cabinet_id"], event["data.certificate_id"], event["data.policy"]) == (
        "certificate.issued", "cab-1", summary.certificate_id, "LCP")


def test_the_issued_certificate_names_the_person_and_the_cabinet_under_the_lcp_policy(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    [summary] = world.my_certificates(person_id="per-1")
    der = world.certificate_download(person_id="per-1", certificate_id=summary.certificate_id, format="der")
    certificate = x509.load_der_x509_certificate(der)

    def attribute(oid: x509.ObjectIdentifier) -> str:
        [value] = certificate.subject.get_attributes_for_oid(oid)
        return str(value.value)

    assert attribute(NameOID.ORGANIZATION_NAME) == CABINET_NAME
    assert attribute(NameOID.ORGANIZATION_IDENTIFIER) == f"NTRFR-{SIREN}"
    assert attribute(NameOID.GIVEN_NAME) == "Jessica Marie"
    assert attribute(NameOID.SURNAME) == "Poussart"
    assert attribute(NameOID.COMMON_NAME) == "Jessica Marie POUSSART"
    assert attribute(NameOID.COUNTRY_NAME) == "FR"
    assert attribute(NameOID.SERIAL_NUMBER) == "per-1"
    policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [LCP_OID]
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["jessica@poussart.fr"]
    assert format(certificate.serial_number, "x") == summary.serial.lstrip("0")

    # The key is in the vault, and it is the one certified.
    record = world.store.tables["certificates"][summary.certificate_id]
    key = world.pki.vault.get(record.key_id)  # type: ignore[attr-defined]
    assert certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == key.public_key_der


def test_the_history_keeps_every_step_and_code_event_but_never_a_code(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.ISSUED)
    registration = world.store.tables["lcp_registrations"][rid]
    kinds = [step.kind for step in registration.history]  # type: ignore[attr-defined]
    assert kinds[0] == "started" and kinds[-1] == "issue"
    assert kinds.count("otp.checked") == 2 and kinds.count("otp.sent") == 2
    for step in ("verify_email", "verify_mobile", "confirm_identity", "accept_terms"):
        assert step in kinds
    codes = {n.context_dict()["code"] for n in world.notifications() if "code" in n.context_dict()}
    text = repr(registration.history)  # type: ignore[attr-defined]
    assert codes and not any(code in text for code in codes)


# Refusals ----------------------------------------------------------------------------------


def test_a_member_without_sign_cannot_register(world: World) -> None:
    with pytest.raises(MissingDelegation):
        world.start_registration(person_id="per-2", cabinet_id="cab-1")
    assert world.store.tables["lcp_registrations"] == {}


def test_a_non_member_cannot_register_nor_see_a_registration(world: World) -> None:
    with pytest.raises(NotFound):
        world.start_registration(person_id="per-2", cabinet_id="cab-2")
    with pytest.raises(NotFound):
        status(world, "per-2", "cab-2")


def test_a_member_without_mobile_is_asked_to_add_one(world: World) -> None:
    with pytest.raises(RegistrationMobileRequired) as refused:
        world.start_registration(person_id="per-3", cabinet_id="cab-1")
    assert refused.value.field == "mobile"


def test_starting_twice_names_the_registration_to_resume(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.EMAIL_VERIFIED)
    with pytest.raises(RegistrationInProgress) as refused:
        world.start_registration(person_id="per-1", cabinet_id="cab-1")
    assert refused.value.registration_id == rid
    resumed = status(world)
    assert resumed is not None and (resumed.registration_id, resumed.next_action) == (rid, "verify_mobile")


def test_a_person_with_an_active_lcp_cannot_register_again_for_that_cabinet(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    with pytest.raises(LcpAlreadyActive):
        world.start_registration(person_id="per-1", cabinet_id="cab-1")
    # Another cabinet is another certificate.
    assert world.start_registration(person_id="per-1", cabinet_id="cab-2").state is RegistrationState.STARTED


def test_a_wrong_email_code_is_refused_counted_and_the_step_stays(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.STARTED)
    world.send_email_code(person_id="per-1", registration_id=rid)
    right = world.last_code(Channel.EMAIL)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    with pytest.raises(CodeInvalid) as refused:
        world.verify_email_code(person_id="per-1", registration_id=rid, code=wrong)
    assert refused.value.remaining_tries == 4
    assert status(world).state is RegistrationState.STARTED
    assert world.verify_email_code(person_id="per-1", registration_id=rid,
                                   code=right).state is RegistrationState.EMAIL_VERIFIED


def test_five_wrong_sms_codes_kill_the_code_and_a_new_one_is_needed(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.EMAIL_VERIFIED)
    world.send_sms_code(person_id="per-1", registration_id=rid)
    right = world.last_code(Channel.SMS)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            world.verify_sms_code(person_id="per-1", registration_id=rid, code=wrong)
    with pytest.raises(CodeDead):
        world.verify_sms_code(person_id="per-1", registration_id=rid, code=wrong)
    with pytest.raises(CodeDead):
        world.verify_sms_code(person_id="per-1", registration_id=rid, code=right)
    world.clock.advance(timedelta(minutes=1))
    world.send_sms_code(person_id="per-1", registration_id=rid)
    assert world.verify_sms_code(person_id="per-1", registration_id=rid,
                                 code=world.last_code(Channel.SMS)).state is RegistrationState.MOBILE_VERIFIED


def test_an_expired_code_is_refused(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.STARTED)
    world.send_email_code(person_id="per-1", registration_id=rid)
    world.clock.advance(timedelta(minutes=10))
    with pytest.raises(CodeExpired):
        world.verify_email_code(person_id="per-1", registration_id=rid, code=world.last_code(Channel.EMAIL))
    assert status(world).state is RegistrationState.STARTED


def test_a_resend_within_the_minute_is_refused(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.STARTED)
    world.send_email_code(person_id="per-1", registration_id=rid)
    world.clock.advance(timedelta(seconds=30))
    with pytest.raises(CodeResendTooSoon) as refused:
        world.send_email_code(person_id="per-1", registration_id=rid)
    assert refused.value.retry_after_seconds == 30


def test_a_code_sent_for_a_cancelled_registration_does_not_verify_the_next_one(world: World) -> None:
    first = registered_up_to(world, RegistrationState.STARTED)
    world.send_email_code(person_id="per-1", registration_id=first)
    old_code = world.last_code(Channel.EMAIL)
    world.cancel_registration(person_id="per-1", registration_id=first)
    second = world.start_registration(person_id="per-1", cabinet_id="cab-1").registration_id
    with pytest.raises(CodePayloadMismatch):
        world.verify_email_code(person_id="per-1", registration_id=second, code=old_code)


def test_the_sms_code_is_not_sent_before_the_email_is_verified(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.STARTED)
    before = len(world.notifications())
    with pytest.raises(RegistrationWrongStep) as refused:
        world.send_sms_code(person_id="per-1", registration_id=rid)
    assert (refused.value.state, refused.value.action) == ("started", "send_sms_code")
    assert len(world.notifications()) == before


def test_steps_out_of_order_are_refused(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.EMAIL_VERIFIED)
    with pytest.raises(RegistrationWrongStep):
        world.confirm_identity(person_id="per-1", registration_id=rid)
    with pytest.raises(RegistrationWrongStep):
        world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    with pytest.raises(RegistrationWrongStep):
        world.send_email_code(person_id="per-1", registration_id=rid)
    assert world.pki.ca.certificates_of("per-1") == []


def test_someone_elses_registration_does_not_exist_for_them(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.STARTED)
    with pytest.raises(RegistrationNotFound):
        world.send_email_code(person_id="per-2", registration_id=rid)
    with pytest.raises(RegistrationNotFound):
        world.cancel_registration(person_id="per-2", registration_id=rid)


def test_a_mobile_changed_after_its_verification_stops_the_identity_confirmation(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.MOBILE_VERIFIED)
    with world.uow() as tx:
        tx.persons.get("per-1").change_mobile(Mobile("07 99 88 77 66"))
        tx.commit()
    with pytest.raises(IdentityChanged):
        world.confirm_identity(person_id="per-1", registration_id=rid)


def test_stale_terms_are_refused_and_nothing_is_issued(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.IDENTITY_CONFIRMED)
    with pytest.raises(TermsOutdated) as refused:
        world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version="cgu-2025-01")
    assert refused.value.params["current_version"] == TERMS
    assert status(world).state is RegistrationState.IDENTITY_CONFIRMED
    assert world.pki.ca.certificates_of("per-1") == []


def test_sign_withdrawn_during_the_registration_stops_issuance(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.IDENTITY_CONFIRMED, cabinet_id="cab-2")
    with world.uow() as tx:
        tx.members.get("mem-4").delegations = frozenset()
        tx.commit()
    with pytest.raises(MissingDelegation):
        world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    # The consent is kept; nothing was issued.
    assert status(world, cabinet_id="cab-2").state is RegistrationState.TERMS_ACCEPTED
    assert world.pki.ca.certificates_of("per-1") == []


def test_a_failed_issuance_resumes_without_a_second_consent(world: World, monkeypatch) -> None:  # noqa: ANN001
    rid = registered_up_to(world, RegistrationState.IDENTITY_CONFIRMED)
    keys_before = set(world.pki.vault._keys)  # noqa: SLF001

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise OSError("CA unavailable")

    monkeypatch.setattr(world.pki.ca, "issue", unavailable)
    with pytest.raises(OSError):
        world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    assert status(world).state is RegistrationState.TERMS_ACCEPTED
    assert set(world.pki.vault._keys) == keys_before  # noqa: SLF001 - the orphan key was destroyed
    monkeypatch.undo()
    summary = world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    assert summary.status is CertificateState.ACTIVE
    assert status(world).state is RegistrationState.ISSUED


def test_a_failed_commit_after_issuance_revokes_the_certificate_and_destroys_the_key(world: World,
                                                                                      monkeypatch) -> None:  # noqa: ANN001
    rid = registered_up_to(world, RegistrationState.IDENTITY_CONFIRMED)
    keys_before = set(world.pki.vault._keys)  # noqa: SLF001
    real_commit = InMemoryUnitOfWork.commit
    calls = {"n": 0}

    def commit_fails_the_second_time(self: InMemoryUnitOfWork) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("database gone")
        real_commit(self)

    monkeypatch.setattr(InMemoryUnitOfWork, "commit", commit_fails_the_second_time)
    with pytest.raises(OSError):
        world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    [orphan] = world.pki.ca.certificates_of("per-1")
    assert orphan.status is CertificateStatus.REVOKED
    assert set(world.pki.vault._keys) == keys_before  # noqa: SLF001
    assert world.store.tables["certificates"] == {}
    assert status(world).state is RegistrationState.TERMS_ACCEPTED


def test_an_issued_or_cancelled_registration_is_closed(world: World) -> None:
    rid = registered_up_to(world, RegistrationState.ISSUED)
    with pytest.raises(RegistrationClosed):
        world.accept_terms_and_issue(person_id="per-1", registration_id=rid, terms_version=TERMS)
    with pytest.raises(RegistrationClosed):
        world.cancel_registration(person_id="per-1", registration_id=rid)
    assert len(world.my_certificates(person_id="per-1")) == 1


# Ma signature personnelle, Mes certificats ---------------------------------------------------


def test_the_overview_shows_per_cabinet_what_to_do(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    overview = {c.cabinet_id: c for c in world.my_signature_overview(person_id="per-1")}
    assert [c.cabinet_name for c in world.my_signature_overview(person_id="per-1")] == [CABINET_NAME, "Cabinet Voisin"]
    mine = overview["cab-1"]
    assert mine.role is Role.OWNER and mine.can_sign and Delegation.SIGN in mine.delegations
    assert mine.lcp is not None and mine.lcp.status is CertificateState.ACTIVE and mine.lcp.policy_name == "LCP"
    assert not mine.registration_needed and mine.registration is None
    assert mine.qcp is None and mine.can_subscribe_qcp
    other = overview["cab-2"]
    assert other.lcp is None and other.registration_needed and not other.can_subscribe_qcp


def test_the_overview_shows_a_registration_under_way_and_nothing_to_sign_without_sign(world: World) -> None:
    registered_up_to(world, RegistrationState.MOBILE_VERIFIED, cabinet_id="cab-2")
    voisin = next(c for c in world.my_signature_overview(person_id="per-1") if c.cabinet_id == "cab-2")
    assert voisin.registration is not None and voisin.registration.next_action == "confirm_identity"
    assert voisin.registration_needed
    [paul] = world.my_signature_overview(person_id="per-2")
    assert not paul.can_sign and not paul.registration_needed and not paul.can_subscribe_qcp


def test_my_certificates_downloads_pem_and_der_of_my_certificate_only(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    [summary] = world.my_certificates(person_id="per-1")
    der = world.certificate_download(person_id="per-1", certificate_id=summary.certificate_id, format="der")
    pem = world.certificate_download(person_id="per-1", certificate_id=summary.certificate_id, format="PEM")
    assert x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER) == der
    assert b"PRIVATE KEY" not in pem and pem.count(b"-----BEGIN") == 1
    with pytest.raises(InvalidValue):
        world.certificate_download(person_id="per-1", certificate_id=summary.certificate_id, format="p12")
    with pytest.raises(CertificateNotFound):
        world.certificate_download(person_id="per-2", certificate_id=summary.certificate_id, format="der")


def test_revocation_shows_revoked_and_the_crl_lists_the_serial(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    [summary] = world.my_certificates(person_id="per-1")
    world.clock.advance(timedelta(days=3))
    revoked = world.revoke_certificate(person_id="per-1", certificate_id=summary.certificate_id,
                                       reason="key_compromise")
    assert revoked.status is CertificateState.REVOKED and not revoked.can_revoke
    assert revoked.revoked_at == world.clock.now() and revoked.revocation_reason == "key_compromise"
    [listed] = world.my_certificates(person_id="per-1")
    assert listed.status is CertificateState.REVOKED

    crl = x509.load_der_x509_crl(world.pki.ca.crl(CaName.LCP))
    entry = crl.get_revoked_certificate_by_serial_number(int(summary.serial, 16))
    assert entry is not None
    assert world.pki.ca.certificate(summary.serial).status is CertificateStatus.REVOKED

    with pytest.raises(CertificateRevoked):
        world.revoke_certificate(person_id="per-1", certificate_id=summary.certificate_id, reason="unspecified")
    # With the LCP revoked, the cabinet asks to register again.
    mine = next(c for c in world.my_signature_overview(person_id="per-1") if c.cabinet_id == "cab-1")
    assert mine.lcp is None and mine.registration_needed and not mine.can_subscribe_qcp
    assert world.start_registration(person_id="per-1", cabinet_id="cab-1").state is RegistrationState.STARTED


def test_only_the_holder_revokes_from_mes_certificats(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    [summary] = world.my_certificates(person_id="per-1")
    with pytest.raises(CertificateNotFound):
        world.revoke_certificate(person_id="per-2", certificate_id=summary.certificate_id, reason="unspecified")
    assert world.pki.ca.certificate(summary.serial).status is CertificateStatus.VALID
    with pytest.raises(InvalidValue):
        world.revoke_certificate(person_id="per-1", certificate_id=summary.certificate_id, reason="bored")


def test_an_administrator_revokes_anyones_certificate(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    [summary] = world.my_certificates(person_id="per-1")
    revoked = world.revoke_certificate_as_administrator(administrator_id="admin-1",
                                                        certificate_id=summary.certificate_id,
                                                        reason=RevocationReason.AFFILIATION_CHANGED)
    assert revoked.status is CertificateState.REVOKED
    assert world.store.tables["certificates"][summary.certificate_id].revoked_by == "admin-1"  # type: ignore[attr-defined]


def test_a_revocation_already_published_by_the_ca_is_brought_into_the_record(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    [summary] = world.my_certificates(person_id="per-1")
    # As if an earlier attempt had reached the CA but its commit had failed.
    world.pki.ca.revoke(summary.serial, RevocationReason.SUPERSEDED, world.clock.now())
    world.clock.advance(timedelta(minutes=5))
    revoked = world.revoke_certificate(person_id="per-1", certificate_id=summary.certificate_id,
                                       reason="unspecified")
    assert revoked.status is CertificateState.REVOKED and revoked.revocation_reason == "superseded"


def test_an_expired_certificate_shows_expired_and_registration_is_needed_again(world: World) -> None:
    registered_up_to(world, RegistrationState.ISSUED)
    world.clock.advance(timedelta(days=3 * 366))
    [summary] = world.my_certificates(person_id="per-1")
    assert summary.status is CertificateState.EXPIRED and not summary.can_revoke
    mine = next(c for c in world.my_signature_overview(person_id="per-1") if c.cabinet_id == "cab-1")
    assert mine.lcp is None and mine.registration_needed


def test_the_test_unit_of_work_has_what_the_use_cases_need(world: World) -> None:
    with world.uow() as tx:
        assert isinstance(tx, UnitOfWork)
