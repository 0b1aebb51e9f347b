"""DigiCert's pkilint, an independent profile linter, judges our certificates, CRLs and OCSP responses.

The URLs are under a public suffix (the linter rightly flags internal names such as
``.test``); the PDS is https and the CRL/OCSP publication URL plain http, as a production
deployment must configure them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adapters.ca.builtin import BuiltinCaSettings
from domain.model.pki import PERSON_POLICIES, CaName, CertificatePolicy, OrganizationSubject, RevocationReason
from tests.pki.helpers import TestPki, make_test_pki

PUBLIC_URL = "https://seing.example.com"
SETTINGS = BuiltinCaSettings(siren="732829320", publication_url="http://seing.example.com")


@pytest.fixture(scope="module", autouse=True)
def _pkilint() -> None:
    try:
        import pkilint  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pkilint (a dev dependency) is required under CI=true")
        pytest.skip("SKIPPED LOUDLY: pkilint not installed (pip install -e .[dev])")


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_test_pki(tmp_path, public_url=PUBLIC_URL, settings=SETTINGS)


def _validator(tool: str, kind: str):  # noqa: ANN202 - a pkilint validator container
    """Built as pkilint's own command-line tools build them (in process: much faster)."""
    from pkilint import etsi, pkix
    from pkilint.etsi import etsi_constants
    from pkilint.pkix import certificate, crl, extension, name, ocsp

    if tool == "etsi":
        cert_type = etsi_constants.CertificateType.from_option_str(kind)
        return certificate.create_pkix_certificate_validator_container(
            etsi.create_decoding_validators(cert_type), etsi.create_validators(cert_type)), cert_type
    if tool == "pkix":
        return certificate.create_pkix_certificate_validator_container(
            certificate.create_decoding_validators(name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS),
            [certificate.create_issuer_validator_container([]), certificate.create_validity_validator_container(),
             certificate.create_subject_validator_container([]),
             certificate.create_extensions_validator_container([]),
             certificate.create_spki_validator_container([])]), None
    if tool == "crl":
        return crl.create_pkix_crl_validator_container(
            [pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
             pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS)],
            [crl.create_issuer_validator_container([]), crl.create_validity_validator_container([]),
             crl.create_extensions_validator_container([])]), None
    return ocsp.create_pkix_ocsp_response_validator_container(
        [ocsp.create_response_decoder(), pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
         pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS)], []), None


def lint(tool: str, der: bytes, kind: str = "") -> set[str]:
    """Findings of severity WARNING or worse, as ``code @ node path``."""
    from pkilint import etsi, finding_filter, loader
    from pkilint.validation import ValidationFindingSeverity

    loaders = {"etsi": loader.RFC5280CertificateDocumentLoader, "pkix": loader.RFC5280CertificateDocumentLoader,
               "crl": loader.RFC5280CertificateListDocumentLoader, "ocsp": loader.RFC6960OCSPResponseDocumentLoader}
    document = loaders[tool]().load_der_document(der, "document")
    validator, cert_type = _validator(tool, kind)
    results = validator.validate(document.root)
    if cert_type is not None:
        results, _ = finding_filter.filter_results(etsi.create_etsi_finding_filters(cert_type), results)
    return {f"{d.finding.code} @ {r.node.path}" for r in results for d in r.finding_descriptions
            if d.finding.severity <= ValidationFindingSeverity.WARNING}


def codes(findings: set[str]) -> set[str]:
    return {f.split(" @ ")[0] for f in findings}


@pytest.mark.parametrize("policy", PERSON_POLICIES)
def test_person_certificates_pass_the_etsi_natural_person_profile(pki: TestPki,
                                                                  policy: CertificatePolicy) -> None:
    _, issued = pki.person(policy=policy)
    assert lint("etsi", issued.der, "NCP-NATURAL-PERSON-CERTIFICATE") == set()


def test_a_qcp_certificate_differs_from_the_qscd_profile_only_where_we_mean_it_to(pki: TestPki) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    # The linter knows QCP-n only with a QSCD; ours is QCP-n without one, on purpose.
    assert codes(lint("etsi", issued.der, "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE")) == {
        "etsi.en_319_412_5.qcs-5.01.qc_sscd_qualified_statement_absent",
        "etsi.en_319_412_2.qcs-5.2-2.mismatched_policy_identifier_for_certificate_type",
    }


def test_seal_certificates_pass_the_etsi_legal_person_profile(pki: TestPki) -> None:
    seal = pki.ca.platform_seal().certificate
    assert lint("etsi", seal.der, "NCP-LEGAL-PERSON-CERTIFICATE") == set()


def cabinet_seal(pki: TestPki, policy: CertificatePolicy) -> bytes:
    from domain.model.pki import KeyType

    key = pki.vault.generate(KeyType.EC_P256)
    subject = OrganizationSubject(name="Cabinet Poussart", siren="552100554")
    return pki.ca.issue(subject, key.public_key_der, policy).der


def test_a_cabinets_advanced_seal_passes_the_etsi_legal_person_profile(pki: TestPki) -> None:
    assert lint("etsi", cabinet_seal(pki, CertificatePolicy.LCP), "NCP-LEGAL-PERSON-CERTIFICATE") == set()


def test_a_cabinets_qualified_seal_is_an_eseal_that_passes_the_legal_person_profile(pki: TestPki) -> None:
    from asn1crypto import x509 as asn1_x509

    seal = cabinet_seal(pki, CertificatePolicy.QCP_L)
    # pkilint has no QCP-l type (only QCP-n with a QSCD); its legal person profile checks the
    # subject, keyUsage and the QCStatements' syntax, and finds nothing to say.
    assert lint("etsi", seal, "NCP-LEGAL-PERSON-CERTIFICATE") == set()
    certificate = asn1_x509.Certificate.load(seal)
    [statements] = [e["extn_value"].contents for e in certificate["tbs_certificate"]["extensions"]
                    if e["extn_id"].dotted == "1.3.6.1.5.5.7.1.3"]
    assert bytes.fromhex("0606 04008e460101") in statements  # QcCompliance
    assert bytes.fromhex("0606 04008e460106 3009 0607 04008e46010602") in statements  # QcType (eseal)
    assert bytes.fromhex("0606 04008e460104") not in statements  # no QcSSCD: the key is not in a QSCD
    assert certificate.key_usage_value.native == {"non_repudiation"}
    assert [p["policy_identifier"].dotted for p in certificate.certificate_policies_value] == ["0.4.0.194112.1.1"]
    assert certificate.subject.native["organization_identifier"] == "NTRFR-552100554"


def test_ca_tsa_and_responder_certificates_pass_the_rfc_5280_linter(pki: TestPki) -> None:
    state = json.loads((pki.storage_dir / "hierarchy.json").read_text())
    serials = [state[n]["serial"] for n in ("root", "lcp", "qcp", "tsa")] + list(state["ocsp"].values())
    for serial in serials:
        assert lint("pkix", pki.ca.certificate(serial).der) == set(), serial


def test_crls_pass_the_rfc_5280_crl_linter(pki: TestPki) -> None:
    _, issued = pki.person()
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    for name in CaName:
        assert lint("crl", pki.ca.crl(name)) == set(), name
    tsa = pki.ca.tsa().certificate  # its own CRL (issuingDistributionPoint), revoked too
    assert lint("crl", pki.ca.crl_for(tsa.serial)) == set()
    pki.ca.revoke(tsa.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    assert lint("crl", pki.ca.crl_for(tsa.serial)) == set()


def test_ocsp_responses_pass_the_rfc_6960_linter(pki: TestPki) -> None:
    from tests.pki.test_revocation import ocsp_request

    _, issued = pki.person()
    chain = pki.ca.chain(issued.serial)
    good = pki.ca.ocsp_response(ocsp_request(chain[0], chain[1], nonce=b"0123456789abcdef"))
    assert lint("ocsp", good) == set()
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    revoked = pki.ca.ocsp_response(ocsp_request(chain[0], chain[1]))
    assert lint("ocsp", revoked) == set()
