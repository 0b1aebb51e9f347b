"""Webhooks: a cabinet owner's endpoints, the worker's fan-out and delivery, the delivery log.

Events are recorded in the outbox in the transaction of the change they report
(``event_job``). The worker's ``dispatch_webhook_event`` turns one event into one delivery
per subscribed endpoint (idempotent: the event's job id is its id) and ``deliver_webhook``
sends one, outside any transaction, recording each attempt in the delivery's log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from attrs import frozen

from domain.model.cabinet import Member
from domain.model.errors import (
    NotFound,
    NotOwner,
    TooManyWebhookEndpoints,
    WebhookDeliveryNotFound,
    WebhookDestinationRefused,
    WebhookEndpointNotFound,
)
from domain.model.jobs import JobSpec
from domain.model.webhooks import (
    MAX_ENDPOINTS_PER_CABINET,
    SIGNATURE_HEADER,
    DeliveryAttempt,
    DeliveryStatus,
    DestinationPolicy,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookUrl,
    event_body,
    parse_events,
    signature_header,
)
from ports.clock import Clock
from ports.ids import IdGenerator
from ports.repositories import UnitOfWork
from ports.webhooks import WebhookSender, WebhookTransportError

__all__ = [
    "DeliveryOutcome", "EndpointCreated", "WebhookDeliveryView", "WebhookEndpointView", "create_webhook_endpoint",
    "delete_webhook_endpoint", "deliver_webhook", "dispatch_webhook_event", "list_webhook_deliveries",
    "list_webhook_endpoints", "redeliver_webhook", "rotate_webhook_secret", "webhook_endpoint",
]

UowFactory = Callable[[], UnitOfWork]
DELIVERY_JOB = "webhook_delivery"
_SECRET_PREFIX = "whsec_"


# -- read models ----------------------------------------------------------------------------------


@frozen
class WebhookEndpointView:
    endpoint_id: str
    url: str
    events: tuple[str, ...]
    created_at: datetime
    rotating_until: datetime | None  # the previous secret still signs until then

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, now: datetime) -> WebhookEndpointView:
        order = list(WebhookEvent)
        return cls(endpoint_id=endpoint.id, url=str(endpoint.url),
                   events=tuple(e.value for e in sorted(endpoint.events, key=order.index)),
                   created_at=endpoint.created_at,
                   rotating_until=endpoint.previous_secret_expires_at if endpoint.rotating(now) else None)


@frozen
class EndpointCreated:
    endpoint: WebhookEndpointView
    secret: str  # shown once


@frozen
class WebhookDeliveryView:
    delivery_id: str
    event_id: str
    event: str
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempts: tuple[DeliveryAttempt, ...]  # newest first
    body: str

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> WebhookDeliveryView:
        return cls(delivery_id=delivery.id, event_id=delivery.event_id, event=delivery.event.value,
                   status=delivery.status, created_at=delivery.created_at, next_attempt_at=delivery.next_attempt_at,
                   delivered_at=delivery.delivered_at, attempts=tuple(reversed(delivery.attempts)), body=delivery.body)


@frozen
class DeliveryOutcome:
    status: DeliveryStatus | None  # None: nothing to do (deleted, already done, a stale round)
    retry_at: datetime | None = None


# -- helpers --------------------------------------------------------------------------------------


def _owner(tx: UnitOfWork, cabinet_id: str, person_id: str) -> Member:
    member = tx.members.find(cabinet_id, person_id)
    if member is None:
        # Outsiders learn nothing about a cabinet, not even that it exists.
        raise NotFound("cabinet not found")
    if not member.is_owner:
        raise NotOwner("only an owner of the cabinet manages its webhooks")
    return member


def _endpoint(tx: UnitOfWork, cabinet_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = tx.webhook_endpoints.get(endpoint_id)
    if endpoint.cabinet_id != cabinet_id:
        raise WebhookEndpointNotFound("webhook endpoint not found")
    return endpoint


def _delivery_job(delivery: WebhookDelivery, run_at: datetime | None = None) -> JobSpec:
    return JobSpec(kind=DELIVERY_JOB, payload={"delivery_id": delivery.id, "round": str(delivery.round)},
                   run_at=run_at)


def _check_destination(sender: WebhookSender, policy: DestinationPolicy, url: WebhookUrl) -> str:
    policy.check_url(url)
    return policy.choose_address(url, sender.resolve(url))


# -- the owner's side -----------------------------------------------------------------------------


def create_webhook_endpoint(*, uow: UowFactory, clock: Clock, ids: IdGenerator, webhook_sender: WebhookSender,
                            webhook_policy: DestinationPolicy, cabinet_id: str, by_person_id: str, url: str,
                            events: Iterable[str]) -> EndpointCreated:
    """Subscribe a URL to events (owner only). The URL's host is resolved now and refused unless
    every address is public; it is checked again at each delivery (DNS may change)."""
    address = WebhookUrl(url)
    subscribed = parse_events(events)
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        if len(tx.webhook_endpoints.of_cabinet(cabinet_id)) >= MAX_ENDPOINTS_PER_CABINET:
            raise TooManyWebhookEndpoints("too many webhook endpoints", limit=MAX_ENDPOINTS_PER_CABINET)
    _check_destination(webhook_sender, webhook_policy, address)
    now = clock.now()
    secret = _SECRET_PREFIX + ids.new_token()
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        endpoint = WebhookEndpoint.create(id=ids.new_id(), cabinet_id=cabinet_id, url=address, events=subscribed,
                                          secret=secret, now=now, by_person_id=by_person_id)
        tx.webhook_endpoints.add(endpoint)
        tx.commit()
        return EndpointCreated(endpoint=WebhookEndpointView.of(endpoint, now), secret=secret)


def list_webhook_endpoints(*, uow: UowFactory, clock: Clock, cabinet_id: str,
                           by_person_id: str) -> list[WebhookEndpointView]:
    now = clock.now()
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        return [WebhookEndpointView.of(e, now) for e in tx.webhook_endpoints.of_cabinet(cabinet_id)]


def webhook_endpoint(*, uow: UowFactory, clock: Clock, cabinet_id: str, by_person_id: str,
                     endpoint_id: str) -> WebhookEndpointView:
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        return WebhookEndpointView.of(_endpoint(tx, cabinet_id, endpoint_id), clock.now())


def delete_webhook_endpoint(*, uow: UowFactory, cabinet_id: str, by_person_id: str, endpoint_id: str) -> None:
    """Deliveries still queued for it find nothing to do."""
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        tx.webhook_endpoints.remove(_endpoint(tx, cabinet_id, endpoint_id))
        tx.commit()


def rotate_webhook_secret(*, uow: UowFactory, clock: Clock, ids: IdGenerator, cabinet_id: str, by_person_id: str,
                          endpoint_id: str) -> str:
    """A new secret, shown once; for 24 hours every delivery carries a signature under each secret."""
    secret = _SECRET_PREFIX + ids.new_token()
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        _endpoint(tx, cabinet_id, endpoint_id).rotate_secret(secret, clock.now())
        tx.commit()
    return secret


def list_webhook_deliveries(*, uow: UowFactory, cabinet_id: str, by_person_id: str, endpoint_id: str,
                            limit: int = 100) -> list[WebhookDeliveryView]:
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        _endpoint(tx, cabinet_id, endpoint_id)
        return [WebhookDeliveryView.of(d) for d in tx.webhook_deliveries.of_endpoint(endpoint_id, limit=limit)]


def redeliver_webhook(*, uow: UowFactory, clock: Clock, cabinet_id: str, by_person_id: str, endpoint_id: str,
                      delivery_id: str) -> WebhookDeliveryView:
    """« Renvoyer »: the same body (same event id, so receivers can deduplicate), newly signed,
    in a new round of attempts."""
    with uow() as tx:
        _owner(tx, cabinet_id, by_person_id)
        _endpoint(tx, cabinet_id, endpoint_id)
        delivery = tx.webhook_deliveries.get(delivery_id)
        if delivery.endpoint_id != endpoint_id:
            raise WebhookDeliveryNotFound("webhook delivery not found")
        delivery.redeliver(clock.now())
        tx.jobs.enqueue(_delivery_job(delivery))
        tx.commit()
        return WebhookDeliveryView.of(delivery)


# -- the worker's side ----------------------------------------------------------------------------


def dispatch_webhook_event(*, uow: UowFactory, clock: Clock, ids: IdGenerator, event_id: str,
                           payload: dict[str, str]) -> list[str]:
    """One delivery per endpoint of the cabinet subscribed to the event; return their ids.
    Running twice creates nothing more (one delivery per event and endpoint)."""
    event = WebhookEvent(payload["event"])
    data = {k[5:]: v for k, v in payload.items() if k.startswith("data.")}
    if "collection_id" in payload:
        data.setdefault("collection_id", payload["collection_id"])
    now = clock.now()
    occurred_at = datetime.fromisoformat(payload["occurred_at"]) if "occurred_at" in payload else now
    created = []
    with uow() as tx:
        cabinet_id = payload.get("cabinet_id") or tx.collections.get(payload["collection_id"]).cabinet_id
        body = event_body(event_id=event_id, event=event, occurred_at=occurred_at, cabinet_id=cabinet_id, data=data)
        for endpoint in tx.webhook_endpoints.of_cabinet(cabinet_id):
            if not endpoint.subscribed(event) or tx.webhook_deliveries.find(endpoint.id, event_id) is not None:
                continue
            delivery = WebhookDelivery.new(id=ids.new_id(), endpoint=endpoint, event_id=event_id, event=event,
                                           body=body, now=now)
            tx.webhook_deliveries.add(delivery)
            tx.jobs.enqueue(_delivery_job(delivery))
            created.append(delivery.id)
        tx.commit()
    return created


def deliver_webhook(*, uow: UowFactory, clock: Clock, webhook_sender: WebhookSender,
                    webhook_policy: DestinationPolicy, delivery_id: str, round: int) -> DeliveryOutcome:
    """One attempt: check where the URL's host points now, sign, POST to the checked address, log.

    A 2xx is delivered; anything else is retried with backoff for 24 hours, then failed. A refused
    destination fails at once: waiting does not make a private address public.
    """
    with uow() as tx:
        try:
            delivery = tx.webhook_deliveries.get(delivery_id)
            endpoint = tx.webhook_endpoints.get(delivery.endpoint_id)
        except NotFound:
            return DeliveryOutcome(status=None)  # the endpoint was deleted since
        if not delivery.due(round):
            return DeliveryOutcome(status=None)
        now = clock.now()
        secrets = endpoint.valid_secrets(now)
        url, body, event = endpoint.url, delivery.body.encode(), delivery.event
    status_code: int | None = None
    error: str | None = None
    retryable = True
    try:
        address = _check_destination(webhook_sender, webhook_policy, url)
        timestamp = int(now.timestamp())
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature_header(secrets, timestamp, body),
                   "Seing-Event": event.value, "Seing-Event-Id": delivery.event_id, "Seing-Delivery": delivery_id}
        status_code = webhook_sender.post(url, address=address, headers=headers, body=body)
    except WebhookDestinationRefused as refused:
        error, retryable = f"destination refused: {refused.detail}", False
    except WebhookTransportError as failure:
        error = str(failure) or type(failure).__name__
    finished = clock.now()
    with uow() as tx:
        delivery = tx.webhook_deliveries.get(delivery_id)
        if not delivery.due(round):  # redelivered meanwhile: the new round's job takes over
            return DeliveryOutcome(status=None)
        if status_code is not None and 200 <= status_code < 300:
            delivery.record_success(at=finished, status_code=status_code)
            retry_at = None
        else:
            retry_at = delivery.record_failure(at=finished, status_code=status_code,
                                               error=error or f"HTTP {status_code}", retryable=retryable)
        tx.commit()
        return DeliveryOutcome(status=delivery.status, retry_at=retry_at)
