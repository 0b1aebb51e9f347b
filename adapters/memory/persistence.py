"""In-memory unit of work and job store: honest fakes that keep state in dicts.

A unit of work works on deep copies of the store; ``commit`` writes them back, so a
use case that fails half-way leaves the store untouched, as a database would.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from typing import Any

from attrs import evolve

from adapters.memory.api_keys import InMemoryApiKeyRepository, InMemoryIdempotencyRepository
from adapters.memory.audit import InMemoryAuditTrail
from adapters.memory.certificates import InMemoryCertificateRepository
from adapters.memory.lcp_registrations import InMemoryLcpRegistrationRepository
from adapters.memory.officers import InMemoryRegistrationOfficerRepository
from adapters.memory.one_time_codes import InMemoryOneTimeCodeRepository
from adapters.memory.qcp_enrollment import InMemoryCaptureLinkRepository, InMemoryQcpEnrollmentRepository
from adapters.memory.remote_consents import InMemoryRemoteConsentRepository
from adapters.memory.seals import InMemorySealingRepository, InMemorySealRequestRepository
from adapters.memory.webhooks import InMemoryWebhookDeliveryRepository, InMemoryWebhookEndpointRepository
from domain.model.account import Account, PasswordReset
from domain.model.cabinet import Cabinet, Invitation, Member
from domain.model.collection import Collection, CollectionStatus
from domain.model.errors import EmailTaken, NotFound, UniqueViolation
from domain.model.jobs import Job, JobSpec, JobStatus
from domain.model.person import Person
from domain.model.values import Email
from ports.clock import Clock

__all__ = ["InMemoryJobStore", "InMemoryStore", "InMemoryUnitOfWork", "UniqueViolation"]


class InMemoryStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[str, object]] = {
            "cabinets": {}, "persons": {}, "members": {}, "invitations": {},
            "accounts": {}, "password_resets": {}, "jobs": {}, "collections": {},
            "one_time_codes": {}, "certificates": {}, "lcp_registrations": {}, "audit": {},
            "qcp_enrollments": {}, "capture_links": {}, "registration_officers": {},
            "api_keys": {}, "idempotency": {},
            "webhook_endpoints": {}, "webhook_deliveries": {},
            "seal_requests": {}, "sealings": {}, "remote_consents": {},
        }
        self.job_leases: dict[str, datetime] = {}
        self.sequence = 0

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self.sequence += 1
            return f"{prefix}-{self.sequence:06d}"


class _WorkingRows(MutableMapping[str, object]):
    """One table as a unit of work sees it: a committed row is deep-copied the first time the
    unit of work reads it, so what it changes stays its own until commit, as in a database.

    Copying every table at the start of every unit of work (the obvious way) made the fakes
    cost more than the code under test once a test had a few collections with their trails.
    """

    def __init__(self, committed: dict[str, object]) -> None:
        self._committed = committed
        self._read: dict[str, object] = {}
        self._deleted: set[str] = set()

    def __getitem__(self, key: str) -> object:
        if key in self._deleted:
            raise KeyError(key)
        try:
            return self._read[key]
        except KeyError:
            value = self._read[key] = copy.deepcopy(self._committed[key])
            return value

    def __setitem__(self, key: str, value: object) -> None:
        self._read[key] = value
        self._deleted.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._read.pop(key, None)
        self._deleted.add(key)

    def __contains__(self, key: object) -> bool:
        return key not in self._deleted and (key in self._read or key in self._committed)

    def __iter__(self) -> Iterator[str]:
        for key in self._committed:
            if key not in self._deleted:
                yield key
        for key in list(self._read):
            if key not in self._committed and key not in self._deleted:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def committed(self) -> dict[str, object]:
        """The table after commit: a new dict, rows copied again so callers keep no alias into it."""
        table = dict(self._committed)
        for key, value in self._read.items():
            table[key] = copy.deepcopy(value)
        for key in self._deleted:
            table.pop(key, None)
        return table


class _Table:
    def __init__(self, rows: dict[str, object], not_found: str) -> None:
        self.rows = rows
        self.not_found = not_found

    def _get(self, key: str) -> object:
        try:
            return self.rows[key]
        except KeyError:
            raise NotFound(f"{self.not_found} {key} not found") from None


class _Cabinets(_Table):
    def add(self, cabinet: Cabinet) -> None:
        if self.by_siren(str(cabinet.siren)) is not None:
            raise UniqueViolation("a cabinet with this SIREN exists")
        self.rows[cabinet.id] = cabinet

    def get(self, cabinet_id: str) -> Cabinet:
        return self._get(cabinet_id)  # type: ignore[return-value]

    def by_siren(self, siren: str) -> Cabinet | None:
        return next((c for c in self.rows.values() if str(c.siren) == siren), None)  # type: ignore[attr-defined]

    def list_by_ids(self, cabinet_ids: list[str]) -> list[Cabinet]:
        found = [c for c in self.rows.values() if c.id in set(cabinet_ids)]  # type: ignore[attr-defined]
        return sorted(found, key=lambda c: c.name)  # type: ignore[attr-defined,return-value]


class _Persons(_Table):
    def add(self, person: Person) -> None:
        if self.by_email(person.email) is not None:
            raise EmailTaken("a person with this email exists")
        self.rows[person.id] = person

    def get(self, person_id: str) -> Person:
        return self._get(person_id)  # type: ignore[return-value]

    def by_email(self, email: Email) -> Person | None:
        return next((p for p in self.rows.values() if p.email == email), None)  # type: ignore[attr-defined]


class _Members(_Table):
    def add(self, member: Member) -> None:
        if self.find(member.cabinet_id, member.person_id) is not None:
            raise UniqueViolation("already a member")
        self.rows[member.id] = member

    def get(self, member_id: str) -> Member:
        return self._get(member_id)  # type: ignore[return-value]

    def find(self, cabinet_id: str, person_id: str) -> Member | None:
        return next((m for m in self.rows.values()
                     if m.cabinet_id == cabinet_id and m.person_id == person_id), None)  # type: ignore[attr-defined]

    def of_cabinet(self, cabinet_id: str) -> list[Member]:
        members = [m for m in self.rows.values() if m.cabinet_id == cabinet_id]  # type: ignore[attr-defined]
        # Joining order; members who have not joined yet come last, as in the database.
        return sorted(members, key=lambda m: (m.joined_at is None, m.joined_at or datetime.min, m.id))  # type: ignore[attr-defined,return-value]

    def of_person(self, person_id: str) -> list[Member]:
        return [m for m in self.rows.values() if m.person_id == person_id]  # type: ignore[attr-defined,misc]

    def remove(self, member: Member) -> None:
        self.rows.pop(member.id, None)


class _Invitations(_Table):
    def add(self, invitation: Invitation) -> None:
        self.rows[invitation.id] = invitation

    def get(self, invitation_id: str) -> Invitation:
        return self._get(invitation_id)  # type: ignore[return-value]

    def by_token_hash(self, token_hash: str) -> Invitation | None:
        return next((i for i in self.rows.values() if i.token_hash == token_hash), None)  # type: ignore[attr-defined]

    def pending_for_cabinet(self, cabinet_id: str) -> list[Invitation]:
        from domain.model.cabinet import InvitationStatus

        return [i for i in self.rows.values()  # type: ignore[misc]
                if i.cabinet_id == cabinet_id and i.status is InvitationStatus.PENDING]  # type: ignore[attr-defined]


class _Accounts(_Table):
    def add(self, account: Account) -> None:
        if account.person_id in self.rows:
            raise UniqueViolation("this person already has an account")
        self.rows[account.person_id] = account

    def get(self, person_id: str) -> Account:
        return self._get(person_id)  # type: ignore[return-value]

    def find(self, person_id: str) -> Account | None:
        return self.rows.get(person_id)  # type: ignore[return-value]


class _PasswordResets(_Table):
    def add(self, reset: PasswordReset) -> None:
        self.rows[reset.id] = reset

    def by_token_hash(self, token_hash: str) -> PasswordReset | None:
        return next((r for r in self.rows.values() if r.token_hash == token_hash), None)  # type: ignore[attr-defined]

    def unused_for(self, person_id: str) -> list[PasswordReset]:
        return sorted((r for r in self.rows.values()  # type: ignore[misc]
                       if r.person_id == person_id and r.used_at is None),  # type: ignore[attr-defined]
                      key=lambda r: (r.created_at, r.id))


class _Collections(_Table):
    def add(self, collection: Collection) -> None:
        if collection.id in self.rows:
            raise UniqueViolation("a collection with this id exists")
        self.rows[collection.id] = collection

    def get(self, collection_id: str) -> Collection:
        return self._get(collection_id)  # type: ignore[return-value]

    def by_token_hash(self, token_hash: str) -> Collection | None:
        return next((c for c in self.rows.values() if token_hash in set(c.token_hashes())), None)  # type: ignore[attr-defined]

    def search(self, cabinet_id: str, *, statuses: frozenset[CollectionStatus] | None = None, text: str = "",
               offset: int = 0, limit: int = 20) -> tuple[list[Collection], int]:
        found = [c for c in self.rows.values()  # type: ignore[misc]
                 if c.cabinet_id == cabinet_id and (statuses is None or c.status in statuses)  # type: ignore[attr-defined]
                 and c.matches(text)]  # type: ignore[attr-defined]
        found.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        return found[offset:offset + limit], len(found)

    def due(self, now: datetime, *, limit: int = 100) -> list[Collection]:
        due = [(at, c.id, c) for c in self.rows.values()  # type: ignore[attr-defined]
               if (at := c.next_due_at()) is not None and at <= now]  # type: ignore[attr-defined]
        return [c for _, _, c in sorted(due, key=lambda t: (t[0], t[1]))][:limit]  # type: ignore[misc]

    def by_download_token_hash(self, token_hash: str) -> Collection | None:
        return next((c for c in self.rows.values()  # type: ignore[attr-defined]
                     if any(link.token_hash == token_hash for link in c.download_links)), None)  # type: ignore[attr-defined]

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Collection]:
        found = [c for c in self.rows.values()  # type: ignore[misc]
                 if c.ended_at is not None and (  # type: ignore[attr-defined]
                     (c.ended_at <= documents_before and c.documents_purged_at is None)  # type: ignore[attr-defined]
                     or (c.ended_at <= evidence_before and c.evidence is not None  # type: ignore[attr-defined]
                         and c.evidence.purged_at is None))]  # type: ignore[attr-defined]
        return sorted(found, key=lambda c: (c.ended_at, c.id))[:limit]

    def remove(self, collection: Collection) -> None:
        self.rows.pop(collection.id, None)

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        return any(sha256 in _document_digests(c) for c in self.rows.values()  # type: ignore[arg-type]
                   if c.id != excluding and c.documents_purged_at is None)  # type: ignore[attr-defined]

    def archives_kept(self) -> list[Collection]:
        found = [c for c in self.rows.values() if _keeps_archives(c)]  # type: ignore[arg-type]
        return sorted(found, key=lambda c: (c.ended_at, c.id))  # type: ignore[attr-defined]

    def awaiting_evidence(self, *, limit: int = 100) -> list[Collection]:
        found = [c for c in self.rows.values()  # type: ignore[misc]
                 if c.status.ended and c.evidence is None]  # type: ignore[attr-defined]
        return sorted(found, key=lambda c: (c.ended_at or c.created_at, c.id))[:limit]


def _keeps_archives(collection: Collection) -> bool:
    if collection.ended_at is None:
        return False
    documents = collection.status is CollectionStatus.COMPLETED and collection.documents_purged_at is None
    evidence = collection.evidence is not None and collection.evidence.purged_at is None
    return documents or evidence


def _document_digests(collection: Collection) -> set[str]:
    found: set[str] = set()
    for document in collection.documents:
        found |= {document.ref.sha256} | {v.after for v in document.versions} | {v.before for v in document.versions}
    return found


class _JobOutbox:
    def __init__(self, rows: dict[str, object], store: InMemoryStore, clock: Clock) -> None:
        self.rows = rows
        self.store = store
        self.clock = clock

    def enqueue(self, spec: JobSpec) -> str:
        job_id = self.store.next_id("job")
        now = self.clock.now()
        self.rows[job_id] = Job(id=job_id, spec=spec, status=JobStatus.PENDING, attempts=0,
                                run_at=spec.run_at or now, created_at=now)
        return job_id


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore, clock: Clock) -> None:
        self.store = store
        self._clock = clock
        self._committed = False

    def __enter__(self) -> InMemoryUnitOfWork:
        self.store.lock.acquire()
        self._start_working()
        return self

    def _start_working(self) -> None:
        # Repositories point into the working copy, so they are rebuilt with it.
        self._working = {name: _WorkingRows(rows) for name, rows in self.store.tables.items()}
        t: dict[str, Any] = self._working
        self.cabinets = _Cabinets(t["cabinets"], "cabinet")
        self.persons = _Persons(t["persons"], "person")
        self.members = _Members(t["members"], "member")
        self.invitations = _Invitations(t["invitations"], "invitation")
        self.accounts = _Accounts(t["accounts"], "account")
        self.password_resets = _PasswordResets(t["password_resets"], "password reset")
        self.jobs = _JobOutbox(t["jobs"], self.store, self._clock)
        self.collections = _Collections(t["collections"], "collection")
        self.one_time_codes = InMemoryOneTimeCodeRepository(t["one_time_codes"])  # type: ignore[arg-type]
        self.certificates = InMemoryCertificateRepository(t["certificates"])  # type: ignore[arg-type]
        self.lcp_registrations = InMemoryLcpRegistrationRepository(t["lcp_registrations"])  # type: ignore[arg-type]
        self.audit = InMemoryAuditTrail(t["audit"])  # type: ignore[arg-type]
        self.qcp_enrollments = InMemoryQcpEnrollmentRepository(t["qcp_enrollments"])  # type: ignore[arg-type]
        self.capture_links = InMemoryCaptureLinkRepository(t["capture_links"])  # type: ignore[arg-type]
        self.registration_officers = InMemoryRegistrationOfficerRepository(
            t["registration_officers"])  # type: ignore[arg-type]
        self.api_keys = InMemoryApiKeyRepository(t["api_keys"])  # type: ignore[arg-type]
        self.idempotency = InMemoryIdempotencyRepository(t["idempotency"])  # type: ignore[arg-type]
        self.webhook_endpoints = InMemoryWebhookEndpointRepository(
            t["webhook_endpoints"], t["webhook_deliveries"])  # type: ignore[arg-type]
        self.webhook_deliveries = InMemoryWebhookDeliveryRepository(t["webhook_deliveries"])  # type: ignore[arg-type]
        self.seal_requests = InMemorySealRequestRepository(t["seal_requests"])  # type: ignore[arg-type]
        self.sealings = InMemorySealingRepository(t["sealings"])  # type: ignore[arg-type]
        self.remote_consents = InMemoryRemoteConsentRepository(t["remote_consents"])  # type: ignore[arg-type]

    def __exit__(self, *exc_info: object) -> None:
        self._working = None  # type: ignore[assignment]
        self.store.lock.release()

    def commit(self) -> None:
        self.store.tables = {name: rows.committed() for name, rows in self._working.items()}
        self._committed = True

    def rollback(self) -> None:
        self._start_working()


class InMemoryJobStore:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    @property
    def _jobs(self) -> dict[str, Job]:
        return self.store.tables["jobs"]  # type: ignore[return-value]

    def claim(self, *, now: datetime, limit: int, lease_seconds: int) -> list[Job]:
        from datetime import timedelta

        with self.store.lock:
            due = sorted((j for j in self._jobs.values()
                          if j.status is JobStatus.PENDING and j.run_at <= now
                          and self.store.job_leases.get(j.id, now) <= now),
                         key=lambda j: (j.run_at, j.id))[:limit]
            for job in due:
                self.store.job_leases[job.id] = now + timedelta(seconds=lease_seconds)
            return list(due)

    def complete(self, job_id: str, *, now: datetime) -> None:
        with self.store.lock:
            job = self.get(job_id)
            self._jobs[job_id] = evolve(job, status=JobStatus.DONE, attempts=job.attempts + 1)
            self.store.job_leases.pop(job_id, None)

    def fail(self, job_id: str, *, error: str, now: datetime, retry_at: datetime | None) -> None:
        with self.store.lock:
            job = self.get(job_id)
            if retry_at is None:
                job = evolve(job, status=JobStatus.FAILED, attempts=job.attempts + 1, last_error=error)
            else:
                job = evolve(job, attempts=job.attempts + 1, last_error=error, run_at=retry_at)
            self._jobs[job_id] = job
            self.store.job_leases.pop(job_id, None)

    def get(self, job_id: str) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise NotFound(f"job {job_id} not found") from None

    def list(self, *, limit: int = 100) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: (j.created_at, j.id), reverse=True)[:limit]

    def count_by_status(self) -> dict[JobStatus, int]:
        with self.store.lock:
            statuses = [job.status for job in self._jobs.values()]
        return {status: statuses.count(status) for status in JobStatus}
