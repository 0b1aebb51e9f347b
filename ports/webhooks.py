"""Webhooks: where endpoints and deliveries are kept, and how a delivery leaves the building."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from domain.model.webhooks import WebhookDelivery, WebhookEndpoint, WebhookUrl


@runtime_checkable
class WebhookEndpointRepository(Protocol):
    def add(self, endpoint: WebhookEndpoint) -> None: ...

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        """Raise WebhookEndpointNotFound when absent."""
        ...

    def of_cabinet(self, cabinet_id: str) -> list[WebhookEndpoint]:
        """The cabinet's endpoints, oldest first."""
        ...

    def remove(self, endpoint: WebhookEndpoint) -> None:
        """Delete the endpoint and its delivery log."""
        ...


@runtime_checkable
class WebhookDeliveryRepository(Protocol):
    def add(self, delivery: WebhookDelivery) -> None:
        """Refuse (UniqueViolation, at once or at commit) a second delivery of one event to one endpoint."""
        ...

    def get(self, delivery_id: str) -> WebhookDelivery:
        """Raise WebhookDeliveryNotFound when absent."""
        ...

    def find(self, endpoint_id: str, event_id: str) -> WebhookDelivery | None: ...

    def of_endpoint(self, endpoint_id: str, *, limit: int = 100) -> list[WebhookDelivery]:
        """The endpoint's delivery log, newest first."""
        ...


class WebhookTransportError(Exception):
    """No HTTP answer: connection refused or reset, timeout, TLS failure. Worth retrying."""


@runtime_checkable
class WebhookSender(Protocol):
    def resolve(self, url: WebhookUrl) -> list[str]:
        """Every address the URL's host resolves to (an IP literal gives itself); [] if it does not resolve."""
        ...

    def post(self, url: WebhookUrl, *, address: str, headers: Mapping[str, str], body: bytes) -> int:
        """POST ``body`` to ``url`` by connecting to ``address`` (checked by the caller), never following
        redirects (a redirect could lead to a refused address); return the HTTP status.

        TLS is verified for the URL's host name, not for the address. Raise WebhookTransportError
        when no answer came.
        """
        ...
