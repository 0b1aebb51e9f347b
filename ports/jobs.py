"""The worker's side of the transactional outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.jobs import Job, JobStatus


@runtime_checkable
class JobStore(Protocol):
    def claim(self, *, now: datetime, limit: int, lease_seconds: int) -> list[Job]:
        """Take up to ``limit`` due pending jobs for this worker.

        A claimed job is invisible to other workers until its lease runs out, so two
        workers never run the same job at once; a worker that dies mid-job leaves it to
        be claimed again after the lease (delivery is at least once).
        """
        ...

    def complete(self, job_id: str, *, now: datetime) -> None: ...

    def fail(self, job_id: str, *, error: str, now: datetime, retry_at: datetime | None) -> None:
        """Record a failed attempt; ``retry_at`` None means give up (status FAILED)."""
        ...

    def get(self, job_id: str) -> Job: ...

    def list(self, *, limit: int = 100) -> list[Job]:
        """Most recent first, for operators."""
        ...

    def count_by_status(self) -> dict[JobStatus, int]:
        """How many jobs are in each status (every status, zero included): the queue's depth,
        read without loading the jobs, for whoever waits for it to drain or watches it grow."""
        ...
