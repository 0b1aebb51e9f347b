"""Contract suite for identity providers (``ports.identity.IdentityVerifier``).

For a provider's author as much as for us: subclass ``IdentityVerifierContract`` in your
tests, implement the hooks, run pytest. No pytest import is needed here; plain asserts.

Hooks:

- ``make_verifier()``: a fresh provider (sandbox credentials, local server, whatever it needs);
- ``drive_to_approved(verifier, session, subject)``: make the provider approve the
  session (submit the sandbox's "good" captures, answer as a reviewer, call its test API).
  After it returns, ``verifier.result(ref)`` must give the decision (poll inside the hook if
  the provider is slow);
- ``drive_to_rejected(verifier, session, reason)``: same, for a rejection;
- ``callback_for(verifier, session)``: the (body, headers) the provider posts once it has
  decided, or None when it only supports polling.

Providers whose capture pages are Seing's own also pass ``CaptureHostContract``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from domain.model.errors import (
    IdentityCallbackRefused,
    IdentityCaptureRefused,
    IdentitySessionClosed,
    IdentitySessionNotFound,
)
from domain.model.identity import (
    CaptureStep,
    CheckMode,
    Decision,
    IdentityCheckStatus,
    IdentitySession,
    IdentitySubject,
)
from domain.model.values import Email, PersonName
from ports.identity import CaptureHost, IdentityVerifier

__all__ = ["CaptureHostContract", "IdentityVerifierContract", "sample_subject"]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sample_subject(reference: str = "person-1") -> IdentitySubject:
    return IdentitySubject(reference=reference, name=PersonName("Jessica", "Poussart"),
                           email=Email("jessica@poussart.fr"), birth_date=date(1988, 3, 14))


def _raises(error: type[BaseException], call: Any, *args: Any, **kwargs: Any) -> BaseException:
    try:
        call(*args, **kwargs)
    except error as exc:
        return exc
    raise AssertionError(f"{error.__name__} not raised")


class IdentityVerifierContract:
    # Hooks ----------------------------------------------------------------------------

    def make_verifier(self) -> IdentityVerifier:
        raise NotImplementedError

    def drive_to_approved(self, verifier: Any, session: IdentitySession, subject: IdentitySubject) -> None:
        raise NotImplementedError

    def drive_to_rejected(self, verifier: Any, session: IdentitySession, reason: str) -> None:
        raise NotImplementedError

    def callback_for(self, verifier: Any, session: IdentitySession) -> tuple[bytes, dict[str, str]] | None:
        return None

    # Tests ----------------------------------------------------------------------------

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_verifier(), IdentityVerifier)

    def test_a_session_gives_an_unguessable_reference_and_two_capture_urls(self) -> None:
        verifier = self.make_verifier()
        first = verifier.start_session(sample_subject())
        second = verifier.start_session(sample_subject())
        assert first.session_ref != second.session_ref
        assert len(first.session_ref) >= 16
        assert first.phone_url.startswith(("http://", "https://"))
        assert first.browser_url.startswith(("http://", "https://"))
        assert first.mode is CheckMode.DOCUMENT_AND_FACE

    def test_a_new_session_is_capturing_and_has_no_result(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        assert verifier.status(session.session_ref) is IdentityCheckStatus.CAPTURING
        assert verifier.result(session.session_ref) is None

    def test_a_document_only_session_says_so(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject(), mode=CheckMode.DOCUMENT_ONLY)
        assert session.mode is CheckMode.DOCUMENT_ONLY

    def test_an_unknown_session_is_not_found(self) -> None:
        verifier = self.make_verifier()
        _raises(IdentitySessionNotFound, verifier.status, "no-such-session-0000000000")
        _raises(IdentitySessionNotFound, verifier.result, "no-such-session-0000000000")

    def test_an_approval_carries_the_identity_read_and_an_evidence_reference(self) -> None:
        verifier = self.make_verifier()
        subject = sample_subject()
        session = verifier.start_session(subject)
        self.drive_to_approved(verifier, session, subject)
        result = verifier.result(session.session_ref)
        assert result is not None
        assert result.decision is Decision.APPROVED
        assert result.session_ref == session.session_ref
        assert result.extracted is not None
        assert result.extracted.name.matches(subject.name)
        assert result.evidence_ref
        assert verifier.status(session.session_ref) is IdentityCheckStatus.APPROVED
        assert verifier.result(session.session_ref) == result  # polling again gives the same

    def test_a_rejection_carries_its_reason(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        self.drive_to_rejected(verifier, session, "document_expired")
        result = verifier.result(session.session_ref)
        assert result is not None
        assert result.decision is Decision.REJECTED
        assert result.reason == "document_expired"
        assert result.extracted is None
        assert verifier.status(session.session_ref) is IdentityCheckStatus.REJECTED

    def test_deleting_images_keeps_the_decision_and_is_idempotent(self) -> None:
        verifier = self.make_verifier()
        subject = sample_subject()
        session = verifier.start_session(subject)
        self.drive_to_approved(verifier, session, subject)
        result = verifier.result(session.session_ref)
        first = verifier.delete_images(session.session_ref)
        second = verifier.delete_images(session.session_ref)
        assert first == second
        assert verifier.result(session.session_ref) == result

    def test_a_cancelled_session_never_decides(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        verifier.cancel(session.session_ref)
        assert verifier.status(session.session_ref) is IdentityCheckStatus.CANCELLED
        assert verifier.result(session.session_ref) is None

    def test_the_callback_gives_the_same_result_as_polling(self) -> None:
        verifier = self.make_verifier()
        subject = sample_subject()
        session = verifier.start_session(subject)
        self.drive_to_approved(verifier, session, subject)
        callback = self.callback_for(verifier, session)
        if callback is None:
            return  # polling-only provider
        body, headers = callback
        assert verifier.handle_callback(body, headers) == verifier.result(session.session_ref)

    def test_an_unreadable_callback_is_refused(self) -> None:
        verifier = self.make_verifier()
        _raises(IdentityCallbackRefused, verifier.handle_callback, b"\x00not json", {})


class CaptureHostContract:
    """For providers implementing ``CaptureHost`` (captures through Seing's pages).
    Hooks: ``make_verifier()``, ``decide(verifier, session_ref, approved)``, which makes
    the provider decide a submitted session, and ``stored_images(verifier, session_ref)``."""

    def make_verifier(self) -> Any:
        raise NotImplementedError

    def decide(self, verifier: Any, session_ref: str, approved: bool) -> None:
        raise NotImplementedError

    def stored_images(self, verifier: Any, session_ref: str) -> list[bytes]:
        """The session's images still held by the provider, wherever it keeps them."""
        raise NotImplementedError

    def _capture_all(self, verifier: Any, session: IdentitySession) -> dict[CaptureStep, bytes]:
        images = {}
        for step in session.mode.steps:
            image = PNG + step.value.encode()
            verifier.submit_capture(session.session_ref, step, image, "image/png")
            images[step] = image
        return images

    def test_conforms_to_the_capture_port(self) -> None:
        assert isinstance(self.make_verifier(), CaptureHost)

    def test_progress_follows_the_guide_steps(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        progress = verifier.capture_progress(session.session_ref)
        assert progress.remaining[0] is CaptureStep.DOCUMENT_CENTRE
        assert len(progress.remaining) == 6
        progress = verifier.submit_capture(session.session_ref, CaptureStep.DOCUMENT_CENTRE, PNG, "image/png")
        assert progress.done == (CaptureStep.DOCUMENT_CENTRE,)
        assert not progress.complete

    def test_a_document_only_check_refuses_face_captures(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject(), mode=CheckMode.DOCUMENT_ONLY)
        _raises(IdentityCaptureRefused, verifier.submit_capture, session.session_ref, CaptureStep.FACE_CENTRE,
                PNG, "image/png")
        self._capture_all(verifier, session)
        assert verifier.capture_progress(session.session_ref).complete

    def test_empty_or_non_image_captures_are_refused(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        _raises(IdentityCaptureRefused, verifier.submit_capture, session.session_ref,
                CaptureStep.DOCUMENT_CENTRE, b"", "image/png")
        _raises(IdentityCaptureRefused, verifier.submit_capture, session.session_ref,
                CaptureStep.DOCUMENT_CENTRE, PNG, "application/pdf")

    def test_finishing_needs_every_step(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        verifier.submit_capture(session.session_ref, CaptureStep.DOCUMENT_CENTRE, PNG, "image/png")
        _raises(IdentityCaptureRefused, verifier.finish_capture, session.session_ref)

    def test_a_finished_capture_is_submitted_and_closed_to_new_images(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        self._capture_all(verifier, session)
        status = verifier.finish_capture(session.session_ref)
        assert status in (IdentityCheckStatus.SUBMITTED, IdentityCheckStatus.APPROVED)
        _raises(IdentitySessionClosed, verifier.submit_capture, session.session_ref,
                CaptureStep.DOCUMENT_CENTRE, PNG, "image/png")

    def test_images_are_deleted_after_the_decision_and_their_digests_kept(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        images = self._capture_all(verifier, session)
        verifier.finish_capture(session.session_ref)
        self.decide(verifier, session.session_ref, True)
        verifier.purge_images()
        result = verifier.result(session.session_ref)
        assert result is not None
        expected = {step: hashlib.sha256(data).hexdigest() for step, data in images.items()}
        assert {d.step: d.sha256 for d in result.image_digests} == expected
        assert verifier.delete_images(session.session_ref) == list(result.image_digests)
        assert self.stored_images(verifier, session.session_ref) == []
