from __future__ import annotations

import hashlib
import socket
import subprocess

import pytest

from adapters.timestamping.http_client import HttpTimestampClient
from adapters.timestamping.inprocess import ETSI_BEST_PRACTICES_TSA_POLICY, InProcessTimestampAuthority
from ports.contracts.timestamping import TimestampAuthorityContract, TimestampResponderContract
from tests.signing.conftest import SystemClock, require_tool


class _Fixtures:
    @pytest.fixture(autouse=True)
    def _bind(self, tsa, pki, pki_server, vault):
        self.tsa, self.pki, self.server, self.vault = tsa, pki, pki_server, vault


class TestInProcessTimestampAuthority(_Fixtures, TimestampAuthorityContract):
    def make_adapter(self):
        return self.tsa

    def make_unavailable_adapter(self):
        class VaultOffline:
            def sign_digest(self, ref, digest, hash_algorithm):
                raise ConnectionError("HSM unreachable")

        return InProcessTimestampAuthority(
            vault=VaultOffline(), key_ref=self.pki.tsa.key_ref, certificate=self.pki.tsa.der, clock=SystemClock()
        )


class TestInProcessTimestampResponder(_Fixtures, TimestampResponderContract):
    def make_responder(self):
        return self.tsa

    def policy_oid(self):
        return ETSI_BEST_PRACTICES_TSA_POLICY


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestHttpTimestampClient(_Fixtures, TimestampAuthorityContract):
    """Talks over loopback to a server that answers with the in-process TSA."""

    def make_adapter(self):
        return HttpTimestampClient(f"{self.server.base_url}/pki/tsa", timeout=5)

    def make_unavailable_adapter(self):
        return HttpTimestampClient(f"http://127.0.0.1:{_closed_port()}/pki/tsa", timeout=2)

    def test_http_error_status_raises_timestamp_unavailable(self):
        from domain.model.errors import TimestampUnavailable

        client = HttpTimestampClient(f"{self.server.base_url}/nowhere", timeout=5)
        with pytest.raises(TimestampUnavailable):
            client.timestamp(hashlib.sha256(b"x").digest(), "sha256")


@pytest.mark.external
def test_openssl_ts_verify_accepts_a_token_of_the_in_process_tsa(tsa, pki, tmp_path):
    openssl = require_tool("openssl")
    data = tmp_path / "data.bin"
    data.write_bytes(b"lettre de mission, version finale")
    query = tmp_path / "q.tsq"
    subprocess.run(
        [openssl, "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)], check=True
    )
    reply = tmp_path / "r.tsr"
    reply.write_bytes(tsa.respond(query.read_bytes()))
    ca_file = tmp_path / "root.pem"
    from cryptography.hazmat.primitives import serialization

    ca_file.write_bytes(pki.root.cert.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        [openssl, "ts", "-verify", "-data", str(data), "-in", str(reply), "-CAfile", str(ca_file)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification: OK" in result.stdout
    # A different document must not verify against the same reply.
    data.write_bytes(b"lettre de mission, version modifiee")
    tampered = subprocess.run(
        [openssl, "ts", "-verify", "-data", str(data), "-in", str(reply), "-CAfile", str(ca_file)],
        capture_output=True,
        text=True,
    )
    assert tampered.returncode != 0


def _client_answered_by(respond) -> HttpTimestampClient:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/timestamp-reply"}, content=respond(request))

    return HttpTimestampClient("http://tsa.invalid/", client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_http_client_turns_a_refusal_into_timestamp_unavailable(tsa):
    from domain.model.errors import TimestampUnavailable

    client = _client_answered_by(lambda request: tsa.respond(b"garbage"))
    with pytest.raises(TimestampUnavailable, match="rejection"):
        client.timestamp(hashlib.sha256(b"x").digest(), "sha256")


def test_http_client_refuses_a_token_for_another_digest(tsa):
    from asn1crypto import tsp

    from domain.model.errors import TimestampUnavailable

    def other_digest(request):
        query = tsp.TimeStampReq.load(request.content)
        forged = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"\0" * 32},
                "nonce": query["nonce"].native,
            }
        )
        return tsa.respond(forged.dump())

    with pytest.raises(TimestampUnavailable, match="another digest"):
        _client_answered_by(other_digest).timestamp(hashlib.sha256(b"x").digest(), "sha256")


def test_http_client_refuses_a_reply_without_our_nonce(tsa):
    from asn1crypto import tsp

    from domain.model.errors import TimestampUnavailable

    def replayed(request):
        query = tsp.TimeStampReq.load(request.content)
        replay = tsp.TimeStampReq({"version": "v1", "message_imprint": query["message_imprint"], "nonce": 7})
        return tsa.respond(replay.dump())

    with pytest.raises(TimestampUnavailable, match="nonce"):
        _client_answered_by(replayed).timestamp(hashlib.sha256(b"x").digest(), "sha256")


def test_tokens_carry_the_configured_policy_accuracy_and_an_ess_cert_id_v2(vault, pki):
    from datetime import timedelta

    from asn1crypto import cms

    authority = InProcessTimestampAuthority(
        vault=vault,
        key_ref=pki.tsa.key_ref,
        certificate=pki.tsa.der,
        clock=SystemClock(),
        policy_oid="1.3.6.1.4.1.99999.1.2",
        accuracy=timedelta(milliseconds=500),
    )
    token = cms.ContentInfo.load(authority.timestamp(hashlib.sha256(b"x").digest(), "sha256"))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["policy"].dotted == "1.3.6.1.4.1.99999.1.2"
    assert info["accuracy"].native == {"seconds": None, "millis": 500, "micros": None}
    attrs = {a["type"].native: a["values"][0] for a in token["content"]["signer_infos"][0]["signed_attrs"]}
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(pki.tsa.der).digest()
    assert attrs["content_type"].native == "tst_info"


def test_gen_time_comes_from_the_clock(vault, pki):
    from datetime import datetime, timezone

    from asn1crypto import cms

    from adapters.memory.clock import FixedClock

    clock = FixedClock(datetime(2026, 11, 28, 14, 5, 7, 123456, tzinfo=timezone.utc))
    authority = InProcessTimestampAuthority(
        vault=vault, key_ref=pki.tsa.key_ref, certificate=pki.tsa.der, clock=clock
    )
    token = cms.ContentInfo.load(authority.timestamp(hashlib.sha256(b"x").digest(), "sha256"))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["gen_time"].native == datetime(2026, 11, 28, 14, 5, 7, tzinfo=timezone.utc)


def test_the_tsa_is_built_from_the_cas_tsa_credential(pki):
    from asn1crypto import cms

    authority = InProcessTimestampAuthority.from_credential(
        vault=pki.vault, credential=pki.ca.tsa(), clock=SystemClock()
    )
    token = cms.ContentInfo.load(authority.timestamp(hashlib.sha256(b"x").digest(), "sha256"))
    embedded = [c.chosen.dump() for c in token["content"]["certificates"]]
    assert sorted(embedded) == sorted([pki.tsa.der, *pki.tsa_chain])  # a SET OF: DER order
