"""`seing demo collection` keeps the README's promise: with the app up, its output validates in
poppler's pdfsig (OCSP checked against the app's responder over loopback) and in pyHanko with
revocation checking, because the demo runs on the instance's own CA and settings.

The commands run as a person runs them: what `make run` does (`seing db upgrade`, `seing ca init`,
`seing web` on a free loopback port), then `seing demo collection` while the app is up, separate
processes on one data folder.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from tests.ceremony.harness import pdfsig_reports
from tests.intake import corpus

pytestmark = pytest.mark.external  # pdfsig, certutil, a web server on loopback

ROOT = Path(__file__).resolve().parents[2]
PDS = "https://pds.cabinet-demo.example/pds-fr.pdf"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A fresh instance with an operator's QcPDS URL, its web app up, then the demo on it."""
    base = tmp_path_factory.mktemp("demo-live")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", SEING_DATA_DIR=str(base / "var"),
               SEING_HOST="127.0.0.1", SEING_PORT=str(port), SEING_DEV_MODE="true", SEING_QC_PDS_URL=PDS)

    def seing(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], env=env, cwd=base,
                              capture_output=True, text=True, timeout=300)

    # What `make run` does first, then the app; the demo runs while it is up.
    for step in (("db", "upgrade"), ("ca", "init")):
        done = seing(*step)
        assert done.returncode == 0, done.stdout + done.stderr
    log = (base / "web.log").open("w")
    web = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "web"], env=env, cwd=base, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180  # a bound for a loaded machine, not a target
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if web.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web app did not start: " + (base / "web.log").read_text()) from None
                time.sleep(0.2)
        # A client's file that already carries someone else's signature: not a failure of the demo.
        source = base / "contrat.pdf"
        source.write_bytes(corpus.signed_pdf(corpus.minimal_pdf(pages=2)))
        out = base / "out"
        run = seing("demo", "collection", "--pdf", str(source), "--out", str(out))
        assert run.returncode == 0, run.stdout + run.stderr
        yield type("Demo", (), {"out": out, "log": base / "web.log", "url": f"http://127.0.0.1:{port}",
                                "stdout": run.stdout})
    finally:
        web.terminate()
        try:
            web.wait(timeout=10)
        except subprocess.TimeoutExpired:
            web.kill()
        log.close()


def _ours(pdf: bytes) -> list:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig" and s.field_name != "Signature1"]


def test_the_demo_output_validates_in_pdfsig_with_ocsp_answered_by_the_running_app(demo, tmp_path):
    root = (demo.out / "seing-root-ca.der").read_bytes()
    signed = demo.out / "contrat-signe.pdf"
    before = demo.log.read_text()
    reports = pdfsig_reports(signed, root, tmp_path / "nss")
    ours = [r for r in reports if "Signature Field Name: Signature_" in r]
    assert len(ours) == 3, reports
    for text in ours:
        # "Unknown issue with Certificate" is what pdfsig says when the responder does not know it.
        assert "Signature is Valid" in text and "Certificate is Trusted" in text, text
    (foreign,) = [r for r in reports if "Signature Field Name: Signature1" in r]
    assert "Signature is Valid" in foreign, foreign
    asked = demo.log.read_text()[len(before):]
    assert "/pki/ocsp" in asked, "pdfsig asked the app's OCSP responder: " + asked

    evidence = pdfsig_reports(demo.out / "dossier-de-preuve.pdf", root, tmp_path / "nss")
    assert evidence and all("Signature is Valid" in t and "Certificate is Trusted" in t for t in evidence), evidence


def test_the_demo_output_validates_in_pyhanko_fetching_revocation_from_the_running_app(demo):
    root = x509.Certificate.load((demo.out / "seing-root-ca.der").read_bytes())
    pdf = (demo.out / "contrat-signe.pdf").read_bytes()
    context = ValidationContext(trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail")
    signatures = _ours(pdf)
    assert len(signatures) == 3
    for embedded in signatures:
        status = validate_pdf_signature(embedded, signer_validation_context=context, ts_validation_context=context)
        assert status.bottom_line and not status.revoked, status.pretty_print_details()
    timestamps = [s for s in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
                  if s.sig_object_type == "/DocTimeStamp"]
    assert timestamps
    for embedded in timestamps:
        assert validate_pdf_timestamp(embedded, validation_context=context).valid


def test_the_demo_honours_the_operators_qc_pds_url_and_reports_the_foreign_signature(demo):
    pdf = (demo.out / "contrat-signe.pdf").read_bytes()
    qualified = [s.signer_cert for s in _ours(pdf) if "0.4.0.194112.1.0" in
                 [p["policy_identifier"].dotted for p in (s.signer_cert.certificate_policies_value or [])]]
    assert qualified, "the level-3 signature is made with a QCP-n certificate"
    assert PDS.encode() in qualified[0].dump()

    env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    check = subprocess.run([sys.executable, "-m", "entrypoints.cli", "verify", "--root",
                            str(demo.out / "seing-root-ca.pem"), str(demo.out / "contrat-signe.pdf")],
                           env=env, cwd=demo.out, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "valide, émise par une autorité que Seing ne connaît pas" in check.stdout
    assert "Résultat : VALIDE" in check.stdout
