"""What the HTTP SMS providers share: one POST, and its outcome sorted into retry or give up.

Retry (DeliveryError): no connection, no answer in time, 408, 429 and 5xx, after which the
provider may well accept the same request. Give up (PermanentDeliveryError): any other
answer that is not 2xx (invalid number, credentials refused, no credit, a base URL that
redirects): sending it again gets the same answer, so the worker marks the job failed at once.

A timeout after the provider accepted the message means the retry sends it twice; the
worker's delivery is at least once anyway, and a second code SMS is harmless (the latest
code is the one that counts).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ports.messaging import DeliveryError, PermanentDeliveryError

__all__ = ["GSM_7", "HttpSmsClient", "is_gsm_7"]

# GSM 03.38 default alphabet and its extension table (the extension characters cost two
# septets but need no Unicode message). Anything else (ê, ç, «, ’, non-breaking spaces)
# needs a UCS-2 message, or the provider replaces it.
GSM_7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "\f^{}\\[~]|€")

_RETRYABLE_STATUSES = frozenset({408, 425, 429})
_MAX_DETAIL = 300


def is_gsm_7(text: str) -> bool:
    return all(char in GSM_7 for char in text)


class HttpSmsClient:
    """One provider's endpoint; ``post`` returns the decoded JSON answer of a 2xx."""

    def __init__(self, provider: str, base_url: str, *, timeout: float,
                 auth: httpx.Auth | None = None, headers: dict[str, str] | None = None) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"the {provider} API URL must start with https:// (or http:// for a local stub), "
                             f"not {base_url!r}")
        self._provider = provider
        # Redirects are not followed: a POST that the provider answers with 3xx means a wrong
        # base URL, and replaying credentials to another host is not ours to decide.
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, auth=auth,
                                    headers=headers or {}, follow_redirects=False)

    def post(self, path: str, **request: Any) -> Any:
        try:
            response = self._client.post(path, **request)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{self._provider}: no answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:  # connection refused, DNS, TLS, protocol errors
            raise DeliveryError(f"{self._provider}: cannot reach the API: {exc}") from exc
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                return None  # accepted; the receipt only serves the logs
        detail = f"{self._provider} answered {response.status_code}: {_detail(response)}"
        if response.status_code >= 500 or response.status_code in _RETRYABLE_STATUSES:
            raise DeliveryError(detail)
        raise PermanentDeliveryError(detail, code=_provider_code(response))

    def close(self) -> None:
        self._client.close()


def _provider_code(response: httpx.Response) -> str:
    """The provider's reason code (``code`` of Brevo's and Twilio's error bodies), else the status."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    return str(code)[:40] if code not in (None, "") else str(response.status_code)


def _detail(response: httpx.Response) -> str:
    """The provider's own code and message when its error body has them (Brevo and Twilio
    both answer ``{"code": ..., "message": ...}``), else the start of the body."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict) and ("code" in body or "message" in body):
        text = f"{body.get('code', '?')} {body.get('message', '')}".strip()
    else:
        text = response.text.strip() or response.reason_phrase
    return text[:_MAX_DETAIL]
