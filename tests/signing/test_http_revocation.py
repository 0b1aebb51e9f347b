from __future__ import annotations

import pytest

from adapters.signing.http_revocation import HttpRevocationSource, RevocationUnavailable
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.system.clock import SystemClock
from ports.contracts.pdf_signing import BytesOnly
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.pdfs import pdf_bytes


def test_ocsp_is_fetched_from_the_certificates_aia(pki, pki_server):
    from cryptography.x509 import ocsp

    data = HttpRevocationSource(timeout=5).revocation_data(pki.signer.der, pki.issuing.der)
    (response,) = data.ocsp_responses
    assert ocsp.load_der_ocsp_response(response).certificate_status is ocsp.OCSPCertStatus.GOOD
    assert any(r.startswith("POST /pki/ocsp") for r in pki_server.requests)


def test_crl_is_fetched_when_the_ocsp_responder_is_down(pki, pki_server):
    pki_server.ocsp_down = True
    try:
        data = HttpRevocationSource(timeout=5).revocation_data(pki.signer.der, pki.issuing.der)
    finally:
        pki_server.ocsp_down = False
    assert data.crls and not data.ocsp_responses
    assert any(r.startswith("GET /pki/crl/lcp.crl") for r in pki_server.requests)


def test_no_reachable_location_is_an_error(pki):
    with pytest.raises(RevocationUnavailable):
        HttpRevocationSource(timeout=5).revocation_data(pki.root.der, pki.root.der)


def test_b_lt_with_revocation_fetched_over_http(vault, tsa, identity, pki):
    from tests.signing.test_pdf_signing import _check_lt

    signing = PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=HttpRevocationSource(timeout=5),
                                 clock=SystemClock())
    signed = BytesOnly(signing).sign(pdf_bytes(), SignatureRequest(identity=identity, level=PadesLevel.B_LT))
    _check_lt(pki, signed)
