"""Worker handlers of the webhook jobs, for the container."""

from __future__ import annotations

from typing import Callable

from domain.model.jobs import Job
from domain.model.webhooks import DeliveryStatus
from domain.services.webhooks import DeliveryOutcome
from entrypoints.worker import PermanentJobError, RetryAt

__all__ = ["webhook_deliverer", "webhook_dispatcher"]


def webhook_dispatcher(dispatch: Callable[..., list[str]]) -> Callable[[Job], None]:
    """``webhook_event``: one delivery per subscribed endpoint; the job's id is the event's id,
    so running the job twice delivers nothing twice."""

    def handle(job: Job) -> None:
        dispatch(event_id=job.id, payload=job.spec.payload_dict())

    return handle


def webhook_deliverer(deliver: Callable[..., DeliveryOutcome]) -> Callable[[Job], None]:
    """``webhook_delivery``: one attempt; the delivery's own schedule (24 hours of backoff) decides
    when the job runs again, and a failed delivery fails its job for the operators to see."""

    def handle(job: Job) -> None:
        payload = job.spec.payload_dict()
        outcome = deliver(delivery_id=payload["delivery_id"], round=int(payload["round"]))
        if outcome.retry_at is not None:
            raise RetryAt(outcome.retry_at, f"webhook delivery {payload['delivery_id']} failed; retrying")
        if outcome.status is DeliveryStatus.FAILED:
            raise PermanentJobError(f"webhook delivery {payload['delivery_id']} failed for good")

    return handle
