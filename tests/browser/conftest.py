"""Browser tests: the real app served by uvicorn on a free port, driven by Debian's Chromium.

Never downloads a browser: Playwright launches /usr/bin/chromium. Under CI=true a missing
Chromium (or Playwright) fails the test; elsewhere it is a loud skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("SEING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _ensure_static_assets() -> None:
    missing = not (ROOT / "entrypoints/web/static/vendor/pico/pico.min.css").exists() or not AXE.exists()
    if missing and shutil.which("npm"):
        subprocess.run(["sh", str(ROOT / "scripts" / "vendor_static.sh")], check=True, cwd=ROOT)


def _build_container(data_dir: Path, port: int) -> Any:
    """The real adapters, as ``make run`` wires them: SQLite under data_dir, Argon2, the outbox mailer
    (emails land where /dev/outbox and read_outbox find them)."""
    from adapters.persistence.migrations import upgrade
    from domain.model.errors import DomainError
    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings

    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port, dev_mode=True, mail_backend="outbox")
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    try:  # open the database now, in this thread, rather than in the first request
        container.use_cases.my_cabinets(person_id="warm-up")
    except DomainError:
        pass
    return container


class LiveServer:
    def __init__(self, container: Any, url: str, outbox_dir: Path) -> None:
        self.container = container
        self.url = url
        self.outbox_dir = outbox_dir

    def deliver_mail(self) -> int:
        """What ``seing worker --once`` does: send the queued notifications (into the outbox)."""
        return self.container.worker().run_once()


@contextmanager
def serve(container: Any, port: int) -> Iterator[LiveServer]:
    """The app of this container served by uvicorn on the port, in a thread, until the block ends;
    then the container's resources are shut down."""
    import uvicorn

    from entrypoints.web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"seing-uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(container, f"http://127.0.0.1:{port}", container.settings().outbox_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        container.shutdown_resources()
        os.environ.pop("SEING_DATA_DIR", None)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _ensure_static_assets()
    data_dir = tmp_path_factory.mktemp("seing-data")
    os.environ["SEING_DATA_DIR"] = str(data_dir)  # anything reading settings from env sees the same dir
    port = _free_port()
    container = _build_container(data_dir, port)
    with serve(container, port) as server:
        yield server


# What pages did wrong while a test drove them: console errors, uncaught exceptions, markup in <title>.
# Collected by every context the ``browser`` fixture opens, checked after each test.
_PAGE_PROBLEMS: list[str] = []


def watch_page(page: Any, problems: list[str]) -> None:
    """Record the page's console errors (CSP refusals included) and any markup inside its <title>.

    A document answered with an error status (a 404 page, a 400 form) is the test's business,
    not a defect: Chromium's « Failed to load resource » line for it is not counted.
    """
    failed_documents: set[str] = set()

    def on_response(response: Any) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            failed_documents.add(response.url)

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and url in failed_documents:
            return
        problems.append(f"console error on {page.url}: {message.text} ({url})")

    def on_load(loaded: Any) -> None:
        try:
            title = loaded.title()
        except Exception:  # navigated away meanwhile: the next load is checked
            return
        if "<" in title or ">" in title:
            problems.append(f"markup in the <title> of {loaded.url}: {title!r}")
        # On a phone, a page wider than the screen scrolls sideways: every line is cut somewhere.
        try:
            widths = loaded.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        except Exception:
            return
        if widths[1] <= 480 and widths[0] > widths[1]:
            problems.append(f"{loaded.url} is {widths[0]} px wide on a {widths[1]} px screen")

    page.on("response", on_response)
    page.on("console", on_console)
    page.wait_for_function = _polling_wait_for_function(page)
    page.on("pageerror", lambda error: problems.append(f"uncaught error on {page.url}: {error}"))
    page.on("load", on_load)


def _polling_wait_for_function(page: Any) -> Any:
    """``page.wait_for_function`` that works under the site's CSP.

    Playwright's own compiles the predicate inside the page, which « script-src 'self' » (no
    'unsafe-eval') refuses; ``page.evaluate`` goes through the DevTools protocol, which the CSP
    does not govern, so poll with it from here.
    """
    def wait_for_function(expression: str, *, timeout: float | None = None, polling: float = 100, **_: Any) -> Any:
        deadline = time.monotonic() + (timeout if timeout is not None else 30_000) / 1000
        while True:
            value = page.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression!r} on {page.url}")
            page.wait_for_timeout(polling if isinstance(polling, (int, float)) else 100)

    return wait_for_function


class GuardedBrowser:
    """The Playwright browser, whose contexts keep the site's CSP and watch every page they open.

    ``bypass_csp`` is refused: under it Chromium applies no policy, so a page the policy would
    break looks fine. axe-core is injected through ``page.evaluate``, which the CSP does not govern.
    """

    def __init__(self, browser: Any, problems: list[str]) -> None:
        self._browser = browser
        self._problems = problems

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    @property
    def unwatched(self) -> Any:
        """The bare browser, for a test that checks the watcher itself."""
        return self._browser

    def new_context(self, **options: Any) -> Any:
        options.pop("bypass_csp", None)
        context = self._browser.new_context(**options)
        context.on("page", lambda page: watch_page(page, self._problems))
        return context


@pytest.fixture(autouse=True)
def pages_log_no_error(browser: GuardedBrowser) -> Iterator[None]:
    """Every browser test fails if a page it visited logged a console error or put markup in its title.

    The contexts a test left open are closed after it: the browser outlives the test, and a page
    left open would go on polling a server that has gone, its errors landing on the next test.
    """
    _PAGE_PROBLEMS.clear()
    yield
    problems, _PAGE_PROBLEMS[:] = list(_PAGE_PROBLEMS), []
    for context in list(browser.contexts):
        context.close()
    assert not problems, "\n".join(problems)


# One Chromium for all the browser tests of a process: the scheduler (tests/conftest.py) sends the
# whole package to one worker, which closes it, and Playwright's event loop with it, before any
# other test runs there (pyHanko's validation and the demo call asyncio.run, which a running loop
# refuses). Launching one per module cost about 2.7 s of CPU each, twenty times.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require_service(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev dependency
        require_service(False, "Playwright for Python (pip install playwright)")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield GuardedBrowser(browser, _PAGE_PROBLEMS)
        finally:
            browser.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """WCAG 2.1 A/AA violations axe-core finds on the page (evaluated, not a <script>: the CSP stays on)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            targets: v.nodes.map(n => n.target.join(' '))}));
        }"""
    )
    return list(result)


@pytest.fixture
def check_accessibility() -> Any:
    """``check_accessibility(page)`` fails the test on any WCAG 2.1 AA violation axe-core reports."""
    require_service(AXE.exists(), "axe-core from npm (npm ci, as scripts/vendor_static.sh runs it)")

    def check(page: Any) -> None:
        violations = axe_violations(page)
        assert not violations, f"accessibility violations on {page.url}: {violations}"

    return check


@pytest.fixture
def shoot() -> Any:
    """``shoot(page, "01-connexion")`` saves a full-page screenshot under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
