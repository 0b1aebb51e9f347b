"""A working PKI for any test: the built-in CA on the in-memory vault (a fraction of a second)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from attrs import define

from adapters.ca.builtin import BuiltinCaSettings, BuiltinCertificateAuthority
from adapters.memory.clock import FixedClock
from adapters.memory.keyvault import InMemoryKeyVault
from domain.model.pki import CertificatePolicy, CertificateSubject, IssuedCertificate, KeyRef, KeyType
from domain.model.values import Email, PersonName, Siren

PUBLIC_URL = "http://seing.test"


@define
class TestPki:
    vault: InMemoryKeyVault
    ca: BuiltinCertificateAuthority
    clock: FixedClock
    storage_dir: Path
    public_url: str

    __test__ = False  # not a test class, despite its name

    def person(self, *, policy: CertificatePolicy = CertificatePolicy.LCP, key_type: KeyType = KeyType.EC_P256,
               subject: CertificateSubject | None = None, one_time: bool = False) -> tuple[KeyRef, IssuedCertificate]:
        """A key in the vault and its freshly issued person certificate."""
        key = self.vault.generate(key_type)
        certificate = self.ca.issue(subject or sample_subject(), key.public_key_der, policy, one_time=one_time)
        return key, certificate


def sample_subject(**changes: object) -> CertificateSubject:
    values: dict[str, object] = {
        "name": PersonName("Jessica", "Poussart"),
        "email": Email("jessica.poussart@cabinet-exemple.fr"),
        "person_id": "P-0001",
        "organization": "Cabinet Exemple",
        "siren": Siren("732829320"),
    }
    values.update(changes)
    return CertificateSubject(**values)  # type: ignore[arg-type]


def make_test_pki(tmp_path: Path, *, settings: BuiltinCaSettings | None = None,
                  public_url: str = PUBLIC_URL, clock: FixedClock | None = None) -> TestPki:
    vault = InMemoryKeyVault()
    # Real time by default: openssl and other outside validators check validity against it.
    clock = clock or FixedClock(datetime.now(UTC))
    storage = tmp_path / "pki"
    ca = BuiltinCertificateAuthority(vault, storage, public_url, clock=clock,
                                     settings=settings or BuiltinCaSettings(siren="732829320"))
    ca.init_hierarchy()
    return TestPki(vault=vault, ca=ca, clock=clock, storage_dir=storage, public_url=public_url)
