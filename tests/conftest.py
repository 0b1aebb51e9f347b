"""Shared test helpers.

A test that needs a real service calls ``require_service``: under CI=true a missing
service is a failure (so CI cannot pass by skipping), elsewhere a loud skip.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"SKIPPED LOUDLY: {what} is not available on this machine")


LOCALE_DIR = Path(__file__).resolve().parents[1] / "entrypoints" / "locale"


def compile_catalogues() -> None:
    """The English pages need the compiled catalogue; the Makefile builds it, tests do too if missing."""
    po = LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        pybabel = shutil.which("pybabel", path=str(Path(sys.executable).parent)) or "pybabel"
        subprocess.run([pybabel, "-q", "compile", "-d", str(LOCALE_DIR), "-D", "messages"], check=True)
        from entrypoints.web import i18n

        i18n.translations.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues() -> None:
    compile_catalogues()



# Any of these in a test file or a conftest.py above it: a fixture built once per module or class.
_MODULE_FIXTURE = re.compile(r"""scope\s*=\s*["'](module|class)["']""")
TESTS = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def _declares_module_fixtures(path: Path) -> bool:
    try:
        return bool(_MODULE_FIXTURE.search(path.read_text(encoding="utf-8")))
    except OSError:
        return False


def _builds_module_fixtures(test_file: str) -> bool:
    path = (TESTS.parent / test_file).resolve()
    folders = [p for p in path.parents if p == TESTS or TESTS in p.parents]
    return _declares_module_fixtures(path) or any(_declares_module_fixtures(f / "conftest.py") for f in folders)


_BROWSER_PACKAGE = "tests/browser/"


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``-n N`` (xdist's ``load``): a test file that builds module- or class-scoped fixtures
    runs whole in one worker; every other test is handed out one at a time, to whichever worker
    is free. xdist's ``load`` split such files across workers, which then each built the
    fixture: the three tests of test_long_term_proof_moved_clock.py, whose fixture runs a CLI
    instance through a ceremony and a renewal, spent 68 s + 94 s in set-up instead of 68 s.
    (xdist's ``loadgroup`` marks cannot do it under pytest 9.2: it renames the tests through
    ``_nodeid``, which pytest no longer reads.) The controller knows test ids only, hence the
    look at the source. Files go out largest first. The browser tests go out as one unit, so that
    one worker launches Chromium once for them all and closes it before it runs any other test.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            test_file = nodeid.split("::", 1)[0]
            if test_file.startswith(_BROWSER_PACKAGE):  # one Chromium for them all (tests/browser/conftest.py)
                return _BROWSER_PACKAGE
            return test_file if _builds_module_fixtures(test_file) else nodeid

    return ModuleFixtureScheduling(config, log)
