"""What a web process imports to start: a process restarted under load answers sooner without
pyHanko's signing and validation halves, which it imports at its first signature."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_START_AND_ANSWER = """
import sys
from litestar.testing import TestClient
from entrypoints.web.app import create_app
with TestClient(create_app()) as client:
    assert client.get("/connexion").status_code == 200
print(sorted(name for name in ("pyhanko.sign", "pyhanko.sign.validation", "aiohttp") if name in sys.modules))
"""

_SIGNING_ADAPTER = """
import sys
from entrypoints.composition.container import build_container
from entrypoints.settings import load_settings
from tests.intake.corpus import minimal_pdf
container = build_container(load_settings())
container.init_resources()
try:
    container.adapters.pdf_signing().check_signable(minimal_pdf())  # the intake's dry run, in this process
finally:
    container.shutdown_resources()
print("pyhanko.sign" in sys.modules)
"""


def _run(code: str, data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    env.update(PYTHONPATH=str(ROOT), SEING_DATA_DIR=str(data_dir), SEING_DEMO_DATA="false")
    subprocess.run([sys.executable, "-m", "entrypoints.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_web_process_answers_its_first_page_without_importing_pyhankos_signing(tmp_path: Path) -> None:
    assert _run(_START_AND_ANSWER, tmp_path) == "[]"


def test_the_signing_adapter_still_brings_pyhanko_when_first_used(tmp_path: Path) -> None:
    assert _run(_SIGNING_ADAPTER, tmp_path) == "True"
