"""Webhooks: a cabinet's endpoints, the events they subscribe to, and each delivery's log.

The domain decides what is sent (the event body), how it is signed (HMAC-SHA256 over
``<unix timestamp>.<body>``), which destinations are refused (anything but public
addresses, against server-side request forgery) and when a failed delivery is retried
(exponential backoff for 24 hours, then failed). Sending bytes is the WebhookSender port's job.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from attrs import define, field, frozen

from domain.model.errors import (
    InvalidWebhookUrl,
    NoWebhookEvents,
    UnknownWebhookEvent,
    WebhookDestinationRefused,
)
from domain.model.jobs import JobSpec

__all__ = [
    "DeliveryAttempt", "DeliveryStatus", "DestinationPolicy", "MAX_ENDPOINTS_PER_CABINET", "REPLAY_WINDOW",
    "RETRY_WINDOW", "SECRET_OVERLAP", "SIGNATURE_HEADER", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent",
    "WebhookUrl", "event_job", "parse_events", "retry_delay", "sign", "signature_header",
]

SIGNATURE_HEADER = "Seing-Signature"
# Receivers refuse a signature whose timestamp is further than this from their clock (replays).
REPLAY_WINDOW = timedelta(minutes=5)
# After a rotation, the previous secret still signs every delivery for this long.
SECRET_OVERLAP = timedelta(hours=24)
# A delivery is retried for this long after its round started, then marked failed.
RETRY_WINDOW = timedelta(hours=24)
MAX_ENDPOINTS_PER_CABINET = 20
_MAX_ATTEMPTS_KEPT = 50
_MAX_ERROR = 300


class WebhookEvent(enum.Enum):
    COLLECTION_SENT = "collection.sent"
    SIGNER_OPENED = "signer.opened"
    SIGNER_SIGNED = "signer.signed"
    SIGNER_REFUSED = "signer.refused"
    COLLECTION_COMPLETED = "collection.completed"
    COLLECTION_REFUSED = "collection.refused"
    COLLECTION_EXPIRED = "collection.expired"
    COLLECTION_CANCELLED = "collection.cancelled"
    CERTIFICATE_ISSUED = "certificate.issued"
    ENROLLMENT_STATUS_CHANGED = "enrollment.status_changed"


def parse_events(names: Iterable[str]) -> frozenset[WebhookEvent]:
    events = set()
    for name in names:
        try:
            events.add(WebhookEvent(name.strip()))
        except ValueError:
            raise UnknownWebhookEvent(f"unknown event {name!r}", event=name) from None
    if not events:
        raise NoWebhookEvents("an endpoint subscribes to at least one event")
    return frozenset(events)


@frozen
class WebhookUrl:
    """An absolute http(s) URL with a host and no credentials; http is refused by the policy."""

    value: str = field(converter=lambda v: str(v).strip())

    @value.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not value or len(value) > 2000:
            raise InvalidWebhookUrl("a webhook URL has 1 to 2000 characters")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port out of range
        except ValueError:
            raise InvalidWebhookUrl("not a URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidWebhookUrl("an absolute http(s) URL is required")
        if parts.username is not None or parts.password is not None:
            raise InvalidWebhookUrl("credentials in the URL are refused; the signature authenticates us")
        if parts.fragment or any(c.isspace() for c in value):
            raise InvalidWebhookUrl("no fragment nor spaces in a webhook URL")

    @property
    def scheme(self) -> str:
        return urlsplit(self.value).scheme

    @property
    def host(self) -> str:
        return urlsplit(self.value).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.value)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def __str__(self) -> str:
        return self.value


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; loopback, RFC 1918, link-local (cloud metadata
    169.254.169.254 included), carrier-grade NAT, unique-local IPv6, multicast and reserved are not."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 64:ff9b::/96 (NAT64) reach IPv4 addresses: judge those.
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip in ipaddress.ip_network("64:ff9b::/96"):
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_global and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


@frozen
class DestinationPolicy:
    """Where webhooks may go. ``allow_private`` is an operator setting for tests and labs only."""

    allow_private: bool = False

    def check_url(self, url: WebhookUrl) -> None:
        if url.scheme != "https" and not self.allow_private:
            raise InvalidWebhookUrl("webhooks are delivered over https only")
        if not self.allow_private:
            try:
                literal = ipaddress.ip_address(url.host)
            except ValueError:
                return
            if not is_public_address(str(literal)):
                raise WebhookDestinationRefused(f"{url.host} is not a public address", host=url.host)

    def choose_address(self, url: WebhookUrl, addresses: Sequence[str]) -> str:
        """The address to connect to, among those the host resolved to. Every one must be public:
        a name resolving to one public and one private address could be made to reach the latter."""
        if not addresses:
            raise WebhookDestinationRefused(f"{url.host} does not resolve", host=url.host)
        if not self.allow_private:
            for address in addresses:
                if not is_public_address(address):
                    # The address stays out of the params: problem details would tell a caller how
                    # internal names resolve. The delivery log (owner only) keeps it in the detail.
                    raise WebhookDestinationRefused(f"{url.host} resolves to {address}, not a public address",
                                                    host=url.host)
        return addresses[0]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``<timestamp>.<body>`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex>[,v1=<hex>]``: one v1 per valid secret, so a receiver holding either the
    new or the previous secret accepts a delivery during a rotation."""
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets)])


def retry_delay(attempt: int) -> timedelta:
    """Delay after the ``attempt``-th failure (1-based): 30 s, 1 min, 2 min… then every hour."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    return min(timedelta(seconds=30) * 2 ** min(attempt - 1, 20), timedelta(hours=1))


@define(eq=False)
class WebhookEndpoint:
    id: str
    cabinet_id: str
    url: WebhookUrl
    events: frozenset[WebhookEvent]
    secret: str
    created_at: datetime
    created_by: str  # person id
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None

    @classmethod
    def create(cls, *, id: str, cabinet_id: str, url: WebhookUrl, events: frozenset[WebhookEvent], secret: str,
               now: datetime, by_person_id: str) -> WebhookEndpoint:
        if not events:
            raise NoWebhookEvents("an endpoint subscribes to at least one event")
        return cls(id=id, cabinet_id=cabinet_id, url=url, events=frozenset(events), secret=secret, created_at=now,
                   created_by=by_person_id)

    def subscribed(self, event: WebhookEvent) -> bool:
        return event in self.events

    def valid_secrets(self, now: datetime) -> tuple[str, ...]:
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return (self.secret, self.previous_secret)
        return (self.secret,)

    def rotate_secret(self, new_secret: str, now: datetime) -> None:
        """The new secret signs from now on; the current one keeps signing for SECRET_OVERLAP."""
        self.previous_secret = self.secret
        self.previous_secret_expires_at = now + SECRET_OVERLAP
        self.secret = new_secret

    def rotating(self, now: datetime) -> bool:
        return len(self.valid_secrets(now)) == 2


class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@frozen
class DeliveryAttempt:
    at: datetime
    status_code: int | None = None  # None: no HTTP answer (refused destination, timeout, connection)
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@define(eq=False)
class WebhookDelivery:
    """One event for one endpoint. A round is one delivery effort (the first one, or a
    « Renvoyer »); jobs name their round, so a job left from an earlier round does nothing."""

    id: str
    endpoint_id: str
    cabinet_id: str
    event_id: str
    event: WebhookEvent
    body: str
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    round: int = 1
    round_started_at: datetime | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    attempts: list[DeliveryAttempt] = field(factory=list)

    @classmethod
    def new(cls, *, id: str, endpoint: WebhookEndpoint, event_id: str, event: WebhookEvent, body: str,
            now: datetime) -> WebhookDelivery:
        return cls(id=id, endpoint_id=endpoint.id, cabinet_id=endpoint.cabinet_id, event_id=event_id, event=event,
                   body=body, created_at=now, round_started_at=now, next_attempt_at=now)

    def due(self, round: int) -> bool:
        return self.status is DeliveryStatus.PENDING and self.round == round

    def _record(self, attempt: DeliveryAttempt) -> None:
        self.attempts = [*self.attempts, attempt][-_MAX_ATTEMPTS_KEPT:]

    def _attempts_this_round(self) -> int:
        start = self.round_started_at or self.created_at
        return sum(1 for a in self.attempts if a.at >= start)

    def record_success(self, *, at: datetime, status_code: int) -> None:
        self._record(DeliveryAttempt(at=at, status_code=status_code))
        self.status, self.delivered_at, self.next_attempt_at = DeliveryStatus.DELIVERED, at, None

    def record_failure(self, *, at: datetime, status_code: int | None, error: str | None,
                       retryable: bool = True) -> datetime | None:
        """Log the failed attempt; return when to try again, or None once the 24 hours are spent
        (or for a refusal that waiting cannot cure): the delivery is then failed."""
        self._record(DeliveryAttempt(at=at, status_code=status_code, error=(error or None) and error[:_MAX_ERROR]))
        retry_at = at + retry_delay(self._attempts_this_round())
        if retryable and retry_at <= (self.round_started_at or self.created_at) + RETRY_WINDOW:
            self.next_attempt_at = retry_at
            return retry_at
        self.status, self.next_attempt_at = DeliveryStatus.FAILED, None
        return None

    def redeliver(self, now: datetime) -> int:
        """« Renvoyer »: a new round of attempts with the same body, starting now."""
        self.round += 1
        self.status, self.round_started_at, self.next_attempt_at = DeliveryStatus.PENDING, now, now
        return self.round

    @property
    def last_attempt(self) -> DeliveryAttempt | None:
        return self.attempts[-1] if self.attempts else None


def event_body(*, event_id: str, event: WebhookEvent, occurred_at: datetime, cabinet_id: str,
               data: Mapping[str, str]) -> str:
    """The JSON every subscriber of the event receives; compact and stable (sorted keys)."""
    return json.dumps({"id": event_id, "type": event.value, "created_at": occurred_at.isoformat(),
                       "cabinet_id": cabinet_id, "data": dict(data)}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def event_job(event: WebhookEvent, *, cabinet_id: str, occurred_at: datetime, **data: str) -> JobSpec:
    """The outbox record of an event, enqueued in the transaction of the change it reports; the
    worker fans it out to the cabinet's subscribed endpoints (``dispatch_webhook_event``)."""
    payload = {"event": event.value, "cabinet_id": cabinet_id, "occurred_at": occurred_at.isoformat()}
    payload.update({f"data.{k}": v for k, v in data.items() if v is not None})
    # Kept at the top level too: older jobs and the worker's logs name the collection this way.
    if "collection_id" in data:
        payload["collection_id"] = data["collection_id"]
    return JobSpec(kind="webhook_event", payload=payload)
