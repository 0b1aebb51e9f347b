"""LCP registration (« S'enregistrer »): how a member holding SIGN gets their LCP certificate
for one cabinet.

An explicit state machine, one step at a time::

    STARTED ─verify_email→ EMAIL_VERIFIED ─verify_mobile→ MOBILE_VERIFIED
        ─confirm_identity→ IDENTITY_CONFIRMED ─accept_terms→ TERMS_ACCEPTED ─mark_issued→ ISSUED
    any active state ─cancel→ CANCELLED

When configuration requires it, a document-only identity check happens in
IDENTITY_CONFIRMED, before the terms (``begin_identity_check``, repeatable for a new attempt,
leaves the state as it is; the use case refuses issuance until the provider's verdict
passes). Its sessions and decisions are kept in the history, like the code events.

ISSUED and CANCELLED are final. Any other move raises ``RegistrationWrongStep`` (or
``RegistrationClosed`` once final), naming the state and the action refused.

The email and mobile are taken from the person when the registration starts: the codes go
there, and the certificate may only name what was verified, so ``confirm_identity`` refuses
a profile whose email or mobile changed in between. The QCP enrollment later compares its
identity with the one confirmed here.
"""

from __future__ import annotations

import enum
from datetime import datetime

from attrs import define, field, frozen

from domain.model.cabinet import Delegation, Member
from domain.model.errors import (
    IdentityChanged,
    InvalidValue,
    LcpAlreadyActive,
    NotFound,
    RegistrationClosed,
    RegistrationInProgress,
    RegistrationMobileRequired,
    RegistrationWrongStep,
)
from domain.model.person import Person
from domain.model.values import Email, Mobile, PersonName

__all__ = [
    "ACTIVE_STATES",
    "FINAL_STATES",
    "LcpRegistration",
    "RegistrationAction",
    "RegistrationState",
    "RegistrationStep",
    "TermsConsent",
    "require_signer",
]


class RegistrationState(enum.Enum):
    STARTED = "started"
    EMAIL_VERIFIED = "email_verified"
    MOBILE_VERIFIED = "mobile_verified"
    IDENTITY_CONFIRMED = "identity_confirmed"
    TERMS_ACCEPTED = "terms_accepted"
    ISSUED = "issued"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({RegistrationState.ISSUED, RegistrationState.CANCELLED})
ACTIVE_STATES = frozenset(RegistrationState) - FINAL_STATES


class RegistrationAction(enum.Enum):
    """Everything one can ask of a registration; the value is what errors report."""

    SEND_EMAIL_CODE = "send_email_code"
    VERIFY_EMAIL = "verify_email"
    SEND_SMS_CODE = "send_sms_code"
    VERIFY_MOBILE = "verify_mobile"
    CONFIRM_IDENTITY = "confirm_identity"
    START_IDENTITY_CHECK = "start_identity_check"
    ACCEPT_TERMS = "accept_terms"
    ISSUE = "issue"
    CANCEL = "cancel"


# The whole machine in one table: action -> (state it requires, state it leads to).
# Sending a code changes nothing, so it may be repeated (a resend) in its state.
TRANSITIONS: dict[RegistrationAction, tuple[frozenset[RegistrationState], RegistrationState | None]] = {
    RegistrationAction.SEND_EMAIL_CODE: (frozenset({RegistrationState.STARTED}), None),
    RegistrationAction.VERIFY_EMAIL: (frozenset({RegistrationState.STARTED}), RegistrationState.EMAIL_VERIFIED),
    RegistrationAction.SEND_SMS_CODE: (frozenset({RegistrationState.EMAIL_VERIFIED}), None),
    RegistrationAction.VERIFY_MOBILE: (frozenset({RegistrationState.EMAIL_VERIFIED}),
                                       RegistrationState.MOBILE_VERIFIED),
    RegistrationAction.CONFIRM_IDENTITY: (frozenset({RegistrationState.MOBILE_VERIFIED}),
                                          RegistrationState.IDENTITY_CONFIRMED),
    RegistrationAction.START_IDENTITY_CHECK: (frozenset({RegistrationState.IDENTITY_CONFIRMED}), None),
    RegistrationAction.ACCEPT_TERMS: (frozenset({RegistrationState.IDENTITY_CONFIRMED}),
                                      RegistrationState.TERMS_ACCEPTED),
    RegistrationAction.ISSUE: (frozenset({RegistrationState.TERMS_ACCEPTED}), RegistrationState.ISSUED),
    RegistrationAction.CANCEL: (ACTIVE_STATES, RegistrationState.CANCELLED),
}

# What the person does next, for a page resuming the registration.
NEXT_ACTION: dict[RegistrationState, RegistrationAction | None] = {
    RegistrationState.STARTED: RegistrationAction.VERIFY_EMAIL,
    RegistrationState.EMAIL_VERIFIED: RegistrationAction.VERIFY_MOBILE,
    RegistrationState.MOBILE_VERIFIED: RegistrationAction.CONFIRM_IDENTITY,
    RegistrationState.IDENTITY_CONFIRMED: RegistrationAction.ACCEPT_TERMS,
    RegistrationState.TERMS_ACCEPTED: RegistrationAction.ISSUE,
    RegistrationState.ISSUED: None,
    RegistrationState.CANCELLED: None,
}


# History kinds of the optional identity check (see ``begin_identity_check``).
IDENTITY_CHECK_STARTED = "identity_check.started"
IDENTITY_CHECK_DECIDED = "identity_check.decided"


@frozen
class TermsConsent:
    """The person's acceptance of the terms: which text, and when."""

    version: str = field()
    accepted_at: datetime

    @version.validator
    def _check_version(self, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise InvalidValue("terms_version", "the terms version is a short non-empty label")


def _frozen_detail(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, dict) else value  # type: ignore[union-attr]
    return tuple(sorted((str(k), str(v)) for k, v in items))  # type: ignore[misc]


# A code message that could not be delivered (history step; detail: channel, reason).
UNDELIVERED_STEP = "code_undelivered"


@frozen
class RegistrationStep:
    """One step taken, kept on the registration for its history and the audit trail."""

    kind: str  # a RegistrationAction value, "started", or an otp event kind ("otp.sent"…)
    at: datetime
    detail: tuple[tuple[str, str], ...] = field(converter=_frozen_detail, factory=tuple)

    def detail_dict(self) -> dict[str, str]:
        return dict(self.detail)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("registration times are timezone-aware (from the Clock port)")


def require_signer(member: Member | None, cabinet_id: str) -> Member:
    """The person must be a member of that cabinet holding SIGN.

    A non-member gets NotFound, as everywhere else: outsiders learn nothing of a cabinet.
    """
    if member is None or member.cabinet_id != cabinet_id:
        raise NotFound("cabinet not found")
    member.require(Delegation.SIGN)
    return member


@define(eq=False)
class LcpRegistration:
    id: str
    person_id: str
    cabinet_id: str
    name: PersonName
    email: Email
    mobile: Mobile
    started_at: datetime
    state: RegistrationState = RegistrationState.STARTED
    updated_at: datetime | None = None
    email_verified_at: datetime | None = None
    mobile_verified_at: datetime | None = None
    identity_confirmed_at: datetime | None = None
    consent: TermsConsent | None = None
    issued_at: datetime | None = None
    certificate_id: str | None = None
    cancelled_at: datetime | None = None
    history: list[RegistrationStep] = field(factory=list)

    @classmethod
    def start(cls, *, id: str, person: Person, cabinet_id: str, member: Member | None,
              active_registration: LcpRegistration | None, has_active_lcp: bool,
              now: datetime) -> LcpRegistration:
        """Begin « S'enregistrer ». ``member`` is the person's membership in the cabinet (None
        when they are not a member); ``active_registration`` the one already under way for
        this person and cabinet, if any; ``has_active_lcp`` whether they already hold an
        active LCP certificate for it."""
        _require_aware(now)
        require_signer(member, cabinet_id)
        if member is not None and member.person_id != person.id:
            raise InvalidValue("member", "the membership belongs to another person")
        if has_active_lcp:
            raise LcpAlreadyActive("you already hold an active LCP certificate for this cabinet")
        if active_registration is not None and active_registration.is_active:
            raise RegistrationInProgress(registration_id=active_registration.id)
        if person.mobile is None:
            raise RegistrationMobileRequired()
        registration = cls(id=id, person_id=person.id, cabinet_id=cabinet_id, name=person.name,
                           email=person.email, mobile=person.mobile, started_at=now, updated_at=now)
        registration.note("started", now, email=str(person.email), mobile=str(person.mobile))
        return registration

    # Queries ------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def next_action(self) -> RegistrationAction | None:
        return NEXT_ACTION[self.state]

    @property
    def identity_session_ref(self) -> str | None:
        """The provider session of the latest identity check started, if any."""
        for step in reversed(self.history):
            if step.kind == IDENTITY_CHECK_STARTED:
                return step.detail_dict().get("session_ref")
        return None

    def identity_decision(self, session_ref: str) -> dict[str, str] | None:
        """The decision recorded for that session (outcome, reason), if one was."""
        for step in reversed(self.history):
            detail = step.detail_dict()
            if step.kind == IDENTITY_CHECK_DECIDED and detail.get("session_ref") == session_ref:
                return detail
        return None

    def allows(self, action: RegistrationAction) -> bool:
        return self.state in TRANSITIONS[action][0]

    # Commands -----------------------------------------------------------------------

    def require(self, action: RegistrationAction) -> None:
        """Raise unless ``action`` may happen now; changes nothing. The service asks this
        before sending a code or checking one, so a code is never spent on a wrong step."""
        if self.allows(action):
            return
        if self.state in FINAL_STATES:
            raise RegistrationClosed(f"the registration is {self.state.value}",
                                     state=self.state.value, action=action.value)
        raise RegistrationWrongStep(state=self.state.value, action=action.value)

    def verify_email(self, now: datetime) -> None:
        """The code sent to ``email`` was right."""
        self._move(RegistrationAction.VERIFY_EMAIL, now, email=str(self.email))
        self.email_verified_at = now

    def verify_mobile(self, now: datetime) -> None:
        """The code sent by SMS to ``mobile`` was right."""
        self._move(RegistrationAction.VERIFY_MOBILE, now, mobile=str(self.mobile))
        self.mobile_verified_at = now

    def confirm_identity(self, *, name: PersonName, email: Email, mobile: Mobile | None, now: datetime) -> None:
        """The person confirms the identity shown (their profile now). The name is taken as
        confirmed; email and mobile must still be the ones just verified by code."""
        self.require(RegistrationAction.CONFIRM_IDENTITY)
        if email != self.email or mobile != self.mobile:
            raise IdentityChanged("the email or mobile changed since they were verified; start again")
        self.name = name
        self._move(RegistrationAction.CONFIRM_IDENTITY, now, given_names=name.given_names, surname=name.surname)
        self.identity_confirmed_at = now

    def begin_identity_check(self, session_ref: str, now: datetime) -> None:
        """A provider session was opened for the identity check (a new attempt replaces
        the previous one). The state stays IDENTITY_CONFIRMED: the verdict gates issuance."""
        _require_aware(now)
        self.require(RegistrationAction.START_IDENTITY_CHECK)
        if not session_ref:
            raise InvalidValue("session_ref", "the identity check session must be named")
        self.updated_at = now
        self.note(IDENTITY_CHECK_STARTED, now, session_ref=session_ref)

    def record_identity_decision(self, session_ref: str, *, outcome: str, reason: str | None,
                                 now: datetime) -> bool:
        """Keep the provider's verdict on the current session once; False when already kept
        or when the session is not the current one (an abandoned attempt)."""
        if session_ref != self.identity_session_ref or self.identity_decision(session_ref) is not None:
            return False
        self.note(IDENTITY_CHECK_DECIDED, now, session_ref=session_ref, outcome=outcome, reason=reason or "")
        self.updated_at = now
        return True

    def accept_terms(self, *, version: str, now: datetime) -> None:
        self.require(RegistrationAction.ACCEPT_TERMS)
        consent = TermsConsent(version=version, accepted_at=now)
        self._move(RegistrationAction.ACCEPT_TERMS, now, terms_version=consent.version)
        self.consent = consent

    def mark_issued(self, *, certificate_id: str, now: datetime) -> None:
        if not certificate_id:
            raise InvalidValue("certificate_id", "the issued certificate must be named")
        self._move(RegistrationAction.ISSUE, now, certificate_id=certificate_id)
        self.certificate_id = certificate_id
        self.issued_at = now

    def cancel(self, now: datetime, *, reason: str = "by_person") -> None:
        self._move(RegistrationAction.CANCEL, now, reason=reason)
        self.cancelled_at = now

    @property
    def sms_undelivered(self) -> bool:
        """The last SMS code could not be delivered (the provider refused it, or every retry
        failed) and none has been sent since."""
        for step in reversed(self.history):
            if step.kind == UNDELIVERED_STEP and step.detail_dict().get("channel") == "sms":
                return True
            if step.kind in ("otp.sent", "otp.resent") and step.detail_dict().get("channel") == "sms":
                return False
        return False

    def note(self, kind: str, now: datetime, **detail: str) -> None:
        """Append a step to the history (the service adds the one-time code events)."""
        _require_aware(now)
        self.history.append(RegistrationStep(kind=kind, at=now, detail=detail))

    # Internals ----------------------------------------------------------------------

    def _move(self, action: RegistrationAction, now: datetime, **detail: str) -> None:
        _require_aware(now)
        self.require(action)
        target = TRANSITIONS[action][1]
        assert target is not None, "only code sends leave the state unchanged"
        self.state = target
        self.updated_at = now
        self.note(action.value, now, **detail)
