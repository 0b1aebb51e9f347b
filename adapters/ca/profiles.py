"""The certificate profiles of the built-in CA: names and extensions of the CAs, person
certificates (LCP and QCP-n, EN 319 412-2/-5), seals, the TSA and the OCSP responders.

Pure functions of the settings and the public addresses: nothing here signs or stores.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from adapters.ca.settings import BuiltinCaSettings
from adapters.ca.state import Ca
from adapters.shared import der
from domain.model.pki import (
    CaName,
    CertificatePolicy,
    CertificateSubject,
    OrganizationSubject,
    PublicationProblem,
    publication_problems,
)

__all__ = ["Extensions", "Profiles", "crl_urls", "has_own_crl", "organization_name", "person_name", "tsa_crl_name"]

QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"
QC_PDS = "0.4.0.1862.1.5"

CA_LABELS = {CaName.ROOT: "Root CA", CaName.LCP: "LCP CA", CaName.QCP: "QCP CA"}

Extensions = list[tuple[x509.ExtensionType, bool]]
"""(extension, critical) pairs, in the order they are written."""


class Profiles:
    def __init__(self, settings: BuiltinCaSettings, public_url: str) -> None:
        self._settings = settings
        self._public_url = public_url.rstrip("/")

    # Addresses --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self._public_url}{path}"

    def published(self, path: str) -> str:
        base = (self._settings.publication_url or self._public_url).rstrip("/")
        return f"{base}{path}"

    def publication_problems(self) -> tuple[PublicationProblem, ...]:
        """What is wrong with the addresses this CA writes into QCP-n certificates."""
        return publication_problems(public_url=self._public_url,
                                    qc_pds_url=self._settings.qc_pds_url or self.url("/pki/pds"),
                                    publication_url=(self._settings.publication_url or self._public_url).rstrip("/"))

    def publication_extensions(self, ca: Ca, *, ocsp: bool = True, crl: str | None = None) -> Extensions:
        """``crl``: the name of the CRL that covers the certificate, its issuer's by default."""
        access = [x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                                         x509.UniformResourceIdentifier(self.published(f"/pki/ca/{ca.name.value}.der")))]
        extensions: Extensions = []
        if ocsp:
            access.insert(0, x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                                                    x509.UniformResourceIdentifier(self.published("/pki/ocsp"))))
            extensions.append((x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(self.published(f"/pki/crl/{crl or ca.name.value}.crl"))],
                relative_name=None, reasons=None, crl_issuer=None)]), False))
        extensions.append((x509.AuthorityInformationAccess(access), False))
        return extensions

    # Profiles ---------------------------------------------------------------------------

    def ca_extensions(self, parent: Ca | None, policy: CertificatePolicy | None) -> Extensions:
        extensions: Extensions = [
            (x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), True),
            (key_usage(key_cert_sign=True, crl_sign=True), True),
        ]
        if parent is not None:
            assert policy is not None
            extensions += [(policies(policy), False), *self.publication_extensions(parent)]
        return extensions

    def person_extensions(self, ca: Ca, subject: CertificateSubject, policy: CertificatePolicy) -> Extensions:
        extensions = [
            (key_usage(content_commitment=True), True),
            (policies(policy), False),
            (x509.SubjectAlternativeName([x509.RFC822Name(subject.email.value)]), False),
            *self.publication_extensions(ca),
        ]
        if policy is CertificatePolicy.QCP_N:
            extensions.append((x509.UnrecognizedExtension(x509.ObjectIdentifier(QC_STATEMENTS),
                                                          self.qc_statements()), False))
        return extensions

    def qc_statements(self, qc_type: str = QC_TYPE_ESIGN) -> bytes:
        pds_url = self._settings.qc_pds_url or self.url("/pki/pds")
        # EN 319 412-5; no QcSSCD: these keys are not held in a certified QSCD.
        return der.sequence(
            der.sequence(der.oid(QC_COMPLIANCE)),
            der.sequence(der.oid(QC_TYPE), der.sequence(der.oid(qc_type))),
            der.sequence(der.oid(QC_PDS), der.sequence(der.sequence(
                der.ia5_string(pds_url), der.printable_string(self._settings.qc_pds_language)))),
        )

    def seal_extensions(self, ca: Ca, policy: CertificatePolicy = CertificatePolicy.LCP) -> Extensions:
        """A legal person's seal (EN 319 412-3): keyUsage nonRepudiation (contentCommitment) only,
        critical, as EN 319 412-2 §4.3.2 wants for commitment to content; under QCP-l the
        QCStatements of EN 319 412-5 with QcType eseal (no QcSSCD: the key is not in a QSCD)."""
        extensions: Extensions = [(key_usage(content_commitment=True), True),
                                  (policies(policy), False),
                                  *self.publication_extensions(ca)]
        if policy is CertificatePolicy.QCP_L:
            extensions.append((x509.UnrecognizedExtension(x509.ObjectIdentifier(QC_STATEMENTS),
                                                          self.qc_statements(QC_TYPE_ESEAL)), False))
        return extensions

    def tsa_extensions(self, ca: Ca, serial: str) -> Extensions:
        """Each TSA certificate has a CRL of its own (``tsa_crl_name``), see CrlPublisher."""
        return [(key_usage(digital_signature=True), True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
                *self.publication_extensions(ca, crl=tsa_crl_name(serial))]

    def responder_extensions(self, ca: Ca) -> Extensions:
        return [
            (key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False),
            (x509.OCSPNoCheck(), False),
            *self.publication_extensions(ca, ocsp=False),
        ]

    # Names ------------------------------------------------------------------------------

    def operator_name(self, common_name: str) -> x509.Name:
        s = self._settings
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, s.country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, s.organization)]
        if s.siren:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRFR-{s.siren}"))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
        return x509.Name(attributes)

    def ca_name(self, name: CaName) -> x509.Name:
        return self.operator_name(f"{self._settings.organization} {CA_LABELS[name]}")

    def responder_name(self, ca: CaName) -> x509.Name:
        return self.operator_name(f"{self._settings.organization} OCSP Responder ({CA_LABELS[ca]})")

    def tsa_name(self) -> x509.Name:
        return self.operator_name(f"{self._settings.organization} Time-Stamping Authority")


def tsa_crl_name(serial: str) -> str:
    """The CRL of one TSA certificate: /pki/crl/tsa-<serial>.crl."""
    return f"tsa-{serial}"


def crl_urls(certificate: x509.Certificate) -> list[str]:
    """The URIs of a certificate's CRL distribution points."""
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [name.value for point in points for name in point.full_name or ()
            if isinstance(name, x509.UniformResourceIdentifier)]


def has_own_crl(certificate: x509.Certificate) -> bool:
    """Whether a TSA certificate names its own CRL (older ones named the root's)."""
    own = f"/pki/crl/{tsa_crl_name(format(certificate.serial_number, 'x'))}.crl"
    return any(url.endswith(own) for url in crl_urls(certificate))


def policies(policy: CertificatePolicy) -> x509.CertificatePolicies:
    # The OID alone, as RFC 5280 §4.2.1.4 recommends; the policies are published on /pki.
    return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(policy.oid), None)])


def key_usage(*, digital_signature: bool = False, content_commitment: bool = False,
              key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def person_name(subject: CertificateSubject) -> x509.Name:
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


def organization_name(subject: OrganizationSubject) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, subject.country),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.name)]
    if subject.organization_identifier:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, subject.organization_identifier))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name or subject.name))
    return x509.Name(attributes)
