"""Signing certificates and CRLs with keys that never leave the vault.

cryptography's builders sign with a private key object, and ours never leave the vault. So
each certificate and CRL is built and signed with a throwaway key of the same family and
digest (the algorithm identifiers then match the real key's), and its signature is replaced
by the vault's signature over the same to-be-signed bytes.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.ca.profiles import Extensions
from adapters.ca.state import Ca, CaState
from adapters.shared import der
from domain.model.errors import InvalidValue
from domain.model.pki import CertificateKind, CertificatePolicy, IssuedCertificate, KeyRef, KeyType
from ports.clock import Clock
from ports.keyvault import KeyVault

__all__ = ["Issuer", "load_public_key"]

_HASH_CLASSES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}


class Issuer:
    def __init__(self, vault: KeyVault, state: CaState, clock: Clock) -> None:
        self._vault = vault
        self._state = state
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now().astimezone(UTC).replace(microsecond=0)

    def issue(self, ca: Ca, *, kind: CertificateKind, name: x509.Name, public_key: Any, key_type: KeyType,
              lifetime: timedelta, extensions: Extensions,
              policy: CertificatePolicy | None, holder_id: str | None, one_time: bool,
              serial: int | None = None) -> IssuedCertificate:
        now = self.now()
        not_after = min(now + lifetime, ca.certificate.not_valid_after_utc)
        return self.sign_and_store(issuer=ca, issuer_name=ca.certificate.subject,
                                   issuer_public_key=ca.certificate.public_key(), kind=kind, name=name,
                                   public_key=public_key, key_type=key_type, not_before=now,
                                   not_after=not_after, extensions=extensions, policy=policy,
                                   holder_id=holder_id, one_time=one_time, serial=serial)

    def sign_and_store(self, *, issuer: Ca, issuer_name: x509.Name, issuer_public_key: Any,
                       kind: CertificateKind, name: x509.Name, public_key: Any, key_type: KeyType,
                       not_before: datetime, not_after: datetime,
                       extensions: Extensions, policy: CertificatePolicy | None,
                       holder_id: str | None, one_time: bool, serial: int | None = None) -> IssuedCertificate:
        serial = serial or x509.random_serial_number()
        builder = (x509.CertificateBuilder()
                   .subject_name(name).issuer_name(issuer_name).public_key(public_key)
                   .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
        if kind is not CertificateKind.ROOT_CA:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        hash_name = issuer.key.key_type.default_hash
        draft = builder.sign(throwaway_key(issuer.key.key_type), _HASH_CLASSES[hash_name]())
        der_bytes = self.resign(issuer.key, draft.public_bytes(serialization.Encoding.DER),
                                draft.tbs_certificate_bytes)
        record = IssuedCertificate(
            serial=format(serial, "x"), kind=kind, issuer=issuer.name, subject=name.rfc4514_string(),
            not_before=not_before, not_after=not_after, der=der_bytes, key_type=key_type, policy=policy,
            holder_id=holder_id, one_time=one_time)
        self._state.save_record(record)
        if holder_id is not None:
            self._state.mark_holder(holder_id, record.serial)
        return record

    def sign_crl(self, ca: Ca, builder: x509.CertificateRevocationListBuilder) -> bytes:
        hash_name = ca.key.key_type.default_hash
        draft = builder.sign(throwaway_key(ca.key.key_type), _HASH_CLASSES[hash_name]())
        return self.resign(ca.key, draft.public_bytes(serialization.Encoding.DER), draft.tbs_certlist_bytes)

    def resign(self, key: KeyRef, draft_der: bytes, tbs: bytes) -> bytes:
        hash_name = key.key_type.default_hash
        signature = self._vault.sign_digest(key, hashlib.new(hash_name, tbs).digest(), hash_name)
        return der.replace_signature(draft_der, signature)


_THROWAWAY: dict[str, Any] = {}
_THROWAWAY_LOCK = threading.Lock()


def throwaway_key(key_type: KeyType) -> Any:
    """A key of the same family: the signature algorithm identifier depends only on the
    family and the digest, not on the curve or modulus size. Created on first use."""
    family = "rsa" if key_type is KeyType.RSA_3072 else "ec"
    with _THROWAWAY_LOCK:
        if family not in _THROWAWAY:
            _THROWAWAY[family] = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                                  if family == "rsa" else ec.generate_private_key(ec.SECP256R1()))
        return _THROWAWAY[family]


def load_public_key(public_key_der: bytes) -> tuple[Any, KeyType]:
    try:
        public_key = serialization.load_der_public_key(public_key_der)
    except (ValueError, TypeError):
        raise InvalidValue("public_key", "not a DER SubjectPublicKeyInfo") from None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curves = {"secp256r1": KeyType.EC_P256, "secp384r1": KeyType.EC_P384}
        if public_key.curve.name in curves:
            return public_key, curves[public_key.curve.name]
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 3072:
        return public_key, KeyType.RSA_3072
    raise InvalidValue("public_key", "only EC P-256, EC P-384 and RSA-3072 keys are certified")
