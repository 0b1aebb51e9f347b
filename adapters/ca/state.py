"""The built-in CA's state on disk: the hierarchy, the certificate records, the revocation
markers and the CRL files, written atomically under one lock shared by threads and processes.

Layout under ``storage_dir``: ``hierarchy.json``, ``certs/<serial>.json``,
``holders/<hash>/<serial>``, ``revoked/<ca>/<serial>``, ``crl/<ca>.crl`` and ``crl/<ca>.json``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from attrs import frozen
from cryptography import x509

from domain.model.errors import CaNotInitialised, CertificateNotFound, NotFound
from domain.model.pki import (
    CaName,
    CertificateKind,
    CertificatePolicy,
    CertificateStatus,
    Credential,
    IssuedCertificate,
    KeyRef,
    KeyType,
    RevocationReason,
)
from ports.keyvault import KeyVault

__all__ = ["Ca", "CaState", "normal_serial", "write_atomic"]


@frozen
class Ca:
    """One CA of the hierarchy: its key in the vault and its certificate."""

    name: CaName
    key: KeyRef
    certificate: x509.Certificate
    der: bytes
    policy: CertificatePolicy | None


class CaState:
    def __init__(self, vault: KeyVault, storage_dir: Path) -> None:
        self._vault = vault
        self._dir = Path(storage_dir)
        self._lock = threading.RLock()
        self._cache: tuple[int, dict[str, Any], dict[CaName, Ca]] | None = None

    def make_folders(self) -> None:
        for sub in ("certs", "crl", *(f"revoked/{n.value}" for n in CaName)):
            (self._dir / sub).mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """One writer at a time, across threads and processes (web and worker share the files)."""
        self._dir.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self._dir / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # The hierarchy ----------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        path = self._dir / "hierarchy.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else {}

    def write(self, state: dict[str, Any]) -> None:
        write_atomic(self._dir / "hierarchy.json", json.dumps(state, indent=1).encode("utf-8"))

    def ca_from(self, state: dict[str, Any], name: CaName) -> Ca:
        entry = state[name.value]
        record = self.load_record(entry["serial"])
        policy = CertificatePolicy(entry["policy"]) if "policy" in entry else None
        return Ca(name=name, key=self._vault.get(entry["key_id"]),
                  certificate=x509.load_der_x509_certificate(record.der), der=record.der, policy=policy)

    def snapshot(self) -> tuple[dict[str, Any], dict[CaName, Ca]] | None:
        """The hierarchy state and the CAs, cached until hierarchy.json changes; None before init."""
        path = self._dir / "hierarchy.json"
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            if self._cache is None or self._cache[0] != stamp:
                state = self.read()
                if not all(n.value in state for n in CaName) or "seal" not in state:
                    return None
                self._cache = (stamp, state, {n: self.ca_from(state, n) for n in CaName})
            return self._cache[1], self._cache[2]

    def require(self) -> tuple[dict[str, Any], dict[CaName, Ca]]:
        snapshot = self.snapshot()
        if snapshot is None:
            raise CaNotInitialised("the certificate authority is not initialised: run `seing ca init`")
        return snapshot

    def cas(self) -> dict[CaName, Ca]:
        return self.require()[1]

    def chain(self, serial: str) -> list[bytes]:
        record = self.load_record(serial)
        cas = self.cas()
        if record.kind is CertificateKind.ROOT_CA:
            return [record.der]
        intermediates = [] if record.issuer is CaName.ROOT else [cas[record.issuer].der]
        return [record.der, *intermediates, cas[CaName.ROOT].der]

    def credential(self, entry_name: str) -> Credential:
        entry = self.require()[0][entry_name]
        return Credential(key=self._vault.get(entry["key_id"]), certificate=self.load_record(entry["serial"]),
                          issuers=self.chain(entry["serial"])[1:])

    # Certificate records ------------------------------------------------------------------

    def holder_serials(self, holder_id: str) -> list[str]:
        folder = self._holder_dir(holder_id)
        return [marker.name for marker in folder.iterdir()] if folder.exists() else []

    def mark_holder(self, holder_id: str, serial: str) -> None:
        self._holder_dir(holder_id).mkdir(parents=True, exist_ok=True)
        write_atomic(self._holder_dir(holder_id) / serial, b"")

    def _holder_dir(self, holder_id: str) -> Path:
        # Hashed: a holder id may hold characters a file name cannot.
        return self._dir / "holders" / hashlib.sha256(holder_id.encode("utf-8")).hexdigest()[:32]

    def _record_path(self, serial: str) -> Path:
        return self._dir / "certs" / f"{serial}.json"

    def find_record(self, serial: str) -> IssuedCertificate | None:
        try:
            return self.load_record(serial)
        except NotFound:
            return None

    def load_record(self, serial: str) -> IssuedCertificate:
        if not serial or any(c not in "0123456789abcdef" for c in serial):
            raise CertificateNotFound(f"no certificate {serial}")
        try:
            data = json.loads(self._record_path(serial).read_text("utf-8"))
        except FileNotFoundError:
            raise CertificateNotFound(f"no certificate {serial}") from None
        return _record_from_json(data)

    def save_record(self, record: IssuedCertificate) -> None:
        data = {
            "serial": record.serial, "kind": record.kind.value, "issuer": record.issuer.value,
            "subject": record.subject, "not_before": record.not_before.isoformat(),
            "not_after": record.not_after.isoformat(), "der": base64.b64encode(record.der).decode(),
            "key_type": record.key_type.value, "policy": record.policy.value if record.policy else None,
            "holder_id": record.holder_id, "one_time": record.one_time, "status": record.status.value,
            "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
            "revocation_reason": record.revocation_reason.value if record.revocation_reason else None,
        }
        (self._dir / "certs").mkdir(parents=True, exist_ok=True)
        write_atomic(self._record_path(record.serial), json.dumps(data, indent=1).encode("utf-8"))

    # Revocation and CRL files ---------------------------------------------------------------

    def mark_revoked(self, record: IssuedCertificate) -> None:
        write_atomic(self._dir / "revoked" / record.issuer.value / record.serial, b"")

    def revoked_serials(self, name: CaName) -> list[str]:
        return [marker.name for marker in sorted((self._dir / "revoked" / name.value).iterdir())]

    def crl_path(self, name: str) -> Path:
        """``name``: a CA's (root, lcp, qcp) or one TSA certificate's (tsa-<serial>)."""
        return self._dir / "crl" / f"{name}.crl"

    def crl_meta_path(self, name: str) -> Path:
        return self._dir / "crl" / f"{name}.json"


def _record_from_json(data: dict[str, Any]) -> IssuedCertificate:
    return IssuedCertificate(
        serial=data["serial"], kind=CertificateKind(data["kind"]), issuer=CaName(data["issuer"]),
        subject=data["subject"], not_before=datetime.fromisoformat(data["not_before"]),
        not_after=datetime.fromisoformat(data["not_after"]), der=base64.b64decode(data["der"]),
        key_type=KeyType(data["key_type"]),
        policy=CertificatePolicy(data["policy"]) if data["policy"] else None,
        holder_id=data["holder_id"], one_time=data["one_time"], status=CertificateStatus(data["status"]),
        revoked_at=datetime.fromisoformat(data["revoked_at"]) if data["revoked_at"] else None,
        revocation_reason=RevocationReason(data["revocation_reason"]) if data["revocation_reason"] else None)


def normal_serial(serial: str) -> str:
    text = str(serial).strip().lower().replace(":", "")
    try:
        return format(int(text, 16), "x")
    except ValueError:
        raise CertificateNotFound(f"no certificate {serial}") from None


def write_atomic(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
