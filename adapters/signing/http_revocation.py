"""RevocationSource over HTTP: OCSP at the certificate's AIA, else its CRL distribution point.

For certificates from any CA (a QTSP plugged in behind the signing port, say); the
built-in CA answers in-process instead.
"""

from __future__ import annotations

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from ports.pdf_signing import RevocationData

__all__ = ["HttpRevocationSource", "RevocationUnavailable"]


class RevocationUnavailable(Exception):
    """Neither OCSP nor CRL could be fetched for a certificate."""


class HttpRevocationSource:
    def __init__(self, timeout: float = 10.0, *, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        cert = x509.load_der_x509_certificate(certificate)
        issuer_cert = x509.load_der_x509_certificate(issuer)
        problems: list[str] = []
        for url in _ocsp_urls(cert):
            try:
                return RevocationData(ocsp_responses=[self._ocsp(url, cert, issuer_cert)])
            except (httpx.HTTPError, ValueError) as exc:
                problems.append(f"OCSP {url}: {exc}")
        for url in _crl_urls(cert):
            try:
                reply = self._client.get(url)
                reply.raise_for_status()
                x509.load_der_x509_crl(reply.content)  # refuse garbage before embedding it
                return RevocationData(crls=[reply.content])
            except (httpx.HTTPError, ValueError) as exc:
                problems.append(f"CRL {url}: {exc}")
        raise RevocationUnavailable("; ".join(problems) or "the certificate names no OCSP or CRL location")

    def _ocsp(self, url: str, cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
        reply = self._client.post(
            url,
            content=request.public_bytes(serialization.Encoding.DER),
            headers={"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"},
        )
        reply.raise_for_status()
        response = ocsp.load_der_ocsp_response(reply.content)
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            raise ValueError(f"responder said {response.response_status.name}")
        if response.serial_number != cert.serial_number:
            raise ValueError("responder answered for another certificate")
        return reply.content


def _ocsp_urls(cert: x509.Certificate) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def _crl_urls(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in (point.full_name or [])
        if isinstance(name, x509.UniformResourceIdentifier)
    ]
