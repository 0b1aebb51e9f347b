"""An RFC 3161 time-stamping authority running inside the application.

The TSA's private key stays in the key vault: the token's signed attributes are hashed
here and only their digest goes to ``vault.sign_digest``. Time comes from the Clock port.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from asn1crypto import algos, cms, core, tsp, x509

from adapters.shared import cms_der, der
from adapters.timestamping._asn1 import TimeStampResp
from domain.model.errors import TimestampUnavailable
from domain.model.pki import Credential, KeyRef
from ports.ca import CertificateAuthority
from ports.clock import Clock
from ports.keyvault import KeyVault
from ports.providers import ProviderConfig
from ports.timestamping import ETSI_BEST_PRACTICES_TSA_POLICY, HASH_ALGORITHMS

__all__ = ["BuiltinTsa", "InProcessTimestampAuthority", "ETSI_BEST_PRACTICES_TSA_POLICY", "builtin_factory"]

"""ETSI EN 319 421 best-practices time-stamp policy, the default ``policy_oid``."""

_DIGEST_SIZES = {name: hashlib.new(name).digest_size for name in HASH_ALGORITHMS}



def _refusal_response(status: tsp.PKIStatusInfo) -> bytes:
    return TimeStampResp({"status": status}).dump()


class _Refusal(Exception):
    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


class InProcessTimestampAuthority:
    """Implements both ``TimestampAuthority`` (direct calls) and ``TimestampResponder`` (HTTP).

    Args:
        vault: holds the TSA key; ``key_ref`` names it.
        certificate: DER of the TSA certificate (critical timeStamping EKU).
        chain: DER of the issuing CAs, embedded in tokens so verifiers can build the path.
        clock: source of genTime.
        policy_oid: TSA policy stamped in every token; queries asking for another are refused.
        accuracy: announced accuracy of genTime.
        signing_hash: digest algorithm of the token's own signature.
    """

    def __init__(
        self,
        *,
        vault: KeyVault,
        key_ref: KeyRef,
        certificate: bytes,
        chain: Sequence[bytes] = (),
        clock: Clock,
        policy_oid: str = ETSI_BEST_PRACTICES_TSA_POLICY,
        accuracy: timedelta = timedelta(seconds=1),
        signing_hash: str = "sha256",
    ) -> None:
        self._vault = vault
        self._key_ref = key_ref
        self._cert = x509.Certificate.load(certificate)
        self._clock = clock
        self._policy = policy_oid
        self._accuracy = accuracy
        self._signing_hash = signing_hash
        # Computed once, kept as DER: asn1crypto re-encodes constructed values at every
        # dump (milliseconds for a certificate reference), loaded DER is reused as is.
        signing_cert_attr = cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [
                    tsp.SigningCertificateV2(
                        {
                            "certs": [
                                {
                                    "hash_algorithm": {"algorithm": "sha256"},
                                    "cert_hash": hashlib.sha256(certificate).digest(),
                                    "issuer_serial": {
                                        "issuer": [x509.GeneralName({"directory_name": self._cert.issuer})],
                                        "serial_number": self._cert.serial_number,
                                    },
                                }
                            ]
                        }
                    )
                ],
            }
        ).dump()
        content_type_attr = cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump()
        key_algorithm = self._cert.public_key.algorithm
        if key_algorithm == "ec":
            signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{signing_hash}_ecdsa"})
        elif key_algorithm == "rsa":
            signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{signing_hash}_rsa"})
        else:
            raise ValueError(f"unsupported TSA key algorithm {key_algorithm}")
        self._parts = _Parts(self._cert, certificate, chain, policy_oid, self._accuracy_value(), signature_algorithm,
                             content_type_attr, signing_cert_attr)

    @classmethod
    def from_credential(
        cls, *, vault: KeyVault, credential: Credential, clock: Clock, **options: Any
    ) -> "InProcessTimestampAuthority":
        """The TSA of a ``CertificateAuthority.tsa()`` credential (key, certificate, issuers)."""
        return cls(
            vault=vault,
            key_ref=credential.key,
            certificate=credential.certificate.der,
            chain=credential.issuers,
            clock=clock,
            **options,
        )

    # -- TimestampAuthority ------------------------------------------------------------

    def timestamp(self, digest: bytes, hash_algorithm: str, nonce: int | None = None) -> bytes:
        try:
            self._check_imprint(hash_algorithm, digest)
            token = self._token(hash_algorithm, digest, nonce, include_certs=True)
        except _Refusal as refusal:
            raise TimestampUnavailable(refusal.text, fail_info=refusal.fail_info) from None
        return token

    # -- TimestampResponder ------------------------------------------------------------

    def respond(self, query: bytes) -> bytes:
        try:
            try:
                req = tsp.TimeStampReq.load(query, strict=True)
                _ = req.native  # forces a full parse: lazy asn1crypto would accept garbage
            except Exception:
                raise _Refusal("bad_data_format", "the query is not a DER TimeStampReq") from None
            if req["version"].native != "v1":
                raise _Refusal("bad_request", "only version 1 queries are understood")
            if req["extensions"].native:
                raise _Refusal("unaccepted_extensions", "no extension is supported")
            wanted_policy = req["req_policy"].native
            if wanted_policy is not None and req["req_policy"].dotted != self._policy:
                raise _Refusal("unaccepted_policy", f"this TSA only stamps under {self._policy}")
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            self._check_imprint(algorithm, digest)
            token = self._token(
                algorithm,
                digest,
                req["nonce"].native,
                include_certs=bool(req["cert_req"].native),
            )
        except _Refusal as refusal:
            status = tsp.PKIStatusInfo(
                {
                    "status": "rejection",
                    "status_string": [refusal.text],
                    "fail_info": tsp.PKIFailureInfo({refusal.fail_info}),
                }
            )
            return _refusal_response(status)
        # PKIStatusInfo { status granted (0) } before the token, as asn1crypto writes it.
        return der.sequence(der.sequence(der.integer(0)), token)

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _check_imprint(algorithm: str, digest: bytes) -> None:
        if algorithm not in _DIGEST_SIZES:
            raise _Refusal("bad_alg", f"unsupported hash algorithm {algorithm}")
        if len(digest) != _DIGEST_SIZES[algorithm]:
            raise _Refusal("bad_data_format", f"a {algorithm} digest has {_DIGEST_SIZES[algorithm]} bytes")

    def _accuracy_value(self) -> tsp.Accuracy:
        micros_total = int(self._accuracy / timedelta(microseconds=1))
        seconds, rest = divmod(micros_total, 1_000_000)
        millis, micros = divmod(rest, 1000)
        value: dict[str, int] = {}
        if seconds:
            value["seconds"] = seconds
        if millis:
            value["millis"] = millis
        if micros:
            value["micros"] = micros
        return tsp.Accuracy(value)

    def _token(self, algorithm: str, digest: bytes, nonce: int | None, *, include_certs: bool) -> bytes:
        """The DER of the token (a CMS ContentInfo). Written from DER pieces: everything that
        does not change between tokens is encoded once (``_Parts``, by asn1crypto), the rest
        here; asn1crypto assembling the whole token took 1.5 ms, 40 times the key operation."""
        now = self._clock.now()
        if now.tzinfo is None:
            raise _Refusal("time_not_available", "the clock gave a naive datetime")
        # Whole seconds only: RFC 3161 forbids trailing zeros in fractions and our
        # announced accuracy is coarser than a second's fraction anyway.
        gen_time = now.replace(microsecond=0).astimezone(timezone.utc)
        parts = self._parts
        tst_info_der = der.sequence(
            parts.version_1,
            parts.policy,
            der.sequence(cms_der.digest_algorithm(algorithm), der.octet_string(digest)),
            # 127 random bits: unique without shared state between processes.
            der.integer(secrets.randbits(127) | 1),
            der.tlv(0x18, gen_time.strftime("%Y%m%d%H%M%SZ").encode("ascii")),
            parts.accuracy,
            der.integer(nonce) if nonce is not None else b"",
            parts.tsa_name,
        )
        attributes = b"".join(sorted([  # DER orders a SET OF by encoding
            parts.content_type_attr,
            parts.signing_time_attr(gen_time),
            cms_der.message_digest_attribute(hashlib.new(self._signing_hash, tst_info_der).digest()),
            parts.signing_cert_attr,
        ]))
        signed_attrs_der = der.tlv(0x31, attributes)  # what is signed: the attributes as a SET OF
        to_sign = hashlib.new(self._signing_hash, signed_attrs_der).digest()
        try:
            signature = self._vault.sign_digest(self._key_ref, to_sign, self._signing_hash)
        except Exception as exc:  # the vault is an outside system: any failure means no time
            raise _Refusal("system_failure", f"the TSA key could not sign: {exc}") from exc
        digest_algorithm = cms_der.digest_algorithm(self._signing_hash)
        signer = cms_der.signer_info(version=parts.version_1, sid=parts.signer_id, digest=digest_algorithm,
                                     signed_attrs=signed_attrs_der, signature_algorithm=parts.signature_algorithm,
                                     signature=signature)
        return cms_der.content_info(
            version=parts.version_3, digest=digest_algorithm,
            encap_content_info=der.sequence(_TST_INFO, der.tlv(0xA0, der.octet_string(tst_info_der))),
            certificates=parts.certificates if include_certs else b"", signer=signer)


_TST_INFO = der.oid("1.2.840.113549.1.9.16.1.4")
_SIGNING_TIME = der.oid("1.2.840.113549.1.9.5")


class _Parts:
    """The DER of what every token of one TSA repeats, each encoded once by asn1crypto."""

    def __init__(self, cert: x509.Certificate, certificate: bytes, chain: Sequence[bytes], policy: str,
                 accuracy: tsp.Accuracy, signature_algorithm: algos.SignedDigestAlgorithm,
                 content_type_attr: bytes, signing_cert_attr: bytes) -> None:
        self.version_1 = der.integer(1)
        self.version_3 = der.integer(3)
        self.policy = core.ObjectIdentifier(policy).dump()
        self.accuracy = accuracy.dump()
        # [0] EXPLICIT GeneralName: the TSA's subject as a directory name.
        self.tsa_name = der.tlv(0xA0, x509.GeneralName({"directory_name": cert.subject}).dump())
        self.signer_id = cms_der.issuer_and_serial_number(certificate)
        self.signature_algorithm = signature_algorithm.dump()
        self.certificates = cms_der.certificate_set([certificate, *chain])
        self.content_type_attr = content_type_attr
        self.signing_cert_attr = signing_cert_attr

    @staticmethod
    def signing_time_attr(at: datetime) -> bytes:
        """signingTime: UTCTime from 1950 to 2049 (RFC 5652), as asn1crypto writes it."""
        if 1950 <= at.year <= 2049:
            value = der.tlv(0x17, at.strftime("%y%m%d%H%M%SZ").encode("ascii"))
        else:
            value = cms.Time({"generalized_time": core.GeneralizedTime(at)}).dump()
        return der.sequence(_SIGNING_TIME, der.set_of([value]))


class BuiltinTsa:
    """The in-process TSA with the CA's TSA certificate; its key stays in the vault. Both a
    ``TimestampAuthority`` (the platform's own stamps) and a ``TimestampResponder`` (/pki/tsa).

    Built at the first timestamp, not at start-up: a worker that only delivers emails
    must start even before `seing ca init` has created the TSA certificate.
    """

    def __init__(self, vault: KeyVault, ca: CertificateAuthority, clock: Clock) -> None:
        self._vault, self._ca, self._clock = vault, ca, clock
        self._tsa: InProcessTimestampAuthority | None = None
        self._serial: str | None = None

    def _authority(self) -> InProcessTimestampAuthority:
        # Asked each time: the CA rolls the TSA's key over before its certificate's end.
        credential = self._ca.tsa()
        if self._tsa is None or credential.certificate.serial != self._serial:
            self._tsa = InProcessTimestampAuthority.from_credential(vault=self._vault, credential=credential,
                                                                    clock=self._clock)
            self._serial = credential.certificate.serial
        return self._tsa

    def timestamp(self, digest: bytes, hash_algorithm: str, nonce: int | None = None) -> bytes:
        return self._authority().timestamp(digest, hash_algorithm, nonce)

    def respond(self, query: bytes) -> bytes:
        """POST /pki/tsa: the RFC 3161 reply to a DER ``TimeStampReq`` (``TimestampResponder``)."""
        return self._authority().respond(query)


def builtin_factory(config: ProviderConfig) -> BuiltinTsa:
    """Entry point ``builtin`` of ``seing.timestamp_authorities``: the CA's TSA, in process."""
    if config.vault is None or config.ca is None:
        raise ValueError("the built-in TSA needs the key vault and the CA")
    return BuiltinTsa(config.vault, config.ca, config.clock)


class _OfflineVault:
    def sign_digest(self, ref: object, digest: bytes, hash_algorithm: str) -> bytes:
        raise ConnectionError("the key vault is unreachable")


class _BuiltinTsaContractHooks:
    """What ``ports.contracts.providers.contract_for`` mixes into the TSA contract: the same
    TSA with its key vault unreachable."""

    def make_unavailable_adapter(self) -> BuiltinTsa:
        tsa = self.make_adapter()  # type: ignore[attr-defined]
        return BuiltinTsa(_OfflineVault(), tsa._ca, tsa._clock)  # type: ignore[arg-type]


builtin_factory.contract_hooks = _BuiltinTsaContractHooks  # type: ignore[attr-defined]
