-- QCP enrollments (stored whole as JSON, with the columns their queries need), the
-- identity-check sessions that point back to them, and the phone capture links.

CREATE TABLE qcp_enrollments (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    cabinet_id  TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    data        TEXT NOT NULL
);
-- At most one open enrollment per person and cabinet, even for concurrent requests.
CREATE UNIQUE INDEX qcp_enrollments_one_open_idx ON qcp_enrollments (person_id, cabinet_id)
    WHERE state NOT IN ('issued', 'cancelled', 'expired');
CREATE INDEX qcp_enrollments_person_idx ON qcp_enrollments (person_id, created_at);
CREATE INDEX qcp_enrollments_state_idx ON qcp_enrollments (state, updated_at);

CREATE TABLE qcp_identity_sessions (
    session_ref    TEXT PRIMARY KEY,
    enrollment_id  TEXT NOT NULL REFERENCES qcp_enrollments (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX qcp_identity_sessions_enrollment_idx ON qcp_identity_sessions (enrollment_id);

CREATE TABLE capture_links (
    token_hash     TEXT PRIMARY KEY,
    enrollment_id  TEXT NOT NULL,
    session_ref    TEXT NOT NULL,
    phone_url      TEXT NOT NULL,
    browser_url    TEXT NOT NULL,
    created_at     DATETIME NOT NULL,
    expires_at     DATETIME NOT NULL,
    used_at        DATETIME
);
CREATE INDEX capture_links_session_idx ON capture_links (session_ref, created_at);
