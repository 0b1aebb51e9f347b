"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from pony.orm import desc

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.errors import (
    WebhookDeliveryNotFound,
    WebhookEndpointNotFound,
)
from domain.model.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = ["PonyWebhookDeliveryRepository", "PonyWebhookEndpointRepository"]


class PonyWebhookEndpointRepository(PonyRepository):
    kind, entity_name = "webhook_endpoint", "WebhookEndpointRow"
    not_found = WebhookEndpointNotFound
    to_domain = staticmethod(mappers.webhook_endpoint_from_row)
    columns = staticmethod(mappers.webhook_endpoint_columns)

    def add(self, endpoint: WebhookEndpoint) -> None:
        self._add(endpoint)

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return self._get(endpoint_id)  # type: ignore[no-any-return]

    def of_cabinet(self, cabinet_id: str) -> list[WebhookEndpoint]:
        return self._select(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda e: e.cabinet_id == cabinet_id).order_by(lambda e: (e.created_at, e.id)))

    def remove(self, endpoint: WebhookEndpoint) -> None:
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            for row in self._uow.entity("WebhookDeliveryRow").select(lambda d: d.endpoint_id == endpoint.id)[:]:
                self._uow.forget(("webhook_delivery", row.id))
                row.delete()
            row = self._rows.get(id=endpoint.id)
            if row is not None:
                row.delete()
            self._uow.forget((self.kind, endpoint.id))


class PonyWebhookDeliveryRepository(PonyRepository):
    kind, entity_name = "webhook_delivery", "WebhookDeliveryRow"
    not_found = WebhookDeliveryNotFound
    to_domain = staticmethod(mappers.webhook_delivery_from_row)
    columns = staticmethod(mappers.webhook_delivery_columns)

    def add(self, delivery: WebhookDelivery) -> None:
        self._add(delivery)

    def get(self, delivery_id: str) -> WebhookDelivery:
        return self._get(delivery_id)  # type: ignore[no-any-return]

    def find(self, endpoint_id: str, event_id: str) -> WebhookDelivery | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda d: d.endpoint_id == endpoint_id and d.event_id == event_id).order_by(lambda d: d.id))

    def of_endpoint(self, endpoint_id: str, *, limit: int = 100) -> list[WebhookDelivery]:
        return self._select(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda d: d.endpoint_id == endpoint_id).order_by(lambda d: (desc(d.created_at), desc(d.id)))[:limit])
