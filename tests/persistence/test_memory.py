"""The in-memory fakes pass the same contracts as the database adapters."""

from __future__ import annotations

from functools import cached_property

from adapters.memory.clock import FixedClock
from adapters.memory.persistence import InMemoryJobStore, InMemoryStore, InMemoryUnitOfWork
from ports.contracts.jobs import ContractClock, JobsContract
from ports.contracts.repositories import RepositoriesContract


class TestInMemoryRepositories(RepositoriesContract):
    @cached_property
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    def make_adapter(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=FixedClock())


class TestInMemoryJobs(JobsContract):
    @cached_property
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    def make_adapter(self) -> InMemoryJobStore:
        return InMemoryJobStore(self.store)

    def make_unit_of_work(self, clock: ContractClock) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=clock)
