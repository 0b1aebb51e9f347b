"""Uploads never sit whole in the web process's memory: a real server (``seing serve``, its own
process on loopback, real adapters on SQLite, the PDF worker pool) takes four parallel uploads
near ``max_upload_mb`` through the API, accepts them, and its resident memory grows by far less
than the bytes it received (the multipart parser writes each file to disk as it arrives; the
intake's workers open the file by path; the store copies it as a stream).

The measure is the server process's RSS (``/proc/<pid>/status``), sampled while the uploads run,
against its RSS after a first upload of the same size (imports and pools warmed up).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.persistence.migrations import upgrade
from bench.loadtest import free_port
from domain.model.api_keys import ApiScope
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake import corpus

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
LIMIT_MB = 20
FILE_BYTES = 19 * MB
PARALLEL = 4

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")


def large_pdf(size: int) -> bytes:
    """A valid one-page PDF of about ``size`` bytes: an unreferenced stream of random bytes
    (incompressible, no filter: nothing for the inspection to inflate) pads it out."""
    stream = b"BT /F1 18 Tf 72 720 Td (Lettre de mission) Tj ET"
    padding = os.urandom(size)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(padding) + padding + b"\nendstream",
    ]
    return corpus.pdf_from_objects(objects)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("upload-memory")
    settings = Settings(data_dir=data_dir, dev_mode=True, max_upload_mb=LIMIT_MB)
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    container.init_resources()
    try:
        uc = container.use_cases
        created = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                    owner_surname="Poussart", owner_email="jessica@poussart.fr", owner_mobile=None,
                                    password="correct horse battery")
        # One key and one draft per upload, made beforehand: parallel requests then write to different
        # rows (a key records its last use).
        keys = [uc.create_api_key(cabinet_id=created.cabinet_id, by_person_id=created.person_id, name=f"Mesure {n}",
                                  scopes=[ApiScope.PREPARE]).secret for n in range(PARALLEL + 1)]
        drafts = [uc.create_collection_draft(cabinet_id=created.cabinet_id, by_person_id=created.person_id,
                                             title=f"Mission {n}", message="Merci de signer.")
                  for n in range(PARALLEL + 1)]
    finally:
        container.shutdown_resources()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    env.update(PYTHONPATH=str(ROOT), SEING_DATA_DIR=str(data_dir), SEING_HOST="127.0.0.1", SEING_PORT=str(port),
               SEING_PUBLIC_URL=f"http://127.0.0.1:{port}", SEING_DEV_MODE="true", SEING_DEMO_DATA="false",
               SEING_MAX_UPLOAD_MB=str(LIMIT_MB))
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "serve", "--workers", "1",
                                "--no-access-log"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"the server did not start: {(data_dir / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield {"url": f"http://127.0.0.1:{port}", "pid": process.pid, "keys": keys,
               "drafts": drafts, "scratch": data_dir / "scratch"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _upload(server: dict[str, Any], content: bytes, draft: int) -> httpx.Response:
    return httpx.post(f"{server['url']}/api/v1/collections/{server['drafts'][draft]}/documents", timeout=300,
                      headers={"Authorization": f"Bearer {server['keys'][draft]}"},
                      files=[("files", ("lettre.pdf", content, "application/pdf"))])


def test_parallel_uploads_near_the_limit_do_not_grow_the_server_by_their_size(server) -> None:
    content = large_pdf(FILE_BYTES)
    assert len(content) < LIMIT_MB * MB
    warm_up = _upload(server, content, PARALLEL)
    assert warm_up.status_code == 201, warm_up.text
    time.sleep(1)
    baseline = rss_bytes(server["pid"])

    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes(server["pid"]))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(lambda n: _upload(server, content, n), range(PARALLEL)))
    finally:
        done.set()
        sampler.join()
    assert [a.status_code for a in answers] == [201] * PARALLEL, [a.text[:300] for a in answers if a.status_code != 201]
    total = PARALLEL * len(content)
    growth = peak - baseline
    # Holding the files would cost at least their size (76 MB here); spooling costs buffers of
    # about 1 MB per request. A quarter of the total leaves room for the allocator's noise.
    assert growth < total / 4, f"RSS grew by {growth / MB:.1f} MB for {total / MB:.0f} MB uploaded"
    # Nothing of the uploads stays in the scratch directory.
    assert not list(server["scratch"].glob("upload-*"))
