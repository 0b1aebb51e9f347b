"""A RevocationSource that asks several sources in turn: our CA in-process first, then the
network for certificates of other CAs (signatures that were already in an uploaded PDF, an
outside TSA), so a document timestamp can give every signature its data wherever it can be had.
"""

from __future__ import annotations

from ports.pdf_signing import RevocationData, RevocationSource

__all__ = ["FallbackRevocationSource", "NoRevocationData"]


class NoRevocationData(Exception):
    """Every source failed for a certificate (each one's reason is in the message)."""


class FallbackRevocationSource:
    def __init__(self, *sources: RevocationSource) -> None:
        self._sources = sources

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        problems: list[str] = []
        for source in self._sources:
            try:
                data = source.revocation_data(certificate, issuer)
            except Exception as exc:  # the next source may know
                problems.append(f"{type(source).__name__}: {exc}")
                continue
            if data.ocsp_responses or data.crls:
                return data
        if problems:
            raise NoRevocationData("; ".join(problems))
        return RevocationData()
