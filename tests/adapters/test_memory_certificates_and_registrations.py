"""The in-memory certificate and registration repositories pass their port's contract."""

from __future__ import annotations

from adapters.memory.certificates import InMemoryCertificateRepository
from adapters.memory.lcp_registrations import InMemoryLcpRegistrationRepository
from ports.contracts.certificates import CertificateRepositoryContract
from ports.contracts.lcp_registrations import LcpRegistrationRepositoryContract


class TestInMemoryCertificateRepository(CertificateRepositoryContract):
    def make_adapter(self) -> InMemoryCertificateRepository:
        return InMemoryCertificateRepository()


class TestInMemoryLcpRegistrationRepository(LcpRegistrationRepositoryContract):
    def make_adapter(self) -> InMemoryLcpRegistrationRepository:
        return InMemoryLcpRegistrationRepository()
