"""Email over SMTP (smtplib): STARTTLS, implicit TLS or, for a local relay, plain."""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, getaddresses, make_msgid

from ports.messaging import DeliveryError, OutgoingEmail
from ports.providers import ProviderConfig

__all__ = ["SECURITY_MODES", "SmtpMailer", "factory"]

SECURITY_MODES = ("starttls", "tls", "none")


class SmtpMailer:
    """One connection per message: the worker sends few messages, and a fresh connection
    never trips over a server that closed an idle one.

    ``security``: ``"starttls"`` (usually port 587; refuses to continue in clear when the
    server does not offer STARTTLS), ``"tls"`` (implicit TLS, usually port 465) or
    ``"none"`` (a relay on localhost or a trusted network only).
    """

    def __init__(self, host: str, port: int, security: str = "starttls", *,
                 username: str | None = None, password: str | None = None,
                 sender: str = "Seing <no-reply@seing.local>", timeout: float = 10,
                 ssl_context: ssl.SSLContext | None = None,
                 local_hostname: str | None = None) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        # Configuration often says "no login" with empty strings rather than None.
        username, password = username or None, password or None
        if (username is None) != (password is None):
            raise ValueError("SMTP username and password go together")
        parsed = getaddresses([sender])
        if len(parsed) != 1 or "@" not in parsed[0][1]:
            raise ValueError(f"not a usable sender address: {sender!r}")
        self._host = host
        self._port = int(port)
        self._security = security
        self._username = username
        self._password = password
        self._sender = sender
        self._sender_domain = parsed[0][1].rsplit("@", 1)[1]
        self._timeout = timeout
        self._ssl_context = ssl_context
        # smtplib otherwise asks the resolver for our FQDN, which can hang on odd networks.
        self._local_hostname = local_hostname

    def send(self, email: OutgoingEmail) -> None:
        message = self.build_message(email)
        try:
            with self._connect() as smtp:
                if self._username is not None:
                    self._login(smtp, self._username, self._password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:  # OSError covers sockets, DNS and TLS
            raise DeliveryError(f"SMTP delivery to {self._host}:{self._port} failed: {exc}") from exc

    def build_message(self, email: OutgoingEmail) -> EmailMessage:
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = self._sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = (f"<{email.message_key}@{self._sender_domain}>" if email.message_key
                                 else make_msgid(domain=self._sender_domain))
        message.set_content(email.text, charset="utf-8")
        if email.html is not None:
            message.add_alternative(email.html, subtype="html", charset="utf-8")
        return message

    @staticmethod
    def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
        if (username + password).isascii():
            smtp.login(username, password)  # lets smtplib pick CRAM-MD5, PLAIN or LOGIN
            return
        # smtplib encodes credentials as ASCII; RFC 4616 PLAIN carries UTF-8, which
        # accented passwords need.
        smtp.ehlo_or_helo_if_needed()
        if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
            raise smtplib.SMTPNotSupportedError("the server offers no AUTH PLAIN for a non-ASCII password")
        token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
        code, response = smtp.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, response)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout,
                                    context=self._context(), local_hostname=self._local_hostname)
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout,
                            local_hostname=self._local_hostname)
        try:
            if self._security == "starttls":
                smtp.ehlo()
                # starttls() raises SMTPNotSupportedError when the server does not offer it:
                # we never fall back to sending credentials and messages in clear.
                smtp.starttls(context=self._context())
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp


def factory(config: ProviderConfig) -> SmtpMailer:
    """Entry point ``smtp`` of ``seing.mailers``: options ``host``, ``port``, ``security``,
    ``username``, ``password``, ``sender``."""
    return SmtpMailer(host=config.require("host"), port=int(config.option("port", "587")),
                      security=config.option("security", "starttls"), username=config.option("username") or None,
                      password=config.option("password") or None,
                      sender=config.option("sender", "Seing <no-reply@seing.local>"))
