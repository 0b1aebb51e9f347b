"""Repositories and the unit of work.

Aggregates obtained from a repository inside a unit of work are tracked: changes made
to them are persisted by ``commit()``; leaving the ``with`` block without committing
rolls everything back. Jobs enqueued through ``uow.jobs`` are stored in the same
transaction as the state change they follow.

``UnitOfWork`` names every repository: the feature ports beside this module define theirs
and import nothing from here, so this module depends on them and never the other way round.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.model.account import Account, PasswordReset
from domain.model.cabinet import Cabinet, Invitation, Member
from domain.model.jobs import JobSpec
from domain.model.person import Person
from domain.model.values import Email
from ports.api_keys import ApiKeyRepository, IdempotencyRepository
from ports.audit import AuditTrail
from ports.certificates import CertificateRepository
from ports.collections import CollectionRepository
from ports.lcp_registrations import LcpRegistrationRepository
from ports.officers import RegistrationOfficerRepository
from ports.one_time_codes import OneTimeCodeRepository
from ports.qcp_enrollment import CaptureLinkRepository, QcpEnrollmentRepository
from ports.remote_signing import RemoteConsentRepository
from ports.seals import SealingRepository, SealRequestRepository
from ports.webhooks import WebhookDeliveryRepository, WebhookEndpointRepository


@runtime_checkable
class CabinetRepository(Protocol):
    def add(self, cabinet: Cabinet) -> None: ...

    def get(self, cabinet_id: str) -> Cabinet:
        """Raise domain NotFound when absent."""
        ...

    def by_siren(self, siren: str) -> Cabinet | None: ...

    def list_by_ids(self, cabinet_ids: list[str]) -> list[Cabinet]:
        """The cabinets named, ordered by name."""
        ...


@runtime_checkable
class PersonRepository(Protocol):
    def add(self, person: Person) -> None: ...

    def get(self, person_id: str) -> Person: ...

    def by_email(self, email: Email) -> Person | None: ...


@runtime_checkable
class MemberRepository(Protocol):
    def add(self, member: Member) -> None: ...

    def get(self, member_id: str) -> Member: ...

    def find(self, cabinet_id: str, person_id: str) -> Member | None: ...

    def of_cabinet(self, cabinet_id: str) -> list[Member]:
        """Members of a cabinet, in joining order."""
        ...

    def of_person(self, person_id: str) -> list[Member]: ...

    def remove(self, member: Member) -> None: ...


@runtime_checkable
class InvitationRepository(Protocol):
    def add(self, invitation: Invitation) -> None: ...

    def get(self, invitation_id: str) -> Invitation: ...

    def by_token_hash(self, token_hash: str) -> Invitation | None: ...

    def pending_for_cabinet(self, cabinet_id: str) -> list[Invitation]: ...


@runtime_checkable
class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def get(self, person_id: str) -> Account: ...

    def find(self, person_id: str) -> Account | None: ...


@runtime_checkable
class PasswordResetRepository(Protocol):
    def add(self, reset: PasswordReset) -> None: ...

    def by_token_hash(self, token_hash: str) -> PasswordReset | None: ...

    def unused_for(self, person_id: str) -> list[PasswordReset]:
        """The person's links not used yet (expired ones included), oldest first."""
        ...


@runtime_checkable
class JobOutbox(Protocol):
    def enqueue(self, spec: JobSpec) -> str:
        """Store the job in the current transaction; return its id."""
        ...


@runtime_checkable
class UnitOfWork(Protocol):
    cabinets: CabinetRepository
    persons: PersonRepository
    members: MemberRepository
    invitations: InvitationRepository
    accounts: AccountRepository
    password_resets: PasswordResetRepository
    jobs: JobOutbox
    one_time_codes: OneTimeCodeRepository
    certificates: CertificateRepository
    lcp_registrations: LcpRegistrationRepository
    collections: CollectionRepository
    audit: AuditTrail
    qcp_enrollments: QcpEnrollmentRepository
    capture_links: CaptureLinkRepository
    registration_officers: RegistrationOfficerRepository
    api_keys: ApiKeyRepository
    idempotency: IdempotencyRepository
    webhook_endpoints: WebhookEndpointRepository
    webhook_deliveries: WebhookDeliveryRepository
    seal_requests: SealRequestRepository
    sealings: SealingRepository
    remote_consents: RemoteConsentRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
