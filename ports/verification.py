"""Checking the signatures of a PDF, with our trust roots and an optional EU trusted list."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from domain.model.verification import VerificationReport

__all__ = ["SignatureVerifier"]


@runtime_checkable
class SignatureVerifier(Protocol):
    def verify(self, pdf: bytes) -> VerificationReport:
        """Every signature and document timestamp of ``pdf``. Raise domain NotVerifiable for a
        file that is not a readable PDF or holds no signature. Never calls a certificate
        qualified unless a configured trusted list grants its issuer."""
        ...

    def verify_file(self, path: Path) -> VerificationReport:
        """``verify`` on a file, read as a stream (never whole in memory)."""
        ...

    def bound_evidence_digest(self, pdf: bytes) -> str | None:
        """The SHA-256 (hex) of the evidence JSON that the sealed evidence ``pdf`` binds, read from
        the revision its seal covers (``ports.evidence.EVIDENCE_JSON_DIGEST_KEY``); None when it
        binds none. NotVerifiable as ``verify``."""
        ...
