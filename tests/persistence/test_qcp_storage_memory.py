"""The in-memory unit of work's QCP enrollment storage passes the storage contract."""

from adapters.memory.clock import FixedClock
from adapters.memory.persistence import InMemoryStore, InMemoryUnitOfWork
from ports.contracts.qcp_enrollment import QcpEnrollmentStorageContract


class TestInMemoryQcpStorage(QcpEnrollmentStorageContract):
    def make_uow(self):
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store, clock=FixedClock())
