"""Ids in paths and page numbers are checked at the edge: a blank or control-character id, or a
page number past any real page, answers 404 / 400 (problem in the API, French page elsewhere),
never a 500. Every route of the app is tried, so a new route cannot forget it."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from adapters.persistence.migrations import upgrade
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.api.conftest import problem_of

BAD_IDS = ["%20", "%C2%A0", "%09", "%00", "%0A", "%E2%80%8B", "%20%20x"]
HUGE = "9223372036854775807"
SKIPPED = ("/static", "/schema")


def _routes(app):
    for route in app.routes:
        if route.path.startswith(SKIPPED) or "{" not in route.path:
            continue
        methods = sorted(m for m in getattr(route, "methods", ()) if m not in {"HEAD", "OPTIONS"})
        for method in methods:
            yield method, route.path


def _filled(path: str, text: str, number: str) -> str:
    path = re.sub(r"\{[a-z_]+:int\}", number, path)
    return re.sub(r"\{[a-z_]+:(str|path)\}", text, path)


@pytest.fixture
def container(tmp_path) -> Iterator[Any]:
    """The real stack on SQLite: the in-memory fakes shrug at a blank key, Pony raised."""
    settings = Settings(data_dir=tmp_path, mail_backend="outbox")
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    yield container
    container.shutdown_resources()


@pytest.fixture
def owner(api, cabinet):
    api.login()
    return api


def test_blank_and_control_character_ids_answer_404_on_every_route(app, owner):
    failures = []
    for method, template in _routes(app):
        for bad in BAD_IDS:
            url = _filled(template, bad, "1")
            answer = owner.request(method, url, follow_redirects=False)
            if answer.status_code != 404:
                failures.append((method, url, answer.status_code))
    assert failures == []


def test_a_blank_id_in_the_api_is_a_404_problem_in_french(owner):
    for url in ("/api/v1/collections/%20", "/api/v1/qcp-enrollments/%C2%A0"):
        body = problem_of(owner.get(url), 404)
        assert body["code"] == "http.not_found"


def test_a_blank_id_in_a_page_is_the_french_404_page(owner):
    for url in ("/collectes/%09", "/qcp/%20"):
        answer = owner.client.get(url, follow_redirects=False)
        assert answer.status_code == 404
        assert "Cette page n’existe pas." in answer.text and '<html lang="fr">' in answer.text


def test_huge_page_numbers_in_paths_answer_404(app, owner):
    failures = []
    for method, template in _routes(app):
        if ":int}" not in template:
            continue
        url = _filled(template, "unknown", HUGE)
        answer = owner.request(method, url, follow_redirects=False)
        if answer.status_code != 404:
            failures.append((method, url, answer.status_code))
    assert failures == []


def test_a_huge_page_number_in_the_api_is_a_400_problem(owner, cabinet):
    answer = owner.get(f"/api/v1/collections?cabinet_id={cabinet.cabinet_id}&page={HUGE}")
    body = problem_of(answer, 400)
    assert body["errors"][0]["field"] == "page"


def test_a_huge_page_number_in_the_dashboard_is_the_french_404_page(owner):
    answer = owner.client.get(f"/collectes?page={HUGE}")
    assert answer.status_code == 404
    assert "Cette page n’existe pas." in answer.text


def test_a_blank_id_in_a_query_is_not_found_either(owner):
    for value in ("%20", "%C2%A0", "%09"):
        answer = owner.get(f"/api/v1/collections?cabinet_id={value}")
        assert answer.status_code == 404, answer.text
