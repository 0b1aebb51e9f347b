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
