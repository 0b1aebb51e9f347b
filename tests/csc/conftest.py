from __future__ import annotations

import pytest

from tests.csc.server import CscServer


@pytest.fixture(scope="session")
def csc_server(tmp_path_factory):
    server = CscServer(tmp_path_factory.mktemp("csc")).start()
    yield server
    server.stop()


@pytest.fixture
def strict(csc_server):
    """The service asks for the signer's code and may let authorisations lapse; reset after the test."""
    yield csc_server.service
    csc_server.service.otp = None
    csc_server.service.sad_lifetime = 300.0
    csc_server.service.pin_other_hashes = False
    csc_server.service.single_use_otp = False
    csc_server.service.online_otp = False
    csc_server.service.sent_otps.clear()
    csc_server.service.spent.clear()
    csc_server.service.authorizations.clear()
    csc_server.service.sign_hash_down = False
    csc_server.service.oauth2code = False
    csc_server.service.consents.clear()
    csc_server.service.credential_tokens.clear()
