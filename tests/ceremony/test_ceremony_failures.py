"""Codes, crashes and an unavailable TSA: a signature happens completely or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.persistence import InMemoryUnitOfWork
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.audit import verify_chain
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.errors import (
    CodeAlreadyUsed,
    CodeDead,
    CodeExpired,
    CodeInvalid,
    CodePayloadMismatch,
    CodeResendTooSoon,
    DocumentCorrupted,
    IdentityCheckRequired,
    SignatureBeingFinalised,
    TimestampUnavailable,
)
from domain.model.jobs import Channel
from domain.model.pki import KeyType
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from domain.services import ceremony
from tests.ceremony.harness import Ceremony


class Boom(Exception):
    pass


class Failing:
    """A port whose ``method`` raises on its ``on_call``-th call (a crash at that step)."""

    def __init__(self, target, method: str, on_call: int = 1) -> None:
        self._target, self._method, self._on_call, self.calls = target, method, on_call, 0

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != self._method:
            return attribute

        def wrapper(*args, **kwargs):
            self.calls += 1
            if self.calls == self._on_call:
                raise Boom(f"{name} #{self.calls}")
            return attribute(*args, **kwargs)

        return wrapper


@pytest.fixture
def world(tmp_path):
    return Ceremony(tmp_path)


def _external(level: SignatureLevel, name: str, email: str, mobile: str | None = "06 12 34 56 78") -> dict:
    return dict(kind=SignerKind.EXTERNAL, level=level, given_names=name, surname="Exemple", email=email,
                mobile=mobile)


def _ports(world: Ceremony, **overrides):
    a = world.container.adapters
    ports = dict(uow=world.uow, clock=world.clock, ids=a.ids(), code_generator=a.code_generator(),
                 code_hasher=a.code_hasher(), store=a.document_store(), signing=a.pdf_signing(), ca=a.ca(),
                 vault=a.vault(), key_type=KeyType.EC_P256, locks=a.locks())
    ports.update(overrides)
    return ceremony.SigningPorts(**ports)


def _ready(world: Ceremony, email: str) -> tuple[str, str]:
    token = world.token_of(email)
    world.uc.open_ceremony(token=token)
    world.uc.request_signing_code(token=token)
    return token, world.latest_code()


def _two_signer_collection(world: Ceremony) -> str:
    return world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr"),
                             _external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", None)],
                            mode=InvitationMode.PARALLEL, documents=2)


def _assert_untouched(world: Ceremony, cid: str) -> None:
    collection = world.get(cid)
    assert collection.status is CollectionStatus.IN_PROGRESS
    assert all(s.status is not SignerStatus.SIGNED and s.certificate is None for s in collection.signers)
    assert all(d.latest.sha256 == d.prepared.sha256 for d in collection.documents)
    kinds = [e.kind for e in world.trail(cid)]
    assert "signed" not in kinds and "document_signed" not in kinds
    assert verify_chain(world.trail(cid)) is None
    assert world.store.tables["certificates"] == {}


def _crashing_uow(world: Ceremony):
    state = {"armed": True}

    class CrashBeforeCommit(InMemoryUnitOfWork):
        def commit(self) -> None:
            pending = [e for chain in self._working["audit"].values() for e in chain]
            if state["armed"] and any(e.kind == "document_signed" for e in pending):
                state["armed"] = False
                raise Boom("crash before the last commit")
            super().commit()

    return lambda: CrashBeforeCommit(world.store, clock=world.clock)


STEPS = [
    ("vault", "generate", 1), ("ca", "issue", 1), ("store", "lend", 1), ("signing", "sign_document", 1),
    ("store", "put_file", 1), ("signing", "sign_document", 2), ("store", "lend", 2), ("store", "put_file", 2),
    ("uow", "commit", 1),
]


@pytest.mark.parametrize("port,method,on_call", STEPS, ids=[f"{p}.{m}#{n}" for p, m, n in STEPS])
def test_a_crash_at_any_step_of_a_signature_leaves_nothing_half_done_and_a_retry_succeeds(world, port, method,
                                                                                          on_call):
    cid = _two_signer_collection(world)
    token, code = _ready(world, "anne@exemple.fr")
    a = world.container.adapters
    target = {"vault": a.vault(), "ca": a.ca(), "store": a.document_store(), "signing": a.pdf_signing()}
    overrides = {"uow": _crashing_uow(world)} if port == "uow" else {port: Failing(target[port], method, on_call)}
    with pytest.raises(Boom):
        ceremony.sign(ports=_ports(world, **overrides), token=token, code=code)
    _assert_untouched(world, cid)
    # The code was used; the signer asks for another and signs again.
    with pytest.raises(CodeAlreadyUsed):
        world.uc.sign(token=token, code=code)
    world.clock.advance(timedelta(seconds=61))
    world.uc.request_signing_code(token=token)
    assert world.uc.sign(token=token, code=world.latest_code()).status == "signed"
    collection = world.get(cid)
    assert collection.signers[0].status is SignerStatus.SIGNED
    for pdf in world.document_bytes(cid):
        report = world.uc.verify_pdf(content=pdf)
        (signature,) = [s for s in report.signatures if s.kind == "signature"]
        assert signature.ok and signature.level == 2


def test_five_wrong_codes_kill_the_code_even_the_right_one(world):
    _two_signer_collection(world)
    token, code = _ready(world, "anne@exemple.fr")
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            world.uc.sign(token=token, code=wrong)
    with pytest.raises(CodeDead):
        world.uc.sign(token=token, code=wrong)
    with pytest.raises(CodeDead):
        world.uc.sign(token=token, code=code)
    cid = world.get(next(iter(world.store.tables["collections"]))).id
    assert [e.kind for e in world.trail(cid)].count("code_failed") == 6


def test_an_expired_code_is_refused(world):
    _two_signer_collection(world)
    token, code = _ready(world, "anne@exemple.fr")
    world.clock.advance(timedelta(minutes=11))
    with pytest.raises(CodeExpired):
        world.uc.sign(token=token, code=code)


def test_a_code_is_refused_when_a_document_changed_after_it_was_sent(world):
    cid = _two_signer_collection(world)
    token, code = _ready(world, "anne@exemple.fr")
    other = world.container.adapters.document_store().put(b"%PDF-1.7 another document")
    world.get(cid).documents[1].prepared = other  # the stored collection now shows other bytes
    with pytest.raises(CodePayloadMismatch):
        world.uc.sign(token=token, code=code)


def test_codes_go_by_email_at_level_1_and_by_sms_at_level_2_and_resending_is_throttled(world):
    _two_signer_collection(world)
    _ready(world, "bruno@exemple.fr")
    assert world.notifications("signing_code")[-1].channel is Channel.EMAIL
    token, _ = _ready(world, "anne@exemple.fr")
    sms = world.notifications("signing_code")[-1]
    assert sms.channel is Channel.SMS and sms.to == "+33612345678"
    with pytest.raises(CodeResendTooSoon):  # « Code non reçu ? Renvoyer » too soon
        world.uc.request_signing_code(token=token)
    world.clock.advance(timedelta(seconds=61))
    sent = world.uc.request_signing_code(token=token)
    assert sent.channel == "sms" and sent.masked_destination == "06 ** ** 78"


def test_an_external_level_3_signer_needs_the_identity_check_before_a_code(world):
    world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    view = world.uc.open_ceremony(token=token)
    assert view.identity_check_required and view.level == 3
    with pytest.raises(IdentityCheckRequired):
        world.uc.request_signing_code(token=token)
    world.uc.record_identity_check(token=token, approved=False, reference="sim-1")
    with pytest.raises(IdentityCheckRequired):
        world.uc.request_signing_code(token=token)
    world.uc.record_identity_check(token=token, approved=True, reference="sim-2")
    world.uc.request_signing_code(token=token)
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"


class SwitchableTsa:
    def __init__(self, inner) -> None:
        self.inner, self.down = inner, False

    def timestamp(self, digest, hash_algorithm, nonce=None):
        if self.down:
            raise TimestampUnavailable("the TSA does not answer")
        return self.inner.timestamp(digest, hash_algorithm, nonce)


def test_an_unavailable_tsa_queues_the_signature_and_the_worker_finishes_it_with_a_real_token(world):
    from dependency_injector import providers

    tsa = SwitchableTsa(BuiltinTsa(world.vault, world.ca, world.clock))
    world.container.adapters.pdf_signing.override(providers.Object(PyHankoPdfSigning(
        vault=world.vault, timestamp_authority=tsa, revocation_source=CaRevocationSource(world.ca), clock=world.clock)))
    cid = _two_signer_collection(world)
    token, code = _ready(world, "anne@exemple.fr")
    tsa.down = True
    outcome = world.uc.sign(token=token, code=code)
    assert outcome.status == "finalising"
    assert world.uc.ceremony_status(token=token).signer_status == "finalising"
    collection = world.get(cid)
    assert collection.signers[0].status is not SignerStatus.SIGNED
    assert all(d.latest.sha256 == d.prepared.sha256 for d in collection.documents)  # no signature without a token
    assert "signature_pending" in [e.kind for e in world.trail(cid)]
    with pytest.raises(SignatureBeingFinalised):
        world.uc.request_signing_code(token=token)
    with pytest.raises(TimestampUnavailable):  # the worker retries later rather than sign without time
        world.run_jobs("finalise_signature")
    tsa.down = False
    assert world.run_jobs("finalise_signature") == 1
    collection = world.get(cid)
    assert collection.signers[0].status is SignerStatus.SIGNED and collection.signers[0].finalising_since is None
    for pdf in world.document_bytes(cid):
        (signature,) = [s for s in world.uc.verify_pdf(content=pdf).signatures if s.kind == "signature"]
        assert signature.ok and signature.timestamped


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _capture(world: Ceremony, session_ref: str) -> None:
    from domain.model.identity import CheckMode

    verifier = world.container.adapters.identity_verifier()
    for step in CheckMode.DOCUMENT_AND_FACE.steps:
        verifier.submit_capture(session_ref, step, PNG + step.value.encode(), "image/png")
    verifier.finish_capture(session_ref)
    verifier.decide_now(session_ref)


def test_an_external_level_3_signer_passes_the_simulated_identity_check_then_signs(world):
    world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    world.uc.open_ceremony(token=token)
    assert world.uc.identity_check_outcome(token=token) == "none"
    session = world.uc.start_identity_check(token=token)
    assert world.uc.identity_check_outcome(token=token) == "pending"
    _capture(world, session.session_ref)
    assert world.uc.identity_check_outcome(token=token) == "approved"
    world.uc.request_signing_code(token=token)
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"
    outcomes = [e.detail_dict()["outcome"] for e in world.trail(world.get(next(iter(world.store.tables["collections"]))).id)
                if e.kind == "identity_checked"]
    assert outcomes == ["started", "approved"]


def test_a_rejected_identity_check_keeps_the_code_locked_and_allows_a_new_attempt(world):
    world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    world.uc.open_ceremony(token=token)
    session = world.uc.start_identity_check(token=token)
    world.container.adapters.identity_verifier().set_outcome(session.session_ref, approved=False,
                                                             reason="document_unreadable")
    _capture(world, session.session_ref)
    assert world.uc.identity_check_outcome(token=token) == "rejected"
    with pytest.raises(IdentityCheckRequired):
        world.uc.request_signing_code(token=token)
    again = world.uc.start_identity_check(token=token)
    assert again.session_ref != session.session_ref


def test_a_later_signer_is_refused_when_the_latest_version_does_not_extend_the_approved_one(world):
    cid = _two_signer_collection(world)
    token, code = _ready(world, "anne@exemple.fr")
    assert world.uc.sign(token=token, code=code).status == "signed"
    store = world.container.adapters.document_store()
    collection = world.get(cid)
    for document in collection.documents:
        # Intact stored bytes, recorded as the latest version, that are not the approved bytes plus
        # signatures: the header comment changed, the same length, still a PDF pyHanko reads.
        latest = store.read(document.latest.sha256)
        assert latest.startswith(b"%PDF-1.")
        document.current = store.put(latest[:7] + (b"3" if latest[7:8] != b"3" else b"2") + latest[8:])
    stored_before = {d.id: d.current.sha256 for d in collection.documents}
    token, code = _ready(world, "bruno@exemple.fr")
    with pytest.raises(DocumentCorrupted):
        world.uc.sign(token=token, code=code)
    collection = world.get(cid)
    assert collection.signers[1].status is not SignerStatus.SIGNED
    assert {d.id: d.latest.sha256 for d in collection.documents} == stored_before
