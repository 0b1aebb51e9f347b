"""Level 3 for an external signer: an identity check (document and face) before the code,
with the same provider, port and capture pages as the QCP enrollment."""

from __future__ import annotations

from datetime import datetime

from domain.model.audit import RequestContext
from domain.model.errors import CeremonyRefused, SignatureBeingFinalised, SignerStateRefused
from domain.model.identity import CheckMode, IdentitySession, IdentitySubject
from domain.model.signer import SignatureLevel, Signer, SignerKind
from domain.services.audit import append
from domain.services.ceremony.links import UowFactory, signer_by_link
from domain.services.identity_checks import IdentityDecision, decide_identity, restart_session
from domain.services.retries import retrying
from ports.clock import Clock
from ports.identity import IdentityVerifier

__all__ = ["identity_check_outcome", "record_identity_check", "start_identity_check"]


def record_identity_check(*, uow: UowFactory, clock: Clock, token: str, approved: bool, reference: str,
                          context: RequestContext | None = None) -> None:
    """The identity provider decided (the page or worker calls this with the IdentityVerifier's
    result): an approval lets an external level-3 signer ask for their code."""
    now = clock.now()
    retrying(lambda: _record_identity(uow, now, token, approved, reference, context))


def _record_identity(uow: UowFactory, now: datetime, token: str, approved: bool, reference: str,
                     context: RequestContext | None) -> None:
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        if approved:
            signer.identity_verified_at = now
            signer.identity_check_reference = reference
        append(tx, collection.id, "identity_checked", at=now, actor=signer.id, context=context,
               signer_id=signer.id, outcome="approved" if approved else "rejected", reference=reference)
        tx.commit()


def _require_may_check(signer: Signer) -> None:
    if signer.kind is not SignerKind.EXTERNAL or signer.level is not SignatureLevel.ADVANCED_QUALIFIED:
        raise CeremonyRefused("only an external level-3 signer goes through an identity check")
    if signer.finalising_since is not None:
        raise SignatureBeingFinalised("your signature is being finalised")
    if not signer.waiting:
        raise SignerStateRefused("this signer cannot sign now", status=signer.status.value)


def start_identity_check(*, uow: UowFactory, clock: Clock, identity_verifier: IdentityVerifier, token: str,
                         context: RequestContext | None = None) -> IdentitySession:
    """Open an identity check (document and face) with the configured provider; a new attempt
    cancels the previous one."""
    now = clock.now()
    with uow() as tx:
        collection, signer = signer_by_link(tx, token, now)
        _require_may_check(signer)
    session = restart_session(
        identity_verifier, previous=signer.identity_check_reference,
        subject=IdentitySubject(reference=signer.id, name=signer.identity.name, email=signer.identity.email),
        mode=CheckMode.DOCUMENT_AND_FACE)

    def remember() -> None:
        with uow() as tx:
            collection, signer = signer_by_link(tx, token, now)
            signer.identity_check_reference = session.session_ref
            append(tx, collection.id, "identity_checked", at=now, actor=signer.id, context=context,
                   signer_id=signer.id, outcome="started", reference=session.session_ref)
            tx.commit()

    retrying(remember)
    return session


def identity_check_outcome(*, uow: UowFactory, clock: Clock, identity_verifier: IdentityVerifier, token: str,
                           context: RequestContext | None = None) -> str:
    """Where the signer's identity check is: "none", "pending", "approved" or "rejected" (the page
    polls this; an approval whose document names someone else is a rejection)."""
    now = clock.now()
    with uow() as tx:
        _collection, signer = signer_by_link(tx, token, now)
    if signer.identity_verified_at is not None:
        return "approved"
    if signer.identity_check_reference is None:
        return "none"
    verdict = decide_identity(identity_verifier, signer.identity_check_reference, name=signer.identity.name)
    if verdict.decision is IdentityDecision.PENDING:
        return "pending"
    result = verdict.result
    assert result is not None
    approved = verdict.decision is IdentityDecision.PASSED

    def record() -> None:
        with uow() as tx:
            collection, current = signer_by_link(tx, token, now)
            if current.identity_check_reference != result.session_ref:
                return
            if approved:
                current.identity_verified_at = now
            else:
                current.identity_check_reference = None  # a new attempt may start
            append(tx, collection.id, "identity_checked", at=now, actor=current.id, context=context,
                   signer_id=current.id, outcome="approved" if approved else "rejected",
                   reference=result.session_ref, evidence=result.evidence_ref,
                   reason=None if approved else (result.reason or "identity_mismatch"))
            tx.commit()

    retrying(record)
    return "approved" if approved else "rejected"
