"""The audit trail (« piste d'audit »): per collection, an append-only chain of events.

Each event carries the SHA-256 of the previous one and its own hash over a canonical
serialisation (sorted-key JSON, UTF-8, times as ISO 8601 UTC with microseconds), so
editing, removing or reordering any stored event breaks the chain at that point.
``verify_chain`` is pure: the CLI and the evidence file use it on what the store holds.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Iterable

from attrs import field, frozen

from domain.model.errors import InvalidValue

__all__ = ["AUDIT_KINDS", "GENESIS", "AuditEvent", "BrokenLink", "RequestContext", "verify_chain"]

GENESIS = "0" * 64

AUDIT_KINDS = frozenset({
    # the brief's list
    "created", "sent", "opened", "code_sent", "code_checked", "code_failed", "signed", "refused",
    "reminded", "order_changed", "signer_replaced", "expired", "cancelled", "completed", "downloaded",
    # preparation and ceremony details, so the trail says everything the timeline says
    "info_updated", "options_updated", "document_added", "document_removed", "signer_added",
    "signer_removed", "signer_level_changed", "observer_added", "observer_removed", "invited",
    "turn_postponed", "fields_created", "document_signed", "signature_pending", "document_timestamped",
    "identity_checked", "evidence_sealed", "documents_purged", "code_event",
    # archive-timestamp renewal of the kept PDFs (issue 18)
    "archive_renewed", "archive_renewal_failed",
    # a message to a signer that never arrived (issue 11)
    "delivery_failed",
    # the cabinet's electronic seal (issue 16): a sealing's chain is keyed by the sealing's id
    "sealing_started", "document_sealed",
    # « Supprimer le brouillon » (issue 15): the draft is gone, its chain says so and by whom
    "draft_discarded",
    # level 3 at a QTSP that authorises on its own page (CSC oauth2code): sent there, and back
    "consent_requested", "consent_given", "consent_declined",
    # more signers than blank room: a signature page added to a draft's document
    "signature_page_added",
})


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, dict) else value  # type: ignore[union-attr]
    return tuple(sorted((str(k), str(v)) for k, v in items))  # type: ignore[misc]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("audit times are timezone-aware (from the Clock port)")
    return value.astimezone(UTC)


@frozen
class RequestContext:
    """Where a person's action came from, as the web edge saw it."""

    ip: str | None = None
    user_agent: str | None = None


@frozen
class AuditEvent:
    collection_id: str
    sequence: int  # 1 for the first event of a collection
    kind: str
    at: datetime = field(converter=_utc)
    actor: str | None
    ip: str | None
    user_agent: str | None
    details: tuple[tuple[str, str], ...] = field(converter=_pairs)
    previous_hash: str
    hash: str

    @classmethod
    def after(cls, previous: AuditEvent | None, *, collection_id: str, kind: str, at: datetime,
              actor: str | None = None, context: RequestContext | None = None,
              details: dict[str, object] | None = None) -> AuditEvent:
        """The next link of the chain whose last event is ``previous`` (None: the first)."""
        if kind not in AUDIT_KINDS:
            raise InvalidValue("kind", f"unknown audit event kind {kind!r}")
        if previous is not None and previous.collection_id != collection_id:
            raise InvalidValue("collection_id", "an event chains to an event of its own collection")
        context = context or RequestContext()
        values = dict(collection_id=collection_id, sequence=(previous.sequence + 1) if previous else 1, kind=kind,
                      at=_utc(at), actor=actor, ip=_short(context.ip, 64), user_agent=_short(context.user_agent, 400),
                      details=_pairs({k: v for k, v in (details or {}).items() if v is not None}),
                      previous_hash=previous.hash if previous else GENESIS)
        return cls(**values, hash=_digest(values))  # type: ignore[arg-type]

    def canonical(self) -> bytes:
        return _canonical(dict(collection_id=self.collection_id, sequence=self.sequence, kind=self.kind, at=self.at,
                               actor=self.actor, ip=self.ip, user_agent=self.user_agent, details=self.details,
                               previous_hash=self.previous_hash))

    def computed_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def detail_dict(self) -> dict[str, str]:
        return dict(self.details)


def _short(value: str | None, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def _canonical(values: dict[str, object]) -> bytes:
    data = dict(values)
    data["at"] = _utc(data["at"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # type: ignore[arg-type]
    data["details"] = {k: v for k, v in data["details"]}  # type: ignore[union-attr]
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _digest(values: dict[str, object]) -> str:
    return hashlib.sha256(_canonical(values)).hexdigest()


@frozen
class BrokenLink:
    """The first event of a chain that does not hold, and why."""

    collection_id: str
    sequence: int
    reason: str  # "hash" (content edited), "link" (previous hash differs), "sequence" (missing or moved)


def verify_chain(events: Iterable[AuditEvent]) -> BrokenLink | None:
    """The first broken link of one collection's chain (events in sequence order), or None."""
    previous: AuditEvent | None = None
    for expected, event in enumerate(events, start=1):
        if event.sequence != expected:
            return BrokenLink(event.collection_id, event.sequence, "sequence")
        if event.computed_hash() != event.hash:
            return BrokenLink(event.collection_id, event.sequence, "hash")
        if event.previous_hash != (previous.hash if previous else GENESIS):
            return BrokenLink(event.collection_id, event.sequence, "link")
        previous = event
    return None
