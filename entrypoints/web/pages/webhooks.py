"""« Webhooks » in the cabinet's settings (owner only): endpoints, secret shown once, delivery log
with « Renvoyer ». The signing secret is rendered in the answer to the POST that made it, never put
in the session or a redirect."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.model.errors import DomainError
from domain.model.webhooks import REPLAY_WINDOW, SIGNATURE_HEADER, WebhookEvent
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    field_errors,
    flash,
    form_error_status,
    form_value,
    redirect_after,
    refusal,
    render,
    see_other,
)

EVENT_LABELS = {
    WebhookEvent.COLLECTION_SENT.value: N_("Collecte envoyée"),
    WebhookEvent.SIGNER_OPENED.value: N_("Document ouvert par un signataire"),
    WebhookEvent.SIGNER_SIGNED.value: N_("Signature d’un signataire"),
    WebhookEvent.SIGNER_REFUSED.value: N_("Refus d’un signataire"),
    WebhookEvent.COLLECTION_COMPLETED.value: N_("Collecte terminée"),
    WebhookEvent.COLLECTION_REFUSED.value: N_("Collecte refusée"),
    WebhookEvent.COLLECTION_EXPIRED.value: N_("Collecte expirée"),
    WebhookEvent.COLLECTION_CANCELLED.value: N_("Collecte annulée"),
    WebhookEvent.CERTIFICATE_ISSUED.value: N_("Certificat émis"),
    WebhookEvent.ENROLLMENT_STATUS_CHANGED.value: N_("Souscription QCP\u00a0: changement d’étape"),
}
STATUS_LABELS = {"pending": N_("En cours"), "delivered": N_("Remis"), "failed": N_("Échec")}
NO_ANSWER = N_("Pas de réponse")


def _cabinet(viewer: Viewer) -> str:
    if viewer.current is None:
        raise NotFoundException()
    return viewer.current.cabinet_id


def _page(request: Request, viewer: Viewer, use_cases: UseCases, *, status: int = 200, **context: Any) -> Template:
    endpoints: list[Any] = []
    try:
        endpoints = use_cases.list_webhook_endpoints(cabinet_id=_cabinet(viewer), by_person_id=viewer.person_id)
    except DomainError as exc:
        context.setdefault("errors", {"_page": error_text(request, exc)})
        status = describe(exc).status if status == 200 else status
        context["forbidden"] = True
    return render(request, "cabinet/webhooks.html", status=status, viewer=viewer, endpoints=endpoints,
                  event_labels=EVENT_LABELS, events=[e.value for e in WebhookEvent],
                  signature_header=SIGNATURE_HEADER, replay_minutes=int(REPLAY_WINDOW.total_seconds() // 60),
                  **context)


@get("/cabinet/webhooks", name="webhooks", sync_to_thread=True)
def webhooks(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return _page(request, viewer, use_cases)


@post("/cabinet/webhooks", name="add_webhook", sync_to_thread=True)
def add_webhook(request: Request, data: FormData, viewer: NamedDependency[Viewer],
                use_cases: NamedDependency[UseCases]) -> Template:
    url = form_value(data, "url")
    events = [e.value for e in WebhookEvent if checked(data, f"event_{e.value}")]
    values = {"url": url, **{f"event_{e}": "on" for e in events}}
    if not url:
        return _page(request, viewer, use_cases, status=400, values=values,
                     errors={"url": N_("Indiquez l’adresse (URL) qui recevra les événements.")})
    try:
        created = use_cases.create_webhook_endpoint(cabinet_id=_cabinet(viewer), by_person_id=viewer.person_id,
                                                    url=url, events=events)
    except DomainError as exc:
        status, errors = field_errors(request, exc, default_field="_add")
        return _page(request, viewer, use_cases, status=form_error_status(status), values=values, errors=errors)
    return _page(request, viewer, use_cases, secret=created.secret, secret_for=created.endpoint.url)


@post("/cabinet/webhooks/{endpoint_id:str}/supprimer", name="delete_webhook", sync_to_thread=True)
def delete_webhook(request: Request, endpoint_id: FromPath[str], viewer: NamedDependency[Viewer],
                   use_cases: NamedDependency[UseCases]) -> Response:
    return redirect_after(
        request, lambda: use_cases.delete_webhook_endpoint(cabinet_id=_cabinet(viewer), by_person_id=viewer.person_id,
                                                           endpoint_id=endpoint_id),
        "/cabinet/webhooks", message=N_("Webhook supprimé."),
        refused=lambda exc: _page(request, viewer, use_cases, **refusal(request, exc, "_list")))


@post("/cabinet/webhooks/{endpoint_id:str}/secret", name="rotate_webhook_secret", sync_to_thread=True)
def rotate_secret(request: Request, endpoint_id: FromPath[str], viewer: NamedDependency[Viewer],
                  use_cases: NamedDependency[UseCases]) -> Template:
    try:
        secret = use_cases.rotate_webhook_secret(cabinet_id=_cabinet(viewer), by_person_id=viewer.person_id,
                                                 endpoint_id=endpoint_id)
        endpoint = use_cases.webhook_endpoint(cabinet_id=_cabinet(viewer), by_person_id=viewer.person_id,
                                              endpoint_id=endpoint_id)
    except DomainError as exc:
        return _page(request, viewer, use_cases, status=form_error_status(describe(exc).status),
                     errors={"_list": error_text(request, exc)})
    return _page(request, viewer, use_cases, secret=secret, secret_for=endpoint.url, rotated=True)


@get("/cabinet/webhooks/{endpoint_id:str}", name="webhook_log", sync_to_thread=True)
def webhook_log(request: Request, endpoint_id: FromPath[str], viewer: NamedDependency[Viewer],
                use_cases: NamedDependency[UseCases]) -> Template:
    cabinet_id = _cabinet(viewer)
    try:
        endpoint = use_cases.webhook_endpoint(cabinet_id=cabinet_id, by_person_id=viewer.person_id,
                                              endpoint_id=endpoint_id)
        deliveries = use_cases.list_webhook_deliveries(cabinet_id=cabinet_id, by_person_id=viewer.person_id,
                                                       endpoint_id=endpoint_id)
    except DomainError as exc:
        if describe(exc).status == 404:
            raise NotFoundException() from exc
        return _page(request, viewer, use_cases, status=describe(exc).status)
    return render(request, "cabinet/webhook_log.html", viewer=viewer, endpoint=endpoint, deliveries=deliveries,
                  event_labels=EVENT_LABELS, status_labels=STATUS_LABELS, no_answer=NO_ANSWER)


@post("/cabinet/webhooks/{endpoint_id:str}/envois/{delivery_id:str}/renvoyer", name="redeliver_webhook",
      sync_to_thread=True)
def redeliver(request: Request, endpoint_id: FromPath[str], delivery_id: FromPath[str],
              viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    try:
        use_cases.redeliver_webhook(cabinet_id=_cabinet(viewer), by_person_id=viewer.person_id,
                                    endpoint_id=endpoint_id, delivery_id=delivery_id)
    except DomainError as exc:
        if describe(exc).status == 404:
            raise NotFoundException() from exc
        flash(request, error_text(request, exc), "error")
        return see_other(f"/cabinet/webhooks/{endpoint_id}")
    flash(request, N_("Envoi programmé\u00a0: l’événement part à nouveau dans quelques secondes."))
    return see_other(f"/cabinet/webhooks/{endpoint_id}#envoi-{delivery_id}")


webhooks_router = Router(path="/", route_handlers=[
    webhooks, add_webhook, delete_webhook, rotate_secret, webhook_log, redeliver,
], dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
