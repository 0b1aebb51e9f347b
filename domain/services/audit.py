"""The audit trail, from the use cases' side: append in the same transaction, mirror the
collection's timeline, verify every chain.

Every use case that changes a collection commits through ``commit_with_trail``: the
timeline events the aggregate recorded are appended to the hash-chained trail in the
same transaction, so the trail can never miss a state change nor record one that was
rolled back. Ceremony steps add richer events (codes, digests, certificates) directly.
"""

from __future__ import annotations

from typing import Callable

from attrs import frozen

from domain.model.audit import AuditEvent, BrokenLink, RequestContext, verify_chain
from domain.model.collection import Collection, EventKind
from domain.model.one_time_code import CodeEvent, CodeEventKind
from domain.model.webhooks import WebhookEvent, event_job
from ports.repositories import UnitOfWork

__all__ = ["AuditReport", "append", "code_event_sink", "commit_with_trail", "sync_timeline", "verify_trails"]

_KIND_OF_TIMELINE = {EventKind.SIGNERS_REORDERED: "order_changed"}
# The timeline entries integrators hear about. Mirroring the timeline happens exactly once per
# entry, in the transaction that made it, so each webhook event is recorded once with it.
_WEBHOOKS_OF_TIMELINE = {
    EventKind.SENT: (WebhookEvent.COLLECTION_SENT,),
    EventKind.OPENED: (WebhookEvent.SIGNER_OPENED,),
    EventKind.SIGNED: (WebhookEvent.SIGNER_SIGNED,),
    EventKind.REFUSED: (WebhookEvent.SIGNER_REFUSED, WebhookEvent.COLLECTION_REFUSED),
    EventKind.EXPIRED: (WebhookEvent.COLLECTION_EXPIRED,),
    EventKind.CANCELLED: (WebhookEvent.COLLECTION_CANCELLED,),
}
_TIMELINE_INDEX = "timeline_index"


def append(tx: UnitOfWork, collection_id: str, kind: str, *, at, actor: str | None = None,  # type: ignore[no-untyped-def]
           context: RequestContext | None = None, **details: object) -> AuditEvent:
    event = AuditEvent.after(tx.audit.last(collection_id), collection_id=collection_id, kind=kind, at=at,
                             actor=actor, context=context, details=details)
    tx.audit.append(event)
    return event


def sync_timeline(tx: UnitOfWork, collection: Collection, context: RequestContext | None = None) -> None:
    """Append the timeline events not yet in the trail (each trail entry names its timeline index)."""
    latest = tx.audit.last_with_detail(collection.id, _TIMELINE_INDEX)
    mirrored = -1 if latest is None else int(latest.detail_dict()[_TIMELINE_INDEX])
    for index in range(mirrored + 1, len(collection.timeline)):
        entry = collection.timeline[index]
        details: dict[str, object] = dict(entry.detail)
        details[_TIMELINE_INDEX] = index
        if entry.signer_id:
            details["signer_id"] = entry.signer_id
        append(tx, collection.id, _KIND_OF_TIMELINE.get(entry.kind, entry.kind.value), at=entry.at,
               actor=entry.actor, context=context, **details)
        for event in _WEBHOOKS_OF_TIMELINE.get(entry.kind, ()):
            data = {"collection_id": collection.id}
            if entry.signer_id and event.value.startswith("signer."):
                data["signer_id"] = entry.signer_id
            tx.jobs.enqueue(event_job(event, cabinet_id=collection.cabinet_id, occurred_at=entry.at, **data))


def commit_with_trail(tx: UnitOfWork, collection: Collection, context: RequestContext | None = None) -> None:
    sync_timeline(tx, collection, context)
    tx.commit()


_CODE_KINDS = {CodeEventKind.SENT: "code_sent", CodeEventKind.RESENT: "code_sent",
               CodeEventKind.CHECKED: "code_checked", CodeEventKind.FAILED: "code_failed"}


def code_event_sink(tx: UnitOfWork, collection_id: str, signer_id: str,
                    context: RequestContext | None = None) -> Callable[[CodeEvent], None]:
    """Where the one-time code use cases hand their steps: into this collection's trail."""

    def record(event: CodeEvent) -> None:
        kind = _CODE_KINDS.get(event.kind, "code_event")
        detail = event.detail_dict()
        detail.pop("destination", None)  # the trail names the signer; the masked number is enough
        append(tx, collection_id, kind, at=event.at, actor=signer_id, context=context, signer_id=signer_id,
               challenge_id=event.challenge_id, step=event.kind.value, **detail)

    return record


@frozen
class AuditReport:
    chains: int
    events: int
    broken: tuple[BrokenLink, ...]


def verify_trails(*, uow: Callable[[], UnitOfWork]) -> AuditReport:
    """``seing audit verify``: every chain, and the first broken link of each that does not hold."""
    with uow() as tx:
        ids = tx.audit.collection_ids()
    broken: list[BrokenLink] = []
    events = 0
    for collection_id in ids:
        with uow() as tx:
            chain = tx.audit.of_collection(collection_id)
        events += len(chain)
        link = verify_chain(chain)
        if link is not None:
            broken.append(link)
    return AuditReport(chains=len(ids), events=events, broken=tuple(broken))
