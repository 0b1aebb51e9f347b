"""RevocationSource answered in-process by our CertificateAuthority port.

Certificates issued by an issuing CA get a fresh OCSP response from that CA's responder and
that CA's CRL; certificates issued directly by the root get the CRL that covers them (the root's
for the issuing CAs, its own for a TSA certificate: see adapters/ca/crl.py): pyHanko's long-term (AdES past) validation cannot use an OCSP response signed by
the trust anchor itself, while a root CRL works with every validator.

Why the issuing CA's CRL beside the OCSP response: once the OCSP responses of a file have
expired, pyHanko 0.38 counts another signer's response from the same CA ("serial number does
not match") as a hard failure rather than a stale one, so it never tries validation in the
past (EN 319 102-1 §5.6.2.4) and a document with two signers under one CA fails; the CRL,
covering every certificate of its CA, gives it a stale-only answer and past validation works.

Why the root's ARL beside a TSA certificate's own CRL: an archive-timestamp renewal adds fresh
data for the last document timestamp's chain only, and pyHanko 0.38 checks each signature at
the current time first, where a stale status of an issuing CA (the ARL) is a general chain
failure it never retries in the past. Brought along with the last timestamp's data, the ARL
of each renewal stays fresh as long as the new timestamp's TSA certificate (CrlPublisher).
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

    def crl_for(self, serial: str) -> bytes: ...

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
        serial = format(cert.serial_number, "x")
        if issuer_cert.self_signed in ("maybe", "yes"):
            # The root's ARL comes along with a TSA certificate's own CRL: see the module's doc.
            return RevocationData(crls=list(dict.fromkeys([self._ca.crl_for(serial), self._ca.crl(ca_entry.name)])))
        return RevocationData(ocsp_responses=[self._ca.ocsp_response_for(serial)], crls=[self._ca.crl_for(serial)])
