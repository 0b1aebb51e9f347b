"""Contract every KeyVault must pass. Subclass once per adapter and provide the hooks.

``verify_signature`` is a hook because ports may not import a cryptography library: the
test module checks signatures with one.
"""

from __future__ import annotations

import hashlib

from domain.model.errors import KeyNotFound
from domain.model.pki import KeyRef, KeyType
from ports.keyvault import KeyVault


class KeyVaultContract:
    def make_adapter(self) -> KeyVault:
        raise NotImplementedError

    def verify_signature(self, public_key_der: bytes, signature: bytes, digest: bytes,
                         hash_algorithm: str) -> bool:
        """True when ``signature`` is a valid signature of the prehashed ``digest``
        (ECDSA DER-encoded, or RSA PKCS#1 v1.5)."""
        raise NotImplementedError

    @property
    def vault(self) -> KeyVault:
        if getattr(self, "_vault", None) is None:
            self._vault = self.make_adapter()
        return self._vault

    def teardown_method(self, _method: object = None) -> None:
        self._vault = None

    # Behaviour ----------------------------------------------------------------------------

    def test_an_ec_p256_key_signs_a_sha256_digest_that_its_public_key_verifies(self) -> None:
        self._check_signs(KeyType.EC_P256, "sha256")

    def test_an_ec_p384_key_signs_a_sha384_digest_that_its_public_key_verifies(self) -> None:
        self._check_signs(KeyType.EC_P384, "sha384")

    def test_an_rsa_3072_key_signs_sha256_and_sha512_digests_in_pkcs1_v1_5(self) -> None:
        ref = self.vault.generate(KeyType.RSA_3072)
        for algorithm in ("sha256", "sha512"):
            digest = hashlib.new(algorithm, b"lettre de mission").digest()
            signature = self.vault.sign_digest(ref, digest, algorithm)
            assert self.verify_signature(ref.public_key_der, signature, digest, algorithm)
        # PKCS#1 v1.5 is deterministic: same digest, same signature.
        assert self.vault.sign_digest(ref, digest, "sha512") == signature

    def test_a_signature_does_not_verify_for_another_digest(self) -> None:
        ref = self.vault.generate(KeyType.EC_P256)
        signature = self.vault.sign_digest(ref, hashlib.sha256(b"one").digest(), "sha256")
        assert not self.verify_signature(ref.public_key_der, signature, hashlib.sha256(b"two").digest(), "sha256")

    def test_the_public_key_is_the_one_announced_at_generation(self) -> None:
        ref = self.vault.generate(KeyType.EC_P256)
        assert self.vault.public_key(ref) == ref.public_key_der
        assert ref.public_key_der[:1] == b"\x30"  # a DER SubjectPublicKeyInfo

    def test_a_key_is_found_again_by_its_id(self) -> None:
        ref = self.vault.generate(KeyType.EC_P384)
        assert self.vault.get(ref.id) == ref

    def test_each_generated_key_is_a_different_key(self) -> None:
        first = self.vault.generate(KeyType.EC_P256)
        second = self.vault.generate(KeyType.EC_P256)
        assert first.id != second.id
        assert first.public_key_der != second.public_key_der

    def test_a_digest_of_the_wrong_size_is_refused(self) -> None:
        ref = self.vault.generate(KeyType.EC_P256)
        for digest, algorithm in ((b"short", "sha256"), (hashlib.sha256(b"x").digest(), "sha384"),
                                  (hashlib.sha256(b"x").digest(), "md5")):
            try:
                self.vault.sign_digest(ref, digest, algorithm)
            except ValueError:
                continue
            raise AssertionError(f"a {len(digest)}-byte digest was signed as {algorithm}")

    def test_a_deleted_key_no_longer_signs_and_deleting_again_is_harmless(self) -> None:
        ref = self.vault.generate(KeyType.EC_P256)
        self.vault.delete(ref)
        self.vault.delete(ref)
        for action in (lambda: self.vault.get(ref.id), lambda: self.vault.public_key(ref),
                       lambda: self.vault.sign_digest(ref, hashlib.sha256(b"x").digest(), "sha256")):
            try:
                action()
            except KeyNotFound:
                continue
            raise AssertionError("a deleted key was still usable")

    def test_an_unknown_key_is_not_found(self) -> None:
        ghost = KeyRef(id="0" * 32, key_type=KeyType.EC_P256, public_key_der=b"")
        try:
            self.vault.sign_digest(ghost, hashlib.sha256(b"x").digest(), "sha256")
        except KeyNotFound:
            return
        raise AssertionError("an unknown key signed")

    def _check_signs(self, key_type: KeyType, algorithm: str) -> None:
        ref = self.vault.generate(key_type)
        assert ref.key_type is key_type
        digest = hashlib.new(algorithm, b"lettre de mission").digest()
        signature = self.vault.sign_digest(ref, digest, algorithm)
        assert signature[:1] == b"\x30"  # ECDSA signatures come DER-encoded
        assert self.verify_signature(ref.public_key_der, signature, digest, algorithm)
