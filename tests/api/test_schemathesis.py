"""Schemathesis against the real app on loopback: every API operation of /schema/openapi.json is
called with generated input (valid and invalid), logged out, logged in as a cabinet owner and with
the cabinet's admin API key, and every answer must be no 5xx and match the document (status code,
content type, headers, body).

Bounded so that it stays a part of the ordinary run (~325 tests, ~30 s of one core): three
examples per operation, the schema's examples and the fuzzing phase only (no coverage or stateful
phase), no Hypothesis deadline (the machine is shared), and a fixed seed (derandomize), so that a
failure here is the same failure on every machine and every run. Upload operations are fuzzed too
(their generated multipart bodies are small). The server is uvicorn in a thread on a random port,
over the fake container in a temporary folder.

The two runs with a session send the CSRF cookie and header, as the API's clients do, so that
unsafe requests reach the handlers (the 403 without a token is checked in test_openapi.py). Logged
in or with the key, the owner's real cabinet id replaces a generated ``cabinet_id``, so the
cabinet's operations get past the 404 of an unknown id; the operations that would end the session
under the test's feet (logging out, logging in again) are left to the logged-out run, where they
are tried all the same.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import OWNER_EMAIL, PASSWORD, SIREN
from tests.apps import openapi_document

EXAMPLES_PER_OPERATION = 3
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Operations whose success would end the logged-in session the run depends on.
SESSION_ENDING = {("DELETE", "/api/v1/session"), ("POST", "/api/v1/session"),
                  ("POST", "/api/v1/session/second-factor")}
CONFIG = {
    "phases": {"examples": {"enabled": True}, "fuzzing": {"enabled": True}, "coverage": {"enabled": False},
               "stateful": {"enabled": False}},
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "mode": "all"},
    "request-timeout": 20,
}
FUZZ_SETTINGS = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.web.app import create_app

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("schemathesis"), host="127.0.0.1", port=port,
                         public_url=base, dev_mode=True)
    container = build_container(settings_, fakes=True)
    created = container.use_cases.create_cabinet(name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica",
                                       owner_surname="Poussart", owner_email=OWNER_EMAIL,
                                       owner_mobile="06 24 00 00 13", password=PASSWORD)
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="schemathesis-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    yield {"base": base, "container": container, "cabinet_id": created.cabinet_id}
    server.should_exit = True
    thread.join(timeout=10)


def _with_csrf_token(base: str) -> tuple[requests.Session, dict[str, str]]:
    """A browser-like session holding the CSRF cookie, and the header that goes with it: without
    them every unsafe request would stop at the CSRF check (its 403 is documented and tested in
    test_openapi.py) and never reach the handlers."""
    session = requests.Session()
    answer = session.get(f"{base}/api/v1/csrf", timeout=10)
    assert answer.status_code == 200, answer.text
    return session, {"X-CSRFToken": answer.json()["token"]}


@pytest.fixture(scope="module")
def anonymous_session(server: dict[str, Any]) -> tuple[requests.Session, dict[str, str]]:
    return _with_csrf_token(server["base"])


@pytest.fixture(scope="module")
def owner_session(server: dict[str, Any]) -> tuple[requests.Session, dict[str, str]]:
    """Logged in as the cabinet owner."""
    session, headers = _with_csrf_token(server["base"])
    answer = session.post(f"{server['base']}/api/v1/session", json={"email": OWNER_EMAIL, "password": PASSWORD},
                          headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert session.get(f"{server['base']}/api/v1/me", timeout=10).status_code == 200
    return session, headers


@pytest.fixture(scope="module")
def admin_key(server: dict[str, Any], owner_session: Any) -> dict[str, str]:
    """The header of an API key of the owner's cabinet with every scope (admin includes the others)."""
    session, headers = owner_session
    answer = session.post(f"{server['base']}/api/v1/cabinets/{server['cabinet_id']}/api-keys",
                          json={"name": "Fuzz", "scopes": ["admin"]}, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['secret']}"}


# Loaded at collection (one test per operation); the first test checks that it is what the running
# server serves at /schema/openapi.json. (schemathesis.pytest.from_fixture would load it from the
# server, but its lazy loader does not run under pytest 9.2.)
schema = schemathesis.openapi.from_dict(openapi_document(), config=SchemathesisConfig.from_dict(CONFIG))
owner_schema = schema.exclude(func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in SESSION_ENDING)


def test_the_fuzzed_description_is_the_one_the_server_serves(server: dict[str, Any]) -> None:
    served = requests.get(f"{server['base']}/schema/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json()["paths"] == openapi_document()["paths"]


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented_when_logged_out(case: Any, server: dict[str, Any],
                                                               anonymous_session: Any) -> None:
    session, headers = anonymous_session
    case.call_and_validate(base_url=server["base"], session=session, headers=headers, checks=CHECKS)


@owner_schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented_for_a_cabinet_owner(case: Any, server: dict[str, Any],
                                                                   owner_session: Any) -> None:
    session, headers = owner_session
    if "cabinet_id" in (case.path_parameters or {}):
        case.path_parameters["cabinet_id"] = server["cabinet_id"]
    case.call_and_validate(base_url=server["base"], session=session, headers=headers, checks=CHECKS)


@owner_schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented_for_an_admin_api_key(case: Any, server: dict[str, Any],
                                                                    admin_key: dict[str, str]) -> None:
    if "cabinet_id" in (case.path_parameters or {}):
        case.path_parameters["cabinet_id"] = server["cabinet_id"]
    case.call_and_validate(base_url=server["base"], headers=admin_key, checks=CHECKS)
