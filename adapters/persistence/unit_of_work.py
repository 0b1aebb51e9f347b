"""The unit of work and repositories on Pony ORM.

One ``db_session`` per unit of work, opened in ``__enter__`` and closed in ``__exit__`` in
the same thread. Repositories hand out domain objects, never rows, and remember them in
an identity map; ``commit`` writes every tracked aggregate back into its row, then commits.
Leaving the block without ``commit`` rolls back (Pony's own ``db_session`` would commit).
"""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterator

from pony.orm import Database, db_session, desc
from pony.orm import select as pony_select
from pony.orm.core import (
    CacheIndexError,
    CommitException,
    ConstraintError,
    IsolationError,
    ObjectNotFound,
    OperationWithDeletedObjectError,
    TransactionIntegrityError,
)
from pony.orm.core import local as pony_local

from adapters.persistence import mappers
from adapters.persistence.api_keys import PonyApiKeyRepository, PonyIdempotencyRepository
from domain.model.account import Account, PasswordReset
from domain.model.audit import AuditEvent
from domain.model.cabinet import Cabinet, Invitation, InvitationStatus, Member
from domain.model.certificates import Certificate
from domain.model.collection import Collection, CollectionStatus
from domain.model.errors import (
    CertificateNotFound,
    Conflict,
    DomainError,
    EmailTaken,
    NotFound,
    RegistrationNotFound,
    UniqueViolation,
    WebhookDeliveryNotFound,
    WebhookEndpointNotFound,
)
from domain.model.jobs import JobSpec
from domain.model.lcp_registration import ACTIVE_STATES, LcpRegistration
from domain.model.officer import RegistrationOfficer
from domain.model.one_time_code import OneTimeCodeChallenge
from domain.model.person import Person
from domain.model.pki import CertificatePolicy
from domain.model.qcp_enrollment import TERMINAL_STATES, CaptureLink, QcpEnrollment, QcpState
from domain.model.values import Email, fold
from domain.model.webhooks import WebhookDelivery, WebhookEndpoint
from ports.clock import Clock

__all__ = ["PonyUnitOfWork"]

_STORAGE_ERRORS = (CacheIndexError, CommitException, ConstraintError, IsolationError, ObjectNotFound,
                   OperationWithDeletedObjectError, TransactionIntegrityError)


def _translated(error: Exception) -> DomainError:
    """The domain error for a refusal of the store; the message says which key it was."""
    text = str(error)
    original = getattr(error, "original_exc", None)
    if original is not None:
        text += f" {original}"
    lowered = text.lower()
    if "unique" in lowered or "duplicate key" in lowered or "already exists" in lowered:
        if "persons.email" in lowered or "persons_email_key" in lowered or (
                "personrow" in lowered and "email" in lowered):
            return EmailTaken("a person with this email exists")
        return UniqueViolation(f"duplicate key: {text}")
    return Conflict(f"the store refused the change: {text}")


class PonyUnitOfWork:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._session: Any = None
        self._thread: int | None = None
        self._tracked: dict[tuple[str, str], tuple[object, _Repository]] = {}

    def __enter__(self) -> PonyUnitOfWork:
        if pony_local.db_session is not None:
            # Pony would silently merge a nested session into the outer one.
            raise RuntimeError("a unit of work is already open in this thread")
        self._session = db_session()
        self._session.__enter__()
        self._thread = threading.get_ident()
        self._tracked = {}
        self.cabinets = PonyCabinetRepository(self)
        self.persons = PonyPersonRepository(self)
        self.members = PonyMemberRepository(self)
        self.invitations = PonyInvitationRepository(self)
        self.accounts = PonyAccountRepository(self)
        self.password_resets = PonyPasswordResetRepository(self)
        self.jobs = PonyJobOutbox(self)
        self.one_time_codes = PonyOneTimeCodeRepository(self)
        self.certificates = PonyCertificateRepository(self)
        self.lcp_registrations = PonyLcpRegistrationRepository(self)
        self.collections = PonyCollectionRepository(self)
        self.audit = PonyAuditTrail(self)
        self.qcp_enrollments = PonyQcpEnrollmentRepository(self)
        self.capture_links = PonyCaptureLinkRepository(self)
        self.registration_officers = PonyRegistrationOfficerRepository(self)
        self.api_keys = PonyApiKeyRepository(self)
        self.idempotency = PonyIdempotencyRepository(self)
        self.webhook_endpoints = PonyWebhookEndpointRepository(self)
        self.webhook_deliveries = PonyWebhookDeliveryRepository(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError("a unit of work must be closed in the thread that opened it")
        try:
            self._db.rollback()
        finally:
            self._tracked = {}
            session, self._session = self._session, None
            session.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        with self.storage_errors_translated():
            self.flush_tracked()
            self._db.commit()

    def rollback(self) -> None:
        self._db.rollback()
        self._tracked = {}

    # for the repositories ------------------------------------------------------------

    @contextmanager
    def storage_errors_translated(self) -> Iterator[None]:
        try:
            yield
        except _STORAGE_ERRORS as error:
            # The transaction is unusable after a refused write: start afresh.
            self.rollback()
            raise _translated(error) from error

    def now(self) -> datetime:
        return self._clock.now()

    def entity(self, name: str) -> Any:
        return getattr(self._db, name)

    def tracked(self, key: tuple[str, str]) -> object | None:
        entry = self._tracked.get(key)
        return entry[0] if entry else None

    def track(self, key: tuple[str, str], obj: object, repository: _Repository) -> None:
        self._tracked[key] = (obj, repository)

    def forget(self, key: tuple[str, str]) -> None:
        self._tracked.pop(key, None)

    def flush_tracked(self) -> None:
        """Copy every tracked aggregate into its row; Pony flushes only what changed."""
        for (_kind, key), (obj, repository) in list(self._tracked.items()):
            repository.write_back(key, obj)


class _Repository:
    kind: str
    entity_name: str
    key_column = "id"
    not_found: type[NotFound] = NotFound
    to_domain: Callable[[Any], Any]
    columns: Callable[[Any], dict[str, Any]]

    def __init__(self, uow: PonyUnitOfWork) -> None:
        self._uow = uow
        self._rows = uow.entity(self.entity_name)

    def write_back(self, key: str, obj: object) -> None:
        row = self._rows[key]
        values = type(self).columns(obj)
        changed = {name: value for name, value in values.items()
                   if name != self.key_column and getattr(row, name) != value}
        if changed:
            row.set(**changed)
            self.after_save(obj)

    def _domain(self, row: Any) -> Any:
        key = (self.kind, getattr(row, self.key_column))
        known = self._uow.tracked(key)
        if known is not None:
            return known
        obj = type(self).to_domain(row)
        self._uow.track(key, obj, self)
        return obj

    def _add(self, obj: Any) -> None:
        with self._uow.storage_errors_translated():
            values = type(self).columns(obj)
            self._rows(**values)
            self._uow.track((self.kind, values[self.key_column]), obj, self)
            self.after_save(obj)

    def after_save(self, obj: Any) -> None:
        """Keep rows derived from the aggregate (e.g. link hashes) in step with it."""

    def _find(self, key: str) -> Any:
        if not isinstance(key, str) or not key or key != key.strip():
            # Pony strips str keys and then refuses an empty one (ValueError): a blank id
            # would be a crash, and " id" would find "id". Neither exists: not found.
            return None
        known = self._uow.tracked((self.kind, key))
        if known is not None:
            return known
        with self._uow.storage_errors_translated():
            row = self._rows.get(**{self.key_column: key})
        return None if row is None else self._domain(row)

    def _get(self, key: str) -> Any:
        found = self._find(key)
        if found is None:
            raise self.not_found(f"{self.kind} {key} not found")
        return found

    def _select(self, query: Callable[[Any], Any]) -> list[Any]:
        """Run ``query(entity)`` after writing tracked changes back, so it sees them."""
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            return [self._domain(row) for row in query(self._rows)]

    def _first(self, query: Callable[[Any], Any]) -> Any:
        found = self._select(lambda rows: query(rows)[:1])
        return found[0] if found else None


class PonyCabinetRepository(_Repository):
    kind, entity_name = "cabinet", "CabinetRow"
    to_domain, columns = staticmethod(mappers.cabinet_from_row), staticmethod(mappers.cabinet_columns)

    def add(self, cabinet: Cabinet) -> None:
        self._add(cabinet)

    def get(self, cabinet_id: str) -> Cabinet:
        return self._get(cabinet_id)  # type: ignore[no-any-return]

    def by_siren(self, siren: str) -> Cabinet | None:
        return self._first(lambda rows: rows.select(lambda c: c.siren == siren))  # type: ignore[no-any-return]

    def list_by_ids(self, cabinet_ids: list[str]) -> list[Cabinet]:
        if not cabinet_ids:
            return []
        ids = list(cabinet_ids)
        found = self._select(lambda rows: rows.select(lambda c: c.id in ids))
        # Sorted here, not by the database, whose collation depends on the dialect and the server.
        return sorted(found, key=lambda c: (c.name, c.id))


class PonyPersonRepository(_Repository):
    kind, entity_name = "person", "PersonRow"
    to_domain, columns = staticmethod(mappers.person_from_row), staticmethod(mappers.person_columns)

    def add(self, person: Person) -> None:
        self._add(person)

    def get(self, person_id: str) -> Person:
        return self._get(person_id)  # type: ignore[no-any-return]

    def by_email(self, email: Email) -> Person | None:
        value = str(email)
        return self._first(lambda rows: rows.select(lambda p: p.email == value))  # type: ignore[no-any-return]


class PonyMemberRepository(_Repository):
    kind, entity_name = "member", "MemberRow"
    to_domain, columns = staticmethod(mappers.member_from_row), staticmethod(mappers.member_columns)

    def add(self, member: Member) -> None:
        self._add(member)

    def get(self, member_id: str) -> Member:
        return self._get(member_id)  # type: ignore[no-any-return]

    def find(self, cabinet_id: str, person_id: str) -> Member | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda m: m.cabinet_id == cabinet_id and m.person_id == person_id))

    def of_cabinet(self, cabinet_id: str) -> list[Member]:
        members = self._select(lambda rows: rows.select(lambda m: m.cabinet_id == cabinet_id))
        # Joining order, those who have not joined last; sorted here because NULL ordering differs by dialect.
        return sorted(members, key=lambda m: (m.joined_at is None, m.joined_at or datetime.min, m.id))

    def of_person(self, person_id: str) -> list[Member]:
        return self._select(lambda rows: rows.select(lambda m: m.person_id == person_id).order_by(lambda m: m.id))

    def remove(self, member: Member) -> None:
        with self._uow.storage_errors_translated():
            row = self._rows.get(id=member.id)
            if row is not None:
                row.delete()
            self._uow.forget((self.kind, member.id))


class PonyInvitationRepository(_Repository):
    kind, entity_name = "invitation", "InvitationRow"
    to_domain, columns = staticmethod(mappers.invitation_from_row), staticmethod(mappers.invitation_columns)

    def add(self, invitation: Invitation) -> None:
        self._add(invitation)

    def get(self, invitation_id: str) -> Invitation:
        return self._get(invitation_id)  # type: ignore[no-any-return]

    def by_token_hash(self, token_hash: str) -> Invitation | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda i: i.token_hash == token_hash).order_by(lambda i: i.id))

    def pending_for_cabinet(self, cabinet_id: str) -> list[Invitation]:
        pending = InvitationStatus.PENDING.value
        return self._select(lambda rows: rows.select(
            lambda i: i.cabinet_id == cabinet_id and i.status == pending).order_by(lambda i: (i.created_at, i.id)))


class PonyAccountRepository(_Repository):
    kind, entity_name, key_column = "account", "AccountRow", "person_id"
    to_domain, columns = staticmethod(mappers.account_from_row), staticmethod(mappers.account_columns)

    def add(self, account: Account) -> None:
        self._add(account)

    def get(self, person_id: str) -> Account:
        return self._get(person_id)  # type: ignore[no-any-return]

    def find(self, person_id: str) -> Account | None:
        return self._find(person_id)  # type: ignore[no-any-return]


class PonyRegistrationOfficerRepository(_Repository):
    kind, entity_name, key_column = "registration_officer", "RegistrationOfficerRow", "person_id"
    to_domain, columns = staticmethod(mappers.officer_from_row), staticmethod(mappers.officer_columns)

    def add(self, officer: RegistrationOfficer) -> None:
        self._add(officer)

    def find(self, person_id: str) -> RegistrationOfficer | None:
        return self._find(person_id)  # type: ignore[no-any-return]

    def all(self) -> list[RegistrationOfficer]:
        return self._select(lambda rows: rows.select().order_by(  # type: ignore[no-any-return]
            lambda o: (o.appointed_at, o.person_id)))


class PonyWebhookEndpointRepository(_Repository):
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


class PonyWebhookDeliveryRepository(_Repository):
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


class PonyPasswordResetRepository(_Repository):
    kind, entity_name = "password_reset", "PasswordResetRow"
    to_domain, columns = staticmethod(mappers.password_reset_from_row), staticmethod(mappers.password_reset_columns)

    def add(self, reset: PasswordReset) -> None:
        self._add(reset)

    def by_token_hash(self, token_hash: str) -> PasswordReset | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.token_hash == token_hash).order_by(lambda r: r.id))

    def unused_for(self, person_id: str) -> list[PasswordReset]:
        return self._select(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.person_id == person_id and r.used_at is None).order_by(lambda r: (r.created_at, r.id)))


class PonyJobOutbox:
    """``uow.jobs``: the job row is inserted in the unit of work's transaction."""

    def __init__(self, uow: PonyUnitOfWork) -> None:
        self._uow = uow
        self._rows = uow.entity("JobRow")

    def enqueue(self, spec: JobSpec) -> str:
        job_id = str(uuid.uuid4())
        with self._uow.storage_errors_translated():
            self._rows(**mappers.new_job_columns(job_id, spec, self._uow.now()))
        return job_id


class PonyOneTimeCodeRepository(_Repository):
    kind, entity_name = "one_time_code", "OneTimeCodeRow"
    to_domain, columns = staticmethod(mappers.challenge_from_row), staticmethod(mappers.challenge_columns)

    def add(self, challenge: OneTimeCodeChallenge) -> None:
        self._add(challenge)

    def get(self, challenge_id: str) -> OneTimeCodeChallenge:
        return self._get(challenge_id)  # type: ignore[no-any-return]

    def latest_for(self, person_id: str, purpose: str) -> OneTimeCodeChallenge | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda c: c.person_id == person_id and c.purpose == purpose)
            .order_by(lambda c: (desc(c.created_at), desc(c.id))))

    def sends_since(self, person_id: str, since: datetime, *, purpose: str | None = None) -> list[datetime]:
        at = mappers.to_column(since)
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            query = self._rows.select(lambda c: c.person_id == person_id and c.created_at >= at)
            if purpose is not None:
                query = query.filter(lambda c: c.purpose == purpose)
            return sorted(mappers.from_column(c.created_at) for c in query)  # type: ignore[misc]


class PonyCertificateRepository(_Repository):
    kind, entity_name, not_found = "certificate", "CertificateRow", CertificateNotFound
    to_domain, columns = staticmethod(mappers.certificate_from_row), staticmethod(mappers.certificate_columns)

    def add(self, certificate: Certificate) -> None:
        self._add(certificate)

    def get(self, certificate_id: str) -> Certificate:
        return self._get(certificate_id)  # type: ignore[no-any-return]

    def by_serial(self, serial: str) -> Certificate | None:
        wanted = serial.lower()
        return self._first(lambda rows: rows.select(lambda c: c.serial == wanted))  # type: ignore[no-any-return]

    def of_person(self, person_id: str) -> list[Certificate]:
        return self._select(lambda rows: rows.select(lambda c: c.person_id == person_id)
                            .order_by(lambda c: (desc(c.issued_at), desc(c.not_before), desc(c.id))))

    def active_for(self, person_id: str, cabinet_id: str, policy: CertificatePolicy, *,
                   now: datetime) -> Certificate | None:
        oid = policy.value
        candidates = self._select(lambda rows: rows.select(
            lambda c: c.person_id == person_id and c.cabinet_id == cabinet_id and c.policy == oid
            and c.revoked_at is None).order_by(lambda c: (desc(c.issued_at), desc(c.not_before), desc(c.id))))
        # Whether a certificate is active is the domain's rule; the query only narrows.
        return next((c for c in candidates
                     if c.is_for(person_id=person_id, cabinet_id=cabinet_id, policy=policy) and c.is_active(now)),
                    None)


class PonyLcpRegistrationRepository(_Repository):
    kind, entity_name, not_found = "lcp_registration", "LcpRegistrationRow", RegistrationNotFound
    to_domain, columns = staticmethod(mappers.registration_from_row), staticmethod(mappers.registration_columns)

    def add(self, registration: LcpRegistration) -> None:
        self._add(registration)

    def get(self, registration_id: str) -> LcpRegistration:
        return self._get(registration_id)  # type: ignore[no-any-return]

    def active_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        active = [state.value for state in ACTIVE_STATES]
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.person_id == person_id and r.cabinet_id == cabinet_id and r.state in active)
            .order_by(lambda r: (desc(r.started_at), desc(r.id))))

    def latest_for(self, person_id: str, cabinet_id: str) -> LcpRegistration | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda r: r.person_id == person_id and r.cabinet_id == cabinet_id)
            .order_by(lambda r: (desc(r.started_at), desc(r.id))))


class PonyCollectionRepository(_Repository):
    """Collections are stored whole as JSON; ``collection_links`` maps link hashes to them."""

    kind, entity_name = "collection", "CollectionRow"
    to_domain, columns = staticmethod(mappers.collection_from_row), staticmethod(mappers.collection_columns)

    def __init__(self, uow: PonyUnitOfWork) -> None:
        super().__init__(uow)
        self._links = uow.entity("CollectionLinkRow")

    def add(self, collection: Collection) -> None:
        self._add(collection)

    def get(self, collection_id: str) -> Collection:
        return self._get(collection_id)  # type: ignore[no-any-return]

    def by_token_hash(self, token_hash: str) -> Collection | None:
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            link = self._links.get(token_hash=token_hash)
        return None if link is None else self._find(link.collection_id)

    def search(self, cabinet_id: str, *, statuses: frozenset[CollectionStatus] | None = None, text: str = "",
               offset: int = 0, limit: int = 20) -> tuple[list[Collection], int]:
        wanted = None if statuses is None else [s.value for s in statuses]

        def query(rows: Any) -> Any:
            found = rows.select(lambda c: c.cabinet_id == cabinet_id)
            if wanted is not None:
                found = found.filter(lambda c: c.status in wanted)
            return found.order_by(lambda c: (desc(c.created_at), desc(c.id)))

        if not fold(text):
            # No text: the page and the count come from the database, nothing else is loaded.
            with self._uow.storage_errors_translated():
                self._uow.flush_tracked()
                total = query(self._rows).count()
            return self._select(lambda rows: query(rows)[offset:offset + limit]), total
        # Matching names and emails ignoring accents is the domain's rule (Collection.matches):
        # the database narrows to the cabinet and statuses, the aggregate decides the rest.
        matching = [c for c in self._select(query) if c.matches(text)]
        return matching[offset:offset + limit], len(matching)

    def due(self, now: datetime, *, limit: int = 100) -> list[Collection]:
        at = mappers.to_column(now)
        return self._select(lambda rows: rows.select(lambda c: c.next_due_at is not None and c.next_due_at <= at)
                            .order_by(lambda c: (c.next_due_at, c.id))[:limit])

    def after_save(self, collection: Collection) -> None:
        wanted = set(collection.token_hashes())
        current = {link.token_hash: link for link in self._links.select(lambda l: l.collection_id == collection.id)}
        for token_hash in current.keys() - wanted:
            current[token_hash].delete()
        for token_hash in wanted - current.keys():
            self._links(token_hash=token_hash, collection_id=collection.id)

    def by_download_token_hash(self, token_hash: str) -> Collection | None:
        # The JSON holds the links' hashes: the database narrows, the aggregate confirms.
        return next((found for found in self._select(lambda rows: rows.select(lambda c: token_hash in c.data))
                     if any(link.token_hash == token_hash for link in found.download_links)), None)

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Collection]:
        ended = ["completed", "refused", "expired", "cancelled"]
        found = [e for e in self._select(lambda rows: rows.select(lambda c: c.status in ended))
                 if e.ended_at is not None and (
                     (e.ended_at <= documents_before and e.documents_purged_at is None)
                     or (e.ended_at <= evidence_before and e.evidence is not None and e.evidence.purged_at is None))]
        return sorted(found, key=lambda c: (c.ended_at, c.id))[:limit]

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        # The aggregate's JSON names every version's digest: the database narrows, the
        # aggregate confirms (a digest could appear in a timeline detail too).
        candidates = self._select(lambda rows: rows.select(lambda c: c.id != excluding and sha256 in c.data))
        return any(c.documents_purged_at is None and any(
            sha256 == d.ref.sha256 or any(sha256 in (v.before, v.after) for v in d.versions) for d in c.documents)
            for c in candidates)

    def archives_kept(self) -> list[Collection]:
        # The kept flags live in the JSON: the database narrows to ended collections.
        ended = ["completed", "refused", "expired", "cancelled"]
        found = [e for e in self._select(lambda rows: rows.select(lambda c: c.status in ended))
                 if e.ended_at is not None and (
                     (e.status is CollectionStatus.COMPLETED and e.documents_purged_at is None)
                     or (e.evidence is not None and e.evidence.purged_at is None))]
        return sorted(found, key=lambda c: (c.ended_at, c.id))

    def awaiting_evidence(self, *, limit: int = 100) -> list[Collection]:
        ended = ["completed", "refused", "expired", "cancelled"]
        found = [e for e in self._select(lambda rows: rows.select(lambda c: c.status in ended))
                 if e.evidence is None]
        return sorted(found, key=lambda c: (c.ended_at or c.created_at, c.id))[:limit]


class PonyAuditTrail:
    """The audit trail's rows; events are immutable, so they are written at once, never tracked."""

    def __init__(self, uow: PonyUnitOfWork) -> None:
        self._uow = uow
        self._rows = uow.entity("AuditEventRow")

    def append(self, event: AuditEvent) -> None:
        with self._uow.storage_errors_translated():
            self._rows(collection_id=event.collection_id, sequence=event.sequence, kind=event.kind,
                       at=mappers.to_column(event.at), actor=event.actor, ip=event.ip, user_agent=event.user_agent,
                       details=json.dumps(dict(event.details), ensure_ascii=False, sort_keys=True),
                       previous_hash=event.previous_hash, hash=event.hash)

    def _event(self, row: Any) -> AuditEvent:
        return AuditEvent(collection_id=row.collection_id, sequence=row.sequence, kind=row.kind,
                          at=mappers.from_column(row.at), actor=row.actor, ip=row.ip, user_agent=row.user_agent,
                          details=json.loads(row.details), previous_hash=row.previous_hash, hash=row.hash)

    def last(self, collection_id: str) -> AuditEvent | None:
        with self._uow.storage_errors_translated():
            rows = self._rows.select(lambda e: e.collection_id == collection_id).order_by(
                lambda e: desc(e.sequence))[:1]
            return self._event(rows[0]) if rows else None

    def of_collection(self, collection_id: str) -> list[AuditEvent]:
        with self._uow.storage_errors_translated():
            return [self._event(r) for r in self._rows.select(lambda e: e.collection_id == collection_id)
                    .order_by(lambda e: e.sequence)]

    def collection_ids(self) -> list[str]:
        with self._uow.storage_errors_translated():
            rows = self._rows
            return sorted(pony_select(e.collection_id for e in rows).distinct()[:])

class PonyQcpEnrollmentRepository(_Repository):
    """Enrollments are stored whole as JSON; ``qcp_identity_sessions`` maps each identity-check
    session to its enrollment."""

    kind, entity_name = "qcp_enrollment", "QcpEnrollmentRow"
    to_domain, columns = staticmethod(mappers.enrollment_from_row), staticmethod(mappers.enrollment_columns)

    def __init__(self, uow: PonyUnitOfWork) -> None:
        super().__init__(uow)
        self._sessions = uow.entity("QcpIdentitySessionRow")

    def add(self, enrollment: QcpEnrollment) -> None:
        self._add(enrollment)

    def get(self, enrollment_id: str) -> QcpEnrollment:
        return self._get(enrollment_id)  # type: ignore[no-any-return]

    def open_for(self, person_id: str, cabinet_id: str) -> QcpEnrollment | None:
        closed = [state.value for state in TERMINAL_STATES]
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda e: e.person_id == person_id and e.cabinet_id == cabinet_id and e.state not in closed)
            .order_by(lambda e: (desc(e.created_at), desc(e.id))))

    def by_session_ref(self, session_ref: str) -> QcpEnrollment | None:
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            session = self._sessions.get(session_ref=session_ref)
        return None if session is None else self._find(session.enrollment_id)

    def of_person(self, person_id: str) -> list[QcpEnrollment]:
        return self._select(lambda rows: rows.select(lambda e: e.person_id == person_id)
                            .order_by(lambda e: (desc(e.created_at), desc(e.id))))

    def in_states(self, states: frozenset[QcpState]) -> list[QcpEnrollment]:
        wanted = [state.value for state in states]
        if not wanted:
            return []
        return self._select(lambda rows: rows.select(lambda e: e.state in wanted)
                            .order_by(lambda e: (e.updated_at, e.id)))

    def after_save(self, enrollment: QcpEnrollment) -> None:
        wanted = {attempt.session_ref for attempt in enrollment.attempts}
        current = {s.session_ref: s for s in self._sessions.select(lambda s: s.enrollment_id == enrollment.id)}
        for session_ref in current.keys() - wanted:
            current[session_ref].delete()
        for session_ref in wanted - current.keys():
            self._sessions(session_ref=session_ref, enrollment_id=enrollment.id)


class PonyCaptureLinkRepository(_Repository):
    kind, entity_name, key_column = "capture_link", "CaptureLinkRow", "token_hash"
    to_domain, columns = staticmethod(mappers.capture_link_from_row), staticmethod(mappers.capture_link_columns)

    def add(self, link: CaptureLink) -> None:
        self._add(link)

    def by_token_hash(self, token_hash: str) -> CaptureLink | None:
        return self._find(token_hash)  # type: ignore[no-any-return]

    def latest_for_session(self, session_ref: str) -> CaptureLink | None:
        return self._first(lambda rows: rows.select(  # type: ignore[no-any-return]
            lambda l: l.session_ref == session_ref).order_by(lambda l: (desc(l.created_at), desc(l.token_hash))))
