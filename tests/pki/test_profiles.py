"""Certificate profiles of the built-in CA, extension by extension, for every kind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID, SignatureAlgorithmOID

from adapters.ca.builtin import BuiltinCaSettings
from adapters.memory.clock import FixedClock
from adapters.shared import der
from domain.model.errors import CaNotInitialised, InvalidValue
from domain.model.pki import (
    CaName,
    CertificateKind,
    CertificatePolicy,
    KeyType,
    OrganizationSubject,
)
from tests.pki.helpers import PUBLIC_URL, TestPki, make_test_pki, sample_subject

LCP_OID = "0.4.0.2042.1.3"
QCP_N_OID = "0.4.0.194112.1.0"
QC_STATEMENTS = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")
FORBIDDEN = (ExtensionOID.POLICY_MAPPINGS, ExtensionOID.POLICY_CONSTRAINTS, ExtensionOID.NAME_CONSTRAINTS,
             ExtensionOID.INHIBIT_ANY_POLICY)


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_test_pki(tmp_path)


def cert(der_bytes: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der_bytes)


def ca_cert(pki: TestPki, name: CaName) -> x509.Certificate:
    return cert({c.name: c.der for c in pki.ca.ca_certificates()}[name])


def ext(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension:
    return certificate.extensions.get_extension_for_oid(oid)


def attributes(name: x509.Name) -> list[tuple[str, str]]:
    return [(a.oid.dotted_string, a.value) for a in name]


def key_usages(certificate: x509.Certificate) -> set[str]:
    usage = ext(certificate, ExtensionOID.KEY_USAGE).value
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign"]
    return {n for n in names if getattr(usage, n)}


def policies(certificate: x509.Certificate) -> list[str]:
    return [p.policy_identifier.dotted_string for p in ext(certificate, ExtensionOID.CERTIFICATE_POLICIES).value]


def publication(certificate: x509.Certificate) -> tuple[list[str], list[str], list[str]]:
    """(CRL distribution points, OCSP URLs, CA-issuers URLs)."""
    try:
        crl = [n.value for dp in ext(certificate, ExtensionOID.CRL_DISTRIBUTION_POINTS).value for n in dp.full_name]
    except x509.ExtensionNotFound:
        crl = []
    aia = ext(certificate, ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    ocsp = [d.access_location.value for d in aia if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP]
    issuers = [d.access_location.value for d in aia
               if d.access_method == x509.oid.AuthorityInformationAccessOID.CA_ISSUERS]
    return crl, ocsp, issuers


def assert_signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> None:
    certificate.verify_directly_issued_by(issuer)
    assert (ext(certificate, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value.key_identifier
            == ext(issuer, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest)


def assert_no_forbidden_extensions(certificate: x509.Certificate) -> None:
    present = {e.oid for e in certificate.extensions}
    assert not present & set(FORBIDDEN)


def qc_statements(certificate: x509.Certificate) -> dict[str, list[bytes]]:
    raw = ext(certificate, QC_STATEMENTS).value.value
    statements = {}
    for statement in der.children(raw):
        parts = der.children(statement)
        statements[_oid_text(parts[0])] = parts[1:]
    return statements


def _oid_text(tlv: bytes) -> str:
    return _decode_oid(der.content(tlv))


def _decode_oid(body: bytes) -> str:
    values, current = [], 0
    for byte in body:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            values.append(current)
            current = 0
    first = values[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(v) for v in head + values[1:])


# The hierarchy ---------------------------------------------------------------------------------


def test_the_root_is_a_self_signed_p384_ca_that_signs_only_certificates_and_crls(pki: TestPki) -> None:
    root = ca_cert(pki, CaName.ROOT)
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    constraints = ext(root, ExtensionOID.BASIC_CONSTRAINTS)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length is None
    assert ext(root, ExtensionOID.KEY_USAGE).critical
    assert key_usages(root) == {"key_cert_sign", "crl_sign"}
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.public_key().curve.name == "secp384r1"
    assert root.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA384
    assert ("2.5.4.3", "Seing Root CA") in attributes(root.subject)
    assert_no_forbidden_extensions(root)


@pytest.mark.parametrize(("name", "policy_oid"), [(CaName.LCP, LCP_OID), (CaName.QCP, QCP_N_OID)])
def test_each_issuing_ca_is_certified_by_the_root_for_its_policy(pki: TestPki, name: CaName, policy_oid: str) -> None:
    issuing, root = ca_cert(pki, name), ca_cert(pki, CaName.ROOT)
    assert_signed_by(issuing, root)
    constraints = ext(issuing, ExtensionOID.BASIC_CONSTRAINTS)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert key_usages(issuing) == {"key_cert_sign", "crl_sign"}
    assert policies(issuing) == [policy_oid]
    assert publication(issuing) == ([f"{PUBLIC_URL}/pki/crl/root.crl"], [f"{PUBLIC_URL}/pki/ocsp"],
                                    [f"{PUBLIC_URL}/pki/ca/root.der"])
    assert_no_forbidden_extensions(issuing)


def test_the_ca_keys_can_be_rsa_3072_instead(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path, settings=BuiltinCaSettings(ca_key_type=KeyType.RSA_3072))
    root, lcp = ca_cert(pki, CaName.ROOT), ca_cert(pki, CaName.LCP)
    assert isinstance(root.public_key(), rsa.RSAPublicKey) and root.public_key().key_size == 3072
    assert lcp.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    assert_signed_by(lcp, root)
    _, issued = pki.person()
    assert_signed_by(cert(issued.der), lcp)


# Person certificates -----------------------------------------------------------------------------


def test_an_lcp_certificate_names_the_person_and_the_cabinet_as_en_319_412_2_says(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.LCP)
    certificate = cert(issued.der)
    assert attributes(certificate.subject) == [
        (NameOID.COUNTRY_NAME.dotted_string, "FR"),
        (NameOID.ORGANIZATION_NAME.dotted_string, "Cabinet Exemple"),
        (NameOID.ORGANIZATION_IDENTIFIER.dotted_string, "NTRFR-732829320"),
        (NameOID.SURNAME.dotted_string, "Poussart"),
        (NameOID.GIVEN_NAME.dotted_string, "Jessica"),
        (NameOID.SERIAL_NUMBER.dotted_string, "P-0001"),
        (NameOID.COMMON_NAME.dotted_string, "Jessica POUSSART"),
    ]
    san = ext(certificate, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert san.value.get_values_for_type(x509.RFC822Name) == ["jessica.poussart@cabinet-exemple.fr"]
    assert issued.subject == certificate.subject.rfc4514_string()
    assert issued.serial == format(certificate.serial_number, "x")


@pytest.mark.parametrize(("policy", "issuer", "policy_oid", "years"),
                         [(CertificatePolicy.LCP, CaName.LCP, LCP_OID, 3),
                          (CertificatePolicy.QCP_N, CaName.QCP, QCP_N_OID, 5)])
def test_a_person_certificate_is_for_non_repudiation_only_and_points_at_this_server(
        pki: TestPki, policy: CertificatePolicy, issuer: CaName, policy_oid: str, years: int) -> None:
    _, issued = pki.person(policy=policy)
    certificate = cert(issued.der)
    assert issued.issuer is issuer
    assert_signed_by(certificate, ca_cert(pki, issuer))
    assert ext(certificate, ExtensionOID.KEY_USAGE).critical
    assert key_usages(certificate) == {"content_commitment"}
    assert policies(certificate) == [policy_oid]
    assert publication(certificate) == ([f"{PUBLIC_URL}/pki/crl/{issuer.value}.crl"], [f"{PUBLIC_URL}/pki/ocsp"],
                                        [f"{PUBLIC_URL}/pki/ca/{issuer.value}.der"])
    with pytest.raises(x509.ExtensionNotFound):
        ext(certificate, ExtensionOID.EXTENDED_KEY_USAGE)
    with pytest.raises(x509.ExtensionNotFound):
        ext(certificate, ExtensionOID.BASIC_CONSTRAINTS)
    assert_no_forbidden_extensions(certificate)
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == timedelta(days=365 * years)
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    assert certificate.public_key().curve.name == "secp256r1"


def test_an_lcp_certificate_carries_no_qc_statements(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.LCP)
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert(issued.der), QC_STATEMENTS)


def test_a_qcp_certificate_states_compliance_esign_type_and_pds_but_no_qscd(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    certificate = cert(issued.der)
    assert not ext(certificate, QC_STATEMENTS).critical
    statements = qc_statements(certificate)
    assert list(statements) == ["0.4.0.1862.1.1", "0.4.0.1862.1.6", "0.4.0.1862.1.5"]
    assert "0.4.0.1862.1.4" not in statements  # QcSSCD: keys are not in a certified QSCD
    assert statements["0.4.0.1862.1.1"] == []
    (types,) = statements["0.4.0.1862.1.6"]
    assert [_oid_text(t) for t in der.children(types)] == ["0.4.0.1862.1.6.1"]
    (locations,) = statements["0.4.0.1862.1.5"]
    (location,) = der.children(locations)
    url, language = der.children(location)
    assert url[0] == 0x16 and der.content(url) == f"{PUBLIC_URL}/pki/pds".encode()
    assert language[0] == 0x13 and der.content(language) == b"fr"


def test_the_pds_url_is_configurable(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path, settings=BuiltinCaSettings(qc_pds_url="https://cabinet.example/pds-en.pdf",
                                                             qc_pds_language="en"))
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    (locations,) = qc_statements(cert(issued.der))["0.4.0.1862.1.5"]
    url, language = der.children(der.children(locations)[0])
    assert der.content(url) == b"https://cabinet.example/pds-en.pdf" and der.content(language) == b"en"


def test_a_one_time_certificate_lives_one_hour(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N, one_time=True)
    certificate = cert(issued.der)
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(hours=1)
    assert issued.one_time


def test_validities_are_configurable(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path, settings=BuiltinCaSettings(lcp_validity=timedelta(days=30),
                                                             one_time_validity=timedelta(minutes=20)))
    _, lcp = pki.person()
    _, once = pki.person(one_time=True)
    assert lcp.not_after - lcp.not_before == timedelta(days=30)
    assert once.not_after - once.not_before == timedelta(minutes=20)


def test_no_certificate_outlives_its_issuer(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path, settings=BuiltinCaSettings(issuing_ca_validity=timedelta(days=400)))
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    assert issued.not_after == ca_cert(pki, CaName.QCP).not_valid_after_utc


def test_an_rsa_3072_end_entity_key_is_certified(pki: TestPki) -> None:
    _, issued = pki.person(key_type=KeyType.RSA_3072)
    assert issued.key_type is KeyType.RSA_3072
    assert cert(issued.der).public_key().key_size == 3072


def test_an_external_signer_without_cabinet_has_no_organisation_in_the_subject(pki: TestPki) -> None:
    subject = sample_subject(organization=None, siren=None, person_id="EXT-9")
    _, issued = pki.person(subject=subject, one_time=True)
    oids = [oid for oid, _ in attributes(cert(issued.der).subject)]
    assert NameOID.ORGANIZATION_NAME.dotted_string not in oids
    assert NameOID.ORGANIZATION_IDENTIFIER.dotted_string not in oids


def test_keys_the_profile_does_not_allow_are_refused(pki: TestPki) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()

    spki = weak.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidValue):
        pki.ca.issue(sample_subject(), spki, CertificatePolicy.LCP)
    with pytest.raises(InvalidValue):
        pki.ca.issue(sample_subject(), b"not a key", CertificatePolicy.LCP)


def test_a_person_id_outside_printable_string_is_refused() -> None:
    with pytest.raises(InvalidValue):
        sample_subject(person_id="person_1")


# Platform certificates ------------------------------------------------------------------------------


def test_the_tsa_certificate_has_only_the_critical_time_stamping_usage(pki: TestPki) -> None:
    credential = pki.ca.tsa()
    certificate = cert(credential.certificate.der)
    assert credential.certificate.kind is CertificateKind.TSA
    eku = ext(certificate, ExtensionOID.EXTENDED_KEY_USAGE)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert key_usages(certificate) == {"digital_signature"}
    assert_signed_by(certificate, ca_cert(pki, CaName.ROOT))
    assert credential.issuers == (ca_cert(pki, CaName.ROOT).public_bytes(serialization.Encoding.DER),)
    assert certificate.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo) == credential.key.public_key_der
    assert_no_forbidden_extensions(certificate)


@pytest.mark.parametrize("issuer", list(CaName))
def test_each_ca_has_an_ocsp_responder_certificate_that_needs_no_revocation_check(pki: TestPki, issuer: CaName) -> None:
    state = __import__("json").loads((pki.storage_dir / "hierarchy.json").read_text())
    record = pki.ca.certificate(state["ocsp"][issuer.value])
    certificate = cert(record.der)
    assert record.kind is CertificateKind.OCSP_RESPONDER and record.issuer is issuer
    assert list(ext(certificate, ExtensionOID.EXTENDED_KEY_USAGE).value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert isinstance(ext(certificate, ExtensionOID.OCSP_NO_CHECK).value, x509.OCSPNoCheck)
    assert key_usages(certificate) == {"digital_signature"}
    assert_signed_by(certificate, ca_cert(pki, issuer))


def test_the_platform_seal_names_the_operator_organisation(pki: TestPki) -> None:
    credential = pki.ca.platform_seal()
    certificate = cert(credential.certificate.der)
    assert attributes(certificate.subject) == [("2.5.4.6", "FR"), ("2.5.4.10", "Seing"),
                                               ("2.5.4.97", "NTRFR-732829320"), ("2.5.4.3", "Seing")]
    assert key_usages(certificate) == {"content_commitment"} and ext(certificate, ExtensionOID.KEY_USAGE).critical
    assert policies(certificate) == [LCP_OID]
    assert credential.certificate.issuer is CaName.LCP
    assert len(credential.issuers) == 2


def test_a_cabinet_seal_certificate_is_issued_for_an_organisation(pki: TestPki) -> None:
    key = pki.vault.generate(KeyType.EC_P256)
    issued = pki.ca.issue(OrganizationSubject(name="Cabinet Exemple", siren="732829320"), key.public_key_der,
                          CertificatePolicy.LCP)
    assert issued.kind is CertificateKind.SEAL and issued.holder_id == "NTRFR-732829320"
    assert ("2.5.4.97", "NTRFR-732829320") in attributes(cert(issued.der).subject)
    with pytest.raises(InvalidValue):
        pki.ca.issue(OrganizationSubject(name="Cabinet Exemple"), key.public_key_der, CertificatePolicy.QCP_N)


# State ------------------------------------------------------------------------------------------------


def test_every_key_of_the_hierarchy_is_in_the_vault(pki: TestPki) -> None:
    signed_by = {key_id for key_id, _ in pki.vault.signed}
    state = __import__("json").loads((pki.storage_dir / "hierarchy.json").read_text())
    for name in ("root", "lcp", "qcp"):
        assert state[name]["key_id"] in signed_by
    assert "BEGIN" not in "".join(p.read_text(errors="ignore") for p in pki.storage_dir.rglob("*") if p.is_file())


def test_a_restarted_ca_finds_its_hierarchy_and_certificates(pki: TestPki) -> None:
    from adapters.ca.builtin import BuiltinCertificateAuthority

    _, issued = pki.person()
    again = BuiltinCertificateAuthority(pki.vault, pki.storage_dir, PUBLIC_URL, clock=pki.clock)
    assert again.certificate(issued.serial) == issued
    assert again.chain(issued.serial) == pki.ca.chain(issued.serial)


def test_a_ca_that_was_never_initialised_says_so(tmp_path: Path) -> None:
    from adapters.ca.builtin import BuiltinCertificateAuthority
    from adapters.memory.keyvault import InMemoryKeyVault

    vault = InMemoryKeyVault()
    ca = BuiltinCertificateAuthority(vault, tmp_path / "pki", PUBLIC_URL, clock=FixedClock())
    with pytest.raises(CaNotInitialised):
        ca.issue(sample_subject(), vault.generate(KeyType.EC_P256).public_key_der, CertificatePolicy.LCP)
    with pytest.raises(CaNotInitialised):
        ca.tsa()


def test_crl_and_ocsp_locations_can_use_their_own_base_url(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path, public_url="https://seing.example.com",
                        settings=BuiltinCaSettings(publication_url="http://pki.seing.example.com/"))
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    assert publication(cert(issued.der)) == (["http://pki.seing.example.com/pki/crl/qcp.crl"],
                                             ["http://pki.seing.example.com/pki/ocsp"],
                                             ["http://pki.seing.example.com/pki/ca/qcp.der"])
    (locations,) = qc_statements(cert(issued.der))["0.4.0.1862.1.5"]
    assert der.content(der.children(der.children(locations)[0])[0]) == b"https://seing.example.com/pki/pds"
