-- API keys of a cabinet: only the SHA-256 of the secret is stored. A revoked
-- key keeps its row, so the list still shows it and its last use.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    cabinet_id    TEXT NOT NULL REFERENCES cabinets (id),
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES persons (id),
    created_at    DATETIME NOT NULL,
    last_used_at  DATETIME,
    revoked_at    DATETIME
);
CREATE INDEX api_keys_cabinet ON api_keys (cabinet_id, created_at);

-- One row per (principal, Idempotency-Key), kept 24 hours: the primary key is what makes two
-- concurrent first requests with one key impossible. response_status NULL: still running.
CREATE TABLE idempotency_records (
    principal              TEXT NOT NULL,
    idempotency_key        TEXT NOT NULL,
    fingerprint            TEXT NOT NULL,
    created_at             DATETIME NOT NULL,
    expires_at             DATETIME NOT NULL,
    response_status        INTEGER,
    response_content_type  TEXT,
    response_location      TEXT,
    response_body          BLOB,
    PRIMARY KEY (principal, idempotency_key)
);
CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at);
