-- A claimed job carries a lease: other workers skip it until the lease ends, and a
-- worker that died mid-job leaves it to be claimed again afterwards (at least once).
ALTER TABLE jobs ADD COLUMN leased_until TIMESTAMP;

-- The worker only ever looks for pending jobs: index just those, by due time.
DROP INDEX jobs_status_run_at_idx;
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE status = 'pending';
-- Operators list the most recent jobs.
CREATE INDEX jobs_created_at_idx ON jobs (created_at);
