"""The CSC adapter against certomancer-csc-dummy on loopback: the port's contract, the refusals a
QTSP gives (wrong code, lapsed authorisation, hashes it did not authorise), authentication."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from adapters.csc import CscRemoteSigning, factory
from adapters.plugins import load_provider
from domain.model.errors import (
    RemoteAuthorizationExpired,
    RemoteCodeRejected,
    RemoteCredentialMissing,
    RemoteHashMismatch,
    RemoteSigningUnavailable,
)
from ports.contracts.remote_signing import ConsentingRemoteSigningContract, RemoteSigningServiceContract
from ports.providers import ProviderConfig
from ports.remote_signing import RemoteSigningService
from tests.csc.server import SIGNER_EMAIL


def _verifies(certificate_der: bytes, signature: bytes, digest: bytes, hash_algorithm: str) -> bool:
    """An independent check with cryptography (not the adapter's own ``signature_verifies``)."""
    key = x509.load_der_x509_certificate(certificate_der).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    try:
        key.verify(signature, digest, ec.ECDSA(Prehashed(getattr(hashes, hash_algorithm.upper())())))
    except InvalidSignature:
        return False
    return True


class TestCscAgainstTheDummy(RemoteSigningServiceContract):
    @pytest.fixture(autouse=True)
    def _server(self, csc_server):
        self.server = csc_server

    def make_adapter(self):
        return CscRemoteSigning(base_url=self.server.url), SIGNER_EMAIL

    def verify_signature(self, certificate_der, signature, digest, hash_algorithm):
        return _verifies(certificate_der, signature, digest, hash_algorithm)


class TestCscConsentAgainstTheStub(ConsentingRemoteSigningContract):
    """oauth2code through the loopback OAuth 2.0 stub beside the dummy (which has none)."""

    @pytest.fixture(autouse=True)
    def _server(self, csc_server, strict):
        strict.oauth2code = True
        self.server = csc_server

    def make_consenting_adapter(self):
        service = CscRemoteSigning(base_url=self.server.url, client_id="seing", client_secret="s3cret")
        return service, service, SIGNER_EMAIL

    def consent(self, url):
        back = httpx.get(url, follow_redirects=False)
        assert back.status_code == 302
        return dict(httpx.URL(back.headers["location"]).params)

    def verify_signature(self, certificate_der, signature, digest, hash_algorithm):
        return _verifies(certificate_der, signature, digest, hash_algorithm)


def test_the_entry_point_builds_the_port_from_its_options(tmp_path, csc_server):
    config = ProviderConfig(clock=None, data_dir=tmp_path, options={"url": csc_server.url})  # type: ignore[arg-type]
    service = load_provider("seing.remote_signing_services", "csc", config)
    assert isinstance(service, RemoteSigningService)
    assert service.credential_for(SIGNER_EMAIL).credential_id == "qtsp/signer"


def test_the_service_url_is_required(tmp_path):
    with pytest.raises(ValueError, match="url"):
        factory(ProviderConfig(clock=None, data_dir=tmp_path))  # type: ignore[arg-type]


def test_a_wrong_code_is_refused_by_the_provider_and_said_so(csc_server, strict):
    strict.otp = "482913"
    service = CscRemoteSigning(base_url=csc_server.url)
    credential = service.credential_for(SIGNER_EMAIL)
    assert credential.needs_code
    digest = hashlib.sha256(b"lettre").digest()
    with pytest.raises(RemoteCodeRejected):
        service.authorize(credential, [digest], "sha256", code="000000")
    sad = service.authorize(credential, [digest], "sha256", code="482913")
    assert _verifies(credential.certificate, service.sign_digests(credential, sad, [digest], "sha256")[0],
                     digest, "sha256")


def test_an_authorisation_that_lapsed_before_the_signature_is_refused(csc_server, strict):
    strict.sad_lifetime = 0
    service = CscRemoteSigning(base_url=csc_server.url)
    credential = service.credential_for(SIGNER_EMAIL)
    digest = hashlib.sha256(b"lettre").digest()
    sad = service.authorize(credential, [digest], "sha256")
    with pytest.raises(RemoteAuthorizationExpired):
        service.sign_digests(credential, sad, [digest], "sha256")


def test_an_unreachable_service_is_unavailable_not_a_crash():
    service = CscRemoteSigning(base_url="http://127.0.0.1:9/csc/v2", timeout=2)
    with pytest.raises(RemoteSigningUnavailable):
        service.credential_for(SIGNER_EMAIL)


def _v2_service(handler) -> CscRemoteSigning:
    return CscRemoteSigning(base_url="https://qtsp.example/csc/v2", username="cabinet", password="s3cret",
                            transport=httpx.MockTransport(handler))


def test_v2_services_get_v2_field_names_and_basic_login_once():
    """The dummy speaks v1; a v2 QTSP is checked on the request bodies the client sends."""
    seen: list[tuple[str, dict, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        seen.append((request.url.path, body, request.headers.get("authorization")))
        path = request.url.path.removeprefix("/csc/v2/")
        if path == "info":
            return httpx.Response(200, json={"specs": "2.0.0.2", "authType": ["basic"]})
        if path == "auth/login":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        if path == "credentials/authorize":
            return httpx.Response(200, json={"SAD": "sad-1", "expiresIn": 300})
        if path == "credentials/list":
            return httpx.Response(200, json={"credentialIDs": []})
        return httpx.Response(404)

    service = _v2_service(handler)
    with pytest.raises(RemoteCredentialMissing):
        service.credential_for(SIGNER_EMAIL)
    from ports.remote_signing import RemoteCredential

    credential = RemoteCredential(credential_id="c1", certificate=b"\x30", needs_code=True)
    digest = hashlib.sha256(b"x").digest()
    assert service.authorize(credential, [digest], "sha256", code="123456") == "sad-1"
    paths = [p for p, _b, _a in seen]
    assert paths.count("/csc/v2/auth/login") == 1
    login_auth = next(a for p, _b, a in seen if p.endswith("auth/login"))
    assert login_auth.startswith("Basic ")
    authorize = next(b for p, b, _a in seen if p.endswith("credentials/authorize"))
    assert authorize["hashAlgorithmOID"] == "2.16.840.1.101.3.4.2.1" and authorize["OTP"] == "123456"
    assert "hashes" in authorize and "hash" not in authorize
    assert next(a for p, _b, a in seen if p.endswith("credentials/authorize")) == "Bearer tok"


def test_oauth2_client_credentials_are_exchanged_at_the_services_token_endpoint():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("/info"):
            return httpx.Response(200, json={"specs": "2.0.0.2", "authType": ["oauth2client"],
                                             "oauth2": "https://auth.qtsp.example"})
        if request.url.path == "/oauth2/token":
            assert b"grant_type=client_credentials" in request.content
            return httpx.Response(200, json={"access_token": "oauth-tok", "expires_in": 600})
        assert request.headers["authorization"] == "Bearer oauth-tok"
        return httpx.Response(200, json={"credentialIDs": []})

    service = CscRemoteSigning(base_url="https://qtsp.example/csc/v2", client_id="seing", client_secret="x",
                               transport=httpx.MockTransport(handler))
    assert service.credential_ids() == []
    assert "https://auth.qtsp.example/oauth2/token" in seen


def test_a_remote_signer_travels_to_another_process_as_its_settings(csc_server):
    """The composition root may run signatures in a process pool: the signer pickles."""
    import pickle

    service = CscRemoteSigning(base_url=csc_server.url)
    credential = service.credential_for(SIGNER_EMAIL)
    signer = pickle.loads(pickle.dumps(service.signer(credential, None)))
    digest = hashlib.sha256(b"bilan").digest()
    assert _verifies(credential.certificate, signer.sign_digest(digest, "sha256"), digest, "sha256")


def test_the_one_line_contract_run_passes_through_the_entry_point(csc_server):
    """What ``python -m ports.contracts seing.remote_signing_services csc url=… email=…`` runs."""
    from ports.contracts.providers import contract_for

    suite = contract_for("seing.remote_signing_services", "csc",
                         options={"url": csc_server.url, "email": SIGNER_EMAIL})
    tests = [name for name in dir(suite) if name.startswith("test_")]
    assert len(tests) >= 6
    for name in tests:
        instance = suite()
        try:
            getattr(instance, name)()
        finally:
            instance.teardown_method()


def test_credentials_of_a_kind_the_service_does_not_offer_are_refused_before_use():
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.endswith("/info"):
            return httpx.Response(200, json={"specs": "2.0.0.2", "authType": ["oauth2client"],
                                             "oauth2": "https://auth.qtsp.example"})
        return httpx.Response(200, json={"credentialIDs": []})

    with pytest.raises(RemoteSigningUnavailable, match="offers oauth2client, not basic"):
        _v2_service(handler).credential_ids()
    assert sent == ["/csc/v2/info"]  # the password never left


def _pkce() -> tuple[str, str]:
    import base64
    import secrets

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def test_oauth2code_consent_at_the_provider_gives_a_token_that_signs_exactly_the_consented_hashes(csc_server, strict):
    """The adapter's part of oauth2code (loopback stub beside the dummy, which has none): the
    consent URL carries the credential and the hashes, the provider redirects back with our state
    and a code, the code (once, with the PKCE verifier) gives the credential's token, signHash
    signs the consented hashes under it and refuses others."""
    strict.oauth2code = True
    service = CscRemoteSigning(base_url=csc_server.url, client_id="seing", client_secret="s3cret")
    credential = service.credential_for(SIGNER_EMAIL)
    assert credential.consent_at_provider and not credential.needs_code
    digests = [hashlib.sha256(b"one").digest(), hashlib.sha256(b"two").digest()]
    verifier, challenge = _pkce()
    redirect = "http://127.0.0.1:9/signature/tok/consentement"
    url = service.consent_url(credential, digests, "sha256", redirect_uri=redirect, state="st4te",
                              code_challenge=challenge)
    back = httpx.get(url, follow_redirects=False)
    assert back.status_code == 302
    location = httpx.URL(back.headers["location"])
    assert str(location.copy_with(query=None)) == redirect and location.params["state"] == "st4te"
    with pytest.raises(RemoteSigningUnavailable):  # not without the PKCE verifier that matches
        service.exchange_consent(location.params["code"], redirect_uri=redirect, code_verifier="wrong")
    back = httpx.get(url, follow_redirects=False)
    code = httpx.URL(back.headers["location"]).params["code"]
    token = service.exchange_consent(code, redirect_uri=redirect, code_verifier=verifier)
    with pytest.raises(RemoteSigningUnavailable):  # an authorisation code serves once
        service.exchange_consent(code, redirect_uri=redirect, code_verifier=verifier)
    values = service.sign_digests_consented(credential, token, digests, "sha256")
    assert all(_verifies(credential.certificate, v, d, "sha256") for v, d in zip(values, digests, strict=True))
    with pytest.raises(RemoteHashMismatch):  # the token authorises the consented hashes only
        service.sign_digests_consented(credential, token, [hashlib.sha256(b"other").digest()], "sha256")

