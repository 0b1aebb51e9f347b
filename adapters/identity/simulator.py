"""The identity-check simulator: Seing's capture pages, a delay, then a decision.

For demos and tests. It decides ``decision_delay`` after the capture ended (3 minutes by
default, as a real provider would take; 0 in tests), when asked for the status or the
result. The outcome is approval with the person's declared identity, unless told
otherwise with ``set_outcome`` (per session, or for every session that has none).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from attrs import frozen

from adapters.identity._sessions import CapturingVerifier, SessionRecord, extracted_from_json, extracted_to_json
from domain.model.identity import DocumentType, ExtractedIdentity, IdentityCheckResult, IdentityCheckStatus
from domain.model.values import PersonName
from ports.clock import Clock
from ports.identity import IdentityProviderConfig

__all__ = ["DEFAULT_BIRTH_DATE", "Outcome", "SimulatorIdentityVerifier", "factory"]

DEFAULT_BIRTH_DATE = date(1985, 6, 15)
DEFAULT_OUTCOME_FILE = "default-outcome.json"


@frozen
class Outcome:
    approved: bool
    reason: str | None = None
    extracted: ExtractedIdentity | None = None  # None: the declared identity


class SimulatorIdentityVerifier(CapturingVerifier):
    provider_name = "simulator"

    def __init__(self, *, public_url: str, clock: Clock, storage_dir: Path | None = None,
                 decision_delay: timedelta = timedelta(minutes=3), image_retention: timedelta = timedelta(0),
                 default_birth_date: date = DEFAULT_BIRTH_DATE) -> None:
        super().__init__(public_url=public_url, clock=clock, storage_dir=storage_dir, image_retention=image_retention)
        self.decision_delay = decision_delay
        self.default_birth_date = default_birth_date
        self._default: dict = _outcome_json(Outcome(approved=True))

    def set_outcome(self, session_ref: str | None, *, approved: bool, reason: str | None = None,
                    extracted: ExtractedIdentity | None = None) -> None:
        """Tell the simulator what to decide: for one session, or (``None``) by default.
        With file storage it is stored beside the sessions, so the web process can set
        it and the worker, deciding later, follows it."""
        outcome = _outcome_json(Outcome(approved=approved, reason=reason or (None if approved else "document_unreadable"),
                                        extracted=extracted))
        if session_ref is None:
            self._default = outcome
            if self.store.root is not None:
                (self.store.root / DEFAULT_OUTCOME_FILE).write_text(json.dumps(outcome), encoding="utf-8")
            return
        record = self.store.get(session_ref)
        record.forced_outcome = outcome
        self.store.put(record)

    def decide_now(self, session_ref: str) -> IdentityCheckResult | None:
        """Skip the delay (demo button)."""
        record = self.store.get(session_ref)
        if record.status is IdentityCheckStatus.SUBMITTED:
            return self._apply(record)
        return record.result

    def _settle(self, record: SessionRecord) -> SessionRecord:
        if (record.status is IdentityCheckStatus.SUBMITTED and record.submitted_at is not None
                and self.clock.now() >= record.submitted_at + self.decision_delay):
            self._apply(record)
        return record

    def _default_outcome(self) -> dict:
        if self.store.root is not None:
            path = self.store.root / DEFAULT_OUTCOME_FILE
            if path.exists():
                return json.loads(path.read_text("utf-8"))
        return self._default

    def _apply(self, record: SessionRecord) -> IdentityCheckResult:
        outcome = record.forced_outcome or self._default_outcome()
        if not outcome["approved"]:
            return self._decide(record, approved=False, extracted=None, reason=outcome["reason"],
                                decided_by=self.provider_name)
        extracted = extracted_from_json(outcome["extracted"]) or self._declared(record)
        return self._decide(record, approved=True, extracted=extracted, reason=None, decided_by=self.provider_name)

    def _declared(self, record: SessionRecord) -> ExtractedIdentity:
        subject = record.subject
        now = self.clock.now()
        # Documents print names in capitals: the comparison must not depend on case.
        return ExtractedIdentity(
            name=PersonName(subject.name.given_names.upper(), subject.name.surname.upper()),
            birth_date=subject.birth_date or self.default_birth_date,
            document_type=DocumentType.ID_CARD,
            document_number=f"SIM{record.session_ref[:9].upper().replace('-', '0').replace('_', '0')}",
            document_expiry=date(now.year + 8, now.month, min(now.day, 28)))


def _outcome_json(outcome: Outcome) -> dict:
    return {"approved": outcome.approved, "reason": outcome.reason, "extracted": extracted_to_json(outcome.extracted)}


def factory(config: IdentityProviderConfig) -> SimulatorIdentityVerifier:
    """Entry point ``seing.identity_verifiers: simulator``."""
    return SimulatorIdentityVerifier(public_url=config.public_url, clock=config.clock,
                                     storage_dir=config.storage_dir, decision_delay=config.decision_delay,
                                     image_retention=config.image_retention)
