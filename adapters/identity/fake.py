"""A scripted identity provider for service tests: no capture, outcomes decided by the test.

``script(...)`` queues outcomes taken by the next sessions to complete; ``complete``
decides a session (as a provider would after the capture). Results can also arrive as a
"callback": ``callback_payload`` builds the body a provider would post, signed with a
shared secret that ``handle_callback`` checks, so tests exercise the callback path too.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections import deque
from collections.abc import Mapping
from datetime import date

from attrs import define, field

from domain.model.errors import (
    IdentityAlreadyDecided,
    IdentityCallbackRefused,
    IdentityProviderUnavailable,
    IdentitySessionNotFound,
)
from domain.model.identity import (
    CaptureStep,
    CheckMode,
    DocumentType,
    ExtractedIdentity,
    IdentityCheckResult,
    IdentityCheckStatus,
    IdentitySession,
    IdentitySubject,
    ImageDigest,
)
from domain.model.values import PersonName
from ports.clock import Clock

__all__ = ["FakeIdentityVerifier", "Scripted"]

SIGNATURE_HEADER = "x-fake-signature"


@define
class Scripted:
    approved: bool
    reason: str | None = None
    extracted: ExtractedIdentity | None = None


@define
class _Session:
    subject: IdentitySubject
    mode: CheckMode
    status: IdentityCheckStatus = IdentityCheckStatus.CAPTURING
    result: IdentityCheckResult | None = None
    images: dict[CaptureStep, bytes] = field(factory=dict)


class FakeIdentityVerifier:
    def __init__(self, clock: Clock, *, secret: str = "fake-secret", birth_date: date = date(1985, 6, 15)) -> None:
        self.clock = clock
        self.secret = secret.encode()
        self.birth_date = birth_date
        self.sessions: dict[str, _Session] = {}
        self.cancelled: list[str] = []
        self.unavailable = False  # set True to simulate an outage of the provider
        self._queue: deque[Scripted] = deque()
        self._counter = itertools.count(1)

    # Test controls --------------------------------------------------------------------

    def script(self, *outcomes: Scripted) -> None:
        self._queue.extend(outcomes)

    def approve_next(self, extracted: ExtractedIdentity | None = None) -> None:
        self.script(Scripted(approved=True, extracted=extracted))

    def reject_next(self, reason: str = "document_expired") -> None:
        self.script(Scripted(approved=False, reason=reason))

    def submit(self, session_ref: str) -> None:
        """The person finished the capture; the decision is pending."""
        session = self._get(session_ref)
        session.images = {CaptureStep.DOCUMENT_CENTRE: b"front:" + session_ref.encode()}
        session.status = IdentityCheckStatus.SUBMITTED

    def complete(self, session_ref: str) -> IdentityCheckResult:
        """Decide with the next scripted outcome (approval with the declared identity when
        nothing is scripted)."""
        session = self._get(session_ref)
        if session.result is not None:
            raise IdentityAlreadyDecided("already decided")
        if session.status is IdentityCheckStatus.CAPTURING:
            self.submit(session_ref)
        outcome = self._queue.popleft() if self._queue else Scripted(approved=True)
        now = self.clock.now()
        digests = tuple(ImageDigest(step, hashlib.sha256(data).hexdigest()) for step, data in session.images.items())
        if outcome.approved:
            extracted = outcome.extracted or self.declared(session.subject)
            result = IdentityCheckResult.approve(session_ref=session_ref, extracted=extracted, decided_at=now,
                                                 evidence_ref=f"fake:{session_ref}", image_digests=digests)
            session.status = IdentityCheckStatus.APPROVED
        else:
            result = IdentityCheckResult.reject(session_ref=session_ref, reason=outcome.reason or "rejected",
                                                decided_at=now, evidence_ref=f"fake:{session_ref}",
                                                image_digests=digests)
            session.status = IdentityCheckStatus.REJECTED
        session.result = result
        return result

    def declared(self, subject: IdentitySubject) -> ExtractedIdentity:
        return ExtractedIdentity(name=PersonName(subject.name.given_names.upper(), subject.name.surname.upper()),
                                 birth_date=subject.birth_date or self.birth_date,
                                 document_type=DocumentType.PASSPORT, document_number="19AB12345")

    def callback_payload(self, session_ref: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers the provider would post once it decided."""
        body = json.dumps({"session_ref": session_ref}).encode()
        return body, {SIGNATURE_HEADER: hmac.new(self.secret, body, hashlib.sha256).hexdigest()}

    # IdentityVerifier -----------------------------------------------------------------

    def start_session(self, subject: IdentitySubject, *, mode: CheckMode = CheckMode.DOCUMENT_AND_FACE) -> IdentitySession:
        ref = f"fake-session-{next(self._counter):04d}-" + hashlib.sha256(
            f"{subject.reference}{len(self.sessions)}".encode()).hexdigest()[:16]
        self.sessions[ref] = _Session(subject=subject, mode=mode)
        return IdentitySession(session_ref=ref, phone_url=f"https://fake-idv.test/phone/{ref}",
                               browser_url=f"https://fake-idv.test/browser/{ref}", mode=mode)

    def status(self, session_ref: str) -> IdentityCheckStatus:
        self._reachable()
        return self._get(session_ref).status

    def result(self, session_ref: str) -> IdentityCheckResult | None:
        self._reachable()
        return self._get(session_ref).result

    def _reachable(self) -> None:
        if self.unavailable:
            raise IdentityProviderUnavailable("the provider does not answer")

    def handle_callback(self, payload: bytes, headers: Mapping[str, str]) -> IdentityCheckResult | None:
        lowered = {k.lower(): v for k, v in headers.items()}
        expected = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(lowered.get(SIGNATURE_HEADER, ""), expected):
            raise IdentityCallbackRefused("bad callback signature")
        try:
            ref = str(json.loads(payload)["session_ref"])
        except (ValueError, KeyError, TypeError):
            raise IdentityCallbackRefused("unreadable callback") from None
        if ref not in self.sessions:
            raise IdentityCallbackRefused("unknown session")
        return self.sessions[ref].result

    def cancel(self, session_ref: str) -> None:
        session = self._get(session_ref)
        if session.status.decided:
            raise IdentityAlreadyDecided("a decided session cannot be cancelled")
        session.status = IdentityCheckStatus.CANCELLED
        session.images.clear()
        self.cancelled.append(session_ref)

    def delete_images(self, session_ref: str) -> list[ImageDigest]:
        session = self._get(session_ref)
        session.images.clear()
        return list(session.result.image_digests) if session.result else []

    def purge_images(self) -> int:
        count = 0
        for session in self.sessions.values():
            if session.result is not None and session.images:
                session.images.clear()
                count += 1
        return count

    def _get(self, session_ref: str) -> _Session:
        try:
            return self.sessions[session_ref]
        except KeyError:
            raise IdentitySessionNotFound("unknown identity-check session") from None
