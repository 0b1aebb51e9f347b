"""One Litestar app per test process, with each test's container swapped in.

Building the app registers ~450 route handlers and costs 0.5-2 s; doing it for each of the
hundreds of page and API tests was most of their time. Handlers reach the container through
``app.state.container`` at every request (entrypoints/web/deps.py), so a test gets the shared
app with its own container in place, and nothing else of the app outlives a test: sessions
and CSRF cookies belong to each test's client, and per-container state lives in the container.

What the app itself takes from the settings (the session store's folder, the CSRF secret, and
whether cookies are Secure and HSTS is sent) is fixed when it is built, so apps are shared per
scheme of the public URL, on a folder of their own. Tests about those settings, or about the
factory itself, call ``create_app`` directly.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

from litestar import Litestar

from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from entrypoints.web.app import create_app

_apps: dict[bool, Litestar] = {}
_session_dirs: dict[bool, Path] = {}


def _https(container: Any) -> bool:
    return str(container.settings().resolved_public_url).startswith("https://")


def _build(https: bool) -> Litestar:
    folder = Path(tempfile.mkdtemp(prefix="seing-shared-app-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    public_url = "https://seing.example.fr" if https else "http://testserver.local"
    settings = Settings(data_dir=folder, public_url=public_url)
    _session_dirs[https] = settings.sessions_dir
    # This container only carries the app's own settings; every request sees the test's container.
    return create_app(build_container(settings, fakes=True))


def app_for(container: Any) -> Litestar:
    """The process's shared app for this container's URL scheme, serving this container."""
    https = _https(container)
    app = _apps.get(https)
    if app is None:
        app = _apps[https] = _build(https)
    if app.state.get("container") is not container:
        _forget_sessions(_session_dirs[https])
    app.state.container = container
    return app


def _forget_sessions(folder: Path) -> None:
    """A new test's container: the sessions earlier tests left behind go with theirs.

    Each client's lifespan purges expired sessions by reading every file of the store, so
    sessions kept from test to test made every test start slower than the one before.
    """
    for path in folder.glob("*"):
        path.unlink(missing_ok=True)


def openapi_document() -> dict[str, Any]:
    """The API description the app serves at /schema/openapi.json, without serving it: test modules
    that generate one test per operation need it at collection."""
    app = _apps.get(False)
    if app is None:
        app = _apps[False] = _build(False)
    return app.openapi_schema.to_schema()
