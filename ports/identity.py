"""Identity verification providers (« vérification d'identité »).

Every provider implements ``IdentityVerifier``. A result reaches us either way:

- polling: ``result(session_ref)`` returns the decision once there is one (None before);
- callback: the provider calls our web endpoint, which hands the request body and
  headers to ``handle_callback``; the adapter authenticates and translates them into a
  result (None when the callback only reports progress).

Providers that do not host capture pages of their own (the built-in simulator and
manual-review providers) also implement ``CaptureHost``: Seing's capture pages hand
them the images. The manual-review provider implements ``ManualReview`` for the
registration officer's back-office.

A provider that cannot be reached raises ``IdentityProviderUnavailable`` (domain errors):
callers retry later (the status page keeps waiting, the worker polls again).

Installed providers are found through the entry-point group ``seing.identity_verifiers``:
each entry point names a factory ``factory(config: IdentityProviderConfig) -> IdentityVerifier``.
A provider's author checks theirs with ``ports.contracts.identity.IdentityVerifierContract``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from attrs import field, frozen

from domain.model.identity import (
    CaptureStep,
    CheckMode,
    ExtractedIdentity,
    IdentityCheckResult,
    IdentityCheckStatus,
    IdentitySession,
    IdentitySubject,
    ImageDigest,
)
from ports.clock import Clock
from ports.uploads import UploadedFile

__all__ = [
    "ENTRY_POINT_GROUP",
    "MAX_CAPTURE_IMAGE_BYTES",
    "CaptureHost",
    "CaptureImage",
    "CaptureProgress",
    "IdentityProviderConfig",
    "IdentityVerifier",
    "ManualReview",
    "PendingReview",
    "RetainedImages",
    "ReviewFile",
    "capture_image_size",
    "open_capture_image",
]

ENTRY_POINT_GROUP = "seing.identity_verifiers"

# What one captured photo may weigh; the web edge refuses a bigger body as it arrives.
MAX_CAPTURE_IMAGE_BYTES = 10 * 1024 * 1024

# A captured photo as ``submit_capture`` receives it: the web edge hands over the file it spooled
# to disk as the body arrived (``UploadedFile``: ``size``, ``head``, ``open`` a stream), never the
# whole photo in memory; tools and tests may give bytes.
CaptureImage = bytes | UploadedFile


def capture_image_size(image: CaptureImage) -> int:
    """The photo's length, without reading it."""
    return len(image) if isinstance(image, (bytes, bytearray, memoryview)) else image.size


def open_capture_image(image: CaptureImage) -> IO[bytes]:
    """A binary stream of the photo from its start; the caller closes it."""
    return io.BytesIO(bytes(image)) if isinstance(image, (bytes, bytearray, memoryview)) else image.open()


def _frozen_options(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value  # type: ignore[union-attr]
    return tuple(sorted((str(k), str(v)) for k, v in items))  # type: ignore[misc]


@frozen
class IdentityProviderConfig:
    """What the application hands a provider factory.

    ``public_url``: this server's base URL (capture pages live under it);
    ``storage_dir``: where the provider may keep files (None: in memory);
    ``decision_delay``: simulator only; ``image_retention``: how long captured images
    are kept after the decision (zero: deleted at once);
    ``options``: provider-specific settings (API keys, endpoints), as strings.
    """

    public_url: str
    clock: Clock
    storage_dir: Path | None = None
    decision_delay: timedelta = timedelta(minutes=3)
    image_retention: timedelta = timedelta(0)
    options: tuple[tuple[str, str], ...] = field(default=(), converter=_frozen_options)

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)


@runtime_checkable
class IdentityVerifier(Protocol):
    def start_session(self, subject: IdentitySubject, *, mode: CheckMode = CheckMode.DOCUMENT_AND_FACE) -> IdentitySession:
        """Open a check for ``subject``; the session reference is unguessable."""
        ...

    def status(self, session_ref: str) -> IdentityCheckStatus:
        """Where the session is; raise IdentitySessionNotFound for an unknown reference."""
        ...

    def result(self, session_ref: str) -> IdentityCheckResult | None:
        """The decision, or None while there is none (polling path)."""
        ...

    def handle_callback(self, payload: bytes, headers: Mapping[str, str]) -> IdentityCheckResult | None:
        """Translate a provider's call to our callback endpoint into a result (None for a
        progress notice); raise IdentityCallbackRefused for one that cannot be trusted."""
        ...

    def cancel(self, session_ref: str) -> None:
        """Abandon an undecided session (a new attempt replaces it); its images are deleted."""
        ...

    def delete_images(self, session_ref: str) -> list[ImageDigest]:
        """Delete the captured images, keeping their digests (returned); idempotent."""
        ...

    def purge_images(self) -> int:
        """Delete images of decided sessions whose retention is over; return how many
        sessions were purged (the worker calls this periodically)."""
        ...


@frozen
class CaptureProgress:
    session_ref: str
    mode: CheckMode
    done: tuple[CaptureStep, ...]
    status: IdentityCheckStatus

    @property
    def remaining(self) -> tuple[CaptureStep, ...]:
        return tuple(step for step in self.mode.steps if step not in self.done)

    @property
    def complete(self) -> bool:
        return not self.remaining


@runtime_checkable
class CaptureHost(Protocol):
    """Providers whose capture pages are Seing's own."""

    def capture_progress(self, session_ref: str) -> CaptureProgress: ...

    def submit_capture(self, session_ref: str, step: CaptureStep, image: CaptureImage,
                       content_type: str) -> CaptureProgress:
        """Store one image for a step (a retake replaces it); raise IdentityCaptureRefused
        for a step not in the session's mode or an empty/oversized image (over
        ``MAX_CAPTURE_IMAGE_BYTES``), IdentitySessionClosed once submitted or decided.

        ``image`` is bytes or an ``UploadedFile`` (the web edge's spooled upload): read the latter
        as a stream (``open_capture_image``), in chunks, never whole; it is removed once the
        request is answered, so keep a copy, not the path."""
        ...

    def finish_capture(self, session_ref: str) -> IdentityCheckStatus:
        """Every step captured: hand the session over for a decision (« Merci ! »)."""
        ...


@frozen
class PendingReview:
    session_ref: str
    subject: IdentitySubject
    mode: CheckMode
    submitted_at: datetime


@frozen
class ReviewFile:
    """What the officer looks at: the declared identity and the images, per step."""

    session_ref: str
    subject: IdentitySubject
    images: tuple[tuple[CaptureStep, str, bytes], ...]  # step, content type, bytes


@runtime_checkable
class ManualReview(Protocol):
    """The registration officer's side of the manual-review provider."""

    def pending_reviews(self) -> list[PendingReview]:
        """Submitted, undecided sessions, oldest first."""
        ...

    def review(self, session_ref: str) -> ReviewFile: ...

    def decide(self, session_ref: str, *, approved: bool, officer_id: str,
               extracted: ExtractedIdentity | None = None, reason: str | None = None) -> IdentityCheckResult:
        """Approve with the data the officer read on the document, or reject with a reason."""
        ...


@runtime_checkable
class RetainedImages(Protocol):
    """Providers that keep the captured images for a while after the decision (the configured
    retention): the registration officer may look at them until they are purged."""

    def retained_image(self, session_ref: str, step: CaptureStep) -> tuple[str, bytes] | None:
        """The image of ``step`` and its content type, or None once deleted (or never taken)."""
        ...
