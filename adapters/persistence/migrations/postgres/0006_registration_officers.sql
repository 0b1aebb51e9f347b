-- Registration officers: a platform role, independent of cabinets (no foreign key to
-- members). A revoked officer keeps the row, so past decisions still name a known person.
CREATE TABLE registration_officers (
    person_id     TEXT PRIMARY KEY REFERENCES persons (id),
    appointed_at  TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP
);
