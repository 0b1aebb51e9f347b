"""What a built-in CA has published in its directory, read without its keys and without writing.

``seing verify`` run inside an instance trusts that instance's root and uses its published CRLs
for revocation; it must not create anything (no key-encryption key, no hierarchy, no lock
file), so it reads the files ``BuiltinCertificateAuthority`` writes atomically instead of
building the CA.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from asn1crypto import x509
from attrs import frozen

from adapters.ca.profiles import tsa_crl_name
from domain.model.pki import CaName
from ports.pdf_signing import RevocationData

__all__ = ["PublishedHierarchy", "read_published_hierarchy"]


@frozen
class PublishedHierarchy:
    directory: Path
    ca_certificates: dict[CaName, bytes]  # DER
    platform_seal: bytes | None  # DER

    @property
    def root(self) -> bytes:
        return self.ca_certificates[CaName.ROOT]

    def crl(self, name: CaName) -> bytes | None:
        return self._read(name.value)

    def _read(self, crl_name: str) -> bytes | None:
        try:
            return (self.directory / "crl" / f"{crl_name}.crl").read_bytes()
        except OSError:
            return None

    def revocation_data(self, certificate: bytes, issuer: bytes) -> RevocationData:
        """The RevocationSource port from the published CRLs when the issuer is ours: a TSA
        certificate's own CRL if it has one, else the issuer's."""
        for name, der in self.ca_certificates.items():
            if der == issuer:
                serial = format(x509.Certificate.load(certificate).serial_number, "x")
                crl = self._read(tsa_crl_name(serial)) if name is CaName.ROOT else None
                crl = crl or self.crl(name)
                return RevocationData(crls=[crl] if crl else [])
        return RevocationData()


def read_published_hierarchy(directory: Path) -> PublishedHierarchy | None:
    """The hierarchy of ``directory`` (a data dir's ``pki``); None when there is none (never initialised)."""
    directory = Path(directory)
    try:
        state = json.loads((directory / "hierarchy.json").read_text("utf-8"))
        cas = {name: _record_der(directory, state[name.value]["serial"]) for name in CaName}
        for der in cas.values():
            _ = x509.Certificate.load(der).native  # a damaged record is no hierarchy: say so here, not later
    except (OSError, ValueError, KeyError, TypeError):
        return None
    seal = None
    if isinstance(state.get("seal"), dict):
        try:
            seal = _record_der(directory, state["seal"]["serial"])
        except (OSError, ValueError, KeyError, TypeError):
            seal = None
    return PublishedHierarchy(directory=directory, ca_certificates=cas, platform_seal=seal)


def _record_der(directory: Path, serial: str) -> bytes:
    if not serial or any(c not in "0123456789abcdef" for c in serial):
        raise ValueError("bad serial")
    data = json.loads((directory / "certs" / f"{serial}.json").read_text("utf-8"))
    return base64.b64decode(data["der"])
