"""Identity checks outside the QCP enrollment: the optional check before an LCP is issued.

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

from domain.model.identity import CheckMode, IdentityCheckResult, IdentitySession, IdentitySubject, identity_matches
from domain.model.values import Email, PersonName
from ports.identity import IdentityVerifier

__all__ = ["LcpIdentityCheckPolicy", "LcpIdentityOutcome", "LcpIdentityVerdict", "lcp_identity_verdict",
           "start_lcp_identity_check"]


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
    result = verifier.result(session_ref)
    if result is None:
        return LcpIdentityVerdict(LcpIdentityOutcome.PENDING)
    if not result.approved:
        return LcpIdentityVerdict(LcpIdentityOutcome.REJECTED, result)
    assert result.extracted is not None
    if not identity_matches(result.extracted, name, birth_date):
        return LcpIdentityVerdict(LcpIdentityOutcome.MISMATCH, result)
    return LcpIdentityVerdict(LcpIdentityOutcome.PASSED, result)
