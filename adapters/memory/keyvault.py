"""An in-memory key vault that really signs: fast enough for every test that needs keys."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from domain.model.errors import KeyNotFound
from domain.model.pki import HASH_SIZES, KeyRef, KeyType

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class InMemoryKeyVault:
    """Keys live in a dict; ``signed`` records (key id, digest) of every signature made."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[KeyRef, object]] = {}
        self.signed: list[tuple[str, bytes]] = []

    def generate(self, key_type: KeyType) -> KeyRef:
        if key_type is KeyType.RSA_3072:
            private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        else:
            curve = ec.SECP256R1() if key_type is KeyType.EC_P256 else ec.SECP384R1()
            private = ec.generate_private_key(curve)
        public_der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ref = KeyRef(id=uuid.uuid4().hex, key_type=key_type, public_key_der=public_der)
        self._keys[ref.id] = (ref, private)
        return ref

    def get(self, key_id: str) -> KeyRef:
        try:
            return self._keys[key_id][0]
        except KeyError:
            raise KeyNotFound(f"no key {key_id}") from None

    def public_key(self, ref: KeyRef) -> bytes:
        return self.get(ref.id).public_key_der

    def sign_digest(self, ref: KeyRef, digest: bytes, hash_algorithm: str) -> bytes:
        if hash_algorithm not in _HASHES or len(digest) != HASH_SIZES[hash_algorithm]:
            raise ValueError(f"a {hash_algorithm} digest is expected")
        if ref.id not in self._keys:
            raise KeyNotFound(f"no key {ref.id}")
        private = self._keys[ref.id][1]
        prehashed = utils.Prehashed(_HASHES[hash_algorithm]())
        if isinstance(private, rsa.RSAPrivateKey):
            signature = private.sign(digest, padding.PKCS1v15(), prehashed)
        else:
            signature = private.sign(digest, ec.ECDSA(prehashed))  # type: ignore[union-attr]
        self.signed.append((ref.id, digest))
        return signature

    def key_ids(self) -> list[str]:
        return list(self._keys)

    def only(self, key_ids: set[str]) -> InMemoryKeyVault:
        """A new vault holding these keys alone."""
        kept = InMemoryKeyVault()
        kept._keys = {key_id: entry for key_id, entry in self._keys.items() if key_id in key_ids}
        return kept

    def adopt_keys(self, other: InMemoryKeyVault) -> None:
        """Hold every key of ``other`` too (a test's copy of a prepared CA hierarchy)."""
        self._keys.update(other._keys)

    def delete(self, ref: KeyRef) -> None:
        self._keys.pop(ref.id, None)
