from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from adapters.keyvault.software import (
    KekError,
    SoftwareKeyVault,
    load_kek,
    open_software_vault,
    rotate_kek_file,
)
from adapters.memory.keyvault import InMemoryKeyVault
from domain.model.pki import KeyType
from ports.contracts.keyvault import KeyVaultContract
from tests.pki.crypto_checks import CryptographyVerifier, verify_digest_signature


class TestInMemoryKeyVault(CryptographyVerifier, KeyVaultContract):
    def make_adapter(self) -> InMemoryKeyVault:
        return InMemoryKeyVault()


class TestSoftwareKeyVault(CryptographyVerifier, KeyVaultContract):
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path / "keys"

    def make_adapter(self) -> SoftwareKeyVault:
        return SoftwareKeyVault(self.directory, os.urandom(32))


KEK = os.urandom(32)


def _clear_private_material(vault: InMemoryKeyVault | SoftwareKeyVault, ref) -> list[bytes]:  # noqa: ANN001
    """Byte strings that would betray a clear private key in a file."""
    private = vault._private_key(ref.id)  # the test peeks inside the adapter on purpose
    pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    numbers = private.private_numbers()
    scalar = numbers.private_value if hasattr(numbers, "private_value") else numbers.d
    scalar_bytes = scalar.to_bytes((scalar.bit_length() + 7) // 8, "big")
    return [pkcs8, scalar_bytes, base64.b64encode(pkcs8), base64.b64encode(scalar_bytes)]


@pytest.mark.parametrize("key_type", [KeyType.EC_P256, KeyType.RSA_3072])
def test_key_files_hold_no_clear_private_key(tmp_path: Path, key_type: KeyType) -> None:
    vault = SoftwareKeyVault(tmp_path / "keys", KEK)
    ref = vault.generate(key_type)
    content = (tmp_path / "keys" / f"{ref.id}.key").read_bytes()
    for secret in _clear_private_material(vault, ref):
        assert secret not in content
    assert b"PRIVATE KEY" not in content
    assert stat.S_IMODE((tmp_path / "keys" / f"{ref.id}.key").stat().st_mode) == 0o600


def test_keys_survive_a_restart_with_the_same_kek(tmp_path: Path) -> None:
    ref = SoftwareKeyVault(tmp_path / "keys", KEK).generate(KeyType.EC_P256)
    reopened = SoftwareKeyVault(tmp_path / "keys", KEK)
    digest = hashlib.sha256(b"doc").digest()
    assert verify_digest_signature(ref.public_key_der, reopened.sign_digest(ref, digest, "sha256"), digest, "sha256")


def test_a_wrong_kek_opens_no_key(tmp_path: Path) -> None:
    ref = SoftwareKeyVault(tmp_path / "keys", KEK).generate(KeyType.EC_P256)
    with pytest.raises(KekError):
        SoftwareKeyVault(tmp_path / "keys", os.urandom(32)).sign_digest(ref, hashlib.sha256(b"x").digest(), "sha256")


def test_a_tampered_key_file_is_refused(tmp_path: Path) -> None:
    vault = SoftwareKeyVault(tmp_path / "keys", KEK)
    first, second = vault.generate(KeyType.EC_P256), vault.generate(KeyType.EC_P256)
    # Paste the second key's ciphertext into the first key's file: the AAD binds it to its id.
    path_first, path_second = (tmp_path / "keys" / f"{r.id}.key" for r in (first, second))
    import json
    record, other = json.loads(path_first.read_text()), json.loads(path_second.read_text())
    record["private_key"], record["wrapped_data_key"] = other["private_key"], other["wrapped_data_key"]
    path_first.write_text(json.dumps(record))
    with pytest.raises(KekError):
        SoftwareKeyVault(tmp_path / "keys", KEK).sign_digest(first, hashlib.sha256(b"x").digest(), "sha256")


def test_rotating_the_kek_rewraps_every_key_and_the_old_kek_no_longer_opens_them(tmp_path: Path) -> None:
    vault = SoftwareKeyVault(tmp_path / "keys", KEK)
    refs = [vault.generate(KeyType.EC_P256), vault.generate(KeyType.EC_P384)]
    before = {r.id: (tmp_path / "keys" / f"{r.id}.key").read_bytes() for r in refs}
    new_kek = os.urandom(32)
    assert vault.rotate_kek(new_kek) == 2
    for ref in refs:
        assert (tmp_path / "keys" / f"{ref.id}.key").read_bytes() != before[ref.id]
        digest = hashlib.sha256(ref.id.encode()).digest()
        signature = SoftwareKeyVault(tmp_path / "keys", new_kek).sign_digest(ref, digest, "sha256")
        assert verify_digest_signature(ref.public_key_der, signature, digest, "sha256")
        with pytest.raises(KekError):
            SoftwareKeyVault(tmp_path / "keys", KEK).sign_digest(ref, digest, "sha256")


def test_the_kek_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    key_file = tmp_path / "kek"
    kek = load_kek(None, key_file)
    assert len(kek) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_kek(None, key_file) == kek
    assert load_kek(base64.b64encode(b"k" * 32).decode(), key_file) == b"k" * 32


def test_a_kek_file_readable_by_others_or_a_short_kek_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "kek"
    load_kek(None, key_file)
    os.chmod(key_file, 0o644)
    with pytest.raises(KekError):
        load_kek(None, key_file)
    with pytest.raises(KekError):
        load_kek(base64.b64encode(b"short").decode(), key_file)


def test_rotating_a_file_kek_replaces_the_file_and_keys_still_sign(tmp_path: Path) -> None:
    key_file = tmp_path / "kek"
    vault = open_software_vault(tmp_path / "keys", configured_kek=None, key_file=key_file)
    ref = vault.generate(KeyType.EC_P256)
    old = key_file.read_bytes()
    assert rotate_kek_file(vault, key_file) == 1
    assert key_file.read_bytes() != old and not (tmp_path / "kek.next").exists()
    reopened = open_software_vault(tmp_path / "keys", configured_kek=None, key_file=key_file)
    digest = hashlib.sha256(b"doc").digest()
    assert verify_digest_signature(ref.public_key_der, reopened.sign_digest(ref, digest, "sha256"), digest, "sha256")


def test_an_interrupted_rotation_of_a_configured_kek_is_finished_with_the_previous_kek_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.keyvault import software

    old, new = software.generate_kek(), software.generate_kek()
    vault = open_software_vault(tmp_path / "keys", configured_kek=old, key_file=tmp_path / "unused")
    refs = [vault.generate(KeyType.EC_P256) for _ in range(3)]
    real_write, writes = software._write_secret_file, []

    def crash_after_first(path: Path, content: bytes) -> None:
        if writes:
            raise OSError("disk gone")
        writes.append(path)
        real_write(path, content)

    monkeypatch.setattr(software, "_write_secret_file", crash_after_first)
    with pytest.raises(OSError):
        vault.rotate_kek(software.parse_kek(new))
    monkeypatch.undo()
    with pytest.raises(KekError):  # the new KEK alone no longer opens the keys still under the old one
        for ref in refs:
            open_software_vault(tmp_path / "keys", configured_kek=new, key_file=tmp_path / "unused").sign_digest(
                ref, hashlib.sha256(b"x").digest(), "sha256")
    resumed = open_software_vault(tmp_path / "keys", configured_kek=new, key_file=tmp_path / "unused",
                                  previous_keks=[old])
    assert resumed.rotate_kek(software.parse_kek(new)) == 3
    only_new = open_software_vault(tmp_path / "keys", configured_kek=new, key_file=tmp_path / "unused")
    digest = hashlib.sha256(b"doc").digest()
    for ref in refs:
        assert verify_digest_signature(ref.public_key_der, only_new.sign_digest(ref, digest, "sha256"), digest, "sha256")
