"""Explicit translation between Pony rows and domain objects.

``*_from_row`` builds the domain object; ``*_columns`` gives the column values for a
domain object, used both to insert a row and to write a tracked aggregate back.
Timestamps: the domain holds aware UTC datetimes, the columns naive UTC ones.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from cattrs.preconf.json import make_converter

from domain.model.account import Account, PasswordReset
from domain.model.cabinet import Cabinet, Delegation, Invitation, InvitationStatus, Member, Role
from domain.model.certificates import Certificate
from domain.model.collection import Collection
from domain.model.jobs import Channel, Job, JobSpec, JobStatus
from domain.model.lcp_registration import LcpRegistration, RegistrationState, RegistrationStep, TermsConsent
from domain.model.officer import RegistrationOfficer
from domain.model.one_time_code import ChallengeStatus, OneTimeCodeChallenge
from domain.model.person import Person
from domain.model.pki import CertificatePolicy, RevocationReason
from domain.model.qcp_enrollment import CaptureLink, QcpEnrollment
from domain.model.values import Email, Mobile, PersonName, Siren
from domain.model.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookUrl,
)

# For the parts stored as JSON (a collection, a registration's history): private to this
# adapter, strict about unknown keys so a stored document never half-loads.
_json = make_converter(forbid_extra_keys=True)

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


# certificates ---------------------------------------------------------------------------

def certificate_columns(certificate: Certificate) -> Columns:
    return {"id": certificate.id, "person_id": certificate.person_id, "cabinet_id": certificate.cabinet_id,
            "policy": certificate.policy.value, "serial": certificate.serial, "issuer": certificate.issuer,
            "subject": certificate.subject, "not_before": to_column(certificate.not_before),
            "not_after": to_column(certificate.not_after), "key_id": certificate.key_id,
            "der": bytes(certificate.der), "issued_at": to_column(certificate.issued_at),
            "one_time": certificate.one_time, "revoked_at": to_column(certificate.revoked_at),
            "revocation_reason": certificate.revocation_reason.value if certificate.revocation_reason else None,
            "revoked_by": certificate.revoked_by}


def certificate_from_row(row: Any) -> Certificate:
    return Certificate(id=row.id, person_id=row.person_id, cabinet_id=row.cabinet_id,
                       policy=CertificatePolicy(row.policy), serial=row.serial, issuer=row.issuer,
                       subject=row.subject, not_before=from_column(row.not_before),
                       not_after=from_column(row.not_after), key_id=row.key_id, der=bytes(row.der),
                       issued_at=from_column(row.issued_at), one_time=row.one_time,
                       revoked_at=from_column(row.revoked_at),
                       revocation_reason=RevocationReason(row.revocation_reason) if row.revocation_reason else None,
                       revoked_by=row.revoked_by)


# one-time code challenges ---------------------------------------------------------------

def challenge_columns(challenge: OneTimeCodeChallenge) -> Columns:
    return {"id": challenge.id, "person_id": challenge.person_id, "purpose": challenge.purpose,
            "channel": challenge.channel.value, "destination": challenge.destination,
            "code_hash": challenge.code_hash, "payload_digest": challenge.payload_digest,
            "created_at": to_column(challenge.created_at), "expires_at": to_column(challenge.expires_at),
            "attempts": challenge.attempts, "status": challenge.status.value,
            "used_at": to_column(challenge.used_at)}


def challenge_from_row(row: Any) -> OneTimeCodeChallenge:
    return OneTimeCodeChallenge(id=row.id, person_id=row.person_id, purpose=row.purpose,
                                channel=Channel(row.channel), destination=row.destination,
                                code_hash=row.code_hash, payload_digest=row.payload_digest,
                                created_at=from_column(row.created_at), expires_at=from_column(row.expires_at),
                                attempts=row.attempts, status=ChallengeStatus(row.status),
                                used_at=from_column(row.used_at))


# LCP registrations ----------------------------------------------------------------------

def registration_columns(registration: LcpRegistration) -> Columns:
    consent = registration.consent
    return {"id": registration.id, "person_id": registration.person_id, "cabinet_id": registration.cabinet_id,
            "given_names": registration.name.given_names, "surname": registration.name.surname,
            "email": str(registration.email), "mobile": str(registration.mobile),
            "started_at": to_column(registration.started_at), "state": registration.state.value,
            "updated_at": to_column(registration.updated_at),
            "email_verified_at": to_column(registration.email_verified_at),
            "mobile_verified_at": to_column(registration.mobile_verified_at),
            "identity_confirmed_at": to_column(registration.identity_confirmed_at),
            "consent_version": consent.version if consent else None,
            "consent_accepted_at": to_column(consent.accepted_at) if consent else None,
            "issued_at": to_column(registration.issued_at), "certificate_id": registration.certificate_id,
            "cancelled_at": to_column(registration.cancelled_at),
            "history": json.dumps(_json.unstructure(list(registration.history), list[RegistrationStep]))}


def registration_from_row(row: Any) -> LcpRegistration:
    consent = (TermsConsent(version=row.consent_version, accepted_at=from_column(row.consent_accepted_at))
               if row.consent_version else None)
    return LcpRegistration(id=row.id, person_id=row.person_id, cabinet_id=row.cabinet_id,
                           name=PersonName(row.given_names, row.surname), email=Email(row.email),
                           mobile=Mobile(row.mobile), started_at=from_column(row.started_at),
                           state=RegistrationState(row.state), updated_at=from_column(row.updated_at),
                           email_verified_at=from_column(row.email_verified_at),
                           mobile_verified_at=from_column(row.mobile_verified_at),
                           identity_confirmed_at=from_column(row.identity_confirmed_at), consent=consent,
                           issued_at=from_column(row.issued_at), certificate_id=row.certificate_id,
                           cancelled_at=from_column(row.cancelled_at),
                           history=_json.structure(json.loads(row.history), list[RegistrationStep]))


# collections ----------------------------------------------------------------------------

def collection_columns(collection: Collection) -> Columns:
    """The JSON document plus the columns the queries use, derived from the aggregate."""
    return {"id": collection.id, "cabinet_id": collection.cabinet_id, "status": collection.status.value,
            "created_at": to_column(collection.created_at), "next_due_at": to_column(collection.next_due_at()),
            "data": json.dumps(_json.unstructure(collection, Collection), ensure_ascii=False, sort_keys=True)}


def collection_from_row(row: Any) -> Collection:
    return _json.structure(json.loads(row.data), Collection)


# QCP enrollments ------------------------------------------------------------------------

def enrollment_columns(enrollment: QcpEnrollment) -> Columns:
    return {"id": enrollment.id, "person_id": enrollment.person_id, "cabinet_id": enrollment.cabinet_id,
            "state": enrollment.state.value, "created_at": to_column(enrollment.created_at),
            "updated_at": to_column(enrollment.updated_at),
            "data": json.dumps(_json.unstructure(enrollment, QcpEnrollment), ensure_ascii=False, sort_keys=True)}


def enrollment_from_row(row: Any) -> QcpEnrollment:
    return _json.structure(json.loads(row.data), QcpEnrollment)


def capture_link_columns(link: CaptureLink) -> Columns:
    return {"token_hash": link.token_hash, "enrollment_id": link.enrollment_id, "session_ref": link.session_ref,
            "phone_url": link.phone_url, "browser_url": link.browser_url,
            "created_at": to_column(link.created_at), "expires_at": to_column(link.expires_at),
            "used_at": to_column(link.used_at)}


def capture_link_from_row(row: Any) -> CaptureLink:
    return CaptureLink(token_hash=row.token_hash, enrollment_id=row.enrollment_id, session_ref=row.session_ref,
                       phone_url=row.phone_url, browser_url=row.browser_url,
                       created_at=from_column(row.created_at), expires_at=from_column(row.expires_at),
                       used_at=from_column(row.used_at))


# registration officers ------------------------------------------------------------------

def officer_columns(officer: RegistrationOfficer) -> Columns:
    return {"person_id": officer.person_id, "appointed_at": to_column(officer.appointed_at),
            "revoked_at": to_column(officer.revoked_at)}


def officer_from_row(row: Any) -> RegistrationOfficer:
    return RegistrationOfficer(person_id=row.person_id, appointed_at=from_column(row.appointed_at),
                               revoked_at=from_column(row.revoked_at))


# webhooks ------------------------------------------------------------------------------

def webhook_endpoint_columns(endpoint: WebhookEndpoint) -> Columns:
    order = list(WebhookEvent)
    return {"id": endpoint.id, "cabinet_id": endpoint.cabinet_id, "url": str(endpoint.url),
            "events": ",".join(e.value for e in sorted(endpoint.events, key=order.index)),
            "secret": endpoint.secret, "previous_secret": endpoint.previous_secret,
            "previous_secret_expires_at": to_column(endpoint.previous_secret_expires_at),
            "created_at": to_column(endpoint.created_at), "created_by": endpoint.created_by}


def webhook_endpoint_from_row(row: Any) -> WebhookEndpoint:
    return WebhookEndpoint(id=row.id, cabinet_id=row.cabinet_id, url=WebhookUrl(row.url),
                           events=frozenset(WebhookEvent(v) for v in row.events.split(",") if v),
                           secret=row.secret, previous_secret=row.previous_secret,
                           previous_secret_expires_at=from_column(row.previous_secret_expires_at),
                           created_at=from_column(row.created_at), created_by=row.created_by)


def _attempts_column(attempts: list[DeliveryAttempt]) -> str:
    return json.dumps([{"at": a.at.isoformat(), "status_code": a.status_code, "error": a.error} for a in attempts],
                      sort_keys=True)


def _attempts(text: str) -> list[DeliveryAttempt]:
    return [DeliveryAttempt(at=datetime.fromisoformat(a["at"]), status_code=a["status_code"], error=a["error"])
            for a in json.loads(text)]


def webhook_delivery_columns(delivery: WebhookDelivery) -> Columns:
    return {"id": delivery.id, "endpoint_id": delivery.endpoint_id, "cabinet_id": delivery.cabinet_id,
            "event_id": delivery.event_id, "event": delivery.event.value, "body": delivery.body,
            "created_at": to_column(delivery.created_at), "status": delivery.status.value, "round": delivery.round,
            "round_started_at": to_column(delivery.round_started_at or delivery.created_at),
            "next_attempt_at": to_column(delivery.next_attempt_at), "delivered_at": to_column(delivery.delivered_at),
            "attempts": _attempts_column(delivery.attempts)}


def webhook_delivery_from_row(row: Any) -> WebhookDelivery:
    return WebhookDelivery(id=row.id, endpoint_id=row.endpoint_id, cabinet_id=row.cabinet_id, event_id=row.event_id,
                           event=WebhookEvent(row.event), body=row.body, created_at=from_column(row.created_at),
                           status=DeliveryStatus(row.status), round=row.round,
                           round_started_at=from_column(row.round_started_at),
                           next_attempt_at=from_column(row.next_attempt_at),
                           delivered_at=from_column(row.delivered_at), attempts=_attempts(row.attempts))
