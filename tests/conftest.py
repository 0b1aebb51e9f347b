"""Shared test helpers.

A test that needs a real service calls ``require_service``: under CI=true a missing
service is a failure (so CI cannot pass by skipping), elsewhere a loud skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
