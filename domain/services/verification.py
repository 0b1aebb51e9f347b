"""Use cases of verification: ``seing verify FILE`` and the public /verifier page."""

from __future__ import annotations

from domain.model.errors import NotVerifiable
from domain.model.verification import VerificationReport
from ports.verification import SignatureVerifier

__all__ = ["MAX_VERIFY_BYTES", "verify_pdf"]

MAX_VERIFY_BYTES = 50 * 1024 * 1024


def verify_pdf(*, verifier: SignatureVerifier, content: bytes) -> VerificationReport:
    """A signed PDF or a sealed evidence file: one line per signature (level, status, coverage)."""
    if len(content) > MAX_VERIFY_BYTES:
        raise NotVerifiable("the file is too large to verify", max_bytes=MAX_VERIFY_BYTES)
    if b"%PDF-" not in content[:1024]:
        raise NotVerifiable("not a PDF")
    return verifier.verify(content)
