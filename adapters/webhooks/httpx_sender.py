"""The WebhookSender on httpx: resolve the host, then connect to the address the domain approved.

Connecting to the checked address (not letting the HTTP client resolve the name again) closes the
DNS-rebinding gap between the check and the connection: the URL's host is replaced by the address,
the Host header and the TLS server name (SNI, and the certificate check) keep the host name.
Redirects are never followed: a 3xx is logged as a failed attempt.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx

from domain.model.webhooks import WebhookUrl
from ports.webhooks import WebhookTransportError

__all__ = ["HttpxWebhookSender", "system_resolver"]

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address getaddrinfo gives for ``host`` (IPv4 and IPv6), in its order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    found: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found


class HttpxWebhookSender:
    def __init__(self, *, resolver: Resolver = system_resolver, timeout: float = 10.0,
                 user_agent: str = "Seing-Webhooks/1", verify: object = True) -> None:
        self._resolver = resolver
        self._timeout = timeout
        self._user_agent = user_agent
        self._verify = verify

    def resolve(self, url: WebhookUrl) -> list[str]:
        try:
            return [str(ipaddress.ip_address(url.host))]
        except ValueError:
            return self._resolver(url.host, url.port)

    def post(self, url: WebhookUrl, *, address: str, headers: Mapping[str, str], body: bytes) -> int:
        parts = urlsplit(str(url))
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{url.port}"
        target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        sent_headers = {"User-Agent": self._user_agent, **headers, "Host": host_header or ""}
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False, verify=self._verify,  # type: ignore[arg-type]
                              trust_env=False) as client:
                response = client.post(target, content=body, headers=sent_headers,
                                       extensions={"sni_hostname": url.host})
                return response.status_code
        except httpx.HTTPError as error:
            raise WebhookTransportError(f"{type(error).__name__}: {error}") from error
