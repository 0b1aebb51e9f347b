-- Cabinets, persons, memberships, invitations, accounts, password resets and the job outbox.
-- Timestamps are UTC, stored as TIMESTAMP WITHOUT TIME ZONE (the adapter converts).

CREATE TABLE cabinets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    siren       TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE persons (
    id           TEXT PRIMARY KEY,
    given_names  TEXT NOT NULL,
    surname      TEXT NOT NULL,
    email        TEXT NOT NULL UNIQUE,
    mobile       TEXT,
    locale       TEXT NOT NULL DEFAULT 'fr',
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE members (
    id           TEXT PRIMARY KEY,
    cabinet_id   TEXT NOT NULL REFERENCES cabinets (id) DEFERRABLE INITIALLY DEFERRED,
    person_id    TEXT NOT NULL REFERENCES persons (id) DEFERRABLE INITIALLY DEFERRED,
    role         TEXT NOT NULL,
    delegations  TEXT NOT NULL DEFAULT '',
    joined_at    TIMESTAMP,
    CONSTRAINT members_cabinet_person_key UNIQUE (cabinet_id, person_id)
);
CREATE INDEX members_person_idx ON members (person_id);

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    cabinet_id   TEXT NOT NULL REFERENCES cabinets (id) DEFERRABLE INITIALLY DEFERRED,
    email        TEXT NOT NULL,
    given_names  TEXT NOT NULL,
    surname      TEXT NOT NULL,
    role         TEXT NOT NULL,
    delegations  TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL,
    invited_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    status       TEXT NOT NULL,
    accepted_at  TIMESTAMP
);
CREATE INDEX invitations_token_hash_idx ON invitations (token_hash);
CREATE INDEX invitations_cabinet_status_idx ON invitations (cabinet_id, status);

CREATE TABLE accounts (
    person_id             TEXT PRIMARY KEY REFERENCES persons (id) DEFERRABLE INITIALLY DEFERRED,
    password_hash         TEXT,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          TIMESTAMP,
    totp_secret           TEXT,
    totp_enabled          BOOLEAN NOT NULL DEFAULT FALSE,
    recovery_code_hashes  TEXT NOT NULL DEFAULT '[]',
    password_changed_at   TIMESTAMP
);

CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES persons (id) DEFERRABLE INITIALLY DEFERRED,
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX password_resets_token_hash_idx ON password_resets (token_hash);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    last_error  TEXT
);
CREATE INDEX jobs_status_run_at_idx ON jobs (status, run_at);
