"""SmtpMailer against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS, implicit TLS."""

import socket
import ssl
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from ipaddress import IPv4Address

import pytest

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.messaging.smtp import SmtpMailer
from ports.contracts.messaging import MailerContract
from ports.messaging import DeliveryError, OutgoingEmail

USER, PASSWORD = "seing", "mot-de-passe-très-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, and a client context that trusts only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return server, client


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def _ascii_authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == USER.encode() and auth_data.password == b"plain-ascii")
    return AuthResult(success=ok, handled=False)


def _start(**kwargs):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **kwargs)
    controller.start()
    return controller, inbox


def _as_outgoing(envelope) -> OutgoingEmail:
    message = message_from_bytes(envelope.content, policy=email_policy.default)
    html = message.get_body(("html",))
    return OutgoingEmail(to=str(message["To"]), subject=str(message["Subject"]),
                         text=message.get_body(("plain",)).get_content(),
                         html=html.get_content() if html is not None else None)


class _SmtpContract(MailerContract):
    server_kwargs: dict = {}
    security = "none"
    with_auth = False

    @pytest.fixture(autouse=True)
    def _server(self, certificate):
        self.server_ctx, self.client_ctx = certificate
        kwargs = dict(self.server_kwargs)
        if "tls_context" in kwargs:
            kwargs["tls_context"] = self.server_ctx
        if "ssl_context" in kwargs:
            kwargs["ssl_context"] = self.server_ctx
        if self.with_auth:
            kwargs.update(authenticator=_authenticator, auth_required=True)
        self.controller, self.inbox = _start(**kwargs)
        yield
        self.controller.stop()

    def make_adapter(self, **overrides):
        options = dict(security=self.security, ssl_context=self.client_ctx, timeout=5,
                       local_hostname="localhost", sender="Seing <no-reply@seing.example>")
        if self.with_auth:
            options.update(username=USER, password=PASSWORD)
        options.update(overrides)
        return SmtpMailer(self.controller.hostname, self.controller.port, **options)

    def delivered(self, adapter):
        return [_as_outgoing(e) for e in self.inbox.envelopes]

    def make_unreachable_adapter(self):
        return SmtpMailer("127.0.0.1", _free_port(), self.security, ssl_context=self.client_ctx,
                          timeout=2, local_hostname="localhost")

    def test_envelope_and_headers_are_those_of_a_proper_email(self):
        self.make_adapter().send(OutgoingEmail(to="claire@example.fr", subject="Réinitialisation",
                                               text="Bonjour", html="<p>Bonjour</p>"))
        [envelope] = self.inbox.envelopes
        assert envelope.mail_from == "no-reply@seing.example"
        assert envelope.rcpt_tos == ["claire@example.fr"]
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert str(message["From"]) == "Seing <no-reply@seing.example>"
        assert message["Message-ID"].endswith("@seing.example>")
        assert message["Date"]
        # Non-ASCII headers travel RFC 2047-encoded, so any server accepts them.
        assert b"Subject: =?utf-8?" in envelope.content


class TestSmtpPlain(_SmtpContract):
    security = "none"


class TestSmtpPlainWithAuth(_SmtpContract):
    security = "none"
    with_auth = True
    server_kwargs = {"auth_require_tls": False}

    def test_an_ascii_password_logs_in_too(self):
        self.controller.stop()
        self.controller, self.inbox = _start(authenticator=_ascii_authenticator, auth_required=True,
                                             auth_require_tls=False)
        self.make_adapter(password="plain-ascii").send(OutgoingEmail(to="a@example.fr", subject="s", text="t"))
        assert len(self.inbox.envelopes) == 1

    def test_a_wrong_password_is_a_delivery_error(self):
        with pytest.raises(DeliveryError):
            self.make_adapter(password="faux").send(OutgoingEmail(to="a@example.fr", subject="s", text="t"))
        assert self.inbox.envelopes == []


class TestSmtpStarttls(_SmtpContract):
    security = "starttls"
    with_auth = True
    server_kwargs = {"tls_context": True, "require_starttls": True}

    def test_an_untrusted_certificate_is_a_delivery_error(self):
        with pytest.raises(DeliveryError):
            self.make_adapter(ssl_context=ssl.create_default_context()).send(
                OutgoingEmail(to="a@example.fr", subject="s", text="t"))
        assert self.inbox.envelopes == []


class TestSmtpImplicitTls(_SmtpContract):
    security = "tls"
    with_auth = True
    # aiosmtpd only sees STARTTLS as TLS, so on implicit TLS it hides AUTH unless told otherwise.
    server_kwargs = {"ssl_context": True, "auth_require_tls": False}


def test_starttls_never_falls_back_to_clear_text(certificate):
    _, client_ctx = certificate
    controller, inbox = _start()  # a server that offers no STARTTLS
    try:
        mailer = SmtpMailer(controller.hostname, controller.port, "starttls", ssl_context=client_ctx,
                            username=USER, password=PASSWORD, timeout=5, local_hostname="localhost")
        with pytest.raises(DeliveryError):
            mailer.send(OutgoingEmail(to="a@example.fr", subject="s", text="t"))
        assert inbox.envelopes == []
    finally:
        controller.stop()


def test_empty_credentials_mean_no_login():
    controller, inbox = _start()  # offers no AUTH at all
    try:
        SmtpMailer(controller.hostname, controller.port, "none", username="", password="", timeout=5,
                   local_hostname="localhost").send(OutgoingEmail(to="a@example.fr", subject="s", text="t"))
        assert len(inbox.envelopes) == 1
    finally:
        controller.stop()


def test_settings_are_checked_when_the_mailer_is_built():
    with pytest.raises(ValueError):
        SmtpMailer("localhost", 25, "ssl")
    with pytest.raises(ValueError):
        SmtpMailer("localhost", 25, "none", username="only-user")
    with pytest.raises(ValueError):
        SmtpMailer("localhost", 25, "none", sender="no address here")


def test_a_message_key_gives_every_delivery_attempt_the_same_message_id():
    mailer = SmtpMailer("localhost", 25, "none", sender="Seing <no-reply@seing.example>")
    email = OutgoingEmail(to="a@example.fr", subject="s", text="t", message_key="seing.job-42")
    first, again = mailer.build_message(email), mailer.build_message(email)
    assert first["Message-ID"] == again["Message-ID"] == "<seing.job-42@seing.example>"
    unkeyed = OutgoingEmail(to="a@example.fr", subject="s", text="t")
    assert mailer.build_message(unkeyed)["Message-ID"] != mailer.build_message(unkeyed)["Message-ID"]
