"""A QTSP that authorises only by the signer's consent on its own page (CSC oauth2code), in
memory, with a real key: for use-case tests on fakes (``FakePdfSigning`` keeps the signature half
made and checks each value against the certificate, as the real adapter does)."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Sequence
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

from domain.model.errors import RemoteHashMismatch
from ports.remote_signing import RemoteCredential


class FakeConsentingQtsp:
    """``consent`` plays the signer's browser at the provider: the redirect's query back."""

    def __init__(self, email: str) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Juliette Remote"),
                          x509.NameAttribute(NameOID.EMAIL_ADDRESS, email)])
        start = datetime(2020, 1, 1, tzinfo=UTC)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                       .public_key(self._key.public_key()).serial_number(0x5E16)
                       .not_valid_before(start).not_valid_after(start + timedelta(days=36500))
                       .sign(self._key, hashes.SHA256()))
        self.credential = RemoteCredential(
            credential_id="fake/signer", certificate=certificate.public_bytes(serialization.Encoding.DER),
            consent_at_provider=True, serial="5e16", subject=f"CN=Juliette Remote,1.2.840.113549.1.9.1={email}",
            issuer="CN=Juliette Remote")
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[list[bytes], str]] = {}  # code -> digests, redirect URI
        self._tokens: dict[str, list[bytes]] = {}
        self.exchanges = 0
        self.signed: list[list[bytes]] = []

    # RemoteSigningService (only what a consenting credential uses)
    def credential_for(self, email: str) -> RemoteCredential:
        return self.credential

    def send_code(self, credential: RemoteCredential) -> None:
        raise AssertionError("a consenting credential takes no code")

    def authorize(self, credential, digests, hash_algorithm, code=None) -> str:
        raise AssertionError("a consenting credential is authorised by the consent")

    def sign_digests(self, credential, sad, digests, hash_algorithm) -> list[bytes]:
        raise AssertionError("a consenting credential signs under its token")

    def signer(self, credential, code):
        raise AssertionError("a consenting credential signs under its token")

    # ConsentingRemoteSigningService
    def consent_url(self, credential: RemoteCredential, digests: Sequence[bytes], hash_algorithm: str, *,
                    redirect_uri: str, state: str, code_challenge: str) -> str:
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._pending[code] = (list(digests), redirect_uri)
        return "https://qtsp.example/oauth2/authorize?" + urlencode({"code": code, "state": state})

    def consent(self, url: str) -> dict[str, str]:
        from urllib.parse import parse_qsl, urlsplit

        return dict(parse_qsl(urlsplit(url).query))

    def exchange_consent(self, code: str, *, redirect_uri: str, code_verifier: str) -> str:
        with self._lock:
            self.exchanges += 1
            digests, registered = self._pending.pop(code)  # once
        assert registered == redirect_uri and code_verifier
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens[token] = digests
        return token

    def sign_digests_consented(self, credential: RemoteCredential, token: str, digests: Sequence[bytes],
                               hash_algorithm: str) -> list[bytes]:
        with self._lock:
            consented = self._tokens.pop(token)
        if list(digests) != consented:
            raise RemoteHashMismatch("digests the consent did not name")
        self.signed.append(list(digests))
        algorithm = ec.ECDSA(Prehashed(getattr(hashes, hash_algorithm.upper())()))
        return [self._key.sign(d, algorithm) for d in digests]
