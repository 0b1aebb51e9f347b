"""Brevo and Twilio as their documentation describes them, on loopback, for the SMS adapter tests.

Each stub checks a request the way the provider does (path, authentication, encoding,
required fields, number format) and refuses it with the provider's status and error body
when it is wrong; it also records every raw request, so tests can check the exact bytes.
``script(status, body)`` makes the next answers fail on purpose (rate-limiting, outage);
``delay`` makes it answer late.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from attrs import frozen

from ports.messaging import OutgoingSms


@frozen
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


Answer = tuple[int, Any]


class _ProviderStub:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.accepted: list[OutgoingSms] = []
        self.delay = 0.0
        self._scripted: deque[Answer] = deque()
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self._serve("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = RecordedRequest(method=method, path=self.path,
                                          headers={k.lower(): v for k, v in self.headers.items()},
                                          body=self.rfile.read(length))
                status, body = stub._answer(request)
                if stub.delay:
                    time.sleep(stub.delay)
                payload = json.dumps(body).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> _ProviderStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, status: int, body: Any, times: int = 1) -> None:
        """The next ``times`` well-formed requests get this answer instead of being accepted."""
        self._scripted.extend([(status, body)] * times)

    def _answer(self, request: RecordedRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            refusal = self.check(request)
            if refusal is not None:
                return refusal
            if self._scripted:
                return self._scripted.popleft()
            sms = self.parse(request)
            self.accepted.append(sms)
            return self.receipt(request, sms)

    # Provider-specific ------------------------------------------------------------

    def check(self, request: RecordedRequest) -> Answer | None:
        raise NotImplementedError

    def parse(self, request: RecordedRequest) -> OutgoingSms:
        raise NotImplementedError

    def receipt(self, request: RecordedRequest, sms: OutgoingSms) -> Answer:
        raise NotImplementedError


class BrevoStub(_ProviderStub):
    """``POST /v3/transactionalSMS/send`` with an ``api-key`` header and a JSON body."""

    _RECIPIENT = re.compile(r"^\+?[0-9]{6,15}$")
    _SENDER = re.compile(r"^([A-Za-z0-9]{1,11}|[0-9]{1,15})$")

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self._ids = itertools.count(1511882900176220)

    def check(self, request: RecordedRequest) -> Answer | None:
        if request.method != "POST" or request.path != "/v3/transactionalSMS/send":
            return 404, {"code": "not_found", "message": "Invalid route"}
        if request.headers.get("api-key") != self.api_key:
            return 401, {"code": "unauthorized", "message": "Key not found"}
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 400, {"code": "bad_request", "message": "Content-Type must be application/json"}
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {"code": "bad_request", "message": "Malformed JSON"}
        for name in ("sender", "recipient", "content"):
            if not isinstance(body.get(name), str) or not body[name]:
                return 400, {"code": "missing_parameter", "message": f"{name} is missing"}
        if not self._SENDER.match(body["sender"]):
            return 400, {"code": "invalid_parameter", "message": "Invalid sender name"}
        if not self._RECIPIENT.match(body["recipient"]):
            return 400, {"code": "invalid_parameter", "message": "Invalid phone number"}
        if body.get("type", "transactional") not in ("transactional", "marketing"):
            return 400, {"code": "invalid_parameter", "message": "Invalid type"}
        return None

    def parse(self, request: RecordedRequest) -> OutgoingSms:
        body = json.loads(request.body.decode("utf-8"))
        recipient = body["recipient"]
        return OutgoingSms(to=recipient if recipient.startswith("+") else f"+{recipient}", text=body["content"])

    def receipt(self, request: RecordedRequest, sms: OutgoingSms) -> Answer:
        return 201, {"messageId": next(self._ids)}


class TwilioStub(_ProviderStub):
    """``POST /2010-04-01/Accounts/{Sid}/Messages.json``, Basic auth, form-encoded To/From/Body."""

    _E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._ids = itertools.count(1)

    @staticmethod
    def error(status: int, code: int, message: str) -> Answer:
        return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status}

    def check(self, request: RecordedRequest) -> Answer | None:
        expected_auth = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected_auth:
            return self.error(401, 20003, "Authenticate")
        if request.method != "POST" or request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return self.error(404, 20404, f"The requested resource {request.path} was not found")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return self.error(400, 21602, "Message body is required.")
        try:
            fields = self._fields(request)
        except (UnicodeDecodeError, ValueError):  # raw bytes where percent-escapes belong
            return self.error(400, 21602, "Message body is required.")
        if not fields.get("Body"):
            return self.error(400, 21602, "Message body is required.")
        if not fields.get("To"):
            return self.error(400, 21604, "A 'To' phone number is required.")
        if not self._E164.match(fields["To"]):
            return self.error(400, 21211, f"Invalid 'To' Phone Number: {fields['To']}")
        if not (fields.get("From") or fields.get("MessagingServiceSid")):
            return self.error(400, 21603, "A 'From' phone number is required.")
        return None

    @staticmethod
    def _fields(request: RecordedRequest) -> dict[str, str]:
        parsed = parse_qs(request.body.decode("ascii"), keep_blank_values=True, strict_parsing=False,
                          encoding="utf-8", errors="strict")
        return {name: values[-1] for name, values in parsed.items()}

    def parse(self, request: RecordedRequest) -> OutgoingSms:
        fields = self._fields(request)
        return OutgoingSms(to=fields["To"], text=fields["Body"])

    def receipt(self, request: RecordedRequest, sms: OutgoingSms) -> Answer:
        fields = self._fields(request)
        sid = f"SM{next(self._ids):032x}"
        return 201, {"sid": sid, "account_sid": self.account_sid, "to": sms.to, "from": fields.get("From"),
                     "messaging_service_sid": fields.get("MessagingServiceSid"), "body": sms.text,
                     "status": "queued", "num_segments": "1", "direction": "outbound-api",
                     "api_version": "2010-04-01", "error_code": None, "error_message": None,
                     "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"}


def closed_port_url() -> str:
    """A loopback URL where nothing listens: the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
