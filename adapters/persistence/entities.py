"""Pony entities: the rows as the database holds them. Never seen outside this adapter.

``define_entities`` declares them on a fresh ``Database`` (no module-level database, so
tests and processes each bind their own). Columns follow the latest migration; uniqueness
is declared here too so Pony's cache refuses a duplicate before the database does.
"""

from __future__ import annotations

from datetime import datetime

from pony.orm import Database, Optional, PrimaryKey, Required, composite_key

__all__ = ["define_entities"]


def define_entities(db: Database) -> None:
    class CabinetRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "cabinets"
        id = PrimaryKey(str)
        name = Required(str)
        siren = Required(str, unique=True)
        created_at = Required(datetime, precision=6)

    class PersonRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "persons"
        id = PrimaryKey(str)
        given_names = Required(str)
        surname = Required(str)
        email = Required(str, unique=True)
        mobile = Optional(str, nullable=True)
        locale = Required(str)
        created_at = Required(datetime, precision=6)

    class MemberRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "members"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        person_id = Required(str)
        role = Required(str)
        delegations = Optional(str)  # sorted values, comma-separated; '' for none
        joined_at = Optional(datetime, precision=6)
        composite_key(cabinet_id, person_id)

    class InvitationRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "invitations"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        email = Required(str)
        given_names = Required(str)
        surname = Required(str)
        role = Required(str)
        delegations = Optional(str)
        token_hash = Required(str)
        invited_by = Required(str)
        created_at = Required(datetime, precision=6)
        expires_at = Required(datetime, precision=6)
        status = Required(str)
        accepted_at = Optional(datetime, precision=6)

    class AccountRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "accounts"
        person_id = PrimaryKey(str)
        password_hash = Optional(str, nullable=True)
        failed_logins = Required(int)
        locked_until = Optional(datetime, precision=6)
        totp_secret = Optional(str, nullable=True)
        totp_enabled = Required(bool)
        recovery_code_hashes = Required(str)  # JSON list: hashes are opaque strings
        password_changed_at = Optional(datetime, precision=6)

    class PasswordResetRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "password_resets"
        id = PrimaryKey(str)
        person_id = Required(str)
        token_hash = Required(str)
        created_at = Required(datetime, precision=6)
        expires_at = Required(datetime, precision=6)
        used_at = Optional(datetime, precision=6)

    class JobRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "jobs"
        id = PrimaryKey(str)
        kind = Required(str)
        payload = Required(str)  # JSON object of strings
        status = Required(str)
        attempts = Required(int)
        run_at = Required(datetime, precision=6)
        created_at = Required(datetime, precision=6)
        last_error = Optional(str, nullable=True)
        leased_until = Optional(datetime, precision=6)  # since migration 0002

    # since migration 0003 --------------------------------------------------------------

    class CertificateRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "certificates"
        id = PrimaryKey(str)
        person_id = Required(str)
        cabinet_id = Optional(str, nullable=True)
        policy = Required(str)
        serial = Required(str, unique=True)
        issuer = Required(str)
        subject = Required(str)
        not_before = Required(datetime, precision=6)
        not_after = Required(datetime, precision=6)
        key_id = Required(str)
        der = Required(bytes)
        issued_at = Required(datetime, precision=6)
        one_time = Required(bool)
        revoked_at = Optional(datetime, precision=6)
        revocation_reason = Optional(str, nullable=True)
        revoked_by = Optional(str, nullable=True)

    class OneTimeCodeRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "one_time_codes"
        id = PrimaryKey(str)
        person_id = Required(str)
        purpose = Required(str)
        channel = Required(str)
        destination = Required(str)
        code_hash = Required(str)
        payload_digest = Optional(str, nullable=True)
        created_at = Required(datetime, precision=6)
        expires_at = Required(datetime, precision=6)
        attempts = Required(int)
        status = Required(str)
        used_at = Optional(datetime, precision=6)

    class LcpRegistrationRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "lcp_registrations"
        id = PrimaryKey(str)
        person_id = Required(str)
        cabinet_id = Required(str)
        given_names = Required(str)
        surname = Required(str)
        email = Required(str)
        mobile = Required(str)
        started_at = Required(datetime, precision=6)
        state = Required(str)
        updated_at = Optional(datetime, precision=6)
        email_verified_at = Optional(datetime, precision=6)
        mobile_verified_at = Optional(datetime, precision=6)
        identity_confirmed_at = Optional(datetime, precision=6)
        consent_version = Optional(str, nullable=True)
        consent_accepted_at = Optional(datetime, precision=6)
        issued_at = Optional(datetime, precision=6)
        certificate_id = Optional(str, nullable=True)
        cancelled_at = Optional(datetime, precision=6)
        history = Required(str)  # JSON list of steps

    class RegistrationOfficerRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "registration_officers"
        person_id = PrimaryKey(str)
        appointed_at = Required(datetime, precision=6)
        revoked_at = Optional(datetime, precision=6)

    class CollectionRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "collections"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        status = Required(str)
        created_at = Required(datetime, precision=6)
        next_due_at = Optional(datetime, precision=6)
        data = Required(str)  # the whole aggregate as JSON

    class CollectionLinkRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "collection_links"
        token_hash = PrimaryKey(str)
        collection_id = Required(str)

    # since migration 0007 --------------------------------------------------------------

    class ApiKeyRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "api_keys"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        name = Required(str)
        scopes = Required(str)  # comma-separated scope values
        secret_hash = Required(str)
        created_by = Required(str)
        created_at = Required(datetime, precision=6)
        # When a key was last used is a fact that each request overwrites, not a decision made on
        # what was read: parallel requests with one key must not fail Pony's optimistic check.
        last_used_at = Optional(datetime, precision=6, optimistic=False)
        revoked_at = Optional(datetime, precision=6)

    class IdempotencyRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "idempotency_records"
        principal = Required(str)
        idempotency_key = Required(str)
        fingerprint = Required(str)
        created_at = Required(datetime, precision=6)
        expires_at = Required(datetime, precision=6)
        response_status = Optional(int, nullable=True)
        response_content_type = Optional(str, nullable=True)
        response_location = Optional(str, nullable=True)
        response_body = Optional(bytes, nullable=True)
        PrimaryKey(principal, idempotency_key)

    # since migration 0005 --------------------------------------------------------------

    class AuditEventRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "audit_events"
        collection_id = Required(str)
        sequence = Required(int)
        kind = Required(str)
        at = Required(datetime, precision=6)
        actor = Optional(str, nullable=True)
        ip = Optional(str, nullable=True)
        user_agent = Optional(str, nullable=True)
        details = Required(str)  # JSON object of strings
        previous_hash = Required(str)
        hash = Required(str)
        PrimaryKey(collection_id, sequence)

    # since migration 0004 --------------------------------------------------------------

    class QcpEnrollmentRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "qcp_enrollments"
        id = PrimaryKey(str)
        person_id = Required(str)
        cabinet_id = Required(str)
        state = Required(str)
        created_at = Required(datetime, precision=6)
        updated_at = Required(datetime, precision=6)
        data = Required(str)  # the whole aggregate as JSON

    class QcpIdentitySessionRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "qcp_identity_sessions"
        session_ref = PrimaryKey(str)
        enrollment_id = Required(str)

    class CaptureLinkRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "capture_links"
        token_hash = PrimaryKey(str)
        enrollment_id = Required(str)
        session_ref = Required(str)
        phone_url = Required(str)
        browser_url = Required(str)
        created_at = Required(datetime, precision=6)
        expires_at = Required(datetime, precision=6)
        used_at = Optional(datetime, precision=6)

    # since migration 0008 --------------------------------------------------------------

    class WebhookEndpointRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "webhook_endpoints"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        url = Required(str)
        events = Required(str)  # comma-separated event names
        secret = Required(str)
        previous_secret = Optional(str, nullable=True)
        previous_secret_expires_at = Optional(datetime, precision=6)
        created_at = Required(datetime, precision=6)
        created_by = Required(str)

    class WebhookDeliveryRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "webhook_deliveries"
        id = PrimaryKey(str)
        endpoint_id = Required(str)
        cabinet_id = Required(str)
        event_id = Required(str)
        event = Required(str)
        body = Required(str)
        created_at = Required(datetime, precision=6)
        status = Required(str)
        round = Required(int)
        round_started_at = Required(datetime, precision=6)
        next_attempt_at = Optional(datetime, precision=6)
        delivered_at = Optional(datetime, precision=6)
        attempts = Required(str)  # JSON list of {at, status_code, error}
        composite_key(endpoint_id, event_id)

    class SealRequestRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "seal_requests"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        state = Required(str)
        requested_at = Required(datetime, precision=6)
        data = Required(str)  # the whole request (and its certificate) as JSON

    class SealingRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "sealings"
        id = PrimaryKey(str)
        cabinet_id = Required(str)
        sealed_at = Required(datetime, precision=6)
        data = Required(str)  # the whole sealing as JSON

    class RemoteConsentRow(db.Entity):  # type: ignore[name-defined,misc]
        _table_ = "remote_consents"
        id = PrimaryKey(str)
        state_hash = Required(str, unique=True)
        expires_at = Required(datetime, precision=6)
        data = Required(str)  # the whole consent (its prepared documents) as JSON
