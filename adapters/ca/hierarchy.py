"""Creating the built-in CA's hierarchy: the root, the LCP and QCP issuing CAs, their OCSP
responders, the TSA and the platform seal. Each step returns the entry ``hierarchy.json``
keeps for it (key id and certificate serial)."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.ca.issuance import Issuer
from adapters.ca.profiles import Profiles, has_own_crl, organization_name
from adapters.ca.settings import BuiltinCaSettings
from adapters.ca.state import Ca, CaState
from domain.model.pki import CaName, CertificateKind, CertificatePolicy, IssuedCertificate, KeyRef, OrganizationSubject
from ports.keyvault import KeyVault

__all__ = ["HierarchyBuilder"]


class HierarchyBuilder:
    def __init__(self, vault: KeyVault, state: CaState, issuer: Issuer, profiles: Profiles,
                 settings: BuiltinCaSettings) -> None:
        self._vault = vault
        self._state = state
        self._issuer = issuer
        self._profiles = profiles
        self._settings = settings

    def create_ca(self, name: CaName, policy: CertificatePolicy | None, parent: Ca | None) -> dict[str, str]:
        s = self._settings
        key = self._vault.generate(s.ca_key_type)
        public_key = serialization.load_der_public_key(key.public_key_der)
        subject = self._profiles.ca_name(name)
        extensions = self._profiles.ca_extensions(parent, policy)
        if parent is None:
            now = self._issuer.now()
            self_ca = Ca(name=name, key=key, certificate=None, der=b"", policy=None)  # type: ignore[arg-type]
            record = self._issuer.sign_and_store(
                issuer=self_ca, issuer_name=subject, issuer_public_key=public_key, kind=CertificateKind.ROOT_CA,
                name=subject, public_key=public_key, key_type=key.key_type, not_before=now,
                not_after=now + s.root_validity, extensions=extensions, policy=None, holder_id=None,
                one_time=False)
        else:
            record = self._issuer.issue(parent, kind=CertificateKind.ISSUING_CA, name=subject, public_key=public_key,
                                        key_type=key.key_type, lifetime=s.issuing_ca_validity, extensions=extensions,
                                        policy=None, holder_id=None, one_time=False)
        entry = {"key_id": key.id, "serial": record.serial}
        if policy is not None:
            entry["policy"] = policy.value
        return entry

    def issue_responder(self, ca: Ca, key: KeyRef) -> IssuedCertificate:
        public_key = serialization.load_der_public_key(key.public_key_der)
        return self._issuer.issue(ca, kind=CertificateKind.OCSP_RESPONDER, name=self._profiles.responder_name(ca.name),
                                  public_key=public_key, key_type=key.key_type,
                                  lifetime=self._settings.ocsp_responder_validity,
                                  extensions=self._profiles.responder_extensions(ca),
                                  policy=None, holder_id=None, one_time=False)

    def create_service(self, state: dict[str, Any], kind: CertificateKind) -> dict[str, str]:
        s = self._settings
        key = self._vault.generate(s.service_key_type)
        public_key = serialization.load_der_public_key(key.public_key_der)
        if kind is CertificateKind.TSA:
            ca = self._state.ca_from(state, CaName.ROOT)
            serial = x509.random_serial_number()  # known before issuance: its CRL's address names it
            record = self._issuer.issue(ca, kind=kind, name=self._profiles.tsa_name(), public_key=public_key,
                                        key_type=key.key_type, lifetime=s.tsa_validity,
                                        extensions=self._profiles.tsa_extensions(ca, format(serial, "x")),
                                        policy=None, holder_id=None, one_time=False, serial=serial)
        else:
            ca = self._state.ca_from(state, CaName.LCP)
            subject = OrganizationSubject(name=s.organization, siren=s.siren, country=s.country)
            record = self._issuer.issue(ca, kind=kind, name=organization_name(subject), public_key=public_key,
                                        key_type=key.key_type, lifetime=s.seal_validity,
                                        extensions=self._profiles.seal_extensions(ca), policy=CertificatePolicy.LCP,
                                        holder_id=subject.organization_identifier, one_time=False)
        return {"key_id": key.id, "serial": record.serial}

    def tsa_used_up(self, state: dict[str, Any]) -> bool:
        """Its usage period is over, or it is an older certificate covered by the root's CRL
        rather than by its own (see CrlPublisher): a renewed file's earlier timestamps then
        stop validating at its end."""
        return self.tsa_certificate_used_up(self._state.load_record(state["tsa"]["serial"]))

    def tsa_certificate_used_up(self, record: IssuedCertificate) -> bool:
        return (record.not_after - self._settings.tsa_rollover_margin <= self._issuer.now()
                or not has_own_crl(x509.load_der_x509_certificate(record.der)))
