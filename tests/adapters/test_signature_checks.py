"""A signature verified once is not verified again; a failing one is checked every time."""

from __future__ import annotations

import pytest
from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

from adapters.shared import signature_checks


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = signature_checks.ORIGINAL

    def original(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(signature_checks, "ORIGINAL", original)
    monkeypatch.setattr(signature_checks, "_verified", type(signature_checks._verified)())
    return calls


def _signed(data: bytes):
    key = ec.generate_private_key(ec.SECP384R1())
    public = keys.PublicKeyInfo.load(key.public_key().public_bytes(serialization.Encoding.DER,
                                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return key.sign(data, ec.ECDSA(hashes.SHA384())), public, algos.SignedDigestAlgorithm({"algorithm": "sha384_ecdsa"})


def test_a_signature_that_verifies_is_verified_once(counted):
    signature, public, algorithm = _signed(b"a CRL's signed part")
    checker = DefaultSignatureValidator()

    signature_checks.validate_signature(checker, signature, b"a CRL's signed part", public, algorithm)
    signature_checks.validate_signature(checker, signature, b"a CRL's signed part", public, algorithm)

    assert len(counted) == 1


def test_a_signature_that_fails_is_refused_every_time(counted):
    signature, public, algorithm = _signed(b"what was signed")
    checker = DefaultSignatureValidator()
    signature_checks.validate_signature(checker, signature, b"what was signed", public, algorithm)

    for _ in range(2):
        with pytest.raises(InvalidSignature):
            signature_checks.validate_signature(checker, signature, b"what was not signed", public, algorithm)
    other_signature, other_key, _ = _signed(b"what was signed")
    with pytest.raises(InvalidSignature):
        signature_checks.validate_signature(checker, signature, b"what was signed", other_key, algorithm)
    with pytest.raises(InvalidSignature):
        signature_checks.validate_signature(checker, other_signature, b"what was signed", public, algorithm)

    assert len(counted) == 5


def test_every_validation_context_uses_it_once_signing_or_validation_is_imported():
    import adapters.signing.pyhanko_signing  # noqa: F401
    import adapters.signing.pyhanko_validation  # noqa: F401

    assert DefaultSignatureValidator.validate_signature is signature_checks.validate_signature
