"""A CSC API service on loopback for the tests: certomancer-csc-dummy over a Certomancer PKI made at
test time, with Certomancer's OCSP responders and CRLs served beside it (what the signer's
certificate's AIA and CRL distribution point name), both on 127.0.0.1.

The signers' certificates name a CRL, no OCSP responder: Certomancer's OCSP responses are made at
the wall clock's time, while the ceremony tests' Clock runs half an hour behind it (a response from
the future fails validation); a CRL's update period covers both.

``StrictCscService`` adds what the dummy leaves out and a QTSP does: the signer's one-time code
(authMode explicit, OTP required) and a lifetime on the signature activation data.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading
import time
from pathlib import Path

from aiohttp import web
from certomancer import registry
from certomancer.integrations.aiohttp_animator import build_animator_app
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from csc_dummy.csc_dummy_server import CSCWithCertomancer

ARCH = "qtsp"
SIGNER_EMAIL = "juliette.remote@example.fr"
OTHER_EMAIL = "paul.remote@example.fr"


def _config(directory: Path, base_url: str) -> Path:
    keys = directory / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for name in ("root", "interm", "interm-ocsp", "signer", "other"):
        key = ec.generate_private_key(ec.SECP256R1())
        (keys / f"{name}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    # Valid from 2000 to 2100: the suite also runs with the clock two years ahead.
    validity = '{valid-from: "2000-01-01T00:00:00+0000", valid-to: "2100-01-01T00:00:00+0000"}'
    leaf_extensions = """
          - id: key_usage
            critical: true
            smart-value: {schema: key-usage, params: [digital_signature, non_repudiation]}
          - id: crl_distribution_points
            smart-value: {schema: crl-dist-url, params: {crl-repo-names: [interm]}}"""
    text = f"""
external-url-prefix: "{base_url}"
keysets:
  {ARCH}:
    path-prefix: {keys}
    keys:
      root: {{path: root.key.pem}}
      interm: {{path: interm.key.pem}}
      interm-ocsp: {{path: interm-ocsp.key.pem}}
      signer: {{path: signer.key.pem}}
      other: {{path: other.key.pem}}
pki-architectures:
  {ARCH}:
    keyset: {ARCH}
    entity-defaults: {{country-name: FR, organization-name: QTSP de test}}
    entities:
      root: {{common-name: QTSP Test Root}}
      interm: {{common-name: QTSP Test Signing CA}}
      interm-ocsp: {{common-name: QTSP Test OCSP}}
      signer: {{common-name: Juliette Remote, email-address: {SIGNER_EMAIL}}}
      other: {{common-name: Paul Remote, email-address: {OTHER_EMAIL}}}
    certs:
      root:
        subject: root
        issuer: root
        validity: {validity}
        extensions:
          - id: basic_constraints
            critical: true
            value: {{ca: true}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
      interm:
        issuer: root
        validity: {validity}
        extensions:
          - id: basic_constraints
            critical: true
            value: {{ca: true, path-len-constraint: 0}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
          - id: crl_distribution_points
            smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [root]}}}}
      interm-ocsp:
        issuer: interm
        validity: {validity}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature]}}
          - id: extended_key_usage
            critical: true
            value: [ocsp_signing]
          - id: ocsp_no_check
      signer:
        issuer: interm
        validity: {validity}
        extensions:{leaf_extensions}
      other:
        issuer: interm
        validity: {validity}
        extensions:{leaf_extensions}
    services:
      ocsp:
        interm: {{for-issuer: interm, responder-cert: interm-ocsp, signing-key: interm-ocsp}}
      crl-repo:
        root: {{for-issuer: root, signing-key: root, simulated-update-schedule: "P90D"}}
        interm: {{for-issuer: interm, signing-key: interm, simulated-update-schedule: "P30D"}}
"""
    path = directory / "certomancer.yml"
    path.write_text(text)
    return path


class StrictCscService(CSCWithCertomancer):
    """The dummy, plus a required one-time code and a SAD lifetime (seconds; 0: lapsed at once)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.otp: str | None = None
        self.sad_lifetime = 300.0
        self.pin_other_hashes = False  # authorise digests other than those asked: signHash then refuses
        self.single_use_otp = False
        self.online_otp = False  # the service makes the OTP and sends it (credentials/sendOTP)
        self.sent_otps: list[str] = []  # an OTP authorises once, as a QTSP's SCAL2 codes do
        self.spent: set[str] = set()
        self.authorizations: list[dict] = []  # every credentials/authorize body received
        self.sign_hash_down = False  # signatures/signHash answers 503 (after a good authorisation)
        # oauth2code: the signer consents on the service's own page (here: at once), the service
        # redirects back with a code, which oauth2/token exchanges for the credential's token.
        self.oauth2code = False
        self.oauth_base = ""  # set by CscServer: the service's origin
        self.consents: dict[str, dict] = {}  # authorisation code -> what was consented (single use)
        self.credential_tokens: dict[str, dict] = {}
        self._issued: dict[str, float] = {}

    def register_routes(self):
        super().register_routes()
        self.app.add_routes([web.post("/csc/v1/credentials/sendOTP", self.credentials_send_otp),
                             web.get("/oauth2/authorize", self.oauth2_authorize),
                             web.post("/oauth2/token", self.oauth2_token)])

    async def info(self, request: web.Request):
        response = await super().info(request)
        if not self.oauth2code:
            return response
        import json

        body = json.loads(response.body)
        body.update(oauth2=self.oauth_base, authType=["external", "oauth2client", "oauth2code"])
        return web.json_response(body)

    async def oauth2_authorize(self, request: web.Request):
        """CSC oauth2/authorize, scope credential: the signer consents (here at once) to these
        hashes of this credential; the browser goes back to redirect_uri with a code and our state."""
        from urllib.parse import urlencode

        query = request.query
        try:
            hashes = [base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))
                      for h in query.get("hash", query.get("hashes", "")).split(",") if h]
            count = int(query["numSignatures"])
        except (KeyError, ValueError):
            return web.json_response({"error": "invalid_request"}, status=400)
        if (query.get("response_type") != "code" or query.get("scope") != "credential" or not hashes
                or len(hashes) != count or not query.get("redirect_uri") or not query.get("credentialID")):
            return web.json_response({"error": "invalid_request"}, status=400)
        import secrets

        code = secrets.token_urlsafe(16)
        self.consents[code] = dict(credential_id=query["credentialID"], hashes=hashes,
                                   redirect_uri=query["redirect_uri"], challenge=query.get("code_challenge"))
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}")

    async def oauth2_token(self, request: web.Request):
        import secrets

        form = await request.post()
        if form.get("grant_type") == "client_credentials":
            return web.json_response({"access_token": secrets.token_urlsafe(16), "expires_in": 3600})
        if form.get("grant_type") != "authorization_code":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        consent = self.consents.pop(str(form.get("code", "")), None)  # an authorisation code serves once
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if consent is None or form.get("redirect_uri") != consent["redirect_uri"] or challenge != consent["challenge"]:
            return web.json_response({"error": "invalid_grant", "error_description": "Invalid code"}, status=400)
        token = secrets.token_urlsafe(24)
        self.credential_tokens[token] = consent
        return web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": 300})

    async def credentials_info(self, request: web.Request):
        response = await super().credentials_info(request)
        if self.otp is None and not self.online_otp and not self.oauth2code:
            return response
        import json

        body = json.loads(response.body)
        if self.oauth2code:
            body.update(authMode="oauth2code")
        else:
            body.update(authMode="explicit",
                        OTP={"presence": "true", "type": "online" if self.online_otp else "offline"})
        return web.json_response(body)

    async def credentials_send_otp(self, request: web.Request):
        """CSC credentials/sendOTP: the service generates the OTP and sends it to the user (here:
        remembered for the test); 204 No Content. Only for a credential with an online OTP."""
        import secrets

        params = await request.json()
        if not self.online_otp or not params.get("credentialID"):
            return web.json_response({"error": "invalid_request", "error_description": "No online OTP"}, status=400)
        self.otp = f"{secrets.randbelow(10**6):06d}"
        self.sent_otps.append(self.otp)
        return web.Response(status=204)

    async def credentials_authorize(self, request: web.Request):
        params = await request.json()
        self.authorizations.append(params)
        if self.otp is not None and (params.get("OTP") != self.otp
                                     or (self.single_use_otp and params.get("OTP") in self.spent)):
            return web.json_response({"error": "invalid_otp", "error_description": "The OTP is invalid"}, status=400)
        if self.single_use_otp and params.get("OTP") is not None:
            self.spent.add(params["OTP"])
        if self.pin_other_hashes:
            from csc_dummy.csc_dummy_server import CSCAuthorization

            others = [hashlib.sha256(base64.b64decode(h) + b"!").digest() for h in params.get("hash", [])]
            sad = CSCAuthorization(credential_id=str(params["credentialID"]), num_signatures=len(others),
                                   hashes=others).derive_sad(self.service_params.sad_secret)
            return web.json_response({"SAD": sad})
        response = await super().credentials_authorize(request)
        import json

        self._issued[json.loads(response.body)["SAD"]] = time.monotonic()
        return response

    async def signatures_sign_hash(self, request: web.Request):
        if self.sign_hash_down:
            return web.json_response({"error": "server_error", "error_description": "Try later"}, status=503)
        params = await request.json()
        if "SAD" not in params:
            # Authorised by the credential token oauth2code gave: bound to the consented hashes.
            consent = self.credential_tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
            if consent is None or consent["credential_id"] != params.get("credentialID"):
                return web.json_response({"error": "invalid_token"}, status=401)
            from csc_dummy.csc_dummy_server import CSCAuthorization

            sad = CSCAuthorization(credential_id=consent["credential_id"], num_signatures=len(consent["hashes"]),
                                   hashes=consent["hashes"]).derive_sad(self.service_params.sad_secret)
            return await super().signatures_sign_hash(_WithBody(request, {**params, "SAD": sad}))
        issued = self._issued.get(params.get("SAD", ""))
        if issued is not None and time.monotonic() - issued >= self.sad_lifetime:
            return web.json_response({"error": "invalid_request", "error_description": "SAD expired"}, status=400)
        return await super().signatures_sign_hash(request)


class _WithBody:
    """The request as the dummy reads it, with another JSON body."""

    def __init__(self, request: web.Request, body: dict) -> None:
        self._request = request
        self._body = body

    async def json(self):
        return self._body

    def __getattr__(self, name):
        return getattr(self._request, name)


class CscServer:
    """Both apps on loopback in one thread's event loop; ``url`` is the CSC base (…/csc/v1)."""

    def __init__(self, directory: Path) -> None:
        self._csc_socket = self._bound()
        self._pki_socket = self._bound()
        self.pki_url = f"http://127.0.0.1:{self._pki_socket.getsockname()[1]}"
        self.url = f"http://127.0.0.1:{self._csc_socket.getsockname()[1]}/csc/v1"
        self.config = registry.CertomancerConfig.from_file(str(_config(directory, self.pki_url)))
        self.service = StrictCscService(self.config)
        self.service.oauth_base = f"http://127.0.0.1:{self._csc_socket.getsockname()[1]}"
        self.service.register_routes()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []

    @staticmethod
    def _bound() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        return sock

    def start(self) -> "CscServer":
        self._thread.start()
        animator = build_animator_app(dict(self.config.pki_archs), with_web_ui=False)
        for app, sock in ((self.service.app, self._csc_socket), (animator, self._pki_socket)):
            asyncio.run_coroutine_threadsafe(self._serve(app, sock), self._loop).result(timeout=30)
        return self

    async def _serve(self, app: web.Application, sock: socket.socket) -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runners.append(runner)

    def stop(self) -> None:
        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    @property
    def arch(self):
        return self.config.get_pki_arch(registry.ArchLabel(ARCH))

    def root_der(self) -> bytes:
        return self.arch.get_cert(registry.CertLabel("root")).dump()

    def certificate_der(self, label: str) -> bytes:
        return self.arch.get_cert(registry.CertLabel(label)).dump()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
