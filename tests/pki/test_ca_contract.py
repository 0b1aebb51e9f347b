from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.ca.builtin import BuiltinCertificateAuthority
from adapters.keyvault.software import SoftwareKeyVault
from adapters.memory.keyvault import InMemoryKeyVault
from adapters.system.clock import SystemClock
from ports.contracts.ca import CertificateAuthorityContract
from tests.pki.helpers import make_test_pki


class TestBuiltinCaOnMemoryVault(CertificateAuthorityContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def make_adapter(self) -> tuple[BuiltinCertificateAuthority, InMemoryKeyVault]:
        pki = make_test_pki(self.tmp_path)
        return pki.ca, pki.vault


class TestBuiltinCaOnSoftwareVault(CertificateAuthorityContract):
    """The CA's own keys envelope-encrypted on disk, as in a default installation."""

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def make_adapter(self) -> tuple[BuiltinCertificateAuthority, SoftwareKeyVault]:
        vault = SoftwareKeyVault(self.tmp_path / "keys", os.urandom(32))
        ca = BuiltinCertificateAuthority(vault, self.tmp_path / "pki", "https://seing.example", clock=SystemClock())
        ca.init_hierarchy()
        return ca, vault
