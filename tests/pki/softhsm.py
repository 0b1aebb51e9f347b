"""One SoftHSM2 token per test process, in a temporary directory.

A PKCS#11 module is initialised once per process and reads SOFTHSM2_CONF at that moment,
so every test that needs a token shares this one (``softhsm_token()``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import attrs
import pytest

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


@attrs.frozen
class SoftHsmToken:
    module_path: str
    label: str
    user_pin: str
    so_pin: str
    directory: Path


_TOKEN: SoftHsmToken | None = None


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"SoftHSM2 is required under CI=true: {reason}")
    pytest.skip(f"SKIPPED LOUDLY: SoftHSM2 unavailable ({reason}); apt-get install softhsm2")


def softhsm_token() -> SoftHsmToken:
    global _TOKEN
    if _TOKEN is not None:
        return _TOKEN
    module = os.environ.get("SEING_TEST_PKCS11_MODULE") or next(
        (c for c in MODULE_CANDIDATES if Path(c).exists()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        _missing("libsofthsm2.so or softhsm2-util not found")
    directory = Path(tempfile.mkdtemp(prefix="seing-softhsm-"))
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    token = SoftHsmToken(module_path=str(module), label="seing-test", user_pin="1234", so_pin="123456",
                         directory=directory)
    result = subprocess.run([util, "--init-token", "--free", "--label", token.label, "--pin", token.user_pin,
                             "--so-pin", token.so_pin], capture_output=True, text=True, env=os.environ.copy())
    if result.returncode != 0:
        _missing(f"softhsm2-util --init-token failed: {result.stderr.strip()}")
    _TOKEN = token
    return token
