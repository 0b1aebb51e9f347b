"""Rendering the evidence file (« dossier de preuve ») as a PDF people read."""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

__all__ = ["EVIDENCE_JSON_DIGEST_KEY", "EvidenceRenderer"]

# The key, in the evidence PDF's document information dictionary, of the JSON twin's SHA-256
# (lower-case hex). The seal covers it, so a verifier reads it from the sealed revision and
# compares it with the JSON it is given.
EVIDENCE_JSON_DIGEST_KEY = "SeingEvidenceJsonSha256"


@runtime_checkable
class EvidenceRenderer(Protocol):
    def render(self, evidence: Mapping[str, Any], *, json_sha256: str) -> bytes:
        """An unsigned PDF, in French, of the evidence data (``domain.model.evidence.build_evidence``);
        it prints ``json_sha256`` and carries it under ``EVIDENCE_JSON_DIGEST_KEY`` in its document
        information dictionary, so the seal on the PDF also vouches for the JSON twin."""
        ...
