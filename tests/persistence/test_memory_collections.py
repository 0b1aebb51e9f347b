"""The in-memory collection repository passes the contract the database one will pass."""

from __future__ import annotations

from functools import cached_property

from adapters.memory.clock import FixedClock
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from ports.contracts.collections import CollectionRepositoryContract


class TestInMemoryCollections(CollectionRepositoryContract):
    @cached_property
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    def make_adapter(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, clock=FixedClock())
