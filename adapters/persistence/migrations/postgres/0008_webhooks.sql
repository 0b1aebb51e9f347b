-- Webhooks: a cabinet's endpoints and each event's delivery to each of them, with its log of
-- attempts (JSON). The secret is kept in clear: it signs every delivery (HMAC), so it cannot be
-- hashed. One delivery per event and endpoint, even when the worker runs the fan-out twice.
CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,
    cabinet_id                  TEXT NOT NULL,
    url                         TEXT NOT NULL,
    events                      TEXT NOT NULL,
    secret                      TEXT NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  TIMESTAMP,
    created_at                  TIMESTAMP NOT NULL,
    created_by                  TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_cabinet_idx ON webhook_endpoints (cabinet_id, created_at);

CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY,
    endpoint_id       TEXT NOT NULL,
    cabinet_id        TEXT NOT NULL,
    event_id          TEXT NOT NULL,
    event             TEXT NOT NULL,
    body              TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    status            TEXT NOT NULL,
    round             INTEGER NOT NULL,
    round_started_at  TIMESTAMP NOT NULL,
    next_attempt_at   TIMESTAMP,
    delivered_at      TIMESTAMP,
    attempts          TEXT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at);
