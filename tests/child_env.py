"""The environment of a Python child process a test starts on the project's code."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_child_env() -> dict[str, str]:
    """This process's environment with the project first on PYTHONPATH, keeping what was there:
    the shifted-clock pass puts its sitecustomize on it (time.sleep under libfaketime answers
    EINVAL without it)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}
