"""OpenSSL, an independent implementation, judges our chains, CRLs and OCSP responses."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from domain.model.pki import PERSON_POLICIES, CaName, CertificatePolicy, RevocationReason
from tests.pki.helpers import TestPki, make_test_pki

pytestmark = pytest.mark.external


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("openssl is required under CI=true")
        pytest.skip("SKIPPED LOUDLY: openssl not installed")
    return path


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return make_test_pki(tmp_path)


def pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def crl_pem(der: bytes) -> bytes:
    return x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=60)


def write_chain(tmp: Path, chain: list[bytes]) -> tuple[str, str, str]:
    """leaf.pem, untrusted.pem (intermediates, maybe empty), root.pem."""
    (tmp / "leaf.pem").write_bytes(pem(chain[0]))
    (tmp / "untrusted.pem").write_bytes(b"".join(pem(d) for d in chain[1:-1]))
    (tmp / "root.pem").write_bytes(pem(chain[-1]))
    return "leaf.pem", "untrusted.pem", "root.pem"


def write_crls(tmp: Path, pki: TestPki) -> str:
    """Every CRL the CA publishes: each CA's, and the current TSA certificate's own."""
    tsa = pki.ca.crl_for(pki.ca.tsa().certificate.serial)
    (tmp / "crls.pem").write_bytes(b"".join(crl_pem(pki.ca.crl(name)) for name in CaName) + crl_pem(tsa))
    return "crls.pem"


def verify(openssl: str, tmp: Path, pki: TestPki, chain: list[bytes], *extra: str) -> subprocess.CompletedProcess[str]:
    leaf, untrusted, root = write_chain(tmp, chain)
    args = [openssl, "verify", "-x509_strict", "-crl_check_all", "-CRLfile", write_crls(tmp, pki),
            "-CAfile", root, *extra]
    if len(chain) > 2:
        args += ["-untrusted", untrusted]
    return run(*args, leaf, cwd=tmp)


@pytest.mark.parametrize("policy", PERSON_POLICIES)
def test_openssl_verifies_a_person_certificate_with_its_policy_and_crls(
        openssl: str, pki: TestPki, tmp_path: Path, policy: CertificatePolicy) -> None:
    _, issued = pki.person(policy=policy)
    result = verify(openssl, tmp_path, pki, pki.ca.chain(issued.serial),
                    "-policy", policy.oid, "-explicit_policy", "-policy_check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "leaf.pem: OK"


@pytest.mark.parametrize("purpose", ["tsa", "seal", "ocsp-root", "ocsp-lcp", "ocsp-qcp", "ca-lcp", "ca-qcp", "root"])
def test_openssl_verifies_every_platform_chain(openssl: str, pki: TestPki, tmp_path: Path, purpose: str) -> None:
    import json

    state = json.loads((pki.storage_dir / "hierarchy.json").read_text())
    serial, extra = {
        "tsa": (state["tsa"]["serial"], ["-purpose", "timestampsign"]),
        "seal": (state["seal"]["serial"], []),
        "ocsp-root": (state["ocsp"]["root"], ["-purpose", "ocsphelper"]),
        "ocsp-lcp": (state["ocsp"]["lcp"], ["-purpose", "ocsphelper"]),
        "ocsp-qcp": (state["ocsp"]["qcp"], ["-purpose", "ocsphelper"]),
        "ca-lcp": (state["lcp"]["serial"], []),
        "ca-qcp": (state["qcp"]["serial"], []),
        "root": (state["root"]["serial"], []),
    }[purpose]
    if purpose == "ocsp-root":
        # The root's responder is an end entity with id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1:
        # nobody checks its status), outside the root's CRL, whose scope is the CA certificates
        # (onlyContainsCACerts; each TSA certificate has a CRL of its own): openssl, which does
        # not honour ocsp-nocheck, finds no CRL in scope for it.
        checked = verify(openssl, tmp_path, pki, pki.ca.chain(serial), *extra)
        assert "different CRL scope" in checked.stdout + checked.stderr
        result = run(openssl, "verify", "-x509_strict", "-CAfile", write_chain(tmp_path, pki.ca.chain(serial))[2],
                     *extra, "leaf.pem", cwd=tmp_path)
    else:
        result = verify(openssl, tmp_path, pki, pki.ca.chain(serial), *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "leaf.pem: OK"


def test_openssl_refuses_a_revoked_certificate_and_reads_its_serial_in_the_crl(
        openssl: str, pki: TestPki, tmp_path: Path) -> None:
    _, issued = pki.person(policy=CertificatePolicy.QCP_N)
    chain = pki.ca.chain(issued.serial)
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    result = verify(openssl, tmp_path, pki, chain)
    assert result.returncode != 0
    assert "certificate revoked" in result.stdout + result.stderr
    (tmp_path / "qcp.crl").write_bytes(pki.ca.crl(CaName.QCP))
    listing = run(openssl, "crl", "-inform", "DER", "-in", "qcp.crl", "-noout", "-text", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert f"Serial Number: {issued.serial.upper().rjust(len(issued.serial) + len(issued.serial) % 2, '0')}" \
        in listing.stdout
    assert "Key Compromise" in listing.stdout


@pytest.mark.parametrize("policy", PERSON_POLICIES)
def test_openssl_ocsp_reports_good_then_revoked(openssl: str, pki: TestPki, tmp_path: Path,
                                               policy: CertificatePolicy) -> None:
    _, issued = pki.person(policy=policy)
    chain = pki.ca.chain(issued.serial)
    leaf, _, root = write_chain(tmp_path, chain)
    (tmp_path / "issuer.pem").write_bytes(pem(chain[1]))
    common = ["-issuer", "issuer.pem", "-cert", leaf, "-no_nonce"]

    def status() -> str:
        request = run(openssl, "ocsp", *common, "-reqout", "req.der", cwd=tmp_path)
        assert request.returncode == 0, request.stderr
        (tmp_path / "resp.der").write_bytes(pki.ca.ocsp_response((tmp_path / "req.der").read_bytes()))
        checked = run(openssl, "ocsp", *common, "-respin", "resp.der", "-CAfile", root, cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "Response verify OK" in checked.stderr + checked.stdout
        return checked.stdout

    assert f"{leaf}: good" in status()
    pki.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, pki.clock.now())
    revoked = status()
    assert f"{leaf}: revoked" in revoked
    assert "Reason: keyCompromise" in revoked


def test_openssl_checks_the_nonce_of_a_request_it_wrote(openssl: str, pki: TestPki, tmp_path: Path) -> None:
    _, issued = pki.person()
    chain = pki.ca.chain(issued.serial)
    leaf, _, root = write_chain(tmp_path, chain)
    (tmp_path / "issuer.pem").write_bytes(pem(chain[1]))
    assert run(openssl, "ocsp", "-issuer", "issuer.pem", "-cert", leaf, "-reqout", "req.der",
               cwd=tmp_path).returncode == 0
    (tmp_path / "resp.der").write_bytes(pki.ca.ocsp_response((tmp_path / "req.der").read_bytes()))
    # Only the root is trusted: the response itself carries the responder and its issuing CA.
    checked = run(openssl, "ocsp", "-reqin", "req.der", "-respin", "resp.der", "-CAfile", root, "-resp_text",
                  cwd=tmp_path)
    output = checked.stdout + checked.stderr
    assert "Response verify OK" in output, output
    assert "Nonce Verify error" not in output
    assert "Cert Status: good" in output

