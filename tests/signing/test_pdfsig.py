"""poppler's pdfsig (NSS underneath) as an independent validator.

pdfsig checks the certificate with NSS, which asks the OCSP responder named in the
certificate's AIA: the session's loopback PKI server answers. pdfsig exits 0 even for
an invalid signature, so its text is what we check.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.conftest import require_tool
from tests.signing.pdfs import pdf_file
from tests.signing.plain_pyhanko import ThrowawayCa, signed_by_each
from tests.signing.poppler import REPEATED_CERTIFICATE_SYMPTOM, TRUSTED, certificate_verdicts, nss_chain_reports

pytestmark = pytest.mark.external


def make_nss_db(directory, root_der: bytes):
    """An NSS database in ``directory`` trusting ``root_der`` for signatures (what pdfsig reads)."""
    certutil = require_tool("certutil")
    root_pem = directory / "root.pem"
    root_pem.write_bytes(x509.load_der_x509_certificate(root_der).public_bytes(serialization.Encoding.PEM))
    subprocess.run([certutil, "-N", "--empty-password", "-d", f"sql:{directory}"], check=True)
    subprocess.run(
        [certutil, "-A", "-n", "Seing Test Root", "-t", "CT,C,C", "-i", str(root_pem), "-d", f"sql:{directory}"],
        check=True,
    )
    return directory


@pytest.fixture(scope="module")
def nss_db(pki, tmp_path_factory):
    return make_nss_db(tmp_path_factory.mktemp("nss"), pki.root.der)


def pdfsig(nss_db, path) -> list[str]:
    """pdfsig's report, one text block per signature."""
    tool = require_tool("pdfsig")
    result = subprocess.run(
        [tool, "-nssdir", f"sql:{nss_db}", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return re.split(r"^Signature #\d+:$", result.stdout, flags=re.M)[1:]


def test_pdfsig_finds_a_b_lt_signature_valid_and_trusted(signing, identity, pki_server, nss_db, tmp_path):
    source = pdf_file(tmp_path / "in.pdf", pages=2)
    signed = tmp_path / "signed.pdf"
    signing.sign_file(source, signed, SignatureRequest(identity=identity, level=PadesLevel.B_LT))
    (report,) = pdfsig(nss_db, signed)
    assert "Signature is Valid" in report, report
    assert "Certificate is Trusted" in report, report
    assert "ETSI.CAdES.detached" in report


def test_pdfsig_finds_both_signatures_valid_and_trusted(signing, identity, pki, nss_db, tmp_path):
    source = pdf_file(tmp_path / "in.pdf")
    first, second = tmp_path / "one.pdf", tmp_path / "two.pdf"
    signing.sign_file(source, first, SignatureRequest(identity=identity, level=PadesLevel.B_LT, field_name="Client"))
    other_identity = pki.identity(pki.issue_signer("Claire", "Petit"))
    signing.sign_file(
        first, second, SignatureRequest(identity=other_identity, level=PadesLevel.B_LT, field_name="Expert")
    )
    reports = pdfsig(nss_db, second)
    assert len(reports) == 2
    for report in reports:
        assert "Signature is Valid" in report, report
        assert "Certificate is Trusted" in report, report


def test_pdfsig_reports_a_revoked_certificate(signing, pki, nss_db, tmp_path):
    signer = pki.issue_signer("Marc", "Revoque")
    identity = pki.identity(signer)
    signed = tmp_path / "signed.pdf"
    signing.sign_file(pdf_file(tmp_path / "in.pdf"), signed, SignatureRequest(identity=identity, level=PadesLevel.B_B))
    pki.revoke(signer)
    (report,) = pdfsig(nss_db, signed)
    assert "Signature is Valid" in report
    assert "Certificate has been Revoked" in report, report


def test_pdfsig_accepts_a_qcp_certificate_signature(signing, pki, nss_db, tmp_path):
    from domain.model.pki import CertificatePolicy

    identity = pki.identity(pki.issue_signer("Nadia", "Benali", policy=CertificatePolicy.QCP_N))
    signed = tmp_path / "signed.pdf"
    signing.sign_file(pdf_file(tmp_path / "in.pdf"), signed, SignatureRequest(identity=identity, level=PadesLevel.B_LT))
    (report,) = pdfsig(nss_db, signed)
    assert "Signature is Valid" in report, report
    assert "Certificate is Trusted" in report, report


def test_three_signatures_with_one_certificate_are_valid_and_nss_trusts_each_chain(signing, identity, nss_db,
                                                                                   tmp_path):
    # Level 1 signs every signer's field with the platform's one certificate: this is its shape.
    path = pdf_file(tmp_path / "in.pdf")
    for number, field in enumerate(("Claire", "Marc", "Nadia")):
        signed = tmp_path / f"signed{number}.pdf"
        signing.sign_file(path, signed, SignatureRequest(identity=identity, level=PadesLevel.B_LT, field_name=field))
        path = signed
    reports = pdfsig(nss_db, path)
    assert len(reports) == 3
    for report in reports:
        assert "Signature is Valid" in report, report
    # NSS itself, one process per signature, OCSP over loopback answering for the signer: each
    # signature's certificate is trusted.
    for report in nss_chain_reports(path.read_bytes(), nss_db, tmp_path, require_tool("vfychain")):
        assert report.startswith("Chain is good!"), report
    # pdfsig 22.12 trusts it only where poppler's use of freed memory lets it (tests/signing/poppler.py):
    # the first signature always; never anything but that one symptom for the others.
    verdicts = certificate_verdicts(reports)
    assert verdicts[0] == TRUSTED, verdicts
    assert set(verdicts) <= {TRUSTED, REPEATED_CERTIFICATE_SYMPTOM}, verdicts


def test_pdfsig_distrusts_every_other_signature_sharing_a_certificate_in_a_file_seing_never_touched(tmp_path):
    """poppler's defect, pinned on files signed by pyHanko alone (no OCSP, no AIA, no DSS): when
    this fails because every signature is trusted, poppler is fixed; then require TRUSTED for every
    signature in the test above and in tests/ceremony/test_signature_page.py."""
    ca = ThrowawayCa()
    nss_dir = make_nss_db(tmp_path, ca.root_der)
    same = tmp_path / "same-certificate.pdf"
    signer = ca.signer("Alice")
    same.write_bytes(signed_by_each([signer, signer, signer]))
    distinct = tmp_path / "three-certificates.pdf"
    distinct.write_bytes(signed_by_each([ca.signer("Bob"), ca.signer("Carol"), ca.signer("Dave")]))

    assert certificate_verdicts(pdfsig(nss_dir, distinct)) == [TRUSTED] * 3
    same_reports = pdfsig(nss_dir, same)
    assert all("Signature is Valid" in r for r in same_reports), same_reports
    assert certificate_verdicts(same_reports) == [TRUSTED, REPEATED_CERTIFICATE_SYMPTOM, TRUSTED]
    for report in nss_chain_reports(same.read_bytes(), nss_dir, tmp_path, require_tool("vfychain"),
                                    require_ocsp=False):
        assert report.startswith("Chain is good!"), report
