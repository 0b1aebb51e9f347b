"""What every step of the ceremony starts from: the signer's link, and whether they may sign."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

from domain.model.collection import Collection
from domain.model.document import FieldPlacement
from domain.model.errors import (
    DocumentNotPrepared,
    IdentityCheckRequired,
    InvitationLinkUnusable,
    SignatureBeingFinalised,
    SignerStateRefused,
)
from domain.model.jobs import JobSpec, Notification
from domain.model.one_time_code import CodePurpose
from domain.model.signer import SignatureLevel, Signer, SignerKind
from domain.model.tokens import hash_token
from ports.pdf_signing import Box
from ports.repositories import UnitOfWork

__all__ = ["PROVIDER_CODE_CHANNEL", "PROVIDER_CONSENT_CHANNEL", "UowFactory", "approved_digests", "box_of", "code_channel", "enqueue",
           "needs_identity_check", "require_can_sign", "signer_by_link", "signing_purpose"]

UowFactory = Callable[[], UnitOfWork]


def signer_by_link(tx: UnitOfWork, token: str, now: datetime, *,
                   running: bool = True) -> tuple[Collection, Signer]:
    """The collection and signer a link names; ``running``: refused unless the signer may act now."""
    token_hash = hash_token(token)
    collection = tx.collections.by_token_hash(token_hash)
    if collection is None:
        raise InvitationLinkUnusable("unknown link", reason="unknown")
    if running:
        return collection, collection.signer_for_link(token_hash, now)
    signer = next((s for s in collection.signers if s.holds(token_hash)), None)
    if signer is None:
        raise InvitationLinkUnusable("unknown link", reason="unknown")
    return collection, signer


def signing_purpose(collection_id: str) -> str:
    return CodePurpose.SIGNING.scoped(collection_id)


# The signing code's channel when the QTSP makes and sends it (CSC online OTP), not Seing.
PROVIDER_CODE_CHANNEL = "qtsp"
# No code at all: the QTSP asks the signer's consent on its own page (CSC oauth2code).
PROVIDER_CONSENT_CHANNEL = "qtsp_consent"


def code_channel(signer: Signer) -> tuple[str, str]:
    """Where the signing code goes (« email » or « sms ») and the masked destination shown."""
    if signer.level.needs_mobile and signer.identity.mobile is not None:
        return "sms", signer.identity.mobile.masked()
    email = str(signer.email)
    local, _, domain = email.partition("@")
    return "email", f"{local[:1]}***@{domain}"


def needs_identity_check(signer: Signer) -> bool:
    return (signer.kind is SignerKind.EXTERNAL and signer.level is SignatureLevel.ADVANCED_QUALIFIED
            and signer.identity_verified_at is None)


def require_can_sign(signer: Signer) -> None:
    if signer.finalising_since is not None:
        raise SignatureBeingFinalised("your signature is being finalised")
    if not signer.waiting:
        raise SignerStateRefused("this signer cannot sign now", status=signer.status.value)
    if needs_identity_check(signer):
        raise IdentityCheckRequired("level 3 needs an approved identity check first")


def approved_digests(collection: Collection) -> list[str]:
    if any(d.prepared is None for d in collection.documents):
        raise DocumentNotPrepared("the documents are not ready for signing yet")
    return [d.approved.sha256 for d in collection.documents]


def box_of(placement: FieldPlacement) -> Box:
    return Box(page=placement.page - 1, x=placement.x, y=placement.y, width=placement.width,
               height=placement.height)


def enqueue(tx: UnitOfWork, notifications: Iterable[Notification]) -> None:
    for notification in notifications:
        tx.jobs.enqueue(JobSpec.notify(notification))
