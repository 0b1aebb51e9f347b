"""RevocationSource answered in-process by our CertificateAuthority port.

Certificates issued by an issuing CA get a fresh OCSP response from that CA's responder and
that CA's CRL; certificates issued directly by the root (the issuing CAs, the TSA) get the
root's CRL: pyHanko's long-term (AdES past) validation cannot use an OCSP response signed by
the trust anchor itself, while a root CRL works with every validator.

Why the issuing CA's CRL beside the OCSP response: once the OCSP responses of a file have
expired, pyHanko 0.38 counts another signer's response from the same CA ("serial number does
not match") as a hard failure rather than a stale one, so it never tries validation in the
past (EN 319 102-1 §5.6.2.4) and a document with two signers under one CA fails; the CRL,
covering every certificate of its CA, gives it a stale-only answer and past validation works.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from asn1crypto import x509

from ports.pdf_signing import RevocationData

__all__ = ["CaRevocationSource"]


class _CaPublication(Protocol):
    """What this adapter uses of ports.ca.CertificateAuthority."""

    def ca_certificates(self) -> Sequence[Any]: ...  # CaCertificate: .name, .der

    def crl(self, issuer: Any) -> bytes: ...

    def ocsp_response_for(self, serial: str) -> bytes: ...


class CaRevocationSource:
    def __init__(self, ca: _CaPublication) -> None:
        self._ca = ca

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        cert = x509.Certificate.load(certificate)
        issuer_cert = x509.Certificate.load(issuer)
        ca_entry = next((c for c in self._ca.ca_certificates() if c.der == issuer), None)
        if ca_entry is None:
            # Not one of ours: nothing to say; validation will report the missing data.
            return RevocationData()
        if issuer_cert.self_signed in ("maybe", "yes"):
            return RevocationData(crls=[self._ca.crl(ca_entry.name)])
        return RevocationData(ocsp_responses=[self._ca.ocsp_response_for(format(cert.serial_number, "x"))],
                              crls=[self._ca.crl(ca_entry.name)])
