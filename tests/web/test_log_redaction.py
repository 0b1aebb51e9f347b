"""Secret links never reach the logs: uvicorn's access log on a real server, and any other logger."""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
from typing import Any, Iterator

import httpx
import pytest

from entrypoints.log_redaction import redact

SECRET = "Zk3v9QpLr2XyT8wN4bHc7sMd"

SECRET_PATHS = [
    f"/signature/{SECRET}",
    f"/signature/{SECRET}/documents/doc-1/pages/1",
    f"/api/v1/signature/{SECRET}/documents",
    f"/telechargement/{SECRET}/contrat.pdf",
    f"/api/v1/downloads/{SECRET}",
    f"/invitation/{SECRET}",
    f"/api/v1/invitations/{SECRET}/accept",
    f"/mot-de-passe/reinitialiser/{SECRET}",
    f"/api/v1/password-reset/{SECRET}",
    f"/qcp/capture/{SECRET}",
    f"/signature-personnelle/capture/{SECRET}",
    f"/identity/capture/{SECRET}/photo",
    f"/api/v1/identity-captures/{SECRET}/completion",
]


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_every_kind_of_secret_link_is_redacted(path):
    redacted = redact(f'127.0.0.1:5000 - "GET {path}?x=1 HTTP/1.1" 200')
    assert SECRET not in redacted
    assert "[secret]" in redacted


def test_ordinary_paths_are_left_alone():
    line = '"GET /collectes/col-1/documents/doc-2/pages/1 HTTP/1.1" 200 /signature-personnelle/cab-1/enregistrement'
    assert redact(line) == line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """One real server for the module's tests: each watches the logs through its own handler."""
    import uvicorn

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.web.app import create_app

    port = _free_port()
    container = build_container(Settings(data_dir=tmp_path_factory.mktemp("redaction"), host="127.0.0.1", port=port),
                                fakes=True)
    # uvicorn's own logging configuration, as `seing web` runs it (access log on, info level).
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="info"))
    thread = threading.Thread(target=server.run, name="redaction-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live(server: str) -> Iterator[tuple[str, io.StringIO]]:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    watched: list[Any] = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error", "seing", "litestar")]
    for logger in watched:
        logger.addHandler(handler)
    try:
        yield server, captured
    finally:
        for logger in watched:
            logger.removeHandler(handler)


def test_the_access_log_of_a_real_server_shows_no_secret(live):
    url, captured = live
    with httpx.Client(base_url=url) as client:
        for path in SECRET_PATHS:
            client.get(path)
    deadline = time.monotonic() + 5
    while captured.getvalue().count("[secret]") < len(SECRET_PATHS) and time.monotonic() < deadline:
        time.sleep(0.05)
    log = captured.getvalue()
    assert "uvicorn.access" in log and log.count("[secret]") >= len(SECRET_PATHS)
    assert SECRET not in log


def test_any_logger_gets_the_same_redaction(live):
    _url, captured = live
    logging.getLogger("seing.web").warning("could not serve %s", f"/telechargement/{SECRET}")
    logging.getLogger("seing.web").warning(f"inline /signature/{SECRET} too")
    assert SECRET not in captured.getvalue()
    assert captured.getvalue().count("[secret]") == 2


def test_an_error_quoting_a_secret_link_is_redacted_in_the_log(live):
    _url, captured = live
    logging.getLogger("seing.worker").error("job failed: %s", RuntimeError(f"cannot fetch /invitation/{SECRET}"))
    assert SECRET not in captured.getvalue() and "[secret]" in captured.getvalue()


def test_a_traceback_quoting_a_secret_link_is_redacted(live):
    _url, captured = live
    try:
        raise ValueError(f"no route for /mot-de-passe/reinitialiser/{SECRET}")
    except ValueError:
        logging.getLogger("seing.web").exception("unexpected error")
    assert "Traceback" in captured.getvalue() and "ValueError" in captured.getvalue()
    assert SECRET not in captured.getvalue()
