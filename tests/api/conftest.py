"""The API through Litestar's test client, on the fake container.

``api`` is a logged-out client that fetches the CSRF token once and sends it on every
unsafe request, as a well-behaved client does; tests about CSRF use ``raw``.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.apps import app_for

PASSWORD = "correct horse battery"
OWNER_EMAIL = "jessica@poussart.fr"
SIREN = "732829320"


class ApiClient:
    """Cookies kept between calls; the CSRF header added to unsafe methods."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._csrf: str | None = None

    @property
    def csrf(self) -> str:
        if self._csrf is None:
            answer = self.client.get("/api/v1/csrf")
            assert answer.status_code == 200, answer.text
            self._csrf = answer.json()["token"]
        return self._csrf

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        if method.upper() not in {"GET", "HEAD", "OPTIONS"}:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf)
            kwargs["headers"] = headers
        return self.client.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def login(self, email: str = OWNER_EMAIL, password: str = PASSWORD) -> Any:
        answer = self.post("/api/v1/session", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def container(tmp_path):
    return build_container(Settings(data_dir=tmp_path), fakes=True)


@pytest.fixture
def uc(container):
    return container.use_cases


@pytest.fixture
def app(container):
    return app_for(container)


@pytest.fixture
def raw(app):
    with TestClient(app, base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
def api(raw):
    return ApiClient(raw)


@pytest.fixture
def second_browser(app):
    """Another client with its own cookies (another person)."""
    with TestClient(app, base_url="http://testserver.local") as client:
        yield ApiClient(client)


@pytest.fixture
def cabinet(uc):
    return uc.create_cabinet(name="Cabinet Poussart", siren=SIREN, owner_given_names="Jessica",
                             owner_surname="Poussart", owner_email=OWNER_EMAIL,
                             owner_mobile="06 24 00 00 13", password=PASSWORD)


@pytest.fixture
def sent(container):
    """Notifications queued so far (the invitation and reset emails carry their token)."""

    def read(template: str | None = None):
        jobs = container.adapters.job_store().list(limit=1000)
        found = [j.spec.as_notification() for j in reversed(jobs) if j.spec.kind == "notify"]
        return [n for n in found if template is None or n.template == template]

    return read


def problem_of(answer: Any, status: int) -> dict[str, Any]:
    """Assert a problem-details answer with this status and French detail; return its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
    body = answer.json()
    assert body["status"] == status
    assert body["type"].endswith("/" + body["code"])
    assert body["title"] and body["detail"]
    assert "Traceback" not in answer.text
    return body


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Give each Schemathesis test its operation in its id again (``test_…[GET /api/v1/me]``).

    pytest 9.2 builds an item's id from its original name and its callspec, and Schemathesis 4.32
    puts the operation in the name only, so its ~100 tests per function all shared one id: the
    summary of failures did not say which operation failed, and ``-k`` could not pick one.
    """
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and getattr(item, "_id", None) is not None and item._id.params is None:
            item._id = item._id.with_params(label)
