-- The cabinet's electronic seal: certificate requests (owner-approved; the issued certificate is
-- kept in the request's document) and sealings (« Sceller un document »). Both are stored whole
-- as JSON beside the columns their queries need.
CREATE TABLE seal_requests (
    id            TEXT PRIMARY KEY,
    cabinet_id    TEXT NOT NULL,
    state         TEXT NOT NULL,
    requested_at  TIMESTAMP NOT NULL,
    data          TEXT NOT NULL
);
CREATE INDEX seal_requests_cabinet_idx ON seal_requests (cabinet_id, requested_at);

CREATE TABLE sealings (
    id          TEXT PRIMARY KEY,
    cabinet_id  TEXT NOT NULL,
    sealed_at   TIMESTAMP NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX sealings_cabinet_idx ON sealings (cabinet_id, sealed_at);
