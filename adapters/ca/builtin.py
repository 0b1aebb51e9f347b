"""The built-in certificate authority, on ``cryptography``, with every private key in a KeyVault.

cryptography's builders sign with a private key object, and ours never leave the vault. So
each certificate and CRL is built and signed with a throwaway key of the same family and
digest (the algorithm identifiers then match the real key's), and its signature is replaced
by the vault's signature over the same to-be-signed bytes. OCSP responses are assembled with
asn1crypto so that producedAt comes from our clock and each CertID is echoed as asked.

Hierarchy: a root CA issues the LCP and QCP issuing CAs and the TSA certificate; the LCP CA
issues LCP person certificates and seals (the platform seal included), the QCP CA QCP-n
person certificates. Each CA has its own delegated OCSP responder certificate (one shared
responder key), as RFC 6960 wants the responder certified by the CA whose certificates it
speaks for.

State lives under ``storage_dir`` as JSON and DER files, written atomically:
``hierarchy.json``, ``certs/<serial>.json``, ``revoked/<ca>/<serial>``, ``crl/<ca>.crl``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from asn1crypto import core as asn1_core
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from attrs import frozen
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from adapters.ca import der
from domain.model.errors import (
    CaNotInitialised,
    CertificateNotFound,
    CertificateRevoked,
    InvalidValue,
    NotFound,
    QcpPublicationInsecure,
)
from domain.model.pki import (
    CaCertificate,
    CaName,
    CertificateKind,
    CertificatePolicy,
    CertificateStatus,
    CertificateSubject,
    Credential,
    IssuedCertificate,
    KeyRef,
    KeyType,
    OrganizationSubject,
    PublicationProblem,
    RevocationReason,
    publication_problems,
)
from ports.clock import Clock
from ports.keyvault import KeyVault
from ports.providers import ProviderConfig

__all__ = ["BuiltinCaSettings", "BuiltinCertificateAuthority", "factory"]

YEAR = timedelta(days=365)

QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_PDS = "0.4.0.1862.1.5"

_REASONS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}
_HASH_CLASSES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}


@frozen(kw_only=True)
class BuiltinCaSettings:
    """What an operator may configure; everything has a sensible default."""

    organization: str = "Seing"  # the platform operator, named in CA and seal certificates
    siren: str | None = None  # the operator's SIREN, for organizationIdentifier NTRFR-<SIREN>
    country: str = "FR"
    ca_key_type: KeyType = KeyType.EC_P384
    service_key_type: KeyType = KeyType.EC_P256  # TSA, OCSP responder, platform seal
    root_validity: timedelta = 20 * YEAR
    issuing_ca_validity: timedelta = 10 * YEAR
    lcp_validity: timedelta = 3 * YEAR
    qcp_validity: timedelta = 5 * YEAR
    one_time_validity: timedelta = timedelta(hours=1)
    tsa_validity: timedelta = 6 * YEAR
    # The TSA's key signs only while its certificate has more than this left (ETSI EN 319 421: a
    # TSU key's usage ends well before its certificate), then a new key and certificate take over.
    # Every token thus has two years of certificate left, more than the archive-timestamp renewal
    # margin (a year by default): a renewal always gives a file a deadline in the future.
    tsa_rollover_margin: timedelta = 2 * YEAR
    seal_validity: timedelta = 3 * YEAR
    ocsp_responder_validity: timedelta = YEAR
    ocsp_renewal_margin: timedelta = timedelta(days=30)  # init renews a responder this close to expiry
    crl_validity: timedelta = timedelta(days=7)
    # The root's CRL (an ARL: it only lists the issuing CAs and the TSA, which are rarely
    # revoked) lives a year, as offline roots publish them: while it is fresh, a long-term
    # validator can check the root's children at the current time and, finding the signers'
    # revocation data merely stale, validate them in the past (EN 319 102-1 §5.6.2.4).
    root_crl_validity: timedelta = YEAR
    ocsp_response_validity: timedelta = timedelta(days=1)
    qc_pds_url: str | None = None  # defaults to {public_url}/pki/pds; EN 319 412-5 wants https
    # Base of the CRL, OCSP and CA-issuers URLs written in certificates; defaults to public_url.
    # EN 319 412-2 (GEN-4.3.11-4) wants an http:// CRL location: CRLs and OCSP responses are
    # signed, and fetching them over TLS would need revocation checks of its own.
    publication_url: str | None = None
    qc_pds_language: str = "fr"
    # Outside dev mode: no QCP-n while publication_problems() finds anything (dev mode warns only).
    qcp_requires_compliant_urls: bool = False


@frozen
class _Ca:
    name: CaName
    key: KeyRef
    certificate: x509.Certificate
    der: bytes
    policy: CertificatePolicy | None


class BuiltinCertificateAuthority:
    def __init__(self, vault: KeyVault, storage_dir: Path, public_url: str, *,
                 clock: Clock, settings: BuiltinCaSettings | None = None) -> None:
        self._vault = vault
        self._dir = Path(storage_dir)
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self._settings = settings or BuiltinCaSettings()
        self._lock = threading.RLock()
        self._cache: tuple[int, dict[str, Any], dict[CaName, _Ca]] | None = None

    # Port: hierarchy --------------------------------------------------------------------

    def init_hierarchy(self) -> None:
        for sub in ("certs", "crl", *(f"revoked/{n.value}" for n in CaName)):
            (self._dir / sub).mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            state = self._read_state()
            s = self._settings
            if "root" not in state:
                state["root"] = self._create_ca(CaName.ROOT, None, None)
                self._write_state(state)
            for name, policy in ((CaName.LCP, CertificatePolicy.LCP), (CaName.QCP, CertificatePolicy.QCP_N)):
                if name.value not in state:
                    state[name.value] = self._create_ca(name, policy, self._ca_from(state, CaName.ROOT))
                    self._write_state(state)
            if "ocsp_key" not in state:
                state["ocsp_key"] = self._vault.generate(s.service_key_type).id
                state["ocsp"] = {}
                self._write_state(state)
            responder_key = self._vault.get(state["ocsp_key"])
            for name in CaName:
                serial = state["ocsp"].get(name.value)
                if serial is None or self._load_record(serial).not_after - s.ocsp_renewal_margin <= self._now():
                    record = self._issue_responder(self._ca_from(state, name), responder_key)
                    state["ocsp"][name.value] = record.serial
                    self._write_state(state)
            if "tsa" not in state or self._tsa_used_up(state):
                state["tsa"] = self._create_service(state, CertificateKind.TSA)
                self._write_state(state)
            if "seal" not in state:
                state["seal"] = self._create_service(state, CertificateKind.SEAL)
                self._write_state(state)
            for name in CaName:
                if not self._crl_path(name).exists():
                    self._publish_crl(self._ca_from(state, name))

    def ca_certificates(self) -> list[CaCertificate]:
        cas = self._cas()
        return [CaCertificate(name=ca.name, der=ca.der, subject=ca.certificate.subject.rfc4514_string(),
                              policy=ca.policy) for ca in cas.values()]

    def tsa(self) -> Credential:
        """The TSA's current key and certificate; rolled over first when its usage period has
        ended (by `seing ca init`, or here, so a long-running worker never stamps with a key
        whose certificate ends within ``tsa_rollover_margin``). The old certificate stays in the
        records: the tokens it signed still chain."""
        credential = self._credential("tsa")
        if credential.certificate.not_after - self._settings.tsa_rollover_margin > self._now():
            return credential
        with self._exclusive():
            state = self._read_state()
            if self._tsa_used_up(state):  # not rolled over meanwhile by another process
                state["tsa"] = self._create_service(state, CertificateKind.TSA)
                self._write_state(state)
        return self._credential("tsa")

    def _tsa_used_up(self, state: dict[str, Any]) -> bool:
        record = self._load_record(state["tsa"]["serial"])
        return record.not_after - self._settings.tsa_rollover_margin <= self._now()

    def platform_seal(self) -> Credential:
        return self._credential("seal")

    # Port: issuing ----------------------------------------------------------------------

    def issue(self, subject: CertificateSubject | OrganizationSubject, public_key_der: bytes,
              policy: CertificatePolicy, *, one_time: bool = False,
              validity: timedelta | None = None) -> IssuedCertificate:
        public_key, key_type = _load_public_key(public_key_der)
        s = self._settings
        if isinstance(subject, OrganizationSubject):
            if policy is not CertificatePolicy.LCP:
                raise InvalidValue("policy", "the built-in CA certifies seals under LCP only")
            ca = self._cas()[CaName.LCP]
            lifetime = validity or (s.one_time_validity if one_time else s.seal_validity)
            return self._issue(ca, kind=CertificateKind.SEAL, name=_organization_name(subject),
                               public_key=public_key, key_type=key_type, lifetime=lifetime,
                               extensions=self._seal_extensions(ca), policy=policy,
                               holder_id=subject.organization_identifier, one_time=one_time)
        self.check_issuable(policy)
        ca = self._cas()[CaName.LCP if policy is CertificatePolicy.LCP else CaName.QCP]
        default = s.lcp_validity if policy is CertificatePolicy.LCP else s.qcp_validity
        lifetime = validity or (s.one_time_validity if one_time else default)
        return self._issue(ca, kind=CertificateKind.PERSON, name=_person_name(subject),
                           public_key=public_key, key_type=key_type, lifetime=lifetime,
                           extensions=self._person_extensions(ca, subject, policy), policy=policy,
                           holder_id=subject.person_id, one_time=one_time)

    def check_issuable(self, policy: CertificatePolicy) -> None:
        if policy is CertificatePolicy.QCP_N and self._settings.qcp_requires_compliant_urls:
            problems = self.publication_problems()
            if problems:
                raise QcpPublicationInsecure("the CA's public addresses break EN 319 412: "
                                             + "; ".join(f"{p.rule} ({p.url})" for p in problems),
                                             problems=",".join(p.code for p in problems))

    def publication_problems(self) -> tuple[PublicationProblem, ...]:
        """What is wrong with the addresses this CA writes into QCP-n certificates."""
        return publication_problems(public_url=self._public_url,
                                    qc_pds_url=self._settings.qc_pds_url or self._url("/pki/pds"),
                                    publication_url=(self._settings.publication_url or self._public_url).rstrip("/"))

    def certificate(self, serial: str) -> IssuedCertificate:
        return self._load_record(_normal_serial(serial))

    def certificates_of(self, holder_id: str) -> list[IssuedCertificate]:
        folder = self._holder_dir(holder_id)
        records = [self._load_record(marker.name) for marker in folder.iterdir()] if folder.exists() else []
        return sorted(records, key=lambda r: (r.not_before, r.serial), reverse=True)

    def chain(self, serial: str) -> list[bytes]:
        record = self.certificate(serial)
        cas = self._cas()
        if record.kind is CertificateKind.ROOT_CA:
            return [record.der]
        intermediates = [] if record.issuer is CaName.ROOT else [cas[record.issuer].der]
        return [record.der, *intermediates, cas[CaName.ROOT].der]

    # Port: revocation -------------------------------------------------------------------

    def revoke(self, serial: str, reason: RevocationReason, at: datetime) -> IssuedCertificate:
        serial = _normal_serial(serial)
        with self._exclusive():
            record = self._load_record(serial)
            if record.status is CertificateStatus.REVOKED:
                raise CertificateRevoked(f"certificate {serial} is already revoked")
            revoked = _evolve(record, status=CertificateStatus.REVOKED, revoked_at=at.astimezone(UTC).replace(microsecond=0),
                              revocation_reason=reason)
            self._save_record(revoked)
            _write_atomic(self._dir / "revoked" / record.issuer.value / serial, b"")
            self._publish_crl(self._cas()[record.issuer])
        return revoked

    def crl(self, issuer: CaName) -> bytes:
        ca = self._cas()[issuer]
        path = self._crl_path(issuer)
        current = path.read_bytes() if path.exists() else None
        if current is not None:
            next_update = x509.load_der_x509_crl(current).next_update_utc
            # Republish ahead of expiry so relying parties never hold an expired CRL.
            if next_update is not None and next_update - self._crl_validity(issuer) / 2 > self._now():
                return current
        with self._exclusive():
            return self._publish_crl(ca)

    def ocsp_response(self, request_der: bytes) -> bytes:
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
        snapshot = self._snapshot()
        if snapshot is None:
            return _ocsp_error("try_later")
        issuer = next((ca for ca in snapshot[1].values()
                       if all(_cert_id_names(cert_id, ca) for cert_id in cert_ids)), None)
        if issuer is None:
            return _ocsp_error("unauthorized")
        return self._answer(snapshot[0], issuer, cert_ids, nonce)

    def ocsp_response_for(self, serial: str) -> bytes:
        record = self.certificate(serial)
        state, cas = self._require()
        issuer = cas[record.issuer]
        spki = issuer.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        cert_id = asn1_ocsp.CertId({
            "hash_algorithm": {"algorithm": "sha256"},
            "issuer_name_hash": hashlib.sha256(issuer.certificate.subject.public_bytes()).digest(),
            "issuer_key_hash": hashlib.sha256(der.spki_key_bits(spki)).digest(),
            "serial_number": int(record.serial, 16),
        })
        return self._answer(state, issuer, [cert_id], None)

    def _answer(self, state: dict[str, Any], issuer: _Ca, cert_ids: list[Any], nonce: bytes | None) -> bytes:
        responder_record = self._load_record(state["ocsp"][issuer.name.value])
        responder_key = self._vault.get(state["ocsp_key"])
        now = self._now()
        responses = []
        for cert_id in cert_ids:
            serial = format(int(cert_id["serial_number"].native), "x")
            record = self._find_record(serial)
            if record is None or record.issuer is not issuer.name:
                status = asn1_ocsp.CertStatus(name="unknown", value=asn1_core.Null())
            elif record.status is CertificateStatus.REVOKED:
                info: dict[str, Any] = {"revocation_time": record.revoked_at}
                if record.revocation_reason not in (None, RevocationReason.UNSPECIFIED):
                    info["revocation_reason"] = _REASONS[record.revocation_reason].name
                status = asn1_ocsp.CertStatus(name="revoked", value=asn1_ocsp.RevokedInfo(info))
            else:
                status = asn1_ocsp.CertStatus(name="good", value=asn1_core.Null())
            next_update = now + self._settings.ocsp_response_validity
            if record is not None and now < record.not_after < next_update:
                # No news after the certificate ends: a response that outlives it would make a
                # long-term validator (EN 319 102-1 time sliding) place the control time after
                # the certificate's expiry, and a one-time certificate's signature would be lost.
                next_update = record.not_after
            responses.append({"cert_id": cert_id, "cert_status": status, "this_update": now,
                              "next_update": next_update})
        responder_key_hash = hashlib.sha1(der.spki_key_bits(responder_key.public_key_der)).digest()  # noqa: S324 - RFC 6960 KeyHash
        data: dict[str, Any] = {
            "responder_id": asn1_ocsp.ResponderId(name="by_key", value=responder_key_hash),
            "produced_at": now,
            "responses": responses,
        }
        if nonce is not None:
            data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
        response_data = asn1_ocsp.ResponseData(data)
        hash_name = responder_key.key_type.default_hash
        signature = self._vault.sign_digest(responder_key, hashlib.new(hash_name, response_data.dump()).digest(),
                                            hash_name)
        algorithm = f"{hash_name}_{'rsa' if responder_key.key_type is KeyType.RSA_3072 else 'ecdsa'}"
        basic = asn1_ocsp.BasicOCSPResponse({
            "tbs_response_data": response_data,
            "signature_algorithm": {"algorithm": algorithm},
            "signature": signature,
            # The issuing CA too, so a client that only trusts the root can follow the chain.
            "certs": [asn1_x509.Certificate.load(d) for d in self.chain(responder_record.serial)[:-1]],
        })
        return asn1_ocsp.OCSPResponse({
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }).dump()

    # Profiles ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self._public_url}{path}"

    def _published(self, path: str) -> str:
        base = (self._settings.publication_url or self._public_url).rstrip("/")
        return f"{base}{path}"

    def _publication_extensions(self, ca: _Ca, *, ocsp: bool = True) -> list[tuple[x509.ExtensionType, bool]]:
        access = [x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                                         x509.UniformResourceIdentifier(self._published(f"/pki/ca/{ca.name.value}.der")))]
        extensions: list[tuple[x509.ExtensionType, bool]] = []
        if ocsp:
            access.insert(0, x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                                                    x509.UniformResourceIdentifier(self._published("/pki/ocsp"))))
            extensions.append((x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(self._published(f"/pki/crl/{ca.name.value}.crl"))],
                relative_name=None, reasons=None, crl_issuer=None)]), False))
        extensions.append((x509.AuthorityInformationAccess(access), False))
        return extensions

    def _policies(self, policy: CertificatePolicy) -> x509.CertificatePolicies:
        # The OID alone, as RFC 5280 §4.2.1.4 recommends; the policies are published on /pki.
        return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(policy.oid), None)])

    def _person_extensions(self, ca: _Ca, subject: CertificateSubject,
                           policy: CertificatePolicy) -> list[tuple[x509.ExtensionType, bool]]:
        extensions = [
            (_key_usage(content_commitment=True), True),
            (self._policies(policy), False),
            (x509.SubjectAlternativeName([x509.RFC822Name(subject.email.value)]), False),
            *self._publication_extensions(ca),
        ]
        if policy is CertificatePolicy.QCP_N:
            extensions.append((x509.UnrecognizedExtension(x509.ObjectIdentifier(QC_STATEMENTS),
                                                          self._qc_statements()), False))
        return extensions

    def _qc_statements(self) -> bytes:
        pds_url = self._settings.qc_pds_url or self._url("/pki/pds")
        # EN 319 412-5; no QcSSCD: these keys are not held in a certified QSCD.
        return der.sequence(
            der.sequence(der.oid(QC_COMPLIANCE)),
            der.sequence(der.oid(QC_TYPE), der.sequence(der.oid(QC_TYPE_ESIGN))),
            der.sequence(der.oid(QC_PDS), der.sequence(der.sequence(
                der.ia5_string(pds_url), der.printable_string(self._settings.qc_pds_language)))),
        )

    def _seal_extensions(self, ca: _Ca) -> list[tuple[x509.ExtensionType, bool]]:
        return [(_key_usage(content_commitment=True), True),
                (self._policies(CertificatePolicy.LCP), False),
                *self._publication_extensions(ca)]

    def _operator_name(self, common_name: str) -> x509.Name:
        s = self._settings
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, s.country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, s.organization)]
        if s.siren:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRFR-{s.siren}"))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
        return x509.Name(attributes)

    # Creation of the hierarchy ------------------------------------------------------------

    def _create_ca(self, name: CaName, policy: CertificatePolicy | None, parent: _Ca | None) -> dict[str, str]:
        s = self._settings
        key = self._vault.generate(s.ca_key_type)
        public_key = serialization.load_der_public_key(key.public_key_der)
        label = {CaName.ROOT: "Root CA", CaName.LCP: "LCP CA", CaName.QCP: "QCP CA"}[name]
        subject = self._operator_name(f"{s.organization} {label}")
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), True),
            (_key_usage(key_cert_sign=True, crl_sign=True), True),
        ]
        if parent is None:
            now = self._now()
            self_ca = _Ca(name=name, key=key, certificate=None, der=b"", policy=None)  # type: ignore[arg-type]
            record = self._sign_and_store(
                issuer=self_ca, issuer_name=subject, issuer_public_key=public_key, kind=CertificateKind.ROOT_CA,
                name=subject, public_key=public_key, key_type=key.key_type, not_before=now,
                not_after=now + s.root_validity, extensions=extensions, policy=None, holder_id=None,
                one_time=False)
        else:
            assert policy is not None
            extensions += [(self._policies(policy), False), *self._publication_extensions(parent)]
            record = self._issue(parent, kind=CertificateKind.ISSUING_CA, name=subject, public_key=public_key,
                                 key_type=key.key_type, lifetime=s.issuing_ca_validity, extensions=extensions,
                                 policy=None, holder_id=None, one_time=False)
        entry = {"key_id": key.id, "serial": record.serial}
        if policy is not None:
            entry["policy"] = policy.value
        return entry

    def _issue_responder(self, ca: _Ca, key: KeyRef) -> IssuedCertificate:
        public_key = serialization.load_der_public_key(key.public_key_der)
        label = {CaName.ROOT: "Root CA", CaName.LCP: "LCP CA", CaName.QCP: "QCP CA"}[ca.name]
        extensions = [
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False),
            (x509.OCSPNoCheck(), False),
            *self._publication_extensions(ca, ocsp=False),
        ]
        return self._issue(ca, kind=CertificateKind.OCSP_RESPONDER,
                           name=self._operator_name(f"{self._settings.organization} OCSP Responder ({label})"),
                           public_key=public_key, key_type=key.key_type,
                           lifetime=self._settings.ocsp_responder_validity, extensions=extensions,
                           policy=None, holder_id=None, one_time=False)

    def _create_service(self, state: dict[str, Any], kind: CertificateKind) -> dict[str, str]:
        s = self._settings
        key = self._vault.generate(s.service_key_type)
        public_key = serialization.load_der_public_key(key.public_key_der)
        if kind is CertificateKind.TSA:
            ca = self._ca_from(state, CaName.ROOT)
            record = self._issue(ca, kind=kind, name=self._operator_name(f"{s.organization} Time-Stamping Authority"),
                                 public_key=public_key, key_type=key.key_type, lifetime=s.tsa_validity,
                                 extensions=[(_key_usage(digital_signature=True), True),
                                             (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
                                             *self._publication_extensions(ca)],
                                 policy=None, holder_id=None, one_time=False)
        else:
            ca = self._ca_from(state, CaName.LCP)
            subject = OrganizationSubject(name=s.organization, siren=s.siren, country=s.country)
            record = self._issue(ca, kind=kind, name=_organization_name(subject), public_key=public_key,
                                 key_type=key.key_type, lifetime=s.seal_validity,
                                 extensions=self._seal_extensions(ca), policy=CertificatePolicy.LCP,
                                 holder_id=subject.organization_identifier, one_time=False)
        return {"key_id": key.id, "serial": record.serial}

    # Signing through the vault ----------------------------------------------------------------

    def _issue(self, ca: _Ca, *, kind: CertificateKind, name: x509.Name, public_key: Any, key_type: KeyType,
               lifetime: timedelta, extensions: list[tuple[x509.ExtensionType, bool]],
               policy: CertificatePolicy | None, holder_id: str | None, one_time: bool) -> IssuedCertificate:
        now = self._now()
        not_after = min(now + lifetime, ca.certificate.not_valid_after_utc)
        return self._sign_and_store(issuer=ca, issuer_name=ca.certificate.subject,
                                    issuer_public_key=ca.certificate.public_key(), kind=kind, name=name,
                                    public_key=public_key, key_type=key_type, not_before=now,
                                    not_after=not_after, extensions=extensions, policy=policy,
                                    holder_id=holder_id, one_time=one_time)

    def _sign_and_store(self, *, issuer: _Ca, issuer_name: x509.Name, issuer_public_key: Any,
                        kind: CertificateKind, name: x509.Name, public_key: Any, key_type: KeyType,
                        not_before: datetime, not_after: datetime,
                        extensions: list[tuple[x509.ExtensionType, bool]], policy: CertificatePolicy | None,
                        holder_id: str | None, one_time: bool) -> IssuedCertificate:
        serial = x509.random_serial_number()
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
        draft = builder.sign(_throwaway_key(issuer.key.key_type), _HASH_CLASSES[hash_name]())
        der_bytes = self._resign(issuer.key, draft.public_bytes(serialization.Encoding.DER),
                                 draft.tbs_certificate_bytes)
        record = IssuedCertificate(
            serial=format(serial, "x"), kind=kind, issuer=issuer.name, subject=name.rfc4514_string(),
            not_before=not_before, not_after=not_after, der=der_bytes, key_type=key_type, policy=policy,
            holder_id=holder_id, one_time=one_time)
        self._save_record(record)
        if holder_id is not None:
            self._holder_dir(holder_id).mkdir(parents=True, exist_ok=True)
            _write_atomic(self._holder_dir(holder_id) / record.serial, b"")
        return record

    def _resign(self, key: KeyRef, draft_der: bytes, tbs: bytes) -> bytes:
        hash_name = key.key_type.default_hash
        signature = self._vault.sign_digest(key, hashlib.new(hash_name, tbs).digest(), hash_name)
        return der.replace_signature(draft_der, signature)

    def _crl_validity(self, issuer: CaName) -> timedelta:
        return self._settings.root_crl_validity if issuer is CaName.ROOT else self._settings.crl_validity

    def _publish_crl(self, ca: _Ca) -> bytes:
        """Caller holds the exclusive lock."""
        meta_path = self._dir / "crl" / f"{ca.name.value}.json"
        number = json.loads(meta_path.read_text())["number"] + 1 if meta_path.exists() else 1
        now = self._now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(ca.certificate.subject).last_update(now)
                   .next_update(now + self._crl_validity(ca.name))
                   .add_extension(x509.CRLNumber(number), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),
                                  critical=False))
        for marker in sorted((self._dir / "revoked" / ca.name.value).iterdir()):
            record = self._load_record(marker.name)
            entry = (x509.RevokedCertificateBuilder().serial_number(int(record.serial, 16))
                     .revocation_date(record.revoked_at))
            if record.revocation_reason not in (None, RevocationReason.UNSPECIFIED):
                entry = entry.add_extension(x509.CRLReason(_REASONS[record.revocation_reason]), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        hash_name = ca.key.key_type.default_hash
        draft = builder.sign(_throwaway_key(ca.key.key_type), _HASH_CLASSES[hash_name]())
        crl_der = self._resign(ca.key, draft.public_bytes(serialization.Encoding.DER), draft.tbs_certlist_bytes)
        _write_atomic(self._crl_path(ca.name), crl_der)
        _write_atomic(meta_path, json.dumps({"number": number}).encode())
        return crl_der

    # Storage ----------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock.now().astimezone(UTC).replace(microsecond=0)

    def _crl_path(self, name: CaName) -> Path:
        return self._dir / "crl" / f"{name.value}.crl"

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One writer at a time, across threads and processes (web and worker share the files)."""
        self._dir.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self._dir / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_state(self) -> dict[str, Any]:
        path = self._dir / "hierarchy.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else {}

    def _write_state(self, state: dict[str, Any]) -> None:
        _write_atomic(self._dir / "hierarchy.json", json.dumps(state, indent=1).encode("utf-8"))

    def _ca_from(self, state: dict[str, Any], name: CaName) -> _Ca:
        entry = state[name.value]
        record = self._load_record(entry["serial"])
        policy = CertificatePolicy(entry["policy"]) if "policy" in entry else None
        return _Ca(name=name, key=self._vault.get(entry["key_id"]),
                   certificate=x509.load_der_x509_certificate(record.der), der=record.der, policy=policy)

    def _snapshot(self) -> tuple[dict[str, Any], dict[CaName, _Ca]] | None:
        """The hierarchy state and the CAs, cached until hierarchy.json changes; None before init."""
        path = self._dir / "hierarchy.json"
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            if self._cache is None or self._cache[0] != stamp:
                state = self._read_state()
                if not all(n.value in state for n in CaName) or "seal" not in state:
                    return None
                self._cache = (stamp, state, {n: self._ca_from(state, n) for n in CaName})
            return self._cache[1], self._cache[2]

    def _require(self) -> tuple[dict[str, Any], dict[CaName, _Ca]]:
        snapshot = self._snapshot()
        if snapshot is None:
            raise CaNotInitialised("the certificate authority is not initialised: run `seing ca init`")
        return snapshot

    def _cas(self) -> dict[CaName, _Ca]:
        return self._require()[1]

    def _credential(self, entry_name: str) -> Credential:
        entry = self._require()[0][entry_name]
        return Credential(key=self._vault.get(entry["key_id"]), certificate=self._load_record(entry["serial"]),
                          issuers=self.chain(entry["serial"])[1:])

    def _holder_dir(self, holder_id: str) -> Path:
        # Hashed: a holder id may hold characters a file name cannot.
        return self._dir / "holders" / hashlib.sha256(holder_id.encode("utf-8")).hexdigest()[:32]

    def _record_path(self, serial: str) -> Path:
        return self._dir / "certs" / f"{serial}.json"

    def _find_record(self, serial: str) -> IssuedCertificate | None:
        try:
            return self._load_record(serial)
        except NotFound:
            return None

    def _load_record(self, serial: str) -> IssuedCertificate:
        if not serial or any(c not in "0123456789abcdef" for c in serial):
            raise CertificateNotFound(f"no certificate {serial}")
        try:
            data = json.loads(self._record_path(serial).read_text("utf-8"))
        except FileNotFoundError:
            raise CertificateNotFound(f"no certificate {serial}") from None
        return self._record_from_json(data)

    def _save_record(self, record: IssuedCertificate) -> None:
        data = {
            "serial": record.serial, "kind": record.kind.value, "issuer": record.issuer.value,
            "subject": record.subject, "not_before": record.not_before.isoformat(),
            "not_after": record.not_after.isoformat(), "der": base64.b64encode(record.der).decode(),
            "key_type": record.key_type.value, "policy": record.policy.value if record.policy else None,
            "holder_id": record.holder_id, "one_time": record.one_time, "status": record.status.value,
            "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
            "revocation_reason": record.revocation_reason.value if record.revocation_reason else None,
        }
        (self._dir / "certs").mkdir(parents=True, exist_ok=True)
        _write_atomic(self._record_path(record.serial), json.dumps(data, indent=1).encode("utf-8"))

    @staticmethod
    def _record_from_json(data: dict[str, Any]) -> IssuedCertificate:
        return IssuedCertificate(
            serial=data["serial"], kind=CertificateKind(data["kind"]), issuer=CaName(data["issuer"]),
            subject=data["subject"], not_before=datetime.fromisoformat(data["not_before"]),
            not_after=datetime.fromisoformat(data["not_after"]), der=base64.b64decode(data["der"]),
            key_type=KeyType(data["key_type"]),
            policy=CertificatePolicy(data["policy"]) if data["policy"] else None,
            holder_id=data["holder_id"], one_time=data["one_time"], status=CertificateStatus(data["status"]),
            revoked_at=datetime.fromisoformat(data["revoked_at"]) if data["revoked_at"] else None,
            revocation_reason=RevocationReason(data["revocation_reason"]) if data["revocation_reason"] else None)


# Helpers -------------------------------------------------------------------------------------

_THROWAWAY: dict[str, Any] = {}
_THROWAWAY_LOCK = threading.Lock()


def _throwaway_key(key_type: KeyType) -> Any:
    """A key of the same family: the signature algorithm identifier depends only on the
    family and the digest, not on the curve or modulus size. Created on first use."""
    family = "rsa" if key_type is KeyType.RSA_3072 else "ec"
    with _THROWAWAY_LOCK:
        if family not in _THROWAWAY:
            _THROWAWAY[family] = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                                  if family == "rsa" else ec.generate_private_key(ec.SECP256R1()))
        return _THROWAWAY[family]


def _key_usage(*, digital_signature: bool = False, content_commitment: bool = False,
               key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def _person_name(subject: CertificateSubject) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, subject.country)]
    if subject.organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.organization))
    if subject.organization_identifier:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, subject.organization_identifier))
    attributes += [
        x509.NameAttribute(NameOID.SURNAME, subject.name.surname),
        x509.NameAttribute(NameOID.GIVEN_NAME, subject.name.given_names),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, subject.person_id),
        x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name),
    ]
    return x509.Name(attributes)


def _organization_name(subject: OrganizationSubject) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, subject.country),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.name)]
    if subject.organization_identifier:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, subject.organization_identifier))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name or subject.name))
    return x509.Name(attributes)


def _load_public_key(public_key_der: bytes) -> tuple[Any, KeyType]:
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


def _normal_serial(serial: str) -> str:
    text = str(serial).strip().lower().replace(":", "")
    try:
        return format(int(text, 16), "x")
    except ValueError:
        raise CertificateNotFound(f"no certificate {serial}") from None


def _evolve(record: IssuedCertificate, **changes: Any) -> IssuedCertificate:
    return attrs.evolve(record, **changes)


def _cert_id_names(cert_id: asn1_ocsp.CertId, ca: _Ca) -> bool:
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


def _write_atomic(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def factory(config: ProviderConfig) -> BuiltinCertificateAuthority:
    """Entry point ``builtin`` of ``seing.certificate_authorities``: state under ``<data_dir>/pki``
    (option ``storage_dir`` elsewhere), keys in ``config.vault``, policy in ``config.settings``."""
    if config.vault is None:
        raise ValueError("the built-in CA needs the key vault")
    return BuiltinCertificateAuthority(config.vault, Path(config.option("storage_dir") or config.data_dir / "pki"),
                                       config.public_url, clock=config.clock, settings=config.settings)
