from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

import pytest

from adapters.timestamping.inprocess import InProcessTimestampAuthority
from tests.signing.pki_server import PkiHttpServer, SigningPki


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


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
def pki(pki_server, tmp_path_factory) -> SigningPki:
    pki = SigningPki(tmp_path_factory.mktemp("signing-pki"), pki_server.base_url)
    pki_server.pki = pki
    return pki


@pytest.fixture(scope="session")
def vault(pki):
    return pki.vault


@pytest.fixture(scope="session")
def tsa(pki, pki_server) -> InProcessTimestampAuthority:
    authority = InProcessTimestampAuthority(
        vault=pki.vault, key_ref=pki.tsa.key_ref, certificate=pki.tsa.der, chain=pki.tsa_chain, clock=SystemClock()
    )
    pki_server.tsa_respond = authority.respond
    return authority


@pytest.fixture(scope="session")
def revocation(pki):
    from adapters.signing.ca_revocation import CaRevocationSource

    return CaRevocationSource(pki.ca)


@pytest.fixture(scope="session")
def signing(vault, tsa, revocation):
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning

    return PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation, clock=SystemClock())


@pytest.fixture(scope="session")
def identity(pki):
    return pki.identity(pki.signer)
