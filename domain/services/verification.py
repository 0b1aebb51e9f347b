"""Use cases of verification: ``seing verify FILE`` and the public /verifier page."""

from __future__ import annotations

import hashlib

from domain.model.errors import NotVerifiable
from domain.model.verification import EvidenceJsonCheck, VerificationReport
from ports.uploads import UploadedFile
from ports.verification import SignatureVerifier

__all__ = ["MAX_VERIFY_BYTES", "verify_evidence_json", "verify_pdf"]

MAX_VERIFY_BYTES = 50 * 1024 * 1024


def verify_pdf(*, verifier: SignatureVerifier, content: bytes | UploadedFile) -> VerificationReport:
    """A signed PDF or a sealed evidence file: one line per signature (level, status, coverage).
    A file the edge spooled to disk is verified from there, never read whole."""
    size, head = (len(content), content[:1024]) if isinstance(content, bytes) else (content.size, content.head(1024))
    if size > MAX_VERIFY_BYTES:
        raise NotVerifiable("the file is too large to verify", max_bytes=MAX_VERIFY_BYTES)
    if b"%PDF-" not in head:
        raise NotVerifiable("not a PDF")
    return verifier.verify(content) if isinstance(content, bytes) else verifier.verify_file(content.path)


def verify_evidence_json(*, verifier: SignatureVerifier, json_content: bytes, sealed_pdf: bytes) -> EvidenceJsonCheck:
    """An evidence JSON: the sealed evidence PDF's seal, and the JSON's digest against the one it binds.

    Any change to the JSON (one byte) changes its SHA-256, which no longer matches the digest
    the seal covers; a change to the PDF breaks the seal.
    """
    if len(json_content) > MAX_VERIFY_BYTES:
        raise NotVerifiable("the file is too large to verify", max_bytes=MAX_VERIFY_BYTES)
    report = verify_pdf(verifier=verifier, content=sealed_pdf)
    return EvidenceJsonCheck(json_sha256=hashlib.sha256(json_content).hexdigest(),
                             bound_sha256=verifier.bound_evidence_digest(sealed_pdf), sealed_pdf=report)
