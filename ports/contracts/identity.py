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

Providers whose capture pages are Seing's own also pass ``CaptureHostContract``. It hands
every photo over both ways the web edge may: as bytes and as an ``UploadedFile`` (the file the
edge spooled to disk as the body arrived; ``PhotoFile`` here), and checks that a photo file is
read as a stream in chunks, never whole, and that one over the limit is refused unread.
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date
from pathlib import Path
from typing import IO, Any

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
from ports.identity import MAX_CAPTURE_IMAGE_BYTES, CaptureHost, IdentityVerifier
from ports.uploads import UploadedFile

__all__ = ["CaptureHostContract", "IdentityVerifierContract", "PhotoFile", "sample_subject"]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# A photo file is read in chunks: no single read may ask for more, nor for "all the rest".
LARGEST_READ = 4 * 1024 * 1024


class _WatchedStream:
    """A file stream that records how it is read."""

    def __init__(self, handle: IO[bytes], owner: PhotoFile) -> None:
        self._handle = handle
        self._owner = owner

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > LARGEST_READ:
            self._owner.whole_reads += 1
        return self._handle.read(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        if len(buffer) > LARGEST_READ:
            self._owner.whole_reads += 1
        return self._handle.readinto(buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _WatchedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


class PhotoFile:
    """An ``UploadedFile`` over a file on disk, as the web edge hands a spooled photo over;
    counts how often it is opened and read whole (``whole_reads``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.opened = 0
        self.whole_reads = 0

    @classmethod
    def write(cls, folder: Path, content: bytes, *, size: int | None = None) -> PhotoFile:
        """``content``, then zeros (a sparse file) up to ``size``."""
        handle, name = tempfile.mkstemp(prefix="photo-", dir=folder)
        with open(handle, "wb") as out:
            out.write(content)
            if size is not None:
                out.truncate(size)
        return cls(Path(name))

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def head(self, count: int) -> bytes:
        with self.path.open("rb") as handle:
            return handle.read(count)

    def open(self) -> IO[bytes]:
        self.opened += 1
        return _WatchedStream(self.path.open("rb"), self)  # type: ignore[return-value]

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()


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

    def _capture_all(self, verifier: Any, session: IdentitySession, *,
                     folder: Path | None = None) -> dict[CaptureStep, bytes]:
        """Every step's photo, as bytes or, given ``folder``, as files written there."""
        images = {}
        for step in session.mode.steps:
            image = PNG + step.value.encode()
            given: bytes | PhotoFile = image if folder is None else PhotoFile.write(folder, image)
            verifier.submit_capture(session.session_ref, step, given, "image/png")
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

    # The photo as a file (the web edge's spooled upload) -------------------------------

    def test_the_photo_file_is_a_port_upload(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            assert isinstance(PhotoFile.write(Path(folder), PNG), UploadedFile)

    def test_photos_given_as_files_are_kept_and_digested_like_their_bytes(self) -> None:
        verifier = self.make_verifier()
        by_bytes = verifier.start_session(sample_subject("by-bytes"))
        by_files = verifier.start_session(sample_subject("by-files"))
        with tempfile.TemporaryDirectory() as folder:
            self._capture_all(verifier, by_bytes)
            images = self._capture_all(verifier, by_files, folder=Path(folder))
        # The files are gone (the edge removes them once answered): the provider kept copies.
        assert verifier.capture_progress(by_files.session_ref).complete
        assert sorted(self.stored_images(verifier, by_files.session_ref)) == sorted(images.values())
        for session in (by_bytes, by_files):
            verifier.finish_capture(session.session_ref)
            self.decide(verifier, session.session_ref, True)
        first = verifier.result(by_bytes.session_ref)
        second = verifier.result(by_files.session_ref)
        assert first is not None and second is not None
        assert first.image_digests == second.image_digests

    def test_a_photo_file_is_read_as_a_stream_never_whole(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject(), mode=CheckMode.DOCUMENT_ONLY)
        with tempfile.TemporaryDirectory() as folder:
            photo = PhotoFile.write(Path(folder), PNG, size=MAX_CAPTURE_IMAGE_BYTES)
            expected = photo.sha256()
            verifier.submit_capture(session.session_ref, CaptureStep.DOCUMENT_CENTRE, photo, "image/png")
        assert photo.opened >= 1
        assert photo.whole_reads == 0
        for step in session.mode.steps[1:]:
            verifier.submit_capture(session.session_ref, step, PNG, "image/png")
        verifier.finish_capture(session.session_ref)
        self.decide(verifier, session.session_ref, True)
        result = verifier.result(session.session_ref)
        assert result is not None
        assert {d.step: d.sha256 for d in result.image_digests}[CaptureStep.DOCUMENT_CENTRE] == expected

    def test_a_photo_file_at_the_limit_is_taken(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject(), mode=CheckMode.DOCUMENT_ONLY)
        with tempfile.TemporaryDirectory() as folder:
            photo = PhotoFile.write(Path(folder), PNG, size=MAX_CAPTURE_IMAGE_BYTES)
            progress = verifier.submit_capture(session.session_ref, CaptureStep.DOCUMENT_CENTRE, photo, "image/png")
        assert progress.done == (CaptureStep.DOCUMENT_CENTRE,)

    def test_an_empty_or_oversized_photo_file_is_refused_unread(self) -> None:
        verifier = self.make_verifier()
        session = verifier.start_session(sample_subject())
        with tempfile.TemporaryDirectory() as folder:
            empty = PhotoFile.write(Path(folder), b"")
            oversized = PhotoFile.write(Path(folder), PNG, size=MAX_CAPTURE_IMAGE_BYTES + 1)
            for photo in (empty, oversized):
                _raises(IdentityCaptureRefused, verifier.submit_capture, session.session_ref,
                        CaptureStep.DOCUMENT_CENTRE, photo, "image/png")
                assert photo.opened == 0
        assert verifier.capture_progress(session.session_ref).done == ()
