"""The built-in CA (adapters/ca) seen from the signing tests, and a loopback server for it.

``SigningPki`` wraps ``tests.pki.helpers.make_test_pki`` with what these tests need:
signer identities, chains, revocation. ``PkiHttpServer`` publishes the CA as the web app
will (POST/GET /pki/ocsp, /pki/crl/<name>.crl, /pki/ca/<name>.der, POST /pki/tsa), so
outside validators (pdfsig) and the HTTP adapters talk to it over loopback.
"""

from __future__ import annotations

import base64
import itertools
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from attrs import frozen
from cryptography import x509

from domain.model.pki import CaName, CertificatePolicy, KeyRef, KeyType, RevocationReason
from domain.model.values import Email, PersonName
from ports.pdf_signing import SigningIdentity
from tests.pki.helpers import make_test_pki, sample_subject

_people = itertools.count(1)


@frozen
class Issued:
    der: bytes
    key_ref: KeyRef | None = None
    serial: str | None = None

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


class SigningPki:
    def __init__(self, directory: Path, base_url: str) -> None:
        self.test_pki = make_test_pki(directory, public_url=base_url)
        self.ca = self.test_pki.ca
        self.vault = self.test_pki.vault
        cas = {c.name: c for c in self.ca.ca_certificates()}
        self.root = Issued(cas[CaName.ROOT].der)
        self.issuing = Issued(cas[CaName.LCP].der)
        tsa = self.ca.tsa()
        self.tsa = Issued(tsa.certificate.der, tsa.key, tsa.certificate.serial)
        self.tsa_chain = list(tsa.issuers)
        self.signer = self.issue_signer("Alice", "Martin")

    def issue_signer(
        self,
        given: str,
        surname: str,
        key_type: KeyType = KeyType.EC_P256,
        policy: CertificatePolicy = CertificatePolicy.LCP,
    ) -> Issued:
        number = next(_people)
        subject = sample_subject(
            name=PersonName(given, surname),
            email=Email(f"signer{number}@cabinet-exemple.fr"),
            person_id=f"P-{number:04d}",
        )
        key, record = self.test_pki.person(key_type=key_type, subject=subject, policy=policy)
        return Issued(record.der, key, record.serial)

    def chain(self, issued: Issued) -> list[bytes]:
        """Issuers of ``issued``, nearest first, root last."""
        if issued.serial == self.tsa.serial:
            return self.tsa_chain
        return self.ca.chain(issued.serial)[1:]

    def identity(self, issued: Issued) -> SigningIdentity:
        return SigningIdentity(key_ref=issued.key_ref, certificate=issued.der, chain=self.chain(issued))

    def revoke(self, issued: Issued) -> None:
        self.ca.revoke(issued.serial, RevocationReason.KEY_COMPROMISE, self.test_pki.clock.now())


class PkiHttpServer:
    def __init__(self) -> None:
        self.pki: SigningPki | None = None
        self.tsa_respond: Callable[[bytes], bytes] | None = None
        self.ocsp_down = False
        self.requests: list[str] = []
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, media_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _ocsp(self, request_der: bytes) -> None:
                if server_self.ocsp_down or server_self.pki is None:
                    self._send(503, "text/plain", b"down")
                else:
                    self._send(200, "application/ocsp-response", server_self.pki.ca.ocsp_response(request_der))

            def do_GET(self) -> None:
                server_self.requests.append(f"GET {self.path}")
                pki = server_self.pki
                if self.path.startswith("/pki/ocsp/"):
                    self._ocsp(base64.b64decode(urllib.parse.unquote(self.path[len("/pki/ocsp/") :])))
                elif self.path.startswith("/pki/crl/") and pki:
                    name = self.path[len("/pki/crl/") :].removesuffix(".crl")
                    self._send(200, "application/pkix-crl", pki.ca.crl(CaName(name)))
                elif self.path.startswith("/pki/ca/") and pki:
                    name = self.path[len("/pki/ca/") :].removesuffix(".der")
                    der = {c.name.value: c.der for c in pki.ca.ca_certificates()}[name]
                    self._send(200, "application/pkix-cert", der)
                else:
                    self._send(404, "text/plain", b"not found")

            def do_POST(self) -> None:
                server_self.requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/pki/ocsp":
                    self._ocsp(body)
                elif self.path == "/pki/tsa" and server_self.tsa_respond:
                    self._send(200, "application/timestamp-reply", server_self.tsa_respond(body))
                else:
                    self._send(404, "text/plain", b"not found")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # stop() returns once serve_forever next looks at its flag: 0.5 s by default.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def start(self) -> "PkiHttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
