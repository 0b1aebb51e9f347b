"""Fixtures for the page tests: the real app on in-memory adapters, driven by Litestar's TestClient."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient

from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.apps import app_for

ROOT = Path(__file__).resolve().parents[2]
OWNER_EMAIL = "jessica.poussart@example.fr"
OWNER_PASSWORD = "correct horse battery"
SIREN = "732829320"


@pytest.fixture
def container(tmp_path: Path) -> Any:
    return build_container(Settings(data_dir=tmp_path, dev_mode=True), fakes=True)


@pytest.fixture
def owner(container: Any) -> Any:
    return container.use_cases.create_cabinet(
        name="Cabinet Poussart & Associés", siren=SIREN, owner_given_names="Jessica", owner_surname="Poussart",
        owner_email=OWNER_EMAIL, owner_mobile="06 24 00 00 13", password=OWNER_PASSWORD)


@pytest.fixture
def client(container: Any) -> Iterator[TestClient]:
    with TestClient(app_for(container), base_url="http://testserver.local") as test_client:
        yield test_client


def csrf(client: TestClient) -> str:
    """The CSRF token forms carry: the same value as the CSRF cookie Litestar sets on a GET."""
    token = client.cookies.get("seing_csrf")
    if token is None:
        client.get("/connexion")
        token = client.cookies.get("seing_csrf")
    assert token, "no CSRF cookie was set"
    return token


def post_form(client: TestClient, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return client.post(path, data={"_csrf_token": csrf(client), **(data or {})}, follow_redirects=False, **kwargs)


def login(client: TestClient, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> Any:
    response = post_form(client, "/connexion", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


def queued_token(container: Any, template: str, to: str) -> str:
    """The token of the newest email queued for ``to`` (the recorded outbox of the fakes)."""
    for job in container.adapters.job_store().list(limit=1000):
        if job.spec.kind != "notify":  # webhook events and worker jobs sit in the same outbox
            continue
        notification = job.spec.as_notification()
        if notification.template == template and notification.to == to:
            return notification.context_dict()["token"]
    raise AssertionError(f"no {template} email queued for {to}")


def error_for(html: str, field: str) -> str:
    """The error message tied to a field (its aria-describedby target)."""
    match = re.search(rf'<small id="{field}-erreur" class="field-error">(.*?)</small>', html, re.S)
    assert match, f"no error shown for {field}"
    assert f'aria-describedby="{field}-erreur"' in html or f'{field}-erreur"' in html
    return match.group(1).strip()
