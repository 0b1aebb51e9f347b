"""Shared test helpers.

A test that needs a real service calls ``require_service``: under CI=true a missing
service is a failure (so CI cannot pass by skipping), elsewhere a loud skip.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"SKIPPED LOUDLY: {what} is not available on this machine")
