from __future__ import annotations

import hashlib

import pytest

from adapters.ca.builtin import BuiltinCertificateAuthority
from adapters.system.clock import SystemClock
from domain.model.pki import KeyType
from ports.contracts.ca import CertificateAuthorityContract
from ports.contracts.keyvault import KeyVaultContract
from tests.pki.crypto_checks import CryptographyVerifier
from tests.pki.softhsm import softhsm_token

pytestmark = pytest.mark.pkcs11

_VAULT = None


def _vault():  # noqa: ANN202
    # One vault (one logged-in session) for the whole module: PKCS#11 initialises once per process.
    global _VAULT
    if _VAULT is None:
        from adapters.keyvault.pkcs11 import Pkcs11KeyVault

        token = softhsm_token()
        _VAULT = Pkcs11KeyVault(token.module_path, token.label, token.user_pin)
    return _VAULT


class TestPkcs11KeyVault(CryptographyVerifier, KeyVaultContract):
    def make_adapter(self):  # noqa: ANN201
        return _vault()


def test_private_keys_on_the_token_are_sensitive_and_never_extractable() -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    vault = _vault()
    ref = vault.generate(KeyType.EC_P256)
    private = vault._open().get_key(object_class=ObjectClass.PRIVATE_KEY, id=bytes.fromhex(ref.id))
    assert private[Attribute.SENSITIVE] is True
    assert private[Attribute.EXTRACTABLE] is False
    assert private[Attribute.NEVER_EXTRACTABLE] is True
    assert private[Attribute.TOKEN] is True
    with pytest.raises(pkcs11.exceptions.PKCS11Error):
        private[Attribute.VALUE]


def test_keys_are_found_by_a_new_vault_on_the_same_token() -> None:
    from adapters.keyvault.pkcs11 import Pkcs11KeyVault

    ref = _vault().generate(KeyType.EC_P384)
    token = softhsm_token()
    other = Pkcs11KeyVault(token.module_path, token.label, token.user_pin)
    try:
        assert other.get(ref.id) == ref
        assert other.sign_digest(ref, hashlib.sha384(b"x").digest(), "sha384")[:1] == b"\x30"
    finally:
        other.close()


@pytest.mark.pkcs11
class TestBuiltinCaOnPkcs11Vault(CertificateAuthorityContract):
    """The CA's own keys on the HSM: certificates, CRLs and OCSP responses signed by the token."""

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path) -> None:  # noqa: ANN001
        self.tmp_path = tmp_path

    def make_adapter(self):  # noqa: ANN201
        ca = BuiltinCertificateAuthority(_vault(), self.tmp_path / "pki", "https://seing.example", clock=SystemClock())
        ca.init_hierarchy()
        return ca, _vault()
