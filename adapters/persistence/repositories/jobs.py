"""The job outbox: jobs enqueued in the unit of work's transaction."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from adapters.persistence import mappers
from domain.model.jobs import JobSpec

if TYPE_CHECKING:
    from adapters.persistence.unit_of_work import PonyUnitOfWork

__all__ = ["PonyJobOutbox"]


class PonyJobOutbox:
    """``uow.jobs``: the job row is inserted in the unit of work's transaction."""

    def __init__(self, uow: PonyUnitOfWork) -> None:
        self._uow = uow
        self._rows = uow.entity("JobRow")

    def enqueue(self, spec: JobSpec) -> str:
        job_id = str(uuid.uuid4())
        with self._uow.storage_errors_translated():
            self._rows(**mappers.new_job_columns(job_id, spec, self._uow.now()))
        return job_id
