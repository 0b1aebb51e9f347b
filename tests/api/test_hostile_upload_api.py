"""Hostile PDFs through the API, the intake wired to a bounded worker pool as in production:
each is a 422 problem in French, and the server answers other requests meanwhile."""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest
from dependency_injector import providers

from adapters.isolation.pool import BoundedProcessPool
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.pdf.rendering import PdfiumPageRenderer
from tests.api.conftest import PASSWORD, ApiClient, app_for, problem_of
from tests.intake import corpus, hostile

MB = 1024 * 1024


@pytest.fixture(scope="module")
def pool() -> Iterator[BoundedProcessPool]:
    pool = BoundedProcessPool(workers=2, memory_mb=384, cpu_seconds=5, timeout_seconds=5,
                              preload=("adapters.pdf.inspection", "adapters.pdf.rendering"))
    yield pool
    pool.close()


@pytest.fixture
def api_and_cabinet(tmp_path, pool) -> Iterator[tuple[ApiClient, Any]]:
    from litestar.testing import TestClient

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings

    container = build_container(Settings(data_dir=tmp_path, max_upload_mb=2), fakes=True)
    container.adapters.pdf_inspector.override(providers.Object(
        PyHankoPdfiumInspector(pool, inflate_limit=8 * MB, max_pages=500)))
    container.adapters.page_renderer.override(providers.Object(PdfiumPageRenderer(pool)))
    cabinet = container.use_cases.create_cabinet(
        name="Cabinet", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
        owner_email="jessica@poussart.fr", owner_mobile="06 24 00 00 13", password=PASSWORD)
    with TestClient(app_for(container), base_url="http://testserver.local") as raw:
        api = ApiClient(raw)
        api.login()
        yield api, cabinet


def _create(api: ApiClient, cabinet: Any, name: str, content: bytes) -> Any:
    return api.post("/api/v1/collections", data={"cabinet_id": cabinet.cabinet_id},
                    files=[("files", (name, content, "application/pdf"))])


@pytest.mark.parametrize(("content", "code", "words"), [
    (hostile.content_stream_bomb(256 * MB), "document.too_complex", "trop de mémoire"),
    (hostile.deep_nesting(), "document.too_complex", "trop de mémoire"),
    (hostile.open_action_javascript(), "document.active_content", "JavaScript"),
    (hostile.launch_action(), "document.active_content", "contenu actif"),
], ids=["bomb", "nesting", "javascript", "launch"])
def test_a_hostile_pdf_is_a_422_problem_in_french(api_and_cabinet, content, code, words) -> None:
    api, cabinet = api_and_cabinet
    body = problem_of(_create(api, cabinet, "piège.pdf", content), 422)
    assert body["code"] == code
    assert words in body["detail"]
    assert body["errors"][0]["field"] == "files[0]"


def test_the_server_answers_while_a_bomb_is_inspected(api_and_cabinet) -> None:
    api, cabinet = api_and_cabinet
    created = _create(api, cabinet, "normal.pdf", corpus.minimal_pdf(2))
    assert created.status_code == 201, created.text
    collection_id = created.json()["collection_id"]
    answers: list[int] = []
    bomb = threading.Thread(target=lambda: answers.append(
        _create(api, cabinet, "bombe.pdf", hostile.content_stream_bomb(512 * MB)).status_code))
    bomb.start()
    timings = []
    for _ in range(3):
        started = time.monotonic()
        assert api.get(f"/api/v1/collections/{collection_id}").status_code == 200
        timings.append(time.monotonic() - started)
    bomb.join(15)
    assert answers == [422]
    assert max(timings) < 1.5, timings
