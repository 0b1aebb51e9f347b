"""Keys and certificates as the domain sees them: plain values, no cryptography library.

The key vault and the certificate authority ports carry these types; the DER bytes they
hold are opaque to the domain.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

from attrs import field, frozen

from domain.model.errors import InvalidValue
from domain.model.values import Email, PersonName, Siren


class KeyType(enum.Enum):
    EC_P256 = "ec-p256"
    EC_P384 = "ec-p384"
    RSA_3072 = "rsa-3072"

    @property
    def is_ec(self) -> bool:
        return self in (KeyType.EC_P256, KeyType.EC_P384)

    @property
    def default_hash(self) -> str:
        """The digest that matches the key's strength (P-384 pairs with SHA-384)."""
        return "sha384" if self is KeyType.EC_P384 else "sha256"


HASH_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


@frozen
class KeyRef:
    """An opaque handle on a private key held by a key vault; the key itself never leaves it."""

    id: str
    key_type: KeyType
    public_key_der: bytes = field(repr=False)  # SubjectPublicKeyInfo


class CertificatePolicy(enum.Enum):
    """ETSI certificate policies the built-in CA issues under."""

    LCP = "0.4.0.2042.1.3"  # EN 319 411-1, lightweight certificate policy
    QCP_N = "0.4.0.194112.1.0"  # EN 319 411-2, qualified certificate for a natural person
    QCP_L = "0.4.0.194112.1.1"  # EN 319 411-2, qualified certificate for a legal person (seals)

    @property
    def oid(self) -> str:
        return self.value

    @property
    def for_persons(self) -> bool:
        """LCP and QCP-n name natural persons; QCP-l only legal persons (seals)."""
        return self is not CertificatePolicy.QCP_L


PERSON_POLICIES = (CertificatePolicy.LCP, CertificatePolicy.QCP_N)


class CertificateKind(enum.Enum):
    ROOT_CA = "root_ca"
    ISSUING_CA = "issuing_ca"
    PERSON = "person"  # a natural person's signing certificate (LCP or QCP-n)
    SEAL = "seal"  # an organisation's electronic seal
    TSA = "tsa"
    OCSP_RESPONDER = "ocsp_responder"


class CertificateStatus(enum.Enum):
    VALID = "valid"
    REVOKED = "revoked"


class RevocationReason(enum.Enum):
    """RFC 5280 CRLReason values a holder or an administrator may give."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"


class CaName(enum.Enum):
    """The built-in hierarchy; the value appears in public URLs (/pki/crl/<name>.crl)."""

    ROOT = "root"
    LCP = "lcp"
    QCP = "qcp"


# X.520 serialNumber is a PrintableString: the person id must fit its alphabet.
_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]{1,64}$")


def _optional_siren(value: object) -> Siren | None:
    if value is None or isinstance(value, Siren):
        return value
    return Siren(str(value))


@frozen
class CertificateSubject:
    """A natural person as named in their certificate (EN 319 412-2).

    ``person_id`` is the stable identifier of the person at the CA (subject serialNumber).
    ``organization``/``siren`` name the cabinet the certificate is issued for; an external
    signer's one-time certificate may have neither.
    """

    name: PersonName
    email: Email
    person_id: str = field()
    organization: str | None = None
    siren: Siren | None = field(default=None, converter=_optional_siren)
    country: str = field(default="FR")

    @person_id.validator
    def _check_person_id(self, _attribute: object, value: str) -> None:
        if not _PRINTABLE.match(value):
            raise InvalidValue("person_id", "the person id must be printable ASCII, at most 64 characters")

    @country.validator
    def _check_country(self, _attribute: object, value: str) -> None:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise InvalidValue("country", "a country is an ISO 3166 alpha-2 code")

    @property
    def common_name(self) -> str:
        return self.name.full

    @property
    def organization_identifier(self) -> str | None:
        return f"NTRFR-{self.siren.value}" if self.siren else None


@frozen
class OrganizationSubject:
    """An organisation as named in a seal certificate (EN 319 412-3)."""

    name: str = field()
    siren: Siren | None = field(default=None, converter=_optional_siren)
    country: str = "FR"
    common_name: str | None = None  # defaults to the organisation's name

    @name.validator
    def _check_name(self, _attribute: object, value: str) -> None:
        if not value.strip() or len(value) > 64:
            raise InvalidValue("organization", "an organisation name has 1 to 64 characters")

    @property
    def organization_identifier(self) -> str | None:
        return f"NTRFR-{self.siren.value}" if self.siren else None


@frozen
class IssuedCertificate:
    """A certificate as the CA recorded it. ``serial`` is lower-case hexadecimal."""

    serial: str
    kind: CertificateKind
    issuer: CaName
    subject: str  # RFC 4514 string, for display and logs
    not_before: datetime
    not_after: datetime
    der: bytes = field(repr=False)
    key_type: KeyType
    policy: CertificatePolicy | None = None
    holder_id: str | None = None  # the person id for PERSON certificates
    one_time: bool = False
    status: CertificateStatus = CertificateStatus.VALID
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None

    def is_usable_at(self, now: datetime) -> bool:
        """Within validity and not revoked: the only certificates a signature may use."""
        return self.status is CertificateStatus.VALID and self.not_before <= now < self.not_after


@frozen
class CaCertificate:
    """A CA certificate as published on /pki."""

    name: CaName
    der: bytes = field(repr=False)
    subject: str
    policy: CertificatePolicy | None = None


@frozen
class Credential:
    """A key in the vault and its certificate: what the platform signs with (TSA, seal).

    ``issuers`` lists the issuing certificates' DER, nearest first, root last.
    """

    key: KeyRef
    certificate: IssuedCertificate
    issuers: tuple[bytes, ...] = field(converter=tuple, repr=False)


# -- the CA's public addresses ------------------------------------------------------------------


@frozen
class PublicationProblem:
    """One public address of the CA that a qualified certificate must not carry as it is."""

    code: str  # "public_url.not_https", "qc_pds.not_https", "crl.not_http"
    url: str
    rule: str  # the requirement, for operators (English)


def publication_problems(*, public_url: str, qc_pds_url: str, publication_url: str) -> tuple[PublicationProblem, ...]:
    """What is wrong with the addresses a QCP-n certificate would carry, given effective values.

    - The public URL serves logins, the PDS and the signer's pages: https.
    - The QcPDS location must be https (EN 319 412-5 GEN-4.3.4).
    - The CRL distribution point must include an http (or ldap) location (EN 319 412-2
      GEN-4.3.11-4): CRLs and OCSP responses are signed, and fetching them over TLS would need
      revocation checks of its own. So the CRL/OCSP base must be http, not https.
    """
    problems = []
    if not public_url.lower().startswith("https://"):
        problems.append(PublicationProblem("public_url.not_https", public_url,
                                           "the public URL must be https (SEING_PUBLIC_URL)"))
    if not qc_pds_url.lower().startswith("https://"):
        problems.append(PublicationProblem("qc_pds.not_https", qc_pds_url,
                                           "the QcPDS URL of QCP-n certificates must be https (EN 319 412-5 "
                                           "GEN-4.3.4; SEING_QC_PDS_URL, default {public URL}/pki/pds)"))
    if not publication_url.lower().startswith("http://"):
        problems.append(PublicationProblem("crl.not_http", publication_url,
                                           "CRL and OCSP locations must be plain http (EN 319 412-2 GEN-4.3.11-4; "
                                           "SEING_PKI_PUBLICATION_URL, default the public URL)"))
    return tuple(problems)
