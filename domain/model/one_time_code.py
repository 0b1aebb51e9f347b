"""One-time codes (« code à usage unique »): 6 digits sent by email or SMS.

A reusable building block: LCP registration, QCP enrollment and the signing ceremony
each send a code and check it. The rules live here, pure:

- valid 10 minutes, single use;
- at most 5 wrong tries, then the challenge is dead (even the right code is refused);
- optionally bound to a payload (for signing: the digests of the documents shown) and
  refused when the payload presented at check time differs;
- sends throttled: 1 per minute, 5 per hour (``check_resend_allowed``);
- each step recorded as a ``CodeEvent`` the caller drains into its audit trail.

The code itself never reaches this module: the challenge holds only an opaque keyed hash
(see ``ports.one_time_codes.CodeHasher`` for why a keyed HMAC and not a slow salted hash),
and ``verify`` receives a checker that compares the typed code with that hash.
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from attrs import define, field, frozen

from domain.model.errors import (
    CodeAlreadyUsed,
    CodeDead,
    CodeExpired,
    CodeInvalid,
    CodePayloadMismatch,
    CodeResendLimit,
    CodeResendTooSoon,
    InvalidValue,
)
from domain.model.jobs import Channel

__all__ = [
    "CODE_LENGTH",
    "CODE_VALIDITY",
    "MAX_WRONG_TRIES",
    "RESEND_INTERVAL",
    "SEND_WINDOW",
    "SENDS_PER_WINDOW",
    "ChallengeStatus",
    "CodeEvent",
    "CodeEventKind",
    "CodePurpose",
    "OneTimeCodeChallenge",
    "bind_payload",
    "check_resend_allowed",
]

CODE_LENGTH = 6
CODE_VALIDITY = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
RESEND_INTERVAL = timedelta(minutes=1)
SEND_WINDOW = timedelta(hours=1)
SENDS_PER_WINDOW = 5


class CodePurpose(enum.StrEnum):
    """Well-known purposes. A purpose is a plain string; a flow may scope it with
    ``scoped`` (``signing:<collection id>``) so that codes, and the send throttle, of two
    ceremonies do not interfere."""

    LCP_REGISTRATION_EMAIL = "lcp_registration.email"
    LCP_REGISTRATION_SMS = "lcp_registration.sms"
    QCP_ENROLLMENT_EMAIL = "qcp_enrollment.email"
    QCP_REQUEST_SIGNING = "qcp_enrollment.request_signing"
    SIGNING = "signing"

    def scoped(self, scope: str) -> str:
        return check_purpose(f"{self.value}:{scope}")


_PURPOSE = re.compile(r"[a-z0-9_.-]{1,60}(:[A-Za-z0-9_.-]{1,64})?")


def check_purpose(purpose: str) -> str:
    if not isinstance(purpose, str) or not _PURPOSE.fullmatch(purpose):
        raise InvalidValue("purpose", "a code purpose is a short dotted name, optionally ':scope'")
    return str(purpose)


class ChallengeStatus(enum.Enum):
    PENDING = "pending"
    USED = "used"
    DEAD = "dead"  # too many wrong tries
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a newer code was sent for the same person and purpose


class CodeEventKind(enum.Enum):
    ISSUED = "otp.issued"
    SENT = "otp.sent"
    RESENT = "otp.resent"
    CHECKED = "otp.checked"  # right code, accepted: the challenge is used
    FAILED = "otp.failed"  # any refused check; detail "reason" says why
    DEAD = "otp.dead"
    EXPIRED = "otp.expired"
    SUPERSEDED = "otp.superseded"


def _frozen_detail(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, dict) else value  # type: ignore[union-attr]
    return tuple(sorted((str(k), str(v)) for k, v in items))  # type: ignore[misc]


@frozen
class CodeEvent:
    """One step of a challenge's life, for the caller's audit trail. Never holds the code."""

    kind: CodeEventKind
    at: datetime
    challenge_id: str
    detail: tuple[tuple[str, str], ...] = field(converter=_frozen_detail, factory=tuple)

    def detail_dict(self) -> dict[str, str]:
        return dict(self.detail)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("one-time codes need timezone-aware datetimes (from the Clock port)")


_CLEAR_CODE = re.compile(r"\s*\d{4,8}\s*")


def _check_code_hash(_instance: object, _attribute: object, value: str) -> None:
    # Cheap guard against a caller storing the code itself instead of its hash.
    if not value or _CLEAR_CODE.fullmatch(value):
        raise InvalidValue("code_hash", "a challenge stores the code's keyed hash, never the code")


@define(eq=False)
class OneTimeCodeChallenge:
    """One code sent to one destination for one purpose.

    ``attempts`` counts refused tries (wrong code or changed payload); the accepted try
    is not counted. ``code_hash`` is opaque: the ``CodeHasher`` that made it embeds its
    key reference, so keys can be rotated while codes are in flight.
    """

    id: str
    person_id: str
    purpose: str = field(converter=check_purpose)
    channel: Channel
    destination: str  # email address or E.164 mobile, as the notification was addressed
    code_hash: str = field(validator=_check_code_hash)
    payload_digest: str | None
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    status: ChallengeStatus = ChallengeStatus.PENDING
    used_at: datetime | None = None
    _events: list[CodeEvent] = field(factory=list, init=False, repr=False)

    @classmethod
    def issue(cls, *, id: str, person_id: str, purpose: str, channel: Channel, destination: str,
              code_hash: str, now: datetime, payload_digest: str | None = None) -> OneTimeCodeChallenge:
        _require_aware(now)
        challenge = cls(id=id, person_id=person_id, purpose=purpose, channel=channel,
                        destination=destination, code_hash=code_hash, payload_digest=payload_digest,
                        created_at=now, expires_at=now + CODE_VALIDITY)
        challenge._record(CodeEventKind.ISSUED, now, purpose=challenge.purpose, channel=channel.value,
                          destination=destination, expires_at=challenge.expires_at.isoformat(),
                          bound_to_payload="yes" if payload_digest is not None else "no")
        return challenge

    # Queries ------------------------------------------------------------------------

    @property
    def remaining_tries(self) -> int:
        return max(0, MAX_WRONG_TRIES - self.attempts)

    def usable(self, now: datetime) -> bool:
        return self.status is ChallengeStatus.PENDING and now < self.expires_at

    # Commands -----------------------------------------------------------------------

    def record_sent(self, now: datetime, *, replaces: str | None = None) -> None:
        """The notification carrying the code was handed to the outbox."""
        detail = {"channel": self.channel.value, "destination": self.destination}
        if replaces is not None:
            detail["replaces"] = replaces
        self._record(CodeEventKind.RESENT if replaces else CodeEventKind.SENT, now, **detail)

    def supersede(self, now: datetime, *, by: str) -> None:
        """A newer code was sent: this one stops working, so only one code is live at a time
        (otherwise every resend would add five more guesses)."""
        if self.status is not ChallengeStatus.PENDING:
            return
        if now >= self.expires_at:
            self._expire(now)
            return
        self.status = ChallengeStatus.SUPERSEDED
        self._record(CodeEventKind.SUPERSEDED, now, by=by)

    def verify(self, *, matches: Callable[[str], bool], payload_digest: str | None, now: datetime) -> None:
        """Accept the code once, or raise the reason it is refused.

        ``matches(code_hash)`` says whether the code the person typed has this hash.
        ``payload_digest`` is the digest of the payload presented now (None when the
        challenge is not bound): it must equal the one the code was issued for.
        A refusal changes the challenge (attempts, status): the caller must persist it
        even though it raises, or the try limit could be bypassed.
        """
        _require_aware(now)
        if self.status is ChallengeStatus.USED:
            self._refused(now, "already_used")
            raise CodeAlreadyUsed("this code has already been used")
        if self.status in (ChallengeStatus.DEAD, ChallengeStatus.SUPERSEDED):
            self._refused(now, self.status.value)
            raise CodeDead("this code no longer works; request a new one")
        if self.status is ChallengeStatus.EXPIRED or now >= self.expires_at:
            self._expire(now)
            self._refused(now, "expired")
            raise CodeExpired("this code has expired; request a new one")
        # The payload is compared before the code, and a mismatch costs a try, so a
        # changed payload can neither be used nor serve to test codes for free.
        if payload_digest != self.payload_digest:
            self._wrong_try(now, "payload_mismatch")
            raise CodePayloadMismatch("the data this code authorises has changed",
                                      remaining_tries=self.remaining_tries)
        if not matches(self.code_hash):
            self._wrong_try(now, "wrong_code")
            raise CodeInvalid("wrong code", remaining_tries=self.remaining_tries)
        self.status = ChallengeStatus.USED
        self.used_at = now
        self._record(CodeEventKind.CHECKED, now, attempts=str(self.attempts))

    def pull_events(self) -> list[CodeEvent]:
        """Hand the recorded events to the caller (for its audit trail) and forget them."""
        events, self._events = self._events, []
        return events

    # Internals ----------------------------------------------------------------------

    def _wrong_try(self, now: datetime, reason: str) -> None:
        self.attempts += 1
        self._refused(now, reason)
        if self.attempts >= MAX_WRONG_TRIES:
            self.status = ChallengeStatus.DEAD
            self._record(CodeEventKind.DEAD, now, attempts=str(self.attempts))
            # The try that kills the challenge says so: the person must ask for a new code.
            raise CodeDead("too many wrong tries; request a new code", reason=reason)

    def _expire(self, now: datetime) -> None:
        if self.status is ChallengeStatus.PENDING:
            self.status = ChallengeStatus.EXPIRED
            self._record(CodeEventKind.EXPIRED, now)

    def _refused(self, now: datetime, reason: str) -> None:
        self._record(CodeEventKind.FAILED, now, reason=reason, remaining_tries=str(self.remaining_tries))

    def _record(self, kind: CodeEventKind, now: datetime, **detail: str) -> None:
        self._events.append(CodeEvent(kind=kind, at=now, challenge_id=self.id, detail=detail))


def check_resend_allowed(previous_send_times: Iterable[datetime], now: datetime) -> None:
    """Refuse a send that comes too soon after the last one, or beyond 5 in the last hour.

    ``previous_send_times`` is the history the caller wants throttled together (the
    service passes the sends to one person for one purpose). Errors carry
    ``retry_after_seconds`` so a page can say when to try again.
    """
    _require_aware(now)
    recent = sorted(t for t in previous_send_times if now - t < SEND_WINDOW)
    if len(recent) >= SENDS_PER_WINDOW:
        # Allowed again once the oldest of the last SENDS_PER_WINDOW - 1 sends leaves the window.
        frees_at = recent[len(recent) - SENDS_PER_WINDOW] + SEND_WINDOW
        raise CodeResendLimit(f"at most {SENDS_PER_WINDOW} codes per hour",
                              retry_after_seconds=_seconds_until(frees_at, now))
    if recent and now - recent[-1] < RESEND_INTERVAL:
        raise CodeResendTooSoon("wait a minute before asking for another code",
                                retry_after_seconds=_seconds_until(recent[-1] + RESEND_INTERVAL, now))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def bind_payload(parts: Iterable[str]) -> str:
    """The digest a code is bound to, from the parts it authorises (e.g. the hex SHA-256 of
    each document). Order-independent: the code authorises this set of documents.
    Each part is length-prefixed so that no two different sets give the same input."""
    items = sorted(str(p) for p in parts)
    if not items:
        raise InvalidValue("payload", "a code is bound to at least one item")
    digest = hashlib.sha256(b"seing.otp.payload.v1\x00")
    for item in items:
        data = item.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
