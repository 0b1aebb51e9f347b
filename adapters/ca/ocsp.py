"""The OCSP responder of the built-in CA (RFC 6960), assembled with asn1crypto so that
producedAt comes from our clock and each CertID is echoed as asked. Each CA has its own
delegated responder certificate (one shared responder key)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from asn1crypto import algos as asn1_algos
from asn1crypto import core as asn1_core
from asn1crypto import ocsp as asn1_ocsp
from cryptography.hazmat.primitives import serialization

from adapters.ca.crl import REASONS
from adapters.ca.issuance import Issuer
from adapters.ca.settings import BuiltinCaSettings
from adapters.ca.state import Ca, CaState
from adapters.shared import der
from domain.model.pki import CertificateStatus, IssuedCertificate, KeyType, RevocationReason
from ports.keyvault import KeyVault

__all__ = ["OcspResponder"]


class OcspResponder:
    def __init__(self, vault: KeyVault, state: CaState, issuer: Issuer, settings: BuiltinCaSettings) -> None:
        self._vault = vault
        self._state = state
        self._issuer = issuer
        self._settings = settings

    def response(self, request_der: bytes) -> bytes:
        try:
            request = asn1_ocsp.OCSPRequest.load(request_der)
            tbs = request["tbs_request"]
            single_requests = list(tbs["request_list"])
            nonce = next((ext["extn_value"].parsed.native for ext in (tbs["request_extensions"] or [])
                          if ext["extn_id"].dotted == "1.3.6.1.5.5.7.48.1.2"), None)
            cert_ids = [r["req_cert"] for r in single_requests]
            for cert_id in cert_ids:
                cert_id["hash_algorithm"]["algorithm"].native  # noqa: B018 - forces parsing
                int(cert_id["serial_number"].native)
        except Exception:  # noqa: BLE001 - any parse failure is the client's malformed request
            return _ocsp_error("malformed_request")
        if not cert_ids:
            return _ocsp_error("malformed_request")
        snapshot = self._state.snapshot()
        if snapshot is None:
            return _ocsp_error("try_later")
        issuer = next((ca for ca in snapshot[1].values()
                       if all(_cert_id_names(cert_id, ca) for cert_id in cert_ids)), None)
        if issuer is None:
            return _ocsp_error("unauthorized")
        return self._answer(snapshot[0], issuer, cert_ids, nonce)

    def response_for(self, record: IssuedCertificate) -> bytes:
        state, cas = self._state.require()
        issuer = cas[record.issuer]
        spki = issuer.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        cert_id = asn1_ocsp.CertId({
            "hash_algorithm": {"algorithm": "sha256"},
            "issuer_name_hash": hashlib.sha256(issuer.certificate.subject.public_bytes()).digest(),
            "issuer_key_hash": hashlib.sha256(der.spki_key_bits(spki)).digest(),
            "serial_number": int(record.serial, 16),
        })
        return self._answer(state, issuer, [cert_id], None, known=record)

    def _answer(self, state: dict[str, Any], issuer: Ca, cert_ids: list[Any], nonce: bytes | None,
                known: IssuedCertificate | None = None) -> bytes:
        """The signed response, written from DER pieces: asn1crypto building the ResponseData, the
        BasicOCSPResponse and its certificates and re-encoding them at the dump took about 4 ms
        of CPU; the small values (times, statuses, extensions) are still its encodings."""
        responder_key = self._vault.get(state["ocsp_key"])
        now = self._issuer.now()
        responses = []
        for cert_id in cert_ids:
            serial = format(int(cert_id["serial_number"].native), "x")
            # The record just read by the caller, or read now: its status is the answer.
            record = known if known is not None and known.serial == serial else self._state.find_record(serial)
            if record is None or record.issuer is not issuer.name:
                status = asn1_ocsp.CertStatus(name="unknown", value=asn1_core.Null())
            elif record.status is CertificateStatus.REVOKED:
                info: dict[str, Any] = {"revocation_time": record.revoked_at}
                if record.revocation_reason not in (None, RevocationReason.UNSPECIFIED):
                    info["revocation_reason"] = REASONS[record.revocation_reason].name
                status = asn1_ocsp.CertStatus(name="revoked", value=asn1_ocsp.RevokedInfo(info))
            else:
                status = asn1_ocsp.CertStatus(name="good", value=asn1_core.Null())
            next_update = now + self._settings.ocsp_response_validity
            if record is not None and now < record.not_after < next_update:
                # No news after the certificate ends: a response that outlives it would make a
                # long-term validator (EN 319 102-1 time sliding) place the control time after
                # the certificate's expiry, and a one-time certificate's signature would be lost.
                next_update = record.not_after
            responses.append(der.sequence(  # SingleResponse
                cert_id.dump(), status.dump(), _time(now), der.tlv(0xA0, _time(next_update))))
        responder_key_hash = hashlib.sha1(der.spki_key_bits(responder_key.public_key_der)).digest()  # noqa: S324 - RFC 6960 KeyHash
        extensions = b""
        if nonce is not None:
            extensions = der.tlv(0xA1, asn1_ocsp.ResponseDataExtensions(
                [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]).dump())
        response_data = der.sequence(  # ResponseData, version v1 left out as its default
            der.tlv(0xA2, der.octet_string(responder_key_hash)),  # responderID byKey
            _time(now),
            der.sequence(*responses),
            extensions,
        )
        hash_name = responder_key.key_type.default_hash
        signature = self._vault.sign_digest(responder_key, hashlib.new(hash_name, response_data).digest(), hash_name)
        algorithm = f"{hash_name}_{'rsa' if responder_key.key_type is KeyType.RSA_3072 else 'ecdsa'}"
        basic = der.sequence(  # BasicOCSPResponse
            response_data,
            _signature_algorithm(algorithm),
            der.bit_string(signature),
            # The issuing CA too, so a client that only trusts the root can follow the chain.
            der.tlv(0xA0, der.sequence(*self._state.chain(state["ocsp"][issuer.name.value])[:-1])),
        )
        return der.sequence(  # OCSPResponse: successful, a basic response
            _SUCCESSFUL, der.tlv(0xA0, der.sequence(_BASIC_RESPONSE, der.octet_string(basic))))


_SUCCESSFUL = der.tlv(0x0A, b"\x00")  # ENUMERATED successful (0)
_BASIC_RESPONSE = der.oid("1.3.6.1.5.5.7.48.1.1")


def _time(value: Any) -> bytes:
    return asn1_core.GeneralizedTime(value).dump()


@functools.lru_cache(maxsize=8)
def _signature_algorithm(name: str) -> bytes:
    return asn1_algos.SignedDigestAlgorithm({"algorithm": name}).dump()


def _cert_id_names(cert_id: asn1_ocsp.CertId, ca: Ca) -> bool:
    """Whether an OCSP CertID's issuer hashes designate ``ca``, in the hash the client chose."""
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    if algorithm not in ("sha1", "sha256", "sha384", "sha512"):
        return False
    name_hash = hashlib.new(algorithm, ca.certificate.subject.public_bytes()).digest()
    spki = ca.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    key_hash = hashlib.new(algorithm, der.spki_key_bits(spki)).digest()
    return cert_id["issuer_name_hash"].native == name_hash and cert_id["issuer_key_hash"].native == key_hash


def _ocsp_error(status: str) -> bytes:
    return asn1_ocsp.OCSPResponse({"response_status": status}).dump()
