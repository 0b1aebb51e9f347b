"""DigiCert's pkilint, an independent profile linter, judges our certificates, CRLs and OCSP responses.

The URLs are under a public suffix (the linter rightly flags internal names such as
``.test``); the PDS is https and the CRL/OCSP publication URL plain http, as a production
deployment must configure them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.ca.builtin import BuiltinCaSettings
from domain.model.pki import CaName, CertificatePolicy, RevocationReason
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


def lint(tmp_path: Path, tool: str, der: bytes, *args: str) -> set[str]:
    """Codes of findings of severity WARNING or worse."""
    path = tmp_path / f"{tool}.der"
    path.write_bytes(der)
    result = subprocess.run([sys.executable, "-m", f"pkilint.bin.{tool}", "lint", *args, "-s", "WARNING",
                             "-f", "JSON", "--document-format", "DER", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout, result.stderr
    findings = json.loads(result.stdout)["results"]
    return {f"{d['code']} @ {r['node_path']}" for r in findings for d in r["finding_descriptions"]}


def codes(findings: set[str]) -> set[str]:
    return {f.split(" @ ")[0] for f in findings}


@pytest.mark.parametrize("policy", list(CertificatePolicy))
def test_person_certificates_pass_the_etsi_natural_person_profile(pki: TestPki, tmp_path: Path,
                                                                  policy: CertificatePolicy) -> None:
    _, issued = pki.person(policy=policy)
    assert lint(tmp_path, "lint_etsi_cert", issued.der, "-t", "NCP-NATURAL-PERSON-CERTIFICATE") == set()


def test_a_qcp_certificate_differs_from_the_qscd_profile_only_where_we_mean_it_to(pki: TestPki,
                                                                                  tmp_path: Path) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    # The linter knows QCP-n only with a QSCD; ours is QCP-n without one, on purpose.
    assert codes(lint(tmp_path, "lint_etsi_cert", issued.der, "-t", "QCP-N-QSCD-EIDAS-FINAL-CERTIFICATE")) == {
        "etsi.en_319_412_5.qcs-5.01.qc_sscd_qualified_statement_absent",
        "etsi.en_319_412_2.qcs-5.2-2.mismatched_policy_identifier_for_certificate_type",
    }


def test_seal_certificates_pass_the_etsi_legal_person_profile(pki: TestPki, tmp_path: Path) -> None:
    seal = pki.ca.platform_seal().certificate
    assert lint(tmp_path, "lint_etsi_cert", seal.der, "-t", "NCP-LEGAL-PERSON-CERTIFICATE") == set()


def test_ca_tsa_and_responder_certificates_pass_the_rfc_5280_linter(pki: TestPki, tmp_path: Path) -> None:
    state = json.loads((pki.storage_dir / "hierarchy.json").read_text())
    serials = [state[n]["serial"] for n in ("root", "lcp", "qcp", "tsa")] + list(state["ocsp"].values())
    for serial in serials:
        assert lint(tmp_path, "lint_pkix_cert", pki.ca.certificate(serial).der) == set(), serial


def test_crls_pass_the_rfc_5280_crl_linter(pki: TestPki, tmp_path: Path) -> None:
    _, issued = pki.person()
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    for name in CaName:
        assert lint(tmp_path, "lint_crl", pki.ca.crl(name), "-t", "CRL", "-p", "PKIX") == set(), name


def test_ocsp_responses_pass_the_rfc_6960_linter(pki: TestPki, tmp_path: Path) -> None:
    from tests.pki.test_revocation import ocsp_request

    _, issued = pki.person()
    chain = pki.ca.chain(issued.serial)
    good = pki.ca.ocsp_response(ocsp_request(chain[0], chain[1], nonce=b"0123456789abcdef"))
    assert lint(tmp_path, "lint_ocsp_response", good) == set()
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    revoked = pki.ca.ocsp_response(ocsp_request(chain[0], chain[1]))
    assert lint(tmp_path, "lint_ocsp_response", revoked) == set()
