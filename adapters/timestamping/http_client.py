"""RFC 3161 over HTTP (RFC 3161 §3.4): POST a TimeStampReq, read a TimeStampResp."""

from __future__ import annotations

import secrets
import socket

import httpx
from asn1crypto import tsp

from adapters.timestamping._asn1 import TimeStampResp
from domain.model.errors import TimestampUnavailable
from ports.providers import ProviderConfig
from ports.timestamping import HASH_ALGORITHMS, TIMESTAMP_QUERY_MEDIA_TYPE, TIMESTAMP_REPLY_MEDIA_TYPE

__all__ = ["HttpTimestampClient", "factory"]


class HttpTimestampClient:
    """A ``TimestampAuthority`` backed by a remote TSA.

    The reply is checked before being trusted to carry our digest: granted status, same
    message imprint, same nonce. Checking the TSA's signature and certificate is the
    validator's job (pyHanko does it when the token is embedded and validated).

    Args:
        url: the TSA endpoint.
        timeout: seconds for connect and read.
        client: an ``httpx.Client`` to reuse (connection pooling); one is made if None.
    """

    def __init__(self, url: str, timeout: float = 10.0, *, client: httpx.Client | None = None) -> None:
        self._url = url
        self._client = client or httpx.Client(timeout=timeout)
        self._timeout = timeout

    def close(self) -> None:
        self._client.close()

    def timestamp(self, digest: bytes, hash_algorithm: str, nonce: int | None = None) -> bytes:
        if hash_algorithm not in HASH_ALGORITHMS:
            raise TimestampUnavailable(f"unsupported hash algorithm {hash_algorithm}")
        if nonce is None:
            nonce = secrets.randbits(63)
        query = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm}, "hashed_message": digest},
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
        try:
            reply = self._client.post(
                self._url,
                content=query,
                headers={"Content-Type": TIMESTAMP_QUERY_MEDIA_TYPE, "Accept": TIMESTAMP_REPLY_MEDIA_TYPE},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise TimestampUnavailable(f"TSA unreachable at {self._url}: {exc}") from exc
        if reply.status_code != 200:
            raise TimestampUnavailable(f"TSA answered HTTP {reply.status_code}")
        media_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != TIMESTAMP_REPLY_MEDIA_TYPE:
            raise TimestampUnavailable(f"TSA answered {media_type or 'no content type'}")
        try:
            response = TimeStampResp.load(reply.content, strict=True)
            status = response["status"]["status"].native
            if status not in ("granted", "granted_with_mods"):
                reasons = "; ".join(response["status"]["status_string"].native or [])
                raise TimestampUnavailable(f"TSA refused the request: {status} {reasons}".strip())
            token = response["time_stamp_token"]
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            imprint = tst_info["message_imprint"]
            if imprint["hash_algorithm"]["algorithm"].native != hash_algorithm:
                raise TimestampUnavailable("TSA stamped another hash algorithm")
            if imprint["hashed_message"].native != digest:
                raise TimestampUnavailable("TSA stamped another digest")
            if tst_info["nonce"].native != nonce:
                raise TimestampUnavailable("TSA did not echo our nonce")
            return token.dump()
        except TimestampUnavailable:
            raise
        except Exception as exc:  # malformed DER from a remote party
            raise TimestampUnavailable(f"TSA reply is not a valid TimeStampResp: {exc}") from exc


def factory(config: ProviderConfig) -> HttpTimestampClient:
    """Entry point ``http`` of ``seing.timestamp_authorities``: an RFC 3161 TSA at option ``url``."""
    return HttpTimestampClient(config.require("url"), float(config.option("timeout_seconds", "10")))


class _HttpTsaContractHooks:
    """What ``ports.contracts.providers.contract_for`` mixes into the TSA contract: a client of
    a loopback port nobody listens on."""

    def make_unavailable_adapter(self) -> HttpTimestampClient:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return HttpTimestampClient(f"http://127.0.0.1:{port}/pki/tsa", timeout=2)


factory.contract_hooks = _HttpTsaContractHooks  # type: ignore[attr-defined]
