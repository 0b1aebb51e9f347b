"""The built-in certificate authority, on ``cryptography``, with every private key in a KeyVault.

Hierarchy: a root CA issues the LCP and QCP issuing CAs and the TSA certificate; the LCP CA
issues LCP person certificates and seals (the platform seal included), the QCP CA QCP-n
person certificates. Each CA has its own delegated OCSP responder certificate (one shared
responder key), as RFC 6960 wants the responder certified by the CA whose certificates it
speaks for.

This class is the port; the work is done by its parts, one module each:
- ``settings``: what an operator configures;
- ``state``: the hierarchy, certificate records, revocation markers and CRLs on disk;
- ``profiles``: names and extensions of every kind of certificate;
- ``issuance``: building and signing through the vault (throwaway key, then re-signing);
- ``hierarchy``: creating the CAs, responders, TSA and platform seal;
- ``crl`` and ``ocsp``: revocation status as CRLs and as OCSP responses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

from adapters.ca.crl import CrlPublisher, CrlScope
from adapters.ca.hierarchy import HierarchyBuilder
from adapters.ca.issuance import Issuer, load_public_key
from adapters.ca.ocsp import OcspResponder
from adapters.ca.profiles import Profiles, organization_name, person_name
from adapters.ca.settings import BuiltinCaSettings
from adapters.ca.state import Ca, CaState, normal_serial
from domain.model.errors import CertificateRevoked, InvalidValue, QcpPublicationInsecure
from domain.model.pki import (
    CaCertificate,
    CaName,
    CertificateKind,
    CertificatePolicy,
    CertificateStatus,
    CertificateSubject,
    Credential,
    IssuedCertificate,
    OrganizationSubject,
    PublicationProblem,
    RevocationReason,
)
from ports.clock import Clock
from ports.keyvault import KeyVault
from ports.providers import ProviderConfig

__all__ = ["BuiltinCaSettings", "BuiltinCertificateAuthority", "factory"]


class BuiltinCertificateAuthority:
    def __init__(self, vault: KeyVault, storage_dir: Path, public_url: str, *,
                 clock: Clock, settings: BuiltinCaSettings | None = None) -> None:
        self._vault = vault
        self._settings = settings or BuiltinCaSettings()
        self._state = CaState(vault, Path(storage_dir))
        self._profiles = Profiles(self._settings, public_url)
        self._issuer = Issuer(vault, self._state, clock)
        self._hierarchy = HierarchyBuilder(vault, self._state, self._issuer, self._profiles, self._settings)
        self._crls = CrlPublisher(self._state, self._issuer, self._settings)
        self._ocsp = OcspResponder(vault, self._state, self._issuer, self._settings)

    # Port: hierarchy --------------------------------------------------------------------

    def init_hierarchy(self) -> None:
        self._state.make_folders()
        build = self._hierarchy
        with self._state.exclusive():
            state = self._state.read()
            s = self._settings
            if "root" not in state:
                state["root"] = build.create_ca(CaName.ROOT, None, None)
                self._state.write(state)
            for name, policy in ((CaName.LCP, CertificatePolicy.LCP), (CaName.QCP, CertificatePolicy.QCP_N)):
                if name.value not in state:
                    state[name.value] = build.create_ca(name, policy, self._state.ca_from(state, CaName.ROOT))
                    self._state.write(state)
            if "ocsp_key" not in state:
                state["ocsp_key"] = self._vault.generate(s.service_key_type).id
                state["ocsp"] = {}
                self._state.write(state)
            responder_key = self._vault.get(state["ocsp_key"])
            for name in CaName:
                serial = state["ocsp"].get(name.value)
                if serial is None or (self._state.load_record(serial).not_after - s.ocsp_renewal_margin
                                      <= self._issuer.now()):
                    record = build.issue_responder(self._state.ca_from(state, name), responder_key)
                    state["ocsp"][name.value] = record.serial
                    self._state.write(state)
            if "tsa" not in state or build.tsa_used_up(state):
                state["tsa"] = build.create_service(state, CertificateKind.TSA)
                self._state.write(state)
            if "seal" not in state:
                state["seal"] = build.create_service(state, CertificateKind.SEAL)
                self._state.write(state)
            for name in CaName:
                self._crls.publish_if_missing(CrlScope(self._state.ca_from(state, name)))
            self._crls.publish_if_missing(self._crl_scope(self._state.load_record(state["tsa"]["serial"]),
                                                          self._state.ca_from(state, CaName.ROOT)))

    def ca_certificates(self) -> list[CaCertificate]:
        cas = self._state.cas()
        return [CaCertificate(name=ca.name, der=ca.der, subject=ca.certificate.subject.rfc4514_string(),
                              policy=ca.policy) for ca in cas.values()]

    def tsa(self) -> Credential:
        """The TSA's current key and certificate; rolled over first when its usage period has
        ended (by `seing ca init`, or here, so a long-running worker never stamps with a key
        whose certificate ends within ``tsa_rollover_margin``), or at once for a certificate of
        the older kind, without a CRL of its own. The old certificate stays in the records: the
        tokens it signed still chain."""
        credential = self._state.credential("tsa")
        if not self._hierarchy.tsa_certificate_used_up(credential.certificate):
            return credential
        with self._state.exclusive():
            state = self._state.read()
            if self._hierarchy.tsa_used_up(state):  # not rolled over meanwhile by another process
                state["tsa"] = self._hierarchy.create_service(state, CertificateKind.TSA)
                self._state.write(state)
        return self._state.credential("tsa")

    def platform_seal(self) -> Credential:
        return self._state.credential("seal")

    # Port: issuing ----------------------------------------------------------------------

    def issue(self, subject: CertificateSubject | OrganizationSubject, public_key_der: bytes,
              policy: CertificatePolicy, *, one_time: bool = False,
              validity: timedelta | None = None) -> IssuedCertificate:
        public_key, key_type = load_public_key(public_key_der)
        s = self._settings
        if isinstance(subject, OrganizationSubject):
            if policy is CertificatePolicy.QCP_N:
                raise InvalidValue("policy", "a seal is issued under LCP or QCP-l, never QCP-n")
            # The qualified seal profile (QCP-l) comes from the QCP CA, like QCP-n: the same
            # publication requirements (https QcPDS, http CRL) apply.
            self.check_issuable(policy)
            ca = self._state.cas()[CaName.LCP if policy is CertificatePolicy.LCP else CaName.QCP]
            lifetime = validity or (s.one_time_validity if one_time else s.seal_validity)
            return self._issuer.issue(ca, kind=CertificateKind.SEAL, name=organization_name(subject),
                                      public_key=public_key, key_type=key_type, lifetime=lifetime,
                                      extensions=self._profiles.seal_extensions(ca, policy), policy=policy,
                                      holder_id=subject.organization_identifier, one_time=one_time)
        self.check_issuable(policy)
        ca = self._state.cas()[CaName.LCP if policy is CertificatePolicy.LCP else CaName.QCP]
        default = s.lcp_validity if policy is CertificatePolicy.LCP else s.qcp_validity
        lifetime = validity or (s.one_time_validity if one_time else default)
        return self._issuer.issue(ca, kind=CertificateKind.PERSON, name=person_name(subject),
                                  public_key=public_key, key_type=key_type, lifetime=lifetime,
                                  extensions=self._profiles.person_extensions(ca, subject, policy), policy=policy,
                                  holder_id=subject.person_id, one_time=one_time)

    def check_issuable(self, policy: CertificatePolicy) -> None:
        if (policy in (CertificatePolicy.QCP_N, CertificatePolicy.QCP_L)
                and self._settings.qcp_requires_compliant_urls):
            problems = self.publication_problems()
            if problems:
                raise QcpPublicationInsecure("the CA's public addresses break EN 319 412: "
                                             + "; ".join(f"{p.rule} ({p.url})" for p in problems),
                                             problems=",".join(p.code for p in problems))

    def publication_problems(self) -> tuple[PublicationProblem, ...]:
        """What is wrong with the addresses this CA writes into QCP-n certificates."""
        return self._profiles.publication_problems()

    def certificate(self, serial: str) -> IssuedCertificate:
        return self._state.load_record(normal_serial(serial))

    def certificates_of(self, holder_id: str) -> list[IssuedCertificate]:
        records = [self._state.load_record(serial) for serial in self._state.holder_serials(holder_id)]
        return sorted(records, key=lambda r: (r.not_before, r.serial), reverse=True)

    def chain(self, serial: str) -> list[bytes]:
        return self._state.chain(normal_serial(serial))

    # Port: revocation -------------------------------------------------------------------

    def revoke(self, serial: str, reason: RevocationReason, at: datetime) -> IssuedCertificate:
        serial = normal_serial(serial)
        with self._state.exclusive():
            record = self._state.load_record(serial)
            if record.status is CertificateStatus.REVOKED:
                raise CertificateRevoked(f"certificate {serial} is already revoked")
            revoked = attrs.evolve(record, status=CertificateStatus.REVOKED,
                                   revoked_at=at.astimezone(UTC).replace(microsecond=0), revocation_reason=reason)
            self._state.save_record(revoked)
            self._state.mark_revoked(revoked)
            self._crls.publish(self._crl_scope(record, self._state.cas()[record.issuer]))
        return revoked

    def crl(self, issuer: CaName) -> bytes:
        return self._crls.current(CrlScope(self._state.cas()[issuer]))

    def crl_for(self, serial: str) -> bytes:
        record = self._state.load_record(normal_serial(serial))
        return self._crls.current(self._crl_scope(record, self._state.cas()[record.issuer]))

    @staticmethod
    def _crl_scope(record: IssuedCertificate, issuer: Ca) -> CrlScope:
        """A TSA certificate is on a CRL of its own; every other one on its issuer's."""
        return CrlScope(issuer, tsa=record if record.kind is CertificateKind.TSA else None)

    def ocsp_response(self, request_der: bytes) -> bytes:
        return self._ocsp.response(request_der)

    def ocsp_response_for(self, serial: str) -> bytes:
        return self._ocsp.response_for(self.certificate(serial))


def factory(config: ProviderConfig) -> BuiltinCertificateAuthority:
    """Entry point ``builtin`` of ``seing.certificate_authorities``: state under ``<data_dir>/pki``
    (option ``storage_dir`` elsewhere), keys in ``config.vault``, policy in ``config.settings``."""
    if config.vault is None:
        raise ValueError("the built-in CA needs the key vault")
    return BuiltinCertificateAuthority(config.vault, Path(config.option("storage_dir") or config.data_dir / "pki"),
                                       config.public_url, clock=config.clock, settings=config.settings)
