"""Webhook endpoints and deliveries kept in dicts (the in-memory unit of work's tables), and a
sender that records requests and answers from a script."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from domain.model.errors import UniqueViolation, WebhookDeliveryNotFound, WebhookEndpointNotFound
from domain.model.webhooks import WebhookDelivery, WebhookEndpoint, WebhookUrl
from ports.webhooks import WebhookTransportError


class InMemoryWebhookEndpointRepository:
    def __init__(self, rows: dict[str, WebhookEndpoint], deliveries: dict[str, WebhookDelivery]) -> None:
        self.rows = rows
        self.deliveries = deliveries

    def add(self, endpoint: WebhookEndpoint) -> None:
        if endpoint.id in self.rows:
            raise UniqueViolation("duplicate webhook endpoint id")
        self.rows[endpoint.id] = endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        try:
            return self.rows[endpoint_id]
        except KeyError:
            raise WebhookEndpointNotFound(f"webhook endpoint {endpoint_id} not found") from None

    def of_cabinet(self, cabinet_id: str) -> list[WebhookEndpoint]:
        return sorted((e for e in self.rows.values() if e.cabinet_id == cabinet_id), key=lambda e: (e.created_at, e.id))

    def remove(self, endpoint: WebhookEndpoint) -> None:
        self.rows.pop(endpoint.id, None)
        for delivery_id in [d.id for d in self.deliveries.values() if d.endpoint_id == endpoint.id]:
            del self.deliveries[delivery_id]


class InMemoryWebhookDeliveryRepository:
    def __init__(self, rows: dict[str, WebhookDelivery]) -> None:
        self.rows = rows

    def add(self, delivery: WebhookDelivery) -> None:
        if delivery.id in self.rows or self.find(delivery.endpoint_id, delivery.event_id) is not None:
            raise UniqueViolation("this event already has a delivery to this endpoint")
        self.rows[delivery.id] = delivery

    def get(self, delivery_id: str) -> WebhookDelivery:
        try:
            return self.rows[delivery_id]
        except KeyError:
            raise WebhookDeliveryNotFound(f"webhook delivery {delivery_id} not found") from None

    def find(self, endpoint_id: str, event_id: str) -> WebhookDelivery | None:
        return next((d for d in self.rows.values() if d.endpoint_id == endpoint_id and d.event_id == event_id), None)

    def of_endpoint(self, endpoint_id: str, *, limit: int = 100) -> list[WebhookDelivery]:
        found = [d for d in self.rows.values() if d.endpoint_id == endpoint_id]
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)[:limit]


@frozen
class SentWebhook:
    url: str
    address: str
    headers: dict[str, str]
    body: bytes


class RecordingWebhookSender:
    """Resolves from a table (unknown hosts do not resolve; IP literals give themselves) and answers
    each POST with the next scripted status (an exception instance is raised), 200 when none is left."""

    def __init__(self, hosts: Mapping[str, list[str]] | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.script: list[int | Exception] = []
        self.sent: list[SentWebhook] = []

    def resolve(self, url: WebhookUrl) -> list[str]:
        import ipaddress

        try:
            return [str(ipaddress.ip_address(url.host))]
        except ValueError:
            return list(self.hosts.get(url.host, []))

    def post(self, url: WebhookUrl, *, address: str, headers: Mapping[str, str], body: bytes) -> int:
        self.sent.append(SentWebhook(url=str(url), address=address, headers=dict(headers), body=body))
        answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, WebhookTransportError):
            raise answer
        if isinstance(answer, Exception):
            raise WebhookTransportError(str(answer))
        return answer
