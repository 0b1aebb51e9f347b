"""Manual review: Seing's capture pages store the images; a registration officer looks at
them in the back-office, types what the document says, and approves or rejects.

Nothing is decided automatically. After the decision the images are deleted (or kept for
the configured retention, then purged by ``purge_images``); the record keeps the decision,
the data typed by the officer, who decided, and the SHA-256 of each image.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.identity._sessions import CapturingVerifier
from domain.model.errors import IdentitySessionClosed, InvalidValue
from domain.model.identity import ExtractedIdentity, IdentityCheckResult, IdentityCheckStatus
from ports.clock import Clock
from ports.identity import IdentityProviderConfig, PendingReview, ReviewFile

__all__ = ["ManualReviewIdentityVerifier", "factory"]


class ManualReviewIdentityVerifier(CapturingVerifier):
    provider_name = "manual"

    def __init__(self, *, public_url: str, clock: Clock, storage_dir: Path | None = None,
                 image_retention: timedelta = timedelta(0)) -> None:
        super().__init__(public_url=public_url, clock=clock, storage_dir=storage_dir, image_retention=image_retention)

    def pending_reviews(self) -> list[PendingReview]:
        pending = [r for r in self.store.all() if r.status is IdentityCheckStatus.SUBMITTED]
        pending.sort(key=lambda r: r.submitted_at or r.created_at)
        return [PendingReview(session_ref=r.session_ref, subject=r.subject, mode=r.mode,
                              submitted_at=r.submitted_at or r.created_at) for r in pending]

    def review(self, session_ref: str) -> ReviewFile:
        record = self.store.get(session_ref)
        if record.status is not IdentityCheckStatus.SUBMITTED:
            raise IdentitySessionClosed("only a submitted, undecided session can be reviewed")
        images = []
        for step in record.mode.steps:
            data = self.store.image(session_ref, step)
            if data is not None:
                images.append((step, record.captures[step.value][0], data))
        return ReviewFile(session_ref=session_ref, subject=record.subject, images=tuple(images))

    def decide(self, session_ref: str, *, approved: bool, officer_id: str,
               extracted: ExtractedIdentity | None = None, reason: str | None = None) -> IdentityCheckResult:
        if not officer_id:
            raise InvalidValue("officer_id", "a review names its officer")
        if approved and extracted is None:
            raise InvalidValue("extracted", "an approval records what the document says")
        if not approved and not (reason and reason.strip()):
            raise InvalidValue("reason", "a rejection says why")
        record = self.store.get(session_ref)
        return self._decide(record, approved=approved, extracted=extracted if approved else None,
                            reason=reason.strip() if reason else None, decided_by=officer_id)


def factory(config: IdentityProviderConfig) -> ManualReviewIdentityVerifier:
    """Entry point ``seing.identity_verifiers: manual``."""
    return ManualReviewIdentityVerifier(public_url=config.public_url, clock=config.clock,
                                        storage_dir=config.storage_dir, image_retention=config.image_retention)
