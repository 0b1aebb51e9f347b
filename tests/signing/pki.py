"""A throwaway PKI for the signing tests, until the built-in CA (adapters/ca) lands.

Root (P-384) → issuing CA (P-384) → signer certificates (P-256 or RSA-3072), a TSA
certificate and an OCSP responder certificate. AIA and CRL distribution points point
at a loopback HTTP server (``PkiHttpServer``) so external validators (pdfsig) can ask.
Private keys live in ``KeyShim``, a minimal stand-in for the KeyVault port.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LCP_POLICY = "0.4.0.2042.1.3"

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class KeyShim:
    """Holds private keys and signs digests; never hands a key out (KeyVault stand-in)."""

    def __init__(self) -> None:
        self._keys: dict[str, object] = {}
        self.sign_calls = 0
        self.broken = False

    def generate(self, key_type: str = "ec-p256") -> str:
        if key_type == "ec-p256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif key_type == "ec-p384":
            key = ec.generate_private_key(ec.SECP384R1())
        elif key_type == "rsa-3072":
            key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        else:
            raise ValueError(key_type)
        ref = uuid.uuid4().hex
        self._keys[ref] = key
        return ref

    def public_key(self, ref: str) -> bytes:
        return self._keys[ref].public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign_digest(self, ref: str, digest: bytes, hash_algorithm: str) -> bytes:
        if self.broken:
            raise RuntimeError("vault offline")
        self.sign_calls += 1
        key = self._keys[ref]
        prehashed = utils.Prehashed(_HASHES[hash_algorithm]())
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(digest, ec.ECDSA(prehashed))
        return key.sign(digest, padding.PKCS1v15(), prehashed)

    def _private(self, ref: str):  # only the test CA uses this, like the CA adapter would
        return self._keys[ref]


def _name(cn: str, org: str = "Seing Test") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


class Issued:
    def __init__(self, cert: x509.Certificate, key_ref: str) -> None:
        self.cert = cert
        self.key_ref = key_ref

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


class TestPki:
    """Everything is created at construction; ``base_url`` is where the HTTP server listens."""

    __test__ = False

    def __init__(self, vault: KeyShim, base_url: str, end_entity_key: str = "ec-p256") -> None:
        self.vault = vault
        self.base_url = base_url.rstrip("/")
        self.now = datetime.now(timezone.utc)
        self.revoked: dict[int, datetime] = {}
        self.extra_issued: list[Issued] = []
        self.root = self._issue(None, "Seing Test Root", ca=True, key_type="ec-p384", path_len=1)
        self.issuing = self._issue(self.root, "Seing Test LCP CA", ca=True, key_type="ec-p384", path_len=0)
        self.ocsp_responder = self._issue(self.issuing, "Seing Test OCSP", kind="ocsp")
        self.tsa = self._issue(self.root, "Seing Test TSA", kind="tsa")
        self.signer = self.issue_signer("Alice MARTIN", end_entity_key)

    def issue_signer(self, cn: str, key_type: str = "ec-p256") -> Issued:
        issued = self._issue(self.issuing, cn, kind="signer", key_type=key_type)
        self.extra_issued.append(issued)
        return issued

    def chain(self, issued: Issued) -> list[bytes]:
        """Issuers of ``issued`` up to the root, DER."""
        if issued is self.tsa:
            return [self.root.der]
        return [self.issuing.der, self.root.der]

    def revoke(self, issued: Issued) -> None:
        self.revoked[issued.cert.serial_number] = self.now

    def _issue(
        self,
        issuer: Issued | None,
        cn: str,
        *,
        ca: bool = False,
        kind: str = "ca",
        key_type: str = "ec-p256",
        path_len: int | None = None,
    ) -> Issued:
        key_ref = self.vault.generate(key_type)
        public = serialization.load_der_public_key(self.vault.public_key(key_ref))
        subject = _name(cn)
        issuer_name = issuer.cert.subject if issuer else subject
        issuer_key = self.vault._private(issuer.key_ref if issuer else key_ref)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=1))
            .not_valid_after(self.now + timedelta(days=365 * (10 if ca else 2)))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )
        if issuer:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.cert.public_key()), critical=False
            )
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        if issuer:
            # Revocation pointers for everything below the root.
            crl_url = f"{self.base_url}/crl/{hashlib.sha1(issuer_name.public_bytes()).hexdigest()}.crl"
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
                ),
                critical=False,
            )
            if kind != "ocsp":
                builder = builder.add_extension(
                    x509.AuthorityInformationAccess(
                        [
                            x509.AccessDescription(
                                x509.oid.AuthorityInformationAccessOID.OCSP,
                                x509.UniformResourceIdentifier(f"{self.base_url}/ocsp"),
                            )
                        ]
                    ),
                    critical=False,
                )
        if kind == "signer":
            builder = builder.add_extension(
                x509.KeyUsage(False, True, False, False, False, False, False, False, False), critical=True
            ).add_extension(
                x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(LCP_POLICY), None)]),
                critical=False,
            )
        elif kind == "tsa":
            builder = builder.add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        elif kind == "ocsp":
            builder = (
                builder.add_extension(
                    x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
                )
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
                .add_extension(x509.OCSPNoCheck(), critical=False)
            )
        cert = builder.sign(issuer_key, hashes.SHA384())
        return Issued(cert, key_ref)

    # -- revocation ------------------------------------------------------------------

    def _issuer_of(self, cert: x509.Certificate) -> Issued:
        for ca in (self.root, self.issuing):
            if ca.cert.subject == cert.issuer:
                return ca
        raise KeyError(cert.issuer)

    def ocsp_response(self, cert_der: bytes) -> bytes:
        cert = x509.load_der_x509_certificate(cert_der)
        issuer = self._issuer_of(cert)
        revoked_at = self.revoked.get(cert.serial_number)
        # The issuing CA's certs are answered by the delegated responder; the root's
        # children (TSA, issuing CA) by the root itself.
        if issuer is self.issuing:
            responder, responder_key = self.ocsp_responder.cert, self.vault._private(self.ocsp_responder.key_ref)
            extra = [self.ocsp_responder.cert]
        else:
            responder, responder_key = issuer.cert, self.vault._private(issuer.key_ref)
            extra = []
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert,
            issuer=issuer.cert,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
            this_update=datetime.now(timezone.utc) - timedelta(minutes=1),
            next_update=datetime.now(timezone.utc) + timedelta(days=1),
            revocation_time=revoked_at,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
        if extra:
            builder = builder.certificates(extra)
        return builder.sign(responder_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def answer_ocsp_request(self, request_der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(request_der)
        for candidate in self._all():
            if candidate.cert.serial_number == request.serial_number:
                return self.ocsp_response(candidate.der)
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
            serialization.Encoding.DER
        )

    def crl(self, issuer: Issued) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.cert.subject)
            .last_update(datetime.now(timezone.utc) - timedelta(minutes=1))
            .next_update(datetime.now(timezone.utc) + timedelta(days=1))
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.cert.public_key()), critical=False
            )
        )
        for child in self._all():
            if child.cert.issuer == issuer.cert.subject and child.cert.serial_number in self.revoked:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(child.cert.serial_number)
                    .revocation_date(self.revoked[child.cert.serial_number])
                    .build()
                )
        return builder.sign(self.vault._private(issuer.key_ref), hashes.SHA384()).public_bytes(
            serialization.Encoding.DER
        )

    def crl_by_name(self, name: str) -> bytes | None:
        for ca in (self.root, self.issuing):
            if hashlib.sha1(ca.cert.subject.public_bytes()).hexdigest() == name:
                return self.crl(ca)
        return None

    def _all(self) -> list[Issued]:
        found = [v for v in vars(self).values() if isinstance(v, Issued)]
        return found + self.extra_issued


class PkiHttpServer:
    """Loopback server for /ocsp (GET and POST), /crl/<name>.crl and /tsa."""

    def __init__(self) -> None:
        self.pki: TestPki | None = None
        self.tsa_respond: Callable[[bytes], bytes] | None = None
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

            def do_GET(self) -> None:
                server_self.requests.append(f"GET {self.path}")
                pki = server_self.pki
                if self.path.startswith("/ocsp/") and pki:
                    raw = base64.b64decode(urllib.parse.unquote(self.path[len("/ocsp/") :]))
                    self._send(200, "application/ocsp-response", pki.answer_ocsp_request(raw))
                elif self.path.startswith("/crl/") and pki:
                    body = pki.crl_by_name(self.path[len("/crl/") :].removesuffix(".crl"))
                    if body is None:
                        self._send(404, "text/plain", b"no such CRL")
                    else:
                        self._send(200, "application/pkix-crl", body)
                else:
                    self._send(404, "text/plain", b"not found")

            def do_POST(self) -> None:
                server_self.requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/ocsp" and server_self.pki:
                    self._send(200, "application/ocsp-response", server_self.pki.answer_ocsp_request(body))
                elif self.path == "/tsa" and server_self.tsa_respond:
                    self._send(200, "application/timestamp-reply", server_self.tsa_respond(body))
                else:
                    self._send(404, "text/plain", b"not found")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "PkiHttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class PkiRevocationSource:
    """RevocationSource answered in-process by the test CA (as the built-in CA adapter will)."""

    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self.calls: list[str] = []

    def revocation_data(self, certificate: bytes, issuer: bytes):
        from ports.pdf_signing import RevocationData

        cert = x509.load_der_x509_certificate(certificate)
        self.calls.append(cert.subject.rfc4514_string())
        if self.use_crl_for_ca_children and cert.issuer == self.pki.root.cert.subject:
            return RevocationData(crls=[self.pki.crl(self.pki.root)])
        return RevocationData(ocsp_responses=[self.pki.ocsp_response(certificate)])

    use_crl_for_ca_children = True
