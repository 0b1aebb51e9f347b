"""The in-memory QCP enrollment storage passes the storage contract."""

from adapters.memory.qcp_enrollment import InMemoryQcpStore, InMemoryQcpUnitOfWork
from ports.contracts.qcp_enrollment import QcpEnrollmentStorageContract


class TestInMemoryQcpStorage(QcpEnrollmentStorageContract):
    def make_uow(self):
        store = InMemoryQcpStore()
        return lambda: InMemoryQcpUnitOfWork(store)
