"""Software key vault: private keys stored envelope-encrypted, one file per key.

Each private key (PKCS#8 DER) is encrypted with its own random AES-256-GCM data key; the
data key is wrapped with the key-encryption key (KEK) from configuration. Rotating the KEK
re-wraps the data keys only, never the private keys. A file names the KEK it is wrapped
with (a fingerprint), so a vault opened with the previous KEK as well can read a directory
half-way through a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.keyvault.signature_check import CryptographyVerifier
from domain.model.errors import KeyNotFound
from domain.model.pki import HASH_SIZES, KeyRef, KeyType
from ports.providers import ProviderConfig

__all__ = ["factory", "KekError", "SoftwareKeyVault", "generate_kek", "load_kek", "open_software_vault", "parse_kek",
           "rotate_kek_file"]

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_KEY_ID = re.compile(r"^[0-9a-f]{32}$")
_FORMAT = 1


class KekError(Exception):
    """The key-encryption key is missing, malformed or does not open the stored keys."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def kek_fingerprint(kek: bytes) -> str:
    return hashlib.sha256(b"seing-kek-id\x00" + kek).hexdigest()[:16]


def parse_kek(text: str) -> bytes:
    try:
        kek = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KekError("the key-encryption key is not valid base64") from None
    if len(kek) != 32:
        raise KekError("the key-encryption key must be 32 bytes (base64 of 32 random bytes)")
    return kek


def _write_secret_file(path: Path, content: bytes) -> None:
    """Write a 0600 file atomically (no moment where it exists with wider permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_kek(configured: str | None, key_file: Path) -> bytes:
    """The KEK from configuration (SEING_KEK, base64) or from ``key_file``, created 0600 on
    first start when neither exists."""
    if configured:
        return parse_kek(configured)
    key_file = Path(key_file)
    if key_file.exists():
        if key_file.stat().st_mode & 0o077:
            raise KekError(f"{key_file} must be readable by its owner only (chmod 600)")
        return parse_kek(key_file.read_text("ascii"))
    kek = secrets.token_bytes(32)
    _write_secret_file(key_file, (_b64(kek) + "\n").encode("ascii"))
    return kek


def _next_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".next")


def generate_kek() -> str:
    """A new random KEK, base64, as SEING_KEK takes it."""
    return _b64(secrets.token_bytes(32))


def open_software_vault(directory: Path, *, configured_kek: str | None, key_file: Path,
                        previous_keks: Iterable[str] = ()) -> SoftwareKeyVault:
    """The vault as the application opens it.

    ``previous_keks`` (base64) still open keys an interrupted rotation left wrapped with
    them; a file rotation interrupted half-way is recovered without help."""
    kek = load_kek(configured_kek, key_file)
    pending = _next_file(Path(key_file))
    previous = [parse_kek(text) for text in previous_keks if text]
    if not configured_kek and pending.exists():
        previous.append(parse_kek(pending.read_text("ascii")))
    return SoftwareKeyVault(directory, kek, previous_keks=previous)


def rotate_kek_file(vault: SoftwareKeyVault, key_file: Path) -> int:
    """Rotate a file-held KEK: the new KEK is saved before any key is re-wrapped with it,
    and replaces the old file only once every key is re-wrapped. Returns the key count."""
    key_file = Path(key_file)
    pending = _next_file(key_file)
    new_kek = secrets.token_bytes(32)
    _write_secret_file(pending, (_b64(new_kek) + "\n").encode("ascii"))
    count = vault.rotate_kek(new_kek)
    os.replace(pending, key_file)
    return count


class SoftwareKeyVault:
    """Keys as files ``<directory>/<id>.key`` (JSON, no clear private key inside)."""

    def __init__(self, directory: Path, kek: bytes, *, previous_keks: Iterable[bytes] = ()) -> None:
        if len(kek) != 32:
            raise KekError("the key-encryption key must be 32 bytes")
        self._directory = Path(directory)
        self._directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self._directory, 0o700)
        self._kek = kek
        self._keks = {kek_fingerprint(k): k for k in previous_keks}
        self._keks[kek_fingerprint(kek)] = kek
        # Decrypting and re-checking a key at each signature costs more than the signature.
        self._loaded: dict[str, object] = {}
        self._lock = threading.Lock()

    # KeyVault -------------------------------------------------------------------------

    def generate(self, key_type: KeyType) -> KeyRef:
        private = _new_private_key(key_type)
        public_der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ref = KeyRef(id=uuid.uuid4().hex, key_type=key_type, public_key_der=public_der)
        clear = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        data_key = AESGCM.generate_key(bit_length=256)
        record = {
            "format": _FORMAT,
            "id": ref.id,
            "key_type": key_type.value,
            "public_key": _b64(public_der),
            "kek_id": kek_fingerprint(self._kek),
            "wrapped_data_key": _b64(_seal(self._kek, data_key, _wrap_aad(ref.id))),
            "private_key": _b64(_seal(data_key, clear, _key_aad(ref.id, key_type))),
        }
        _write_secret_file(self._path(ref.id), json.dumps(record, indent=1).encode("utf-8"))
        with self._lock:
            self._loaded[ref.id] = private
        return ref

    def get(self, key_id: str) -> KeyRef:
        record = self._read(key_id)
        return KeyRef(id=record["id"], key_type=KeyType(record["key_type"]),
                      public_key_der=_unb64(record["public_key"]))

    def public_key(self, ref: KeyRef) -> bytes:
        return self.get(ref.id).public_key_der

    def sign_digest(self, ref: KeyRef, digest: bytes, hash_algorithm: str) -> bytes:
        if hash_algorithm not in _HASHES or len(digest) != HASH_SIZES.get(hash_algorithm):
            raise ValueError(f"a {hash_algorithm} digest is expected")
        private = self._private_key(ref.id)
        prehashed = utils.Prehashed(_HASHES[hash_algorithm]())
        if isinstance(private, rsa.RSAPrivateKey):
            return private.sign(digest, padding.PKCS1v15(), prehashed)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        return private.sign(digest, ec.ECDSA(prehashed))

    def delete(self, ref: KeyRef) -> None:
        with self._lock:
            self._loaded.pop(ref.id, None)
        if _KEY_ID.match(ref.id):
            self._path(ref.id).unlink(missing_ok=True)

    # Administration ---------------------------------------------------------------------

    def rotate_kek(self, new_kek: bytes) -> int:
        """Re-wrap every data key with ``new_kek``; returns how many keys were re-wrapped.

        Each file is replaced atomically, so an interruption leaves every key readable by
        a vault that knows both KEKs."""
        if len(new_kek) != 32:
            raise KekError("the key-encryption key must be 32 bytes")
        new_id = kek_fingerprint(new_kek)
        count = 0
        for path in sorted(self._directory.glob("*.key")):
            record = json.loads(path.read_text("utf-8"))
            if record["kek_id"] != new_id:
                data_key = self._unwrap(record)
                record["wrapped_data_key"] = _b64(_seal(new_kek, data_key, _wrap_aad(record["id"])))
                record["kek_id"] = new_id
                _write_secret_file(path, json.dumps(record, indent=1).encode("utf-8"))
            count += 1
        self._keks[new_id] = new_kek
        self._kek = new_kek
        return count

    def key_ids(self) -> list[str]:
        return sorted(path.stem for path in self._directory.glob("*.key"))

    # Internals --------------------------------------------------------------------------

    def _path(self, key_id: str) -> Path:
        return self._directory / f"{key_id}.key"

    def _read(self, key_id: str) -> dict:
        if not _KEY_ID.match(key_id):
            raise KeyNotFound(f"no key {key_id}")
        try:
            return json.loads(self._path(key_id).read_text("utf-8"))
        except FileNotFoundError:
            raise KeyNotFound(f"no key {key_id}") from None

    def _unwrap(self, record: dict) -> bytes:
        kek = self._keks.get(record["kek_id"])
        if kek is None:
            raise KekError(f"key {record['id']} is wrapped with a key-encryption key this vault does not hold")
        try:
            return _open(kek, _unb64(record["wrapped_data_key"]), _wrap_aad(record["id"]))
        except InvalidTag:
            raise KekError(f"key {record['id']} cannot be unwrapped: wrong key-encryption key") from None

    def _private_key(self, key_id: str) -> object:
        with self._lock:
            cached = self._loaded.get(key_id)
        if cached is not None:
            if not self._path(key_id).exists():  # deleted by another process
                with self._lock:
                    self._loaded.pop(key_id, None)
                raise KeyNotFound(f"no key {key_id}")
            return cached
        record = self._read(key_id)
        data_key = self._unwrap(record)
        clear = _open(data_key, _unb64(record["private_key"]), _key_aad(record["id"], KeyType(record["key_type"])))
        private = serialization.load_der_private_key(clear, password=None)
        with self._lock:
            self._loaded[key_id] = private
        return private


def _new_private_key(key_type: KeyType):  # noqa: ANN202 - a cryptography private key
    if key_type is KeyType.RSA_3072:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ec.generate_private_key(ec.SECP256R1() if key_type is KeyType.EC_P256 else ec.SECP384R1())


def _wrap_aad(key_id: str) -> bytes:
    return b"seing-data-key\x00" + key_id.encode("ascii")


def _key_aad(key_id: str, key_type: KeyType) -> bytes:
    # Binding the id and type stops a swapped file from passing as another key.
    return b"seing-private-key\x00" + key_id.encode("ascii") + b"\x00" + key_type.value.encode("ascii")


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)


def factory(config: ProviderConfig) -> SoftwareKeyVault:
    """Entry point ``software`` of ``seing.key_vaults``: keys encrypted under a KEK in
    ``<data_dir>/keys``; options ``kek`` (else the 0600 file ``<data_dir>/kek``), ``kek_previous``."""
    return open_software_vault(config.data_dir / "keys", configured_kek=config.option("kek") or None,
                               key_file=config.data_dir / "kek", previous_keks=[config.option("kek_previous")])


# What ``ports.contracts.providers.contract_for`` mixes into the key-vault contract.
factory.contract_hooks = CryptographyVerifier  # type: ignore[attr-defined]
