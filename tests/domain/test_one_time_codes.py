"""One-time codes: every rule, with the case it refuses."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.ids import SequentialIds
from adapters.memory.one_time_codes import InMemoryOneTimeCodeRepository
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from domain.model.errors import (
    CodeAlreadyUsed,
    CodeDead,
    CodeExpired,
    CodeInvalid,
    CodeNotRequested,
    CodePayloadMismatch,
    CodeRefused,
    CodeResendLimit,
    CodeResendTooSoon,
    InvalidValue,
)
from domain.model.jobs import Channel, JobSpec
from domain.model.one_time_code import (
    ChallengeStatus,
    CodeEvent,
    CodeEventKind,
    CodePurpose,
    OneTimeCodeChallenge,
    bind_payload,
    check_resend_allowed,
)
from domain.model.values import Email, Mobile
from domain.services.one_time_codes import check_code, send_code

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
MOBILE = Mobile("06 12 34 56 78")
EMAIL = Email("jessica@example.fr")
PERSON = "person-1"
PURPOSE = CodePurpose.LCP_REGISTRATION_SMS
DOCS = bind_payload(["a" * 64, "b" * 64])


# Fakes -------------------------------------------------------------------------------


class ScriptedCodes:
    """Hands out the codes a test chose, so it can type the right and wrong ones."""

    def __init__(self, *codes: str) -> None:
        self._codes = list(codes)

    def new_code(self) -> str:
        return self._codes.pop(0)


class Outbox:
    def __init__(self) -> None:
        self.pending: list[JobSpec] = []

    def enqueue(self, spec: JobSpec) -> str:
        self.pending.append(spec)
        return f"job-{len(self.pending)}"


class Work:
    """A unit of work that, like a database, keeps only what was committed."""

    def __init__(self) -> None:
        self.one_time_codes = InMemoryOneTimeCodeRepository()
        self.jobs = Outbox()
        self.committed_codes = InMemoryOneTimeCodeRepository()
        self.sent: list[JobSpec] = []

    def commit(self) -> None:
        self.committed_codes = copy.deepcopy(self.one_time_codes)
        self.sent.extend(self.jobs.pending)
        self.jobs.pending = []


class Env:
    def __init__(self, *codes: str) -> None:
        self.clock = FixedClock(T0)
        self.work = Work()
        self.hasher = HmacCodeHasher({"k1": b"s" * 32}, "k1")
        self.generator = ScriptedCodes(*codes) if codes else PyotpCodeGenerator(self.clock)
        self.ids = SequentialIds("otp")
        self.events: list[CodeEvent] = []

    def send(self, destination: Email | Mobile = MOBILE, *, purpose: str = PURPOSE,
             payload_digest: str | None = None) -> OneTimeCodeChallenge:
        return send_code(work=self.work, generator=self.generator, hasher=self.hasher, ids=self.ids,
                         clock=self.clock, record=self.events.append, person_id=PERSON,
                         purpose=purpose, destination=destination, payload_digest=payload_digest)

    def check(self, code: str, *, purpose: str = PURPOSE, payload_digest: str | None = None) -> OneTimeCodeChallenge:
        return check_code(work=self.work, hasher=self.hasher, clock=self.clock, record=self.events.append,
                          person_id=PERSON, purpose=purpose, code=code, payload_digest=payload_digest)

    def last_code_sent(self) -> str:
        return self.work.sent[-1].as_notification().context_dict()["code"]

    def kinds(self) -> list[CodeEventKind]:
        kinds = [event.kind for event in self.events]
        self.events.clear()
        return kinds


# Accepting and refusing a code -----------------------------------------------------


def test_the_right_code_is_accepted_once_then_refused() -> None:
    env = Env("123456")
    env.send()
    env.clock.advance(timedelta(seconds=30))

    accepted = env.check("123456")

    assert accepted.status is ChallengeStatus.USED
    assert accepted.used_at == T0 + timedelta(seconds=30)
    with pytest.raises(CodeAlreadyUsed) as refused:
        env.check("123456")
    assert refused.value.code == "otp.already_used"


def test_a_code_from_the_real_generator_arrives_in_the_sms_and_works() -> None:
    env = Env()
    env.send()

    job = env.work.sent[-1]
    notification = job.as_notification()
    assert job.kind == "notify"
    assert (notification.channel, notification.to) == (Channel.SMS, "+33612345678")
    assert notification.context_dict()["valid_minutes"] == "10"
    assert env.check(env.last_code_sent()).status is ChallengeStatus.USED


def test_an_email_code_goes_to_the_email_address() -> None:
    env = Env("123456")
    challenge = env.send(EMAIL, purpose=CodePurpose.LCP_REGISTRATION_EMAIL)

    notification = env.work.sent[-1].as_notification()
    assert (notification.channel, notification.to) == (Channel.EMAIL, "jessica@example.fr")
    assert (challenge.channel, challenge.destination) == (Channel.EMAIL, "jessica@example.fr")
    assert notification.context_dict()["code"] == "123456"


def test_a_code_typed_with_spaces_is_accepted() -> None:
    env = Env("123456")
    env.send()
    assert env.check(" 123 456 ").status is ChallengeStatus.USED


def test_a_code_is_still_accepted_a_second_before_ten_minutes() -> None:
    env = Env("123456")
    env.send()
    env.clock.advance(timedelta(minutes=9, seconds=59))
    assert env.check("123456").status is ChallengeStatus.USED


def test_a_code_is_refused_ten_minutes_and_one_second_after_it_was_sent() -> None:
    env = Env("123456")
    env.send()
    env.clock.advance(timedelta(minutes=10, seconds=1))

    with pytest.raises(CodeExpired):
        env.check("123456")
    assert env.work.committed_codes.get("otp-000001").status is ChallengeStatus.EXPIRED


def test_a_wrong_code_says_how_many_tries_remain() -> None:
    env = Env("123456")
    env.send()

    remaining = []
    for _ in range(4):
        with pytest.raises(CodeInvalid) as refused:
            env.check("654321")
        remaining.append(refused.value.remaining_tries)

    assert remaining == [4, 3, 2, 1]
    assert refused.value.code == "otp.invalid"
    assert refused.value.params == {"remaining_tries": 1}


def test_five_wrong_tries_kill_the_challenge_and_then_even_the_right_code_is_refused() -> None:
    env = Env("123456")
    env.send()
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            env.check("000000")

    with pytest.raises(CodeDead):
        env.check("000000")
    with pytest.raises(CodeDead):
        env.check("123456")
    challenge = env.work.committed_codes.get("otp-000001")
    assert challenge.status is ChallengeStatus.DEAD
    assert challenge.attempts == 5


def test_refused_tries_are_committed_although_the_check_raises() -> None:
    # A caller's unit of work rolls back on exceptions: the counted try must be stored anyway.
    env = Env("123456")
    env.send()
    with pytest.raises(CodeInvalid):
        env.check("111111")
    assert env.work.committed_codes.get("otp-000001").attempts == 1


def test_checking_before_any_code_was_sent_is_refused() -> None:
    env = Env("123456")
    with pytest.raises(CodeNotRequested):
        env.check("123456")
    env.send(purpose=CodePurpose.SIGNING)
    with pytest.raises(CodeNotRequested):
        env.check("123456", purpose=CodePurpose.QCP_ENROLLMENT_EMAIL)


def test_every_refusal_is_a_code_refused_with_a_stable_code() -> None:
    codes = {cls.code for cls in (CodeInvalid, CodeExpired, CodeDead, CodeAlreadyUsed,
                                  CodePayloadMismatch, CodeNotRequested)}
    assert codes == {"otp.invalid", "otp.expired", "otp.dead", "otp.already_used",
                     "otp.payload_mismatch", "otp.not_requested"}
    assert all(issubclass(cls, CodeRefused) for cls in (CodeInvalid, CodeExpired, CodeDead))
    assert (CodeResendTooSoon.code, CodeResendLimit.code) == ("otp.resend_too_soon", "otp.resend_limit")


# Payload binding -------------------------------------------------------------------


def test_a_code_bound_to_documents_is_accepted_for_those_documents() -> None:
    env = Env("123456")
    env.send(purpose=CodePurpose.SIGNING, payload_digest=DOCS)
    # Same documents, listed in another order: same set, same authorisation.
    same_docs = bind_payload(["b" * 64, "a" * 64])
    assert env.check("123456", purpose=CodePurpose.SIGNING, payload_digest=same_docs).status is ChallengeStatus.USED


def test_a_code_is_refused_when_the_documents_changed() -> None:
    env = Env("123456")
    env.send(purpose=CodePurpose.SIGNING, payload_digest=DOCS)
    changed = bind_payload(["a" * 64, "c" * 64])

    with pytest.raises(CodePayloadMismatch) as refused:
        env.check("123456", purpose=CodePurpose.SIGNING, payload_digest=changed)

    assert refused.value.code == "otp.payload_mismatch"
    challenge = env.work.committed_codes.get("otp-000001")
    assert challenge.status is ChallengeStatus.PENDING  # still usable for the right documents
    assert challenge.attempts == 1  # but a mismatch is no free try


def test_a_bound_code_is_refused_when_no_payload_is_presented_and_vice_versa() -> None:
    env = Env("123456", "654321")
    env.send(purpose=CodePurpose.SIGNING, payload_digest=DOCS)
    with pytest.raises(CodePayloadMismatch):
        env.check("123456", purpose=CodePurpose.SIGNING)

    env.send(purpose=CodePurpose.LCP_REGISTRATION_EMAIL, destination=EMAIL)
    with pytest.raises(CodePayloadMismatch):
        env.check("654321", purpose=CodePurpose.LCP_REGISTRATION_EMAIL, payload_digest=DOCS)


def test_binding_a_payload_depends_on_every_item_but_not_their_order() -> None:
    assert bind_payload(["x", "y"]) == bind_payload(["y", "x"])
    assert bind_payload(["x", "y"]) != bind_payload(["x", "z"])
    assert bind_payload(["x", "y"]) != bind_payload(["xy"])
    with pytest.raises(InvalidValue):
        bind_payload([])


# Throttling sends ------------------------------------------------------------------


def test_a_resend_within_a_minute_is_refused() -> None:
    env = Env("111111", "222222")
    env.send()
    env.clock.advance(timedelta(seconds=59))

    with pytest.raises(CodeResendTooSoon) as refused:
        env.send()

    assert refused.value.retry_after_seconds == 1
    assert len(env.work.sent) == 1


def test_a_resend_after_a_minute_is_accepted_and_replaces_the_previous_code() -> None:
    env = Env("111111", "222222")
    env.send()
    env.clock.advance(timedelta(seconds=60))

    env.send()

    assert env.work.committed_codes.get("otp-000001").status is ChallengeStatus.SUPERSEDED
    with pytest.raises(CodeInvalid):
        env.check("111111")  # the first code no longer works
    assert env.check("222222").status is ChallengeStatus.USED


def test_a_sixth_send_within_an_hour_is_refused() -> None:
    env = Env(*(f"{n}{n}{n}{n}{n}{n}" for n in range(1, 8)))
    for _ in range(5):
        env.send()
        env.clock.advance(timedelta(minutes=2))

    with pytest.raises(CodeResendLimit) as refused:
        env.send()

    # First send at T0, now T0 + 10 min: a send is allowed again at T0 + 60 min.
    assert refused.value.retry_after_seconds == 50 * 60
    env.clock.set(T0 + timedelta(hours=1))
    env.send()
    assert len(env.work.sent) == 6


def test_the_throttle_is_per_purpose_so_registration_can_send_email_then_sms() -> None:
    env = Env("111111", "222222")
    env.send(EMAIL, purpose=CodePurpose.LCP_REGISTRATION_EMAIL)
    env.clock.advance(timedelta(seconds=20))
    env.send(MOBILE, purpose=CodePurpose.LCP_REGISTRATION_SMS)
    assert [job.as_notification().channel for job in env.work.sent] == [Channel.EMAIL, Channel.SMS]


def test_a_new_code_can_be_requested_after_the_challenge_died() -> None:
    env = Env("123456", "777777")
    env.send()
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            env.check("000000")
    with pytest.raises(CodeDead):
        env.check("000000")
    env.clock.advance(timedelta(minutes=1))
    env.send()
    assert env.check("777777").status is ChallengeStatus.USED


@pytest.mark.parametrize(("ago", "allowed"), [
    ([], True),
    ([timedelta(seconds=59)], False),
    ([timedelta(seconds=60)], True),
    ([timedelta(minutes=m) for m in (1, 2, 3, 4)], True),  # 5th send in the hour
    ([timedelta(minutes=m) for m in (1, 2, 3, 4, 5)], False),  # 6th
    ([timedelta(minutes=m) for m in (1, 2, 3, 4, 60)], True),  # the oldest left the window
])
def test_the_throttle_rule_over_a_send_history(ago: list[timedelta], allowed: bool) -> None:
    history = [T0 - delta for delta in ago]
    if allowed:
        check_resend_allowed(history, T0)
    else:
        with pytest.raises((CodeResendTooSoon, CodeResendLimit)):
            check_resend_allowed(history, T0)


# Storage never holds the code ------------------------------------------------------


def test_stored_state_holds_no_clear_code() -> None:
    env = Env("480213")
    env.send(purpose=CodePurpose.SIGNING, payload_digest=DOCS)
    with pytest.raises(CodeInvalid):
        env.check("000000", purpose=CodePurpose.SIGNING, payload_digest=DOCS)

    stored = env.work.committed_codes.get("otp-000001")
    assert "480213" not in repr(attrs.asdict(stored, recurse=True))
    assert stored.code_hash.startswith("hmac-sha256$k1$")
    assert not any("480213" in repr(event) for event in env.events)
    assert env.last_code_sent() == "480213"  # only the notification carries it


def test_a_challenge_refuses_to_store_a_clear_code_as_its_hash() -> None:
    with pytest.raises(InvalidValue):
        OneTimeCodeChallenge.issue(id="x", person_id=PERSON, purpose=PURPOSE, channel=Channel.SMS,
                                   destination=str(MOBILE), code_hash="480213", now=T0)


def test_a_challenge_needs_an_aware_time_and_a_sane_purpose() -> None:
    with pytest.raises(ValueError):
        OneTimeCodeChallenge.issue(id="x", person_id=PERSON, purpose=PURPOSE, channel=Channel.SMS,
                                   destination=str(MOBILE), code_hash="h$k$v", now=T0.replace(tzinfo=None))
    with pytest.raises(InvalidValue):
        OneTimeCodeChallenge.issue(id="x", person_id=PERSON, purpose="Signing ceremony!", channel=Channel.SMS,
                                   destination=str(MOBILE), code_hash="h$k$v", now=T0)
    assert CodePurpose.SIGNING.scoped("col-42") == "signing:col-42"


# Events ----------------------------------------------------------------------------


def test_each_step_is_recorded_as_an_event() -> None:
    env = Env("111111", "222222", "333333")
    env.send()
    assert env.kinds() == [CodeEventKind.ISSUED, CodeEventKind.SENT]

    env.clock.advance(timedelta(minutes=1))
    env.send()
    assert env.kinds() == [CodeEventKind.SUPERSEDED, CodeEventKind.ISSUED, CodeEventKind.RESENT]

    with pytest.raises(CodeInvalid):
        env.check("000000")
    assert env.kinds() == [CodeEventKind.FAILED]

    env.check("222222")
    assert env.kinds() == [CodeEventKind.CHECKED]

    env.clock.advance(timedelta(minutes=1))
    env.send()
    env.kinds()
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            env.check("000000")
    env.kinds()
    with pytest.raises(CodeDead):
        env.check("000000")
    assert env.kinds() == [CodeEventKind.FAILED, CodeEventKind.DEAD]


def test_expiry_is_recorded_once() -> None:
    env = Env("123456")
    env.send()
    env.kinds()
    env.clock.advance(timedelta(minutes=11))
    for _ in range(2):
        with pytest.raises(CodeExpired):
            env.check("123456")
    assert env.kinds() == [CodeEventKind.EXPIRED, CodeEventKind.FAILED, CodeEventKind.FAILED]


def test_events_name_the_challenge_the_time_and_the_reason() -> None:
    env = Env("111111", "222222")
    env.send()
    env.clock.advance(timedelta(minutes=2))
    env.send()
    env.events.clear()
    with pytest.raises(CodeInvalid):
        env.check("999999")

    (failed,) = env.events
    assert (failed.challenge_id, failed.at) == ("otp-000002", T0 + timedelta(minutes=2))
    assert failed.detail_dict() == {"reason": "wrong_code", "remaining_tries": "4"}


def test_a_resent_event_names_the_code_it_replaces() -> None:
    env = Env("111111", "222222")
    env.send()
    env.clock.advance(timedelta(minutes=1))
    env.send()
    resent = [e for e in env.events if e.kind is CodeEventKind.RESENT]
    assert [(e.challenge_id, e.detail_dict()["replaces"]) for e in resent] == [("otp-000002", "otp-000001")]


def test_a_new_code_after_a_used_one_is_a_first_send_not_a_resend() -> None:
    env = Env("111111", "222222")
    env.send()
    env.check("111111")
    env.clock.advance(timedelta(minutes=1))
    env.events.clear()
    env.send()
    assert env.kinds() == [CodeEventKind.ISSUED, CodeEventKind.SENT]
    assert env.work.committed_codes.get("otp-000001").status is ChallengeStatus.USED
