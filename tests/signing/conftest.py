from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import pytest

from adapters.timestamping.inprocess import InProcessTimestampAuthority
from tests.signing.pki import KeyShim, PkiHttpServer, TestPki


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def require_tool(name: str) -> str:
    """Path of a Debian tool; a loud skip without it, a failure under CI=true."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install poppler-utils libnss3-tools openssl)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def pki_server():
    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def vault() -> KeyShim:
    return KeyShim()


@pytest.fixture(scope="session")
def pki(vault, pki_server) -> TestPki:
    pki = TestPki(vault, pki_server.base_url)
    pki_server.pki = pki
    return pki


@pytest.fixture(scope="session")
def tsa(vault, pki, pki_server) -> InProcessTimestampAuthority:
    authority = InProcessTimestampAuthority(
        vault=vault, key_ref=pki.tsa.key_ref, certificate=pki.tsa.der, chain=pki.chain(pki.tsa), clock=SystemClock()
    )
    pki_server.tsa_respond = authority.respond
    return authority


@pytest.fixture(scope="session")
def revocation(pki):
    from tests.signing.pki import PkiRevocationSource

    return PkiRevocationSource(pki)


@pytest.fixture(scope="session")
def signing(vault, tsa, revocation):
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning

    return PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation)


@pytest.fixture(scope="session")
def identity(pki):
    from ports.pdf_signing import SigningIdentity

    return SigningIdentity(key_ref=pki.signer.key_ref, certificate=pki.signer.der, chain=pki.chain(pki.signer))
