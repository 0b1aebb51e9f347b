-- Level-3 signatures waiting for the signer's consent on the QTSP's own page (CSC oauth2code):
-- the prepared documents and their digests, stored whole as JSON; the redirect's state only as
-- its SHA-256.
CREATE TABLE remote_consents (
    id          TEXT PRIMARY KEY,
    state_hash  TEXT NOT NULL UNIQUE,
    expires_at  DATETIME NOT NULL,
    data        TEXT NOT NULL
);
