"""Outside clients against the PKI endpoints served by uvicorn on a free loopback port:
``openssl ocsp`` (good, then revoked), ``openssl ts -verify`` on a token from /pki/tsa, and
our own RFC 3161 HTTP client adapter."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.timestamping.http_client import HttpTimestampClient
from domain.model.pki import CaName
from tests.conftest import require_service
from tests.web.lcp_helpers import register_lcp

pytestmark = pytest.mark.external


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Live:
    def __init__(self, container: Any, url: str) -> None:
        self.container = container
        self.url = url


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.web.app import create_app

    port = _free_port()
    settings = Settings(data_dir=tmp_path_factory.mktemp("pki-live"), host="127.0.0.1", port=port, dev_mode=True)
    container = build_container(settings, fakes=True)
    # openssl checks validity windows against the real time: the fake clock must agree.
    container.adapters.clock().set(datetime.now(UTC))
    container.adapters.ca().init_hierarchy()
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="pki-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield Live(container, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    require_service(path is not None, "openssl (apt-get install -y openssl)")
    return str(path)


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=60)


def test_openssl_ocsp_over_http_says_good_then_revoked_after_the_holder_revokes(live, openssl, tmp_path):
    uc = live.container.use_cases
    owner = uc.create_cabinet(name="Cabinet Live", siren="732829320", owner_given_names="Jessica",
                              owner_surname="Poussart", owner_email="live@example.fr", owner_mobile="06 24 00 00 13",
                              password="correct horse battery")
    summary = register_lcp(live.container, owner.person_id, owner.cabinet_id)
    cas = {c.name: c for c in live.container.adapters.ca().ca_certificates()}
    (tmp_path / "leaf.pem").write_bytes(uc.certificate_download(person_id=owner.person_id,
                                                                certificate_id=summary.certificate_id, format="pem"))
    (tmp_path / "issuer.pem").write_bytes(_pem(cas[CaName.LCP].der))
    (tmp_path / "root.pem").write_bytes(_pem(cas[CaName.ROOT].der))

    def ask() -> str:
        result = _run(openssl, "ocsp", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-url", f"{live.url}/pki/ocsp",
                      "-CAfile", "root.pem", "-timeout", "20", cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Response verify OK" in output, output
        return result.stdout

    assert "leaf.pem: good" in ask()
    uc.revoke_certificate(person_id=owner.person_id, certificate_id=summary.certificate_id, reason="key_compromise")
    revoked = ask()
    assert "leaf.pem: revoked" in revoked and "Reason: keyCompromise" in revoked


def test_openssl_ts_verify_accepts_a_token_from_the_tsa_endpoint(live, openssl, tmp_path):
    import httpx

    (tmp_path / "data.bin").write_bytes(b"lettre de mission, version finale")
    assert _run(openssl, "ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "q.tsq",
                cwd=tmp_path).returncode == 0
    reply = httpx.post(f"{live.url}/pki/tsa", content=(tmp_path / "q.tsq").read_bytes(),
                       headers={"Content-Type": "application/timestamp-query"}, timeout=20)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "r.tsr").write_bytes(reply.content)
    root = next(c for c in live.container.adapters.ca().ca_certificates() if c.name is CaName.ROOT)
    (tmp_path / "root.pem").write_bytes(_pem(root.der))
    verified = _run(openssl, "ts", "-verify", "-data", "data.bin", "-in", "r.tsr", "-CAfile", "root.pem", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verification: OK" in verified.stdout
    (tmp_path / "data.bin").write_bytes(b"lettre de mission, version modifiee")
    assert _run(openssl, "ts", "-verify", "-data", "data.bin", "-in", "r.tsr", "-CAfile", "root.pem",
                cwd=tmp_path).returncode != 0


def test_the_http_timestamp_client_adapter_gets_tokens_from_the_live_endpoint(live):
    from asn1crypto import cms

    client = HttpTimestampClient(f"{live.url}/pki/tsa", timeout=20)
    try:
        digest = hashlib.sha256(b"contrat").digest()
        token = cms.ContentInfo.load(client.timestamp(digest, "sha256", nonce=7))
        info = token["content"]["encap_content_info"]["content"].parsed
        assert info["message_imprint"]["hashed_message"].native == digest
        assert info["nonce"].native == 7
        assert info["gen_time"].native.year == datetime.now(UTC).year
    finally:
        client.close()


def test_the_repository_and_crl_are_served_over_http(live):
    import httpx

    data = httpx.get(f"{live.url}/pki", headers={"Accept": "application/json"}, timeout=20).json()
    for crl in data["crls"]:
        answer = httpx.get(crl["url"], timeout=20)
        assert answer.status_code == 200
        x509.load_der_x509_crl(answer.content)
