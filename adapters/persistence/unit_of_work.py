"""The unit of work on Pony ORM.

One ``db_session`` per unit of work, opened in ``__enter__`` and closed in ``__exit__`` in
the same thread. Repositories (``adapters.persistence.repositories``, one module per
aggregate) hand out domain objects, never rows, and remember them in this unit of work's
identity map; ``commit`` writes every tracked aggregate back into its row, then commits.
Leaving the block without ``commit`` rolls back (Pony's own ``db_session`` would commit).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from pony.orm import Database, db_session
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

from adapters.persistence.repositories.accounts import PonyAccountRepository, PonyPasswordResetRepository
from adapters.persistence.repositories.api_keys import PonyApiKeyRepository, PonyIdempotencyRepository
from adapters.persistence.repositories.audit import PonyAuditTrail
from adapters.persistence.repositories.base import PonyRepository
from adapters.persistence.repositories.cabinets import (
    PonyCabinetRepository,
    PonyInvitationRepository,
    PonyMemberRepository,
)
from adapters.persistence.repositories.certificates import PonyCertificateRepository
from adapters.persistence.repositories.collections import PonyCollectionRepository
from adapters.persistence.repositories.jobs import PonyJobOutbox
from adapters.persistence.repositories.lcp_registrations import PonyLcpRegistrationRepository
from adapters.persistence.repositories.officers import PonyRegistrationOfficerRepository
from adapters.persistence.repositories.one_time_codes import PonyOneTimeCodeRepository
from adapters.persistence.repositories.persons import PonyPersonRepository
from adapters.persistence.repositories.qcp_enrollment import PonyCaptureLinkRepository, PonyQcpEnrollmentRepository
from adapters.persistence.repositories.remote_consents import PonyRemoteConsentRepository
from adapters.persistence.repositories.seals import PonySealingRepository, PonySealRequestRepository
from adapters.persistence.repositories.webhooks import PonyWebhookDeliveryRepository, PonyWebhookEndpointRepository
from domain.model.errors import Conflict, DomainError, EmailTaken, UniqueViolation
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
        self._tracked: dict[tuple[str, str], tuple[object, PonyRepository]] = {}

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
        self.seal_requests = PonySealRequestRepository(self)
        self.sealings = PonySealingRepository(self)
        self.remote_consents = PonyRemoteConsentRepository(self)
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

    def track(self, key: tuple[str, str], obj: object, repository: PonyRepository) -> None:
        self._tracked[key] = (obj, repository)

    def forget(self, key: tuple[str, str]) -> None:
        self._tracked.pop(key, None)

    def flush_tracked(self) -> None:
        """Copy every tracked aggregate into its row; Pony flushes only what changed."""
        for (_kind, key), (obj, repository) in list(self._tracked.items()):
            repository.write_back(key, obj)
