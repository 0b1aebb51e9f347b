"""A webhook receiver on loopback, as an integrator would write one: it answers a script of
statuses and verifies each delivery's signature with its own HMAC code (not Seing's)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from attrs import define, field


def verify(header: str, body: bytes, secret: str, now: datetime, tolerance_seconds: int = 300) -> bool:
    """``Seing-Signature: t=<unix>,v1=<hex>[,v1=<hex>]``: accept when one v1 matches the HMAC-SHA256 of
    ``<t>.<body>`` under our secret and t is within five minutes of our clock."""
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in items if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    if abs(now.timestamp() - int(stamps[0])) > tolerance_seconds:
        return False
    expected = hmac.new(secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")


@define
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@define
class LoopbackReceiver:
    now: Callable[[], datetime]
    secret: str = ""
    script: list[int] = field(factory=list)  # statuses answered in turn; 200 when spent
    received: list[Received] = field(factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def start(self) -> LoopbackReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get("Seing-Signature", "")
                verified = bool(receiver.secret) and verify(signature, body, receiver.secret, receiver.now())
                receiver.received.append(Received(path=self.path, headers=dict(self.headers.items()), body=body,
                                                  verified=verified))
                status = receiver.script.pop(0) if receiver.script else 200
                if status == 200 and receiver.secret and not verified:
                    status = 401  # what a careful receiver answers to a bad signature
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for serve_forever's next look at its flag: every 0.5 s by default, which
        # made each test's teardown half a second long.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
