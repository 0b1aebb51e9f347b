"""A cabinet's webhooks (owner only): endpoints, their delivery log, « Renvoyer »."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from domain.model.api_keys import ApiScope
from domain.services.webhooks import EndpointCreated, WebhookDeliveryView, WebhookEndpointView
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import KEY_READ_SCOPE, KEY_SCOPE
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.problems import problem_responses

_ENDPOINT = "/{endpoint_id:str}"


@dataclass
class WebhookEndpointInput:
    """``url``: https (http and private addresses only where the operator allows them, for tests);
    ``events``: among collection.sent, signer.opened, signer.signed, signer.refused, collection.completed,
    collection.refused, collection.expired, collection.cancelled, certificate.issued,
    enrollment.status_changed."""

    url: str
    events: list[str]


@dataclass
class WebhookEndpoint:
    endpoint_id: str
    url: str
    events: list[str]
    created_at: datetime
    rotating_until: datetime | None  # the previous secret still signs deliveries until then

    @classmethod
    def of(cls, view: WebhookEndpointView) -> WebhookEndpoint:
        return cls(endpoint_id=view.endpoint_id, url=view.url, events=list(view.events), created_at=view.created_at,
                   rotating_until=view.rotating_until)


@dataclass
class WebhookEndpointCreated(WebhookEndpoint):
    secret: str = ""  # shown once: keep it to verify the Seing-Signature header

    @classmethod
    def created(cls, created: EndpointCreated) -> WebhookEndpointCreated:
        view = created.endpoint
        return cls(endpoint_id=view.endpoint_id, url=view.url, events=list(view.events), created_at=view.created_at,
                   rotating_until=view.rotating_until, secret=created.secret)


@dataclass
class WebhookSecret:
    secret: str  # shown once; the previous secret signs too for 24 hours


@dataclass
class WebhookAttempt:
    at: datetime
    status_code: int | None  # None: no HTTP answer (refused destination, timeout, connection)
    error: str | None


@dataclass
class WebhookDelivery:
    delivery_id: str
    event_id: str
    event: str
    status: str  # pending, delivered, failed
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempts: list[WebhookAttempt]  # newest first
    body: str  # exactly the bytes signed and sent (UTF-8)

    @classmethod
    def of(cls, view: WebhookDeliveryView) -> WebhookDelivery:
        return cls(delivery_id=view.delivery_id, event_id=view.event_id, event=view.event, status=view.status.value,
                   created_at=view.created_at, next_attempt_at=view.next_attempt_at, delivered_at=view.delivered_at,
                   attempts=[WebhookAttempt(at=a.at, status_code=a.status_code, error=a.error) for a in view.attempts],
                   body=view.body)


class WebhooksController(Controller):
    path = "/cabinets/{cabinet_id:str}/webhooks"
    tags = ["Webhooks"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    # An integrator's script manages its own endpoints with an admin key (reading them too: the log
    # shows the bodies sent, which a read key must not see); the key's cabinet only. Not idempotent,
    # like the keys' creation: creating and rotating answer a secret that a replay would keep in clear.
    opt = {KEY_SCOPE: ApiScope.ADMIN, KEY_READ_SCOPE: ApiScope.ADMIN}

    @post(operation_id="createWebhookEndpoint", summary="Ajouter un webhook", status_code=HTTP_201_CREATED,
          dto=CattrsDTO[WebhookEndpointInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def create(self, cabinet_id: FromPath[str], person_id: NamedDependency[str], data: JSONBody[WebhookEndpointInput],
               use_cases: NamedDependency[UseCases]) -> Response[WebhookEndpointCreated]:
        """Subscribe a URL to events (owner only). The answer holds the signing secret, shown only here.

        A URL whose host resolves to a loopback, private, link-local or metadata address is refused
        (422 ``webhook.destination_refused``); it is checked again at each delivery."""
        created = use_cases.create_webhook_endpoint(cabinet_id=cabinet_id, by_person_id=person_id, url=data.url,
                                                    events=data.events)
        return Response(WebhookEndpointCreated.created(created), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/cabinets/{cabinet_id}/webhooks/{created.endpoint.endpoint_id}"})

    @get(operation_id="listWebhookEndpoints", summary="Webhooks du cabinet", sync_to_thread=True,
         responses=problem_responses(401, 403, 404))
    def endpoints(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
             use_cases: NamedDependency[UseCases]) -> list[WebhookEndpoint]:
        """The cabinet's endpoints, oldest first (owner only; secrets are never listed)."""
        return [WebhookEndpoint.of(v) for v in use_cases.list_webhook_endpoints(cabinet_id=cabinet_id,
                                                                                 by_person_id=person_id)]

    @delete(_ENDPOINT, operation_id="deleteWebhookEndpoint", summary="Supprimer un webhook",
            status_code=HTTP_204_NO_CONTENT, sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def remove(self, cabinet_id: FromPath[str], endpoint_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> None:
        """Delete the endpoint and its delivery log; deliveries under way stop."""
        use_cases.delete_webhook_endpoint(cabinet_id=cabinet_id, by_person_id=person_id, endpoint_id=endpoint_id)

    @post(_ENDPOINT + "/secret", operation_id="rotateWebhookSecret", summary="Changer le secret",
          status_code=HTTP_201_CREATED, sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def rotate(self, cabinet_id: FromPath[str], endpoint_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> WebhookSecret:
        """A new secret, shown once. For 24 hours each delivery carries one ``v1`` signature per secret."""
        return WebhookSecret(secret=use_cases.rotate_webhook_secret(cabinet_id=cabinet_id, by_person_id=person_id,
                                                                    endpoint_id=endpoint_id))

    @get(_ENDPOINT + "/deliveries", operation_id="listWebhookDeliveries", summary="Journal des envois",
         sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def deliveries(self, cabinet_id: FromPath[str], endpoint_id: FromPath[str], person_id: NamedDependency[str],
                   use_cases: NamedDependency[UseCases]) -> list[WebhookDelivery]:
        """The endpoint's last 100 deliveries, newest first, each with its attempts."""
        return [WebhookDelivery.of(v) for v in use_cases.list_webhook_deliveries(
            cabinet_id=cabinet_id, by_person_id=person_id, endpoint_id=endpoint_id)]

    @post(_ENDPOINT + "/deliveries/{delivery_id:str}/redeliver", operation_id="redeliverWebhook",
          summary="Renvoyer", status_code=202, sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def redeliver(self, cabinet_id: FromPath[str], endpoint_id: FromPath[str], delivery_id: FromPath[str],
                  person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> WebhookDelivery:
        """« Renvoyer »: the same event (same id and body), newly signed, in a new round of attempts."""
        return WebhookDelivery.of(use_cases.redeliver_webhook(cabinet_id=cabinet_id, by_person_id=person_id,
                                                              endpoint_id=endpoint_id, delivery_id=delivery_id))
