-- The hash-chained audit trail: append-only, one chain per collection. The primary key
-- refuses two events with one sequence, so two transactions extending a chain at once
-- cannot both succeed (the later one retries on the fresh chain). No foreign key: the trail
-- outlives the documents and is kept for the evidence retention time.
CREATE TABLE audit_events (
    collection_id  TEXT NOT NULL,
    sequence       INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    at             DATETIME NOT NULL,
    actor          TEXT,
    ip             TEXT,
    user_agent     TEXT,
    details        TEXT NOT NULL,
    previous_hash  TEXT NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (collection_id, sequence)
);
