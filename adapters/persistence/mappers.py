"""Explicit translation between Pony rows and domain objects.

``*_from_row`` builds the domain object; ``*_columns`` gives the column values for a
domain object, used both to insert a row and to write a tracked aggregate back.
Timestamps: the domain holds aware UTC datetimes, the columns naive UTC ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from domain.model.account import Account, PasswordReset
from domain.model.cabinet import Cabinet, Delegation, Invitation, InvitationStatus, Member, Role
from domain.model.jobs import Job, JobSpec, JobStatus
from domain.model.person import Person
from domain.model.values import Email, Mobile, PersonName, Siren

Columns = dict[str, Any]


def to_column(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("the domain only stores timezone-aware datetimes")
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_column(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=timezone.utc)


def _delegations_column(delegations: frozenset[Delegation]) -> str:
    return ",".join(sorted(d.value for d in delegations))


def _delegations(text: str) -> frozenset[Delegation]:
    return frozenset(Delegation(v) for v in text.split(",") if v)


# cabinets -------------------------------------------------------------------------------

def cabinet_columns(cabinet: Cabinet) -> Columns:
    return {"id": cabinet.id, "name": cabinet.name, "siren": str(cabinet.siren),
            "created_at": to_column(cabinet.created_at)}


def cabinet_from_row(row: Any) -> Cabinet:
    return Cabinet(id=row.id, name=row.name, siren=Siren(row.siren), created_at=from_column(row.created_at))


# persons --------------------------------------------------------------------------------

def person_columns(person: Person) -> Columns:
    return {"id": person.id, "given_names": person.name.given_names, "surname": person.name.surname,
            "email": str(person.email), "mobile": str(person.mobile) if person.mobile else None,
            "locale": person.locale, "created_at": to_column(person.created_at)}


def person_from_row(row: Any) -> Person:
    return Person(id=row.id, name=PersonName(row.given_names, row.surname), email=Email(row.email),
                  mobile=Mobile(row.mobile) if row.mobile else None, created_at=from_column(row.created_at),
                  locale=row.locale)


# members --------------------------------------------------------------------------------

def member_columns(member: Member) -> Columns:
    return {"id": member.id, "cabinet_id": member.cabinet_id, "person_id": member.person_id,
            "role": member.role.value, "delegations": _delegations_column(member.delegations),
            "joined_at": to_column(member.joined_at)}


def member_from_row(row: Any) -> Member:
    return Member(id=row.id, cabinet_id=row.cabinet_id, person_id=row.person_id, role=Role(row.role),
                  delegations=_delegations(row.delegations), joined_at=from_column(row.joined_at))


# invitations ----------------------------------------------------------------------------

def invitation_columns(invitation: Invitation) -> Columns:
    return {"id": invitation.id, "cabinet_id": invitation.cabinet_id, "email": str(invitation.email),
            "given_names": invitation.name.given_names, "surname": invitation.name.surname,
            "role": invitation.role.value, "delegations": _delegations_column(invitation.delegations),
            "token_hash": invitation.token_hash, "invited_by": invitation.invited_by,
            "created_at": to_column(invitation.created_at), "expires_at": to_column(invitation.expires_at),
            "status": invitation.status.value, "accepted_at": to_column(invitation.accepted_at)}


def invitation_from_row(row: Any) -> Invitation:
    return Invitation(id=row.id, cabinet_id=row.cabinet_id, email=Email(row.email),
                      name=PersonName(row.given_names, row.surname), role=Role(row.role),
                      delegations=_delegations(row.delegations), token_hash=row.token_hash,
                      invited_by=row.invited_by, created_at=from_column(row.created_at),
                      expires_at=from_column(row.expires_at), status=InvitationStatus(row.status),
                      accepted_at=from_column(row.accepted_at))


# accounts -------------------------------------------------------------------------------

def account_columns(account: Account) -> Columns:
    return {"person_id": account.person_id, "password_hash": account.password_hash,
            "failed_logins": account.failed_logins, "locked_until": to_column(account.locked_until),
            "totp_secret": account.totp_secret, "totp_enabled": account.totp_enabled,
            "recovery_code_hashes": json.dumps(list(account.recovery_code_hashes)),
            "password_changed_at": to_column(account.password_changed_at)}


def account_from_row(row: Any) -> Account:
    return Account(person_id=row.person_id, password_hash=row.password_hash, failed_logins=row.failed_logins,
                   locked_until=from_column(row.locked_until), totp_secret=row.totp_secret,
                   totp_enabled=row.totp_enabled, recovery_code_hashes=tuple(json.loads(row.recovery_code_hashes)),
                   password_changed_at=from_column(row.password_changed_at))


# password resets ------------------------------------------------------------------------

def password_reset_columns(reset: PasswordReset) -> Columns:
    return {"id": reset.id, "person_id": reset.person_id, "token_hash": reset.token_hash,
            "created_at": to_column(reset.created_at), "expires_at": to_column(reset.expires_at),
            "used_at": to_column(reset.used_at)}


def password_reset_from_row(row: Any) -> PasswordReset:
    return PasswordReset(id=row.id, person_id=row.person_id, token_hash=row.token_hash,
                         created_at=from_column(row.created_at), expires_at=from_column(row.expires_at),
                         used_at=from_column(row.used_at))


# jobs -----------------------------------------------------------------------------------

def new_job_columns(job_id: str, spec: JobSpec, now: datetime) -> Columns:
    return {"id": job_id, "kind": spec.kind, "payload": json.dumps(spec.payload_dict(), sort_keys=True),
            "status": JobStatus.PENDING.value, "attempts": 0, "run_at": to_column(spec.run_at or now),
            "created_at": to_column(now), "last_error": None, "leased_until": None}


def job_from_row(row: Any) -> Job:
    # The requested time lives in Job.run_at; the spec only says what to run.
    return Job(id=row.id, spec=JobSpec(kind=row.kind, payload=json.loads(row.payload)),
               status=JobStatus(row.status), attempts=row.attempts, run_at=from_column(row.run_at),
               created_at=from_column(row.created_at), last_error=row.last_error)
