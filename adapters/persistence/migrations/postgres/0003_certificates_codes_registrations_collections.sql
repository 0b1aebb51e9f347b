-- Certificates, one-time code challenges, LCP registrations and collections.
-- No foreign keys to persons or cabinets here: certificates and challenges may concern
-- people outside any cabinet (external signers).

CREATE TABLE certificates (
    id                 TEXT PRIMARY KEY,
    person_id          TEXT NOT NULL,
    cabinet_id         TEXT,
    policy             TEXT NOT NULL,
    serial             TEXT NOT NULL UNIQUE,
    issuer             TEXT NOT NULL,
    subject            TEXT NOT NULL,
    not_before         TIMESTAMP NOT NULL,
    not_after          TIMESTAMP NOT NULL,
    key_id             TEXT NOT NULL,
    der                BYTEA NOT NULL,
    issued_at          TIMESTAMP NOT NULL,
    one_time           BOOLEAN NOT NULL DEFAULT FALSE,
    revoked_at         TIMESTAMP,
    revocation_reason  TEXT,
    revoked_by         TEXT
);
CREATE INDEX certificates_person_idx ON certificates (person_id, issued_at);

CREATE TABLE one_time_codes (
    id              TEXT PRIMARY KEY,
    person_id       TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    destination     TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    payload_digest  TEXT,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,
    used_at         TIMESTAMP
);
CREATE INDEX one_time_codes_person_idx ON one_time_codes (person_id, purpose, created_at);

CREATE TABLE lcp_registrations (
    id                     TEXT PRIMARY KEY,
    person_id              TEXT NOT NULL,
    cabinet_id             TEXT NOT NULL,
    given_names            TEXT NOT NULL,
    surname                TEXT NOT NULL,
    email                  TEXT NOT NULL,
    mobile                 TEXT NOT NULL,
    started_at             TIMESTAMP NOT NULL,
    state                  TEXT NOT NULL,
    updated_at             TIMESTAMP,
    email_verified_at      TIMESTAMP,
    mobile_verified_at     TIMESTAMP,
    identity_confirmed_at  TIMESTAMP,
    consent_version        TEXT,
    consent_accepted_at    TIMESTAMP,
    issued_at              TIMESTAMP,
    certificate_id         TEXT,
    cancelled_at           TIMESTAMP,
    history                TEXT NOT NULL DEFAULT '[]'
);
-- At most one registration under way per person and cabinet, even for concurrent requests.
CREATE UNIQUE INDEX lcp_registrations_one_active_idx ON lcp_registrations (person_id, cabinet_id)
    WHERE state NOT IN ('issued', 'cancelled');
CREATE INDEX lcp_registrations_person_cabinet_idx ON lcp_registrations (person_id, cabinet_id, started_at);

-- A collection is stored whole as JSON (signers, documents, timeline); the columns beside
-- it are what queries need, rewritten from the aggregate on every save.
CREATE TABLE collections (
    id           TEXT PRIMARY KEY,
    cabinet_id   TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    next_due_at  TIMESTAMP,
    data         TEXT NOT NULL
);
CREATE INDEX collections_cabinet_idx ON collections (cabinet_id, created_at);
CREATE INDEX collections_due_idx ON collections (next_due_at) WHERE next_due_at IS NOT NULL;

-- Signer links, by the hash of their token.
CREATE TABLE collection_links (
    token_hash     TEXT PRIMARY KEY,
    collection_id  TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX collection_links_collection_idx ON collection_links (collection_id);
