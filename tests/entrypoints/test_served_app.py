"""A served web process freezes what start-up built, so full collections stop walking it
(the signer page's p99 under load, `make loadtest`); the app tests build stays unfrozen."""

from __future__ import annotations

import subprocess
import sys

from uvicorn.importer import import_from_string

from entrypoints import cli
from entrypoints.web.app import create_served_app
from tests.child_env import ROOT, python_child_env

# In a process of its own: a frozen heap is never collected again, which a test process must not do.
_PROBE = """
import gc, sys, tempfile
from litestar.testing import TestClient
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from entrypoints.web import app as web

factory = getattr(web, sys.argv[1])
app = factory(build_container(Settings(data_dir=tempfile.mkdtemp()), fakes=True))
before = gc.get_freeze_count()
with TestClient(app) as client:
    status = client.get("/connexion").status_code
print(status, before, gc.get_freeze_count())
"""


def _probe(factory: str) -> tuple[int, int, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE, factory], capture_output=True, text=True, env=python_child_env(),
                         cwd=ROOT, timeout=120, check=True).stdout
    status, before, after = (int(x) for x in out.split())
    return status, before, after


def test_a_served_web_process_freezes_its_start_up_heap_before_serving():
    status, before, after = _probe("create_served_app")
    assert status == 200
    assert before == 0
    # The app, its handlers and the container: far more than a handful of objects.
    assert after > 50_000


def test_the_app_tests_build_is_not_frozen():
    status, before, after = _probe("create_app")
    assert (status, before, after) == (200, 0, 0)


def test_seing_serve_spawns_its_web_processes_on_the_served_app():
    assert import_from_string(cli.WEB_APP_FACTORY) is create_served_app
