"""A Cloud Signature Consortium API client (v2, and v1 services such as certomancer-csc-dummy).

The flow for one signature, SCAL2: ``info`` (once: API version, how to authenticate),
``auth/login`` or OAuth 2.0 client credentials (a token kept until it expires),
``credentials/list`` + ``credentials/info`` (the signer's certificate and chain),
``credentials/authorize`` with the hashes to sign and the signer's code (SAD bound to them),
``signatures/signHash``. The service's refusals become typed domain errors; this module decides
nothing else.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from typing import Any, Sequence
from urllib.parse import urlencode

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from domain.model.errors import (
    RemoteAuthorizationExpired,
    RemoteCodeRejected,
    RemoteCredentialMissing,
    RemoteHashMismatch,
    RemoteSigningUnavailable,
)
from ports.remote_signing import DigestSigner, RemoteCredential

# Digest name -> (hash algorithm OID, ECDSA signature OID, RSA PKCS#1 v1.5 signature OID).
_OIDS = {
    "sha256": ("2.16.840.1.101.3.4.2.1", "1.2.840.10045.4.3.2", "1.2.840.113549.1.1.11"),
    "sha384": ("2.16.840.1.101.3.4.2.2", "1.2.840.10045.4.3.3", "1.2.840.113549.1.1.12"),
    "sha512": ("2.16.840.1.101.3.4.2.3", "1.2.840.10045.4.3.4", "1.2.840.113549.1.1.13"),
}
# CSC error codes (and error_description wording) that say the signer's code was wrong.
_CODE_ERRORS = {"invalid_otp", "invalid_pin", "invalid_password"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _emails(certificate: x509.Certificate) -> set[str]:
    found = {a.value.lower() for a in certificate.subject.get_attributes_for_oid(x509.NameOID.EMAIL_ADDRESS)}
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        found |= {e.lower() for e in san.get_values_for_type(x509.RFC822Name)}
    except x509.ExtensionNotFound:
        pass
    return found


class CscRemoteSigning:
    """The ``RemoteSigningService`` port over a CSC API endpoint."""

    def __init__(self, *, base_url: str, username: str | None = None, password: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._settings = dict(base_url=base_url, username=username, password=password, client_id=client_id,
                              client_secret=client_secret, timeout=timeout)
        self._base = base_url.rstrip("/")
        self._basic = (username, password) if username and password else None
        self._client_credentials = (client_id, client_secret) if client_id and client_secret else None
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._lock = threading.Lock()
        self._info: dict[str, Any] | None = None
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)

    def close(self) -> None:
        self._http.close()

    def __reduce__(self) -> tuple[object, ...]:
        # A signature may run in another process (a signing pool): the remote signer travels as its
        # settings and opens its own connection there.
        return _rebuild, (self._settings,)

    # -- the service -------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        with self._lock:
            if self._info is None:
                self._info = self._call("info", {}, authenticated=False)
            return self._info

    @property
    def v1(self) -> bool:
        """v1 services name the hashes ``hash``; v2 ``hashes`` with ``hashAlgorithmOID``."""
        return str(self.info().get("specs", "2")).startswith("1")

    def _access_token(self) -> str | None:
        if self._basic is None and self._client_credentials is None:
            return None
        with self._lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
        info = self.info()
        offered = {str(a) for a in info.get("authType") or ()}
        wanted = "oauth2client" if self._client_credentials is not None else "basic"
        if offered and wanted not in offered:
            # The service says how it authenticates: credentials of another kind would only be refused.
            raise RemoteSigningUnavailable(f"the service offers {', '.join(sorted(offered))}, not {wanted}: "
                                           "configure the credentials it takes")
        if self._client_credentials is not None:
            oauth = str(info.get("oauth2") or "").rstrip("/")
            if not oauth:
                raise RemoteSigningUnavailable("the service offers no OAuth 2.0 endpoint")
            answer = self._post(f"{oauth}/oauth2/token", data={
                "grant_type": "client_credentials", "client_id": self._client_credentials[0],
                "client_secret": self._client_credentials[1]})
        else:
            answer = self._post(f"{self._base}/auth/login", json={}, auth=self._basic)
        token = answer.get("access_token")
        if not isinstance(token, str):
            raise RemoteSigningUnavailable("the service gave no access token")
        lifetime = float(answer.get("expires_in") or 3600)
        with self._lock:
            # A minute early: a token that lapses between two calls fails a signature for nothing.
            self._token = (token, time.monotonic() + max(lifetime - 60, 1))
        return token

    def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.post(url, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteSigningUnavailable(f"the remote signing service did not answer: {exc}") from exc
        if response.status_code >= 400:
            raise _refusal(url, response)
        if response.status_code == 204 or not response.content:
            return {}  # credentials/sendOTP answers 204 No Content
        try:
            body = response.json()
        except ValueError as exc:
            raise RemoteSigningUnavailable(f"{url} answered something other than JSON") from exc
        if not isinstance(body, dict):
            raise RemoteSigningUnavailable(f"{url} answered something other than a JSON object")
        return body

    def _call(self, method: str, body: dict[str, Any], *, authenticated: bool = True) -> dict[str, Any]:
        headers = {}
        if authenticated:
            token = self._access_token()
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
        return self._post(f"{self._base}/{method}", json=body, headers=headers)

    # -- RemoteSigningService ----------------------------------------------------------

    def credential_ids(self, user_id: str | None = None) -> list[str]:
        body: dict[str, Any] = {"maxResults": 100}
        if user_id:
            body["userID"] = user_id
        ids = self._call("credentials/list", body).get("credentialIDs")
        if not isinstance(ids, list):
            raise RemoteSigningUnavailable("credentials/list gave no credentialIDs")
        return [str(i) for i in ids]

    def credential(self, credential_id: str) -> RemoteCredential:
        answer = self._call("credentials/info", {"credentialID": credential_id, "certificates": "chain",
                                                 "certInfo": False, "authInfo": True})
        try:
            certificates = [base64.b64decode(c) for c in answer["cert"]["certificates"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise RemoteSigningUnavailable("credentials/info gave no certificate") from exc
        if not certificates:
            raise RemoteSigningUnavailable("credentials/info gave no certificate")
        key = answer.get("key") or {}
        if key.get("status", "enabled") != "enabled":
            raise RemoteCredentialMissing("the signer's key is disabled at the provider")
        try:
            parsed = x509.load_der_x509_certificate(certificates[0])
        except ValueError as exc:
            raise RemoteSigningUnavailable("credentials/info gave an unreadable certificate") from exc
        return RemoteCredential(credential_id=credential_id, certificate=certificates[0],
                                chain=tuple(certificates[1:]), needs_code=_needs_code(answer),
                                code_from_provider=_needs_code(answer) and _otp_online(answer),
                                consent_at_provider=answer.get("authMode") == "oauth2code",
                                key_algorithms=tuple(str(a) for a in key.get("algo") or ()),
                                serial=format(parsed.serial_number, "x"), subject=parsed.subject.rfc4514_string(),
                                issuer=parsed.issuer.rfc4514_string(), policy=_first_policy(parsed))

    def credential_for(self, email: str) -> RemoteCredential:
        wanted = email.strip().lower()
        for credential_id in self.credential_ids(user_id=wanted):
            credential = self._credential_or_none(credential_id)
            if credential is not None and wanted in _emails(x509.load_der_x509_certificate(credential.certificate)):
                return credential
        raise RemoteCredentialMissing("the remote signing service holds no credential for this signer")

    def _credential_or_none(self, credential_id: str) -> RemoteCredential | None:
        try:
            return self.credential(credential_id)
        except RemoteCredentialMissing:
            return None
        except RemoteSigningUnavailable:
            return None  # one unreadable credential must not hide the signer's

    def send_code(self, credential: RemoteCredential) -> None:
        """``credentials/sendOTP``: the service sends the signer its OTP (an ``online`` OTP)."""
        self._call("credentials/sendOTP", {"credentialID": credential.credential_id})

    def authorize(self, credential: RemoteCredential, digests: Sequence[bytes], hash_algorithm: str,
                  code: str | None = None) -> str:
        hash_oid = _OIDS[hash_algorithm][0]
        body: dict[str, Any] = {"credentialID": credential.credential_id, "numSignatures": len(digests)}
        hashes = [_b64(d) for d in digests]
        if self.v1:
            body["hash"] = hashes
        else:
            body.update(hashes=hashes, hashAlgorithmOID=hash_oid)
        if code is not None and credential.needs_code:
            body["OTP"] = code
        sad = self._call("credentials/authorize", body).get("SAD")
        if not isinstance(sad, str) or not sad:
            raise RemoteSigningUnavailable("credentials/authorize gave no SAD")
        return sad

    def sign_digests(self, credential: RemoteCredential, sad: str, digests: Sequence[bytes],
                     hash_algorithm: str) -> list[bytes]:
        return self._sign_hash(credential, {"SAD": sad}, digests, hash_algorithm)

    def _sign_hash(self, credential: RemoteCredential, authorization: dict[str, Any], digests: Sequence[bytes],
                   hash_algorithm: str, *, bearer: str | None = None) -> list[bytes]:
        hash_oid, ecdsa_oid, rsa_oid = _OIDS[hash_algorithm]
        public_key = x509.load_der_x509_certificate(credential.certificate).public_key()
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            sign_algo = ecdsa_oid
        elif isinstance(public_key, rsa.RSAPublicKey):
            sign_algo = rsa_oid
        else:
            raise RemoteSigningUnavailable("the remote key is neither EC nor RSA")
        body: dict[str, Any] = {"credentialID": credential.credential_id, **authorization, "signAlgo": sign_algo}
        hashes = [_b64(d) for d in digests]
        if self.v1:
            body.update(hash=hashes, hashAlgo=hash_oid)
        else:
            body.update(hashes=hashes, hashAlgorithmOID=hash_oid)
        if bearer is not None:
            answer = self._post(f"{self._base}/signatures/signHash", json=body,
                                headers={"Authorization": f"Bearer {bearer}"})
        else:
            answer = self._call("signatures/signHash", body)
        signatures = answer.get("signatures")
        if not isinstance(signatures, list) or len(signatures) != len(digests):
            raise RemoteSigningUnavailable("signatures/signHash gave a signature count other than asked")
        try:
            return [base64.b64decode(s) for s in signatures]
        except (TypeError, ValueError) as exc:
            raise RemoteSigningUnavailable("signatures/signHash gave undecodable signatures") from exc

    def signer(self, credential: RemoteCredential, code: str | None) -> DigestSigner:
        return _AuthorizingSigner(self, credential, code)

    # -- oauth2code: the signer's consent on the provider's page (SCAL2: bound to the hashes) ------

    def consent_url(self, credential: RemoteCredential, digests: Sequence[bytes], hash_algorithm: str, *,
                    redirect_uri: str, state: str, code_challenge: str) -> str:
        """Where to send the signer's browser: ``oauth2/authorize`` with scope ``credential``, the
        credential, the number of signatures and their hashes (base64url, comma-separated), our
        ``state`` (echoed to ``redirect_uri``) and a PKCE S256 ``code_challenge``."""
        if self._client_credentials is None:
            raise RemoteSigningUnavailable("the signer's consent at the provider needs our client_id")
        oauth = self._oauth_base()
        encoded = [base64.urlsafe_b64encode(d).decode("ascii").rstrip("=") for d in digests]
        query: dict[str, Any] = {
            "response_type": "code", "client_id": self._client_credentials[0], "redirect_uri": redirect_uri,
            "scope": "credential", "credentialID": credential.credential_id, "numSignatures": len(digests),
            "state": state, "code_challenge": code_challenge, "code_challenge_method": "S256"}
        if self.v1:
            query["hash"] = ",".join(encoded)
        else:
            query.update(hashes=",".join(encoded), hashAlgorithmOID=_OIDS[hash_algorithm][0])
        return f"{oauth}/oauth2/authorize?{urlencode(query)}"

    def exchange_consent(self, code: str, *, redirect_uri: str, code_verifier: str) -> str:
        """The authorisation code the provider gave at the redirect, for the credential's access
        token (``oauth2/token``, grant ``authorization_code``): what signHash then carries."""
        if self._client_credentials is None:
            raise RemoteSigningUnavailable("the signer's consent at the provider needs our client_id")
        answer = self._post(f"{self._oauth_base()}/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier, "client_id": self._client_credentials[0],
            "client_secret": self._client_credentials[1]})
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise RemoteSigningUnavailable("oauth2/token gave no credential token")
        return token

    def sign_digests_consented(self, credential: RemoteCredential, token: str, digests: Sequence[bytes],
                               hash_algorithm: str) -> list[bytes]:
        """``signatures/signHash`` under the credential token the consent gave (no SAD: the token
        is the authorisation, bound by the provider to the consented hashes)."""
        return self._sign_hash(credential, {}, digests, hash_algorithm, bearer=token)

    def _oauth_base(self) -> str:
        oauth = str(self.info().get("oauth2") or "").rstrip("/")
        if not oauth:
            raise RemoteSigningUnavailable("the service offers no OAuth 2.0 endpoint")
        return oauth


def _rebuild(settings: dict[str, Any]) -> CscRemoteSigning:
    return CscRemoteSigning(**settings)


class _AuthorizingSigner:
    """Authorises each digest it is given (SAD bound to that hash), then signs it."""

    def __init__(self, service: CscRemoteSigning, credential: RemoteCredential, code: str | None) -> None:
        self._service = service
        self._credential = credential
        self._code = code

    def sign_digest(self, digest: bytes, hash_algorithm: str) -> bytes:
        sad = self._service.authorize(self._credential, [digest], hash_algorithm, self._code)
        (signature,) = self._service.sign_digests(self._credential, sad, [digest], hash_algorithm)
        return signature


def _first_policy(certificate: x509.Certificate) -> str:
    try:
        policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return ""
    return next((p.policy_identifier.dotted_string for p in policies), "")


def _needs_code(info: dict[str, Any]) -> bool:
    """Whether credentials/authorize wants the signer's OTP (v1 and v2 say it the same way)."""
    if info.get("authMode") != "explicit":
        return False
    otp = info.get("OTP") or {}
    return otp.get("presence", "false") in ("true", "optional")


def _otp_online(info: dict[str, Any]) -> bool:
    """Whether the service generates and sends the OTP (after credentials/sendOTP) rather than the
    signer's own device ("offline")."""
    otp = info.get("OTP") or {}
    return str(otp.get("type", "")).lower() == "online"


def _refusal(url: str, response: httpx.Response) -> Exception:
    """A CSC error (RFC 6749-style ``error`` and ``error_description``) as a domain error."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error", "")).lower()
    description = str(body.get("error_description", "")).lower()
    said = f"{url} answered {response.status_code} {error} {description}".strip()
    if error in _CODE_ERRORS or (re.search(r"\b(otp|pin)\b", description) and "invalid" in description):
        return RemoteCodeRejected(said)
    if "expired" in description or error == "expired_sad":
        return RemoteAuthorizationExpired(said)
    if response.status_code in (401, 403) and not url.endswith("/credentials/authorize"):
        return RemoteSigningUnavailable(said)
    if url.endswith("/signatures/signHash") and response.status_code == 400:
        # The SAD was ours and current: what the service refuses is the digests under it.
        return RemoteHashMismatch(said)
    if response.status_code == 404 or (error == "invalid_request" and "credential" in description):
        return RemoteCredentialMissing(said)
    return RemoteSigningUnavailable(said)


def signature_verifies(certificate_der: bytes, signature: bytes, digest: bytes, hash_algorithm: str) -> bool:
    """Whether ``signature`` over the prehashed ``digest`` verifies with the certificate's key
    (ECDSA DER, RSA PKCS#1 v1.5): the contract's check, offered to a provider's one-line run."""
    key = x509.load_der_x509_certificate(certificate_der).public_key()
    prehashed = Prehashed(getattr(hashes, hash_algorithm.upper())())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            return False
    except InvalidSignature:
        return False
    return True
