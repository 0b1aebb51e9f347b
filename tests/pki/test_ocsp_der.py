"""The built-in CA writes its OCSP responses from DER pieces (adapters/ca/ocsp.py): byte for byte
the response asn1crypto assembles from the same fields, as the responder did until 2026-12-08,
for good, revoked (with and without a reason) and unknown certificates, several in one request,
with and without a nonce, and for a serial asked without a request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core, ocsp, x509

from domain.model.pki import CertificatePolicy, RevocationReason
from tests.pki.helpers import TestPki, make_test_pki
from tests.pki.test_revocation import ocsp_request


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_test_pki(tmp_path)


def _asn1crypto_response(ours: bytes) -> bytes:
    """What asn1crypto assembles from the fields of ``ours`` (the responder's code until
    2026-12-08: a ResponseData, a BasicOCSPResponse with the certificates, an OCSPResponse)."""
    basic = ocsp.OCSPResponse.load(ours)["response_bytes"]["response"].parsed
    tbs = basic["tbs_response_data"]
    responses = [{"cert_id": ocsp.CertId.load(single["cert_id"].dump()),
                  "cert_status": _status(single["cert_status"]),
                  "this_update": single["this_update"].native,
                  "next_update": single["next_update"].native} for single in tbs["responses"]]
    data: dict[str, Any] = {
        "responder_id": ocsp.ResponderId(name="by_key", value=tbs["responder_id"].chosen.native),
        "produced_at": tbs["produced_at"].native,
        "responses": responses,
    }
    nonce = [e["extn_value"].native for e in (tbs["response_extensions"] or []) if e["extn_id"].native == "nonce"]
    if nonce:
        data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce[0]}]
    rebuilt = ocsp.BasicOCSPResponse({
        "tbs_response_data": ocsp.ResponseData(data),
        "signature_algorithm": {"algorithm": basic["signature_algorithm"]["algorithm"].native},
        "signature": basic["signature"].native,
        "certs": [x509.Certificate.load(c.dump()) for c in basic["certs"]],
    })
    return ocsp.OCSPResponse({"response_status": "successful",
                              "response_bytes": {"response_type": "basic_ocsp_response", "response": rebuilt}}).dump()


def _status(status: ocsp.CertStatus) -> ocsp.CertStatus:
    if status.name != "revoked":
        return ocsp.CertStatus(name=status.name, value=core.Null())
    info: dict[str, Any] = {"revocation_time": status.chosen["revocation_time"].native}
    if status.chosen["revocation_reason"].native is not None:
        info["revocation_reason"] = status.chosen["revocation_reason"].native
    return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))


def _statuses(response: bytes) -> list[str]:
    tbs = ocsp.OCSPResponse.load(response)["response_bytes"]["response"].parsed["tbs_response_data"]
    return [single["cert_status"].name for single in tbs["responses"]]


def test_every_kind_of_answer_is_byte_for_byte_what_asn1crypto_assembles(pki: TestPki) -> None:
    _, good = pki.person(policy=CertificatePolicy.QCP_N)
    _, compromised = pki.person(policy=CertificatePolicy.QCP_N)
    _, unspecified = pki.person(policy=CertificatePolicy.QCP_N)
    pki.ca.revoke(compromised.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    pki.ca.revoke(unspecified.serial, RevocationReason.UNSPECIFIED, pki.clock.now())
    answers = {
        "good": pki.ca.ocsp_response_for(good.serial),
        "revoked, a reason": pki.ca.ocsp_response_for(compromised.serial),
        "revoked, unspecified": pki.ca.ocsp_response_for(unspecified.serial),
    }
    chain = pki.ca.chain(good.serial)
    answers["asked, with a nonce"] = pki.ca.ocsp_response(ocsp_request(chain[0], chain[1], nonce=b"\x01" * 16))
    answers["asked, no nonce"] = pki.ca.ocsp_response(ocsp_request(chain[0], chain[1]))
    # Several certificates of one issuer in one request, one of them never issued.
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp as cocsp

    issuer = cx509.load_der_x509_certificate(chain[1])
    builder = cocsp.OCSPRequestBuilder().add_certificate(cx509.load_der_x509_certificate(chain[0]), issuer,
                                                         hashes.SHA256())
    request = ocsp.OCSPRequest.load(builder.build().public_bytes(serialization.Encoding.DER))
    single = request["tbs_request"]["request_list"][0]
    others = [ocsp.Request({"req_cert": ocsp.CertId({
        "hash_algorithm": {"algorithm": "sha256"},
        "issuer_name_hash": single["req_cert"]["issuer_name_hash"].native,
        "issuer_key_hash": single["req_cert"]["issuer_key_hash"].native,
        "serial_number": serial})}) for serial in (int(compromised.serial, 16), 0x7E57)]
    asn1_request = ocsp.OCSPRequest({"tbs_request": {"request_list": [ocsp.Request.load(single.dump()), *others]}})
    answers["three in one request"] = pki.ca.ocsp_response(asn1_request.dump())

    assert _statuses(answers["good"]) == ["good"]
    assert _statuses(answers["revoked, a reason"]) == ["revoked"]
    assert _statuses(answers["three in one request"]) == ["good", "revoked", "unknown"]
    for name, answer in answers.items():
        assert answer == _asn1crypto_response(answer), name
