"""The in-process TSA writes its tokens from DER pieces (adapters/timestamping/inprocess.py):
byte for byte the token asn1crypto assembles from the same fields, as the adapter did until
2026-12-08, with EC and RSA keys, every imprint digest, with and without a nonce or the
certificates, on both sides of 2050 (where signingTime stops being a UTCTime); and its
signature verifies over the signed attributes it carries."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from adapters.memory.clock import FixedClock
from adapters.memory.keyvault import InMemoryKeyVault
from adapters.shared.der import set_of
from adapters.timestamping.inprocess import InProcessTimestampAuthority
from domain.model.pki import KeyType


def _tsa_certificate(vault: InMemoryKeyVault, key_type: KeyType) -> tuple[object, bytes, bytes]:
    """A key in the vault and a certificate for it, issued by a throwaway CA (its DER second)."""
    ref = vault.generate(key_type)
    public = serialization.load_der_public_key(vault.public_key(ref))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = cx509.Name([cx509.NameAttribute(cx509.NameOID.COMMON_NAME, "Autorité de test")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ca = (cx509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(7).not_valid_before(start).not_valid_after(start + timedelta(days=36500))
          .sign(ca_key, hashes.SHA256()))
    certificate = (cx509.CertificateBuilder()
                   .subject_name(cx509.Name([cx509.NameAttribute(cx509.NameOID.COMMON_NAME, "Horodatage é")]))
                   .issuer_name(ca_name).public_key(public).serial_number(0x1F2E3D4C5B6A798897A6B5C4D3E2F1)
                   .not_valid_before(start).not_valid_after(start + timedelta(days=36500))
                   .sign(ca_key, hashes.SHA256()))
    return ref, certificate.public_bytes(serialization.Encoding.DER), ca.public_bytes(serialization.Encoding.DER)


def _asn1crypto_token(authority: InProcessTimestampAuthority, certificate: bytes, chain: list[bytes], *,
                      algorithm: str, digest: bytes, nonce: int | None, serial: int, gen_time: datetime,
                      signature: bytes, include_certs: bool) -> bytes:
    """The token as asn1crypto assembles it from these fields (the adapter's code until 2026-12-08,
    signingTime a GeneralizedTime from 2050 as RFC 5652 says)."""
    cert = x509.Certificate.load(certificate)
    tst_info = {
        "version": "v1",
        "policy": authority._policy,
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
        "serial_number": serial,
        "gen_time": core.GeneralizedTime(gen_time),
        "accuracy": authority._accuracy_value(),
        "tsa": x509.GeneralName({"directory_name": cert.subject}),
    }
    if nonce is not None:
        tst_info["nonce"] = nonce
    tst_info_der = tsp.TSTInfo(tst_info).dump()
    time_value = (cms.Time({"utc_time": core.UTCTime(gen_time)}) if gen_time.year < 2050
                  else cms.Time({"generalized_time": core.GeneralizedTime(gen_time)}))
    attributes = sorted([
        authority._parts.content_type_attr,
        cms.CMSAttribute({"type": "signing_time", "values": [time_value]}).dump(),
        cms.CMSAttribute({"type": "message_digest",
                          "values": [hashlib.new(authority._signing_hash, tst_info_der).digest()]}).dump(),
        authority._parts.signing_cert_attr,
    ])
    signed_attrs = cms.CMSAttributes.load(set_of(attributes))
    digest_algo = algos.DigestAlgorithm({"algorithm": authority._signing_hash})
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {"issuer": cert.issuer,
                                                                  "serial_number": cert.serial_number}}),
        "digest_algorithm": digest_algo,
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm.load(authority._parts.signature_algorithm),
        "signature": signature,
    })
    signed_data = {
        "version": "v3",
        "digest_algorithms": [digest_algo],
        "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_info_der)},
        "signer_infos": [signer_info],
    }
    if include_certs:
        signed_data["certificates"] = [x509.Certificate.load(d) for d in (certificate, *chain)]
    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)}).dump()


CASES = [
    (KeyType.EC_P256, "sha256", None, datetime(2026, 12, 8, 0, 30, 5, 987654, tzinfo=UTC)),
    (KeyType.EC_P256, "sha384", 0x1234567890ABCDEF1234567890, datetime(2031, 2, 28, 23, 59, 59, tzinfo=UTC)),
    (KeyType.EC_P256, "sha512", -5, datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)),
    (KeyType.RSA_3072, "sha256", 0, datetime(2050, 1, 1, 0, 0, 0, tzinfo=UTC)),
    (KeyType.RSA_3072, "sha256", 2**127 - 1, datetime(2026, 6, 1, 12, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("key_type", "algorithm", "nonce", "now"), CASES,
                         ids=[f"{k.value}-{a}-{n}-{t.year}" for k, a, n, t in CASES])
def test_a_token_is_byte_for_byte_what_asn1crypto_assembles_from_its_fields(key_type, algorithm, nonce, now):
    vault = InMemoryKeyVault()
    ref, certificate, ca = _tsa_certificate(vault, key_type)
    authority = InProcessTimestampAuthority(vault=vault, key_ref=ref, certificate=certificate, chain=[ca],
                                            clock=FixedClock(now), accuracy=timedelta(milliseconds=250))
    digest = hashlib.new(algorithm, b"lettre de mission").digest()
    for include_certs in (True, False):
        token = authority._token(algorithm, digest, nonce, include_certs=include_certs)
        parsed = cms.ContentInfo.load(token)
        info = parsed["content"]["encap_content_info"]["content"].parsed
        signer = parsed["content"]["signer_infos"][0]
        expected = _asn1crypto_token(
            authority, certificate, [ca], algorithm=algorithm, digest=digest, nonce=nonce,
            serial=info["serial_number"].native, gen_time=now.replace(microsecond=0),
            signature=signer["signature"].native, include_certs=include_certs)
        assert token == expected
        assert info["nonce"].native == nonce and info["gen_time"].native == now.replace(microsecond=0)

        # The signature is over the signed attributes as a SET OF, by the TSA's key.
        public = serialization.load_der_public_key(vault.public_key(ref))
        signed = signer["signed_attrs"].untag().dump()
        if key_type is KeyType.RSA_3072:
            public.verify(signer["signature"].native, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            public.verify(signer["signature"].native, signed, ec.ECDSA(hashes.SHA256()))


def test_a_granted_reply_is_what_asn1crypto_writes_around_the_token():
    vault = InMemoryKeyVault()
    ref, certificate, ca = _tsa_certificate(vault, KeyType.EC_P256)
    authority = InProcessTimestampAuthority(vault=vault, key_ref=ref, certificate=certificate, chain=[ca],
                                            clock=FixedClock(datetime(2026, 12, 8, tzinfo=UTC)))
    query = tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(b"x").digest()},
        "nonce": 42, "cert_req": True}).dump()
    reply = authority.respond(query)
    parsed = tsp.TimeStampResp.load(reply)
    assert parsed["status"]["status"].native == "granted"
    token = parsed["time_stamp_token"]
    assert reply == tsp.TimeStampResp({"status": {"status": "granted"},
                                       "time_stamp_token": cms.ContentInfo.load(token.dump())}).dump()
    assert token["content"]["encap_content_info"]["content"].parsed["nonce"].native == 42
