"""Rendering the evidence file (« dossier de preuve ») as a PDF people read."""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

__all__ = ["EvidenceRenderer"]


@runtime_checkable
class EvidenceRenderer(Protocol):
    def render(self, evidence: Mapping[str, Any], *, json_sha256: str) -> bytes:
        """An unsigned PDF, in French, of the evidence data (``domain.model.evidence.build_evidence``);
        it prints ``json_sha256`` so the seal on the PDF also vouches for the JSON twin."""
        ...
