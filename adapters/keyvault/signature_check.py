"""Checks a vault's signature with cryptography: the key-vault contract's ``verify_signature``
hook (ports may not import a cryptography library), mixed in by ``ports.contracts.providers``
for the vaults Seing ships and used by Seing's own contract tests."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

__all__ = ["CryptographyVerifier", "verify_digest_signature"]

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def verify_digest_signature(public_key_der: bytes, signature: bytes, digest: bytes, hash_algorithm: str) -> bool:
    public = serialization.load_der_public_key(public_key_der)
    prehashed = utils.Prehashed(_HASHES[hash_algorithm]())
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, digest, padding.PKCS1v15(), prehashed)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, digest, ec.ECDSA(prehashed))
        else:
            return False
    except InvalidSignature:
        return False
    return True


class CryptographyVerifier:
    def verify_signature(self, public_key_der: bytes, signature: bytes, digest: bytes, hash_algorithm: str) -> bool:
        return verify_digest_signature(public_key_der, signature, digest, hash_algorithm)
