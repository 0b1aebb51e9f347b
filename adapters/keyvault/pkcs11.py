"""PKCS#11 key vault: keys generated on the token, sensitive and non-extractable.

Works with any PKCS#11 module (tested with SoftHSM2). The vault keeps one logged-in
session and serialises its use: PKCS#11 sessions must not be shared between threads
concurrently, and logging in for every signature would cost more than the signature.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import KeyType as P11KeyType
from pkcs11.exceptions import MultipleObjectsReturned, NoSuchKey, UserAlreadyLoggedIn
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters

from adapters.keyvault.signature_check import CryptographyVerifier
from domain.model.errors import KeyNotFound
from domain.model.pki import HASH_SIZES, KeyRef, KeyType
from ports.providers import ProviderConfig

__all__ = ["Pkcs11KeyVault", "factory"]

# DER DigestInfo prefixes (RFC 8017 §9.2 note 1): CKM_RSA_PKCS signs DigestInfo || digest.
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_CURVES = {KeyType.EC_P256: "secp256r1", KeyType.EC_P384: "secp384r1"}
_CURVE_PARAMS = {encode_named_curve_parameters(name): key_type for key_type, name in _CURVES.items()}


class Pkcs11KeyVault:
    def __init__(self, module_path: str, token_label: str, user_pin: str) -> None:
        self._lib = pkcs11.lib(module_path)
        self._token = self._lib.get_token(token_label=token_label)
        self._pin = user_pin
        self._session: Any = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    # KeyVault -----------------------------------------------------------------------------

    def generate(self, key_type: KeyType) -> KeyRef:
        key_id = uuid.uuid4().hex
        # Never extractable, never readable: the private key cannot leave the token.
        private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.PRIVATE: True,
                            Attribute.SIGN: True, Attribute.DECRYPT: False, Attribute.UNWRAP: False,
                            Attribute.DERIVE: False}
        common = {"id": bytes.fromhex(key_id), "label": key_id, "store": True,
                  "capabilities": MechanismFlag.SIGN | MechanismFlag.VERIFY,
                  "private_template": private_template}
        with self._lock:
            session = self._open()
            if key_type is KeyType.RSA_3072:
                public, _private = session.generate_keypair(P11KeyType.RSA, 3072, **common)
            else:
                params = session.create_domain_parameters(
                    P11KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(_CURVES[key_type])},
                    local=True)
                public, _private = params.generate_keypair(**common)
            public_der = _public_der(public, key_type)
        return KeyRef(id=key_id, key_type=key_type, public_key_der=public_der)

    def get(self, key_id: str) -> KeyRef:
        with self._lock:
            public = self._find(key_id, ObjectClass.PUBLIC_KEY)
            key_type = _key_type_of(public)
            return KeyRef(id=key_id, key_type=key_type, public_key_der=_public_der(public, key_type))

    def public_key(self, ref: KeyRef) -> bytes:
        return self.get(ref.id).public_key_der

    def sign_digest(self, ref: KeyRef, digest: bytes, hash_algorithm: str) -> bytes:
        if hash_algorithm not in _DIGEST_INFO or len(digest) != HASH_SIZES[hash_algorithm]:
            raise ValueError(f"a {hash_algorithm} digest is expected")
        with self._lock:
            private = self._find(ref.id, ObjectClass.PRIVATE_KEY)
            if private.key_type == P11KeyType.RSA:
                return private.sign(_DIGEST_INFO[hash_algorithm] + digest, mechanism=Mechanism.RSA_PKCS)
            return encode_ecdsa_signature(private.sign(digest, mechanism=Mechanism.ECDSA))

    def delete(self, ref: KeyRef) -> None:
        with self._lock:
            session = self._open()
            for obj in session.get_objects({Attribute.ID: _id_bytes(ref.id)}):
                obj.destroy()

    # Internals ---------------------------------------------------------------------------------

    def _open(self) -> Any:
        if self._session is None:
            try:
                self._session = self._token.open(rw=True, user_pin=self._pin)
            except UserAlreadyLoggedIn:
                # Login is per process, not per session: another vault on this token did it.
                self._session = self._token.open(rw=True)
        return self._session

    def _find(self, key_id: str, object_class: ObjectClass) -> Any:
        try:
            return self._open().get_key(object_class=object_class, id=_id_bytes(key_id))
        except (NoSuchKey, MultipleObjectsReturned):
            raise KeyNotFound(f"no key {key_id}") from None


def _id_bytes(key_id: str) -> bytes:
    try:
        return bytes.fromhex(key_id)
    except ValueError:
        raise KeyNotFound(f"no key {key_id}") from None


def _key_type_of(public: Any) -> KeyType:
    if public.key_type == P11KeyType.RSA:
        return KeyType.RSA_3072
    return _CURVE_PARAMS[public[Attribute.EC_PARAMS]]


def _public_der(public: Any, key_type: KeyType) -> bytes:
    if key_type is KeyType.RSA_3072:
        numbers = rsa.RSAPublicNumbers(e=int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                                       n=int.from_bytes(public[Attribute.MODULUS], "big"))
        return numbers.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return encode_ec_public_key(public)


def factory(config: ProviderConfig) -> Pkcs11KeyVault:
    """Entry point ``pkcs11`` of ``seing.key_vaults``: options ``module``, ``token_label``, ``pin``."""
    return Pkcs11KeyVault(config.require("module"), config.require("token_label"), config.option("pin"))


# What ``ports.contracts.providers.contract_for`` mixes into the key-vault contract.
factory.contract_hooks = CryptographyVerifier  # type: ignore[attr-defined]
