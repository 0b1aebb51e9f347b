"""Custody of private keys: generate, sign a digest, never export."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.pki import KeyRef, KeyType


@runtime_checkable
class KeyVault(Protocol):
    def generate(self, key_type: KeyType) -> KeyRef:
        """Create a key pair inside the vault and return a handle on it."""
        ...

    def get(self, key_id: str) -> KeyRef:
        """The handle of a stored key; raise domain KeyNotFound when absent."""
        ...

    def public_key(self, ref: KeyRef) -> bytes:
        """The public key as DER SubjectPublicKeyInfo; raise KeyNotFound when absent."""
        ...

    def sign_digest(self, ref: KeyRef, digest: bytes, hash_algorithm: str) -> bytes:
        """Sign a precomputed digest (``hash_algorithm``: sha256, sha384 or sha512).

        ECDSA signatures come DER-encoded (Dss-Sig-Value); RSA signatures are PKCS#1 v1.5
        over the DigestInfo. Raise ValueError when the digest does not fit the algorithm,
        KeyNotFound when the key is gone.
        """
        ...

    def delete(self, ref: KeyRef) -> None:
        """Destroy the key; deleting an absent key does nothing."""
        ...
