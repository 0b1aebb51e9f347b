"""Use cases: send a one-time code, check it.

Building blocks, not entry points: later flows (LCP registration, QCP enrollment, signing
ceremony) open their unit of work, check their own rules (delegation, collection state),
then call these with that open ``UnitOfWork`` and
an event sink that appends to their audit trail. Both use cases commit: a refused check must persist its counted
try even though it raises, otherwise rolling back on the exception would give unlimited
guesses. A caller doing more work in the same unit of work should do it after
``check_code`` returns, so a failure there never "un-uses" a code.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.model.errors import CodeNotRequested, CodeRefused, InvalidValue
from domain.model.jobs import JobSpec, Notification
from domain.model.one_time_code import (
    CODE_VALIDITY,
    SEND_WINDOW,
    ChallengeStatus,
    OneTimeCodeChallenge,
    check_purpose,
    check_resend_allowed,
)
from domain.model.values import Email, Mobile
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.one_time_codes import CodeEventSink, CodeGenerator, CodeHasher
from ports.repositories import UnitOfWork

__all__ = ["DEFAULT_TEMPLATE", "check_code", "send_code"]

DEFAULT_TEMPLATE = "one_time_code"


def send_code(*, work: UnitOfWork, generator: CodeGenerator, hasher: CodeHasher, ids: IdGenerator,
              clock: Clock, record: CodeEventSink, person_id: str, purpose: str,
              destination: Email | Mobile, payload_digest: str | None = None,
              template: str = DEFAULT_TEMPLATE, locale: str = "fr",
              about: tuple[str, str] | None = None, about_registration: str | None = None,
              about_enrollment: str | None = None,
              details: Mapping[str, str] | None = None) -> OneTimeCodeChallenge:
    """Issue a new code for ``purpose`` and queue it to ``destination`` (email or mobile).

    The throttle counts the person's sends for this purpose, not across purposes:
    registration sends an email code then an SMS code seconds apart, and that second
    send is not a resend. A flow that wants its own budget scopes the purpose
    (``CodePurpose.SIGNING.scoped(collection_id)``).
    A new code replaces the person's pending one for the purpose: one live code at a time.
    The clear code goes only into the notification; the challenge keeps its keyed hash.
    ``about`` (collection id, signer id) names whom a failed delivery is reported to
    (``about_registration``/``about_enrollment``: the LCP registration or QCP enrollment whose
    person is told);
    ``details`` go to the message beside the purpose, so that it says what the code unlocks
    (the title of the collection to sign).
    """
    now = clock.now()
    purpose = check_purpose(purpose)
    codes = work.one_time_codes
    check_resend_allowed(codes.sends_since(person_id, now - SEND_WINDOW, purpose=purpose), now)

    code = generator.new_code()
    challenge_id = ids.new_id()
    if isinstance(destination, Email):
        notification = Notification.email(destination, template, locale, code=code,
                                          valid_minutes=_minutes(), purpose=purpose, **dict(details or {}))
    elif isinstance(destination, Mobile):
        notification = Notification.sms(destination, template, locale, code=code,
                                        valid_minutes=_minutes(), purpose=purpose, **dict(details or {}))
    else:
        raise InvalidValue("destination", "a code goes to an Email or a Mobile")
    if about is not None:
        notification = notification.about(*about)
    if about_registration is not None:
        notification = notification.about_lcp_registration(about_registration)
    if about_enrollment is not None:
        notification = notification.about_qcp_enrollment(about_enrollment)
    challenge = OneTimeCodeChallenge.issue(
        id=challenge_id, person_id=person_id, purpose=purpose, channel=notification.channel,
        destination=notification.to, code_hash=hasher.hash(code, context=challenge_id),
        payload_digest=payload_digest, now=now)

    previous = codes.latest_for(person_id, purpose)
    replaces = None
    if previous is not None and previous.status is not ChallengeStatus.USED:
        # Asking again before succeeding is a resend, whatever became of the earlier code.
        replaces = previous.id
        previous.supersede(now, by=challenge.id)

    codes.add(challenge)
    work.jobs.enqueue(JobSpec.notify(notification))
    challenge.record_sent(now, replaces=replaces)
    if previous is not None:
        _flush(previous, record)
    _flush(challenge, record)
    work.commit()
    return challenge


def check_code(*, work: UnitOfWork, hasher: CodeHasher, clock: Clock, record: CodeEventSink,
               person_id: str, purpose: str, code: str,
               payload_digest: str | None = None) -> OneTimeCodeChallenge:
    """Accept the person's latest code for ``purpose`` once, or raise a ``CodeRefused``.

    ``payload_digest`` is the digest of what is presented now (``bind_payload`` of the
    current document digests); it must equal the one the code was sent for.
    """
    now = clock.now()
    challenge = work.one_time_codes.latest_for(person_id, check_purpose(purpose))
    if challenge is None:
        raise CodeNotRequested("no code was sent for this purpose")
    typed = "".join(str(code).split())  # people type "123 456"
    try:
        challenge.verify(matches=lambda code_hash: hasher.verify(code_hash, typed, context=challenge.id),
                         payload_digest=payload_digest, now=now)
    except CodeRefused:
        _flush(challenge, record)
        work.commit()
        raise
    _flush(challenge, record)
    work.commit()
    return challenge


def _flush(challenge: OneTimeCodeChallenge, record: CodeEventSink) -> None:
    for event in challenge.pull_events():
        record(event)


def _minutes() -> str:
    return str(int(CODE_VALIDITY.total_seconds() // 60))
