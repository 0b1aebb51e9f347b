"""The certificate authority: issues, revokes and publishes status of certificates.

The built-in adapter runs a root CA with one issuing CA per policy; an integrator may plug
another CA (a QTSP) behind the same port.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from domain.model.pki import (
    CaCertificate,
    CaName,
    CertificatePolicy,
    CertificateSubject,
    Credential,
    IssuedCertificate,
    OrganizationSubject,
    RevocationReason,
)


@runtime_checkable
class CertificateAuthority(Protocol):
    def init_hierarchy(self) -> None:
        """Create whatever is missing of the hierarchy (root, issuing CAs, TSA, OCSP
        responder, platform seal); running it again changes nothing that exists."""
        ...

    def issue(self, subject: CertificateSubject | OrganizationSubject, public_key_der: bytes,
              policy: CertificatePolicy, *, one_time: bool = False,
              validity: timedelta | None = None) -> IssuedCertificate:
        """Certify ``public_key_der`` (SubjectPublicKeyInfo) for a person or, given an
        OrganizationSubject, a seal. ``validity`` overrides the policy's default; one-time
        certificates use the short one-time validity."""
        ...

    def check_issuable(self, policy: CertificatePolicy) -> None:
        """Raise what ``issue`` would raise for ``policy`` because of the CA's own configuration
        (``QcpPublicationInsecure``), so a flow can refuse before it makes a key or uses a code."""
        ...

    def certificate(self, serial: str) -> IssuedCertificate:
        """Raise CertificateNotFound for a serial this CA never issued."""
        ...

    def certificates_of(self, holder_id: str) -> list[IssuedCertificate]:
        """A person's certificates, newest first."""
        ...

    def revoke(self, serial: str, reason: RevocationReason, at: datetime) -> IssuedCertificate:
        """Revoke and publish at once in the CRL and OCSP; raise CertificateRevoked if it
        already is."""
        ...

    def chain(self, serial: str) -> list[bytes]:
        """DER certificates from the one named up to the root, the root included."""
        ...

    def ca_certificates(self) -> list[CaCertificate]: ...

    def crl(self, issuer: CaName) -> bytes:
        """The current DER CRL of that CA."""
        ...

    def crl_for(self, serial: str) -> bytes:
        """The current DER CRL whose scope covers that certificate (the one its CRL distribution
        point names): its issuer's, or one of its own (the built-in CA's TSA certificates)."""
        ...

    def ocsp_response(self, request_der: bytes) -> bytes:
        """An RFC 6960 DER OCSPResponse for a DER OCSPRequest (errors become error
        responses, never exceptions)."""
        ...

    def ocsp_response_for(self, serial: str) -> bytes:
        """A fresh DER OCSPResponse about one of our certificates, without a request: what
        a signature embeds as revocation data (PAdES B-LT)."""
        ...

    def tsa(self) -> Credential:
        """The time-stamping unit's current key and certificate. An implementation rolls them
        over before the certificate's end, so tokens keep certificate time left beyond the
        archive-timestamp renewal margin; callers ask again rather than keep a credential."""
        ...

    def platform_seal(self) -> Credential:
        """The platform's seal key and certificate (level-1 signatures, evidence files)."""
        ...
