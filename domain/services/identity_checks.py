"""Identity-check steps shared by the flows that verify a person with the ``IdentityVerifier``
(the LCP registration, the QCP enrollment, an external level-3 signer's ceremony), and the
optional check before an LCP is issued.

Shared steps: ``restart_session`` (a new attempt abandons the previous session),
``cancel_quietly``, and ``decide_identity`` (the provider's result read against the declared
name: pending, passed, rejected, or a mismatch, which is never a pass).

Configuration may require that LCP registration verifies the person's identity document
(document only, no face) with the same provider and capture pages as the QCP flow. The
LCP registration flow calls ``start_lcp_identity_check`` after its code steps (it returns
None when the policy does not require a check) and, before issuing, ``lcp_identity_verdict``:
only ``PASSED`` lets the certificate be issued.
"""

from __future__ import annotations

import enum
from datetime import date

from attrs import frozen

from domain.model.errors import DomainError
from domain.model.identity import CheckMode, IdentityCheckResult, IdentitySession, IdentitySubject, identity_matches
from domain.model.values import Email, PersonName
from ports.identity import IdentityVerifier

__all__ = ["IdentityDecision", "IdentityVerdict", "LcpIdentityCheckPolicy", "LcpIdentityOutcome",
           "LcpIdentityVerdict", "cancel_quietly", "decide_identity", "lcp_identity_verdict", "restart_session",
           "start_lcp_identity_check"]


class IdentityDecision(enum.Enum):
    PENDING = "pending"  # capture not finished or provider still deciding
    PASSED = "passed"
    REJECTED = "rejected"  # the provider refused the document
    MISMATCH = "mismatch"  # approved, but the document names someone else than declared


@frozen
class IdentityVerdict:
    decision: IdentityDecision
    result: IdentityCheckResult | None = None


def cancel_quietly(verifier: IdentityVerifier, session_ref: str) -> None:
    """Abandon a session; one decided meanwhile or unknown to the provider has nothing to abandon."""
    try:
        verifier.cancel(session_ref)
    except DomainError:
        pass


def restart_session(verifier: IdentityVerifier, *, previous: str | None, subject: IdentitySubject,
                    mode: CheckMode) -> IdentitySession:
    """A new attempt: the previous session (if any) is abandoned, then a fresh one opened."""
    if previous is not None:
        cancel_quietly(verifier, previous)
    return verifier.start_session(subject, mode=mode)


def decide_identity(verifier: IdentityVerifier, session_ref: str, *, name: PersonName,
                    birth_date: date | None = None) -> IdentityVerdict:
    """The provider's result read against the declared identity (case and accents ignored): an
    approval whose document names someone else is a mismatch, never a pass."""
    result = verifier.result(session_ref)
    if result is None:
        return IdentityVerdict(IdentityDecision.PENDING)
    if not result.approved:
        return IdentityVerdict(IdentityDecision.REJECTED, result)
    if result.extracted is None or not identity_matches(result.extracted, name, birth_date):
        return IdentityVerdict(IdentityDecision.MISMATCH, result)
    return IdentityVerdict(IdentityDecision.PASSED, result)


@frozen
class LcpIdentityCheckPolicy:
    """``required``: the configuration flag (off by default)."""

    required: bool = False
    mode: CheckMode = CheckMode.DOCUMENT_ONLY


class LcpIdentityOutcome(enum.Enum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"  # capture not finished or provider still deciding
    PASSED = "passed"
    REJECTED = "rejected"  # the provider refused the document
    MISMATCH = "mismatch"  # approved, but the document names someone else than declared


@frozen
class LcpIdentityVerdict:
    outcome: LcpIdentityOutcome
    result: IdentityCheckResult | None = None

    @property
    def allows_issuance(self) -> bool:
        return self.outcome in (LcpIdentityOutcome.PASSED, LcpIdentityOutcome.NOT_REQUIRED)


def start_lcp_identity_check(*, verifier: IdentityVerifier, policy: LcpIdentityCheckPolicy, person_id: str,
                             name: PersonName, email: Email, birth_date: date | None = None) -> IdentitySession | None:
    if not policy.required:
        return None
    subject = IdentitySubject(reference=person_id, name=name, email=email, birth_date=birth_date)
    return verifier.start_session(subject, mode=policy.mode)


def lcp_identity_verdict(*, verifier: IdentityVerifier, policy: LcpIdentityCheckPolicy, session_ref: str | None,
                         name: PersonName, birth_date: date | None = None) -> LcpIdentityVerdict:
    """Whether the LCP may be issued. The name read must match the declared one (case and
    accents ignored); a mismatch is not a pass: registration data must be corrected first."""
    if not policy.required:
        return LcpIdentityVerdict(LcpIdentityOutcome.NOT_REQUIRED)
    if session_ref is None:
        return LcpIdentityVerdict(LcpIdentityOutcome.PENDING)
    verdict = decide_identity(verifier, session_ref, name=name, birth_date=birth_date)
    return LcpIdentityVerdict(LcpIdentityOutcome(verdict.decision.value), verdict.result)
