"""The README's Python client, run as it stands: extracted from README.md, imported, and pointed at
Seing served by uvicorn on a loopback port (real CA and PAdES signing, fake clock at the real time),
with its webhook receiver on another loopback port. The test plays what the README leaves to others:
the two signers (through the signer's JSON API, their codes read from the outbox) and the worker."""

from __future__ import annotations

import importlib.util
import queue
import re
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from dependency_injector import providers

from adapters.webhooks.httpx_sender import HttpxWebhookSender
from tests.ceremony.harness import Ceremony
from tests.intake import corpus

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.compile(r"<!-- example:api-client -->\s*```python\n(.*?)```\s*<!-- /example:api-client -->", re.S)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_example(folder: Path) -> Any:
    found = EXAMPLE.findall(README.read_text(encoding="utf-8"))
    assert len(found) == 1, "README.md holds the client example once, between its markers"
    path = folder / "seing_readme_client.py"
    path.write_text(found[0], encoding="utf-8")
    spec = importlib.util.spec_from_file_location("seing_readme_client", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def world(tmp_path: Path) -> Ceremony:
    world = Ceremony(tmp_path / "data", webhooks_allow_private=True)
    # Webhook signatures carry the clock's time and the example checks it against its own: five minutes.
    world.clock.set(datetime.now(UTC))
    world.container.adapters.webhook_sender.override(providers.Object(HttpxWebhookSender(timeout=5)))
    return world


@pytest.fixture
def seing(world: Ceremony) -> Iterator[str]:
    import uvicorn

    from entrypoints.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(world.container), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="readme-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_through_the_api(world: Ceremony, base_url: str, email: str) -> None:
    """What the signer's browser does with the link of their invitation email."""
    with httpx.Client(base_url=f"{base_url}/api/v1/signature/{world.token_of(email)}", timeout=60) as signer:
        assert signer.post("/open").status_code == 200
        assert signer.post("/code", json={"accepted": True}).status_code == 201
        signed = signer.post("/signature", json={"code": world.latest_code()})
        assert signed.status_code == 200, signed.text


def test_the_readme_client_sends_is_told_of_the_completion_and_downloads_the_signed_pdfs(world, seing, tmp_path):
    client = load_example(tmp_path)
    key = world.uc.create_api_key(cabinet_id=world.cabinet_id, by_person_id=world.owner, name="Logiciel du cabinet",
                                  scopes=["read", "prepare", "admin"]).secret
    receiver_port = _free_port()
    documents = []
    for n in (1, 2):
        documents.append(tmp_path / f"lettre-{n}.pdf")
        documents[-1].write_bytes(corpus.minimal_pdf(pages=2, text=f"Lettre {n}"))

    with client.connect(seing, key) as api:
        secret = client.subscribe(api, world.cabinet_id, f"http://127.0.0.1:{receiver_port}/seing")
        server, events = client.receive_completions(secret, "127.0.0.1", receiver_port)
        try:
            sent = client.send_collection(api, world.cabinet_id, documents, [
                {"kind": "external", "level": 1, "given_names": "Anne", "surname": "Martin",
                 "email": "anne@exemple.fr", "fields": [{"document": 0, "page": 1, "x": 72, "y": 72}]},
                {"kind": "external", "level": 2, "given_names": "Bruno", "surname": "Leroy",
                 "email": "bruno@exemple.fr", "mobile": "06 12 34 56 78"}])
            collection_id = sent["summary"]["collection_id"]
            assert sent["summary"]["status"] == "in_progress"
            assert [s["status"] for s in sent["signers"]] == ["invited", "pending"]

            sign_through_the_api(world, seing, "anne@exemple.fr")
            progress = api.get(f"/api/v1/collections/{collection_id}").json()
            assert [s["status"] for s in progress["signers"]] == ["signed", "invited"]
            assert progress["summary"]["progress"] == "1/2"
            sign_through_the_api(world, seing, "bruno@exemple.fr")

            # The worker: finishes the collection, fans the event out, delivers it over HTTP.
            worker = world.container.worker()
            event = None
            deadline = time.monotonic() + 60
            while event is None and time.monotonic() < deadline:
                worker.run_once()
                try:
                    event = events.get(timeout=0.2)
                except queue.Empty:  # nothing delivered yet
                    event = None
            assert event is not None, "no verified collection.completed webhook arrived"
            assert event["data"]["collection_id"] == collection_id and event["cabinet_id"] == world.cabinet_id

            saved = client.download_signed(api, collection_id, tmp_path)
        finally:
            server.shutdown()
            server.server_close()

    assert [p.name for p in saved] == ["signe-lettre-1.pdf", "signe-lettre-2.pdf"]
    for path in saved:
        report = httpx.post(f"{seing}/api/v1/verifications", content=path.read_bytes(),
                            headers={"Content-Type": "application/pdf"}, timeout=60).json()
        assert [s["signer_name"] for s in report["signatures"] if s["kind"] == "signature"] == \
            ["Anne Martin", "Bruno Leroy"], report
        assert report["all_ok"] and all(s["ok"] for s in report["signatures"]), report  # the timestamp too
    final = httpx.get(f"{seing}/api/v1/collections/{collection_id}", headers={"Authorization": f"Bearer {key}"}).json()
    assert final["summary"]["status"] == "completed"
    assert [s["signed_at"] is not None for s in final["signers"]] == [True, True]
    assert final["links"]["signed_documents"] == [d["signed_url"] for d in final["documents"]]


def test_the_readme_client_refuses_a_forged_or_stale_webhook(tmp_path):
    client = load_example(tmp_path)
    import hashlib
    import hmac

    body = b'{"type":"collection.completed"}'
    now = str(int(time.time()))
    good = hmac.new(b"s3cret", now.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert client.verify(f"t={now},v1={good}", body, "s3cret")
    assert client.verify(f"t={now},v1={'0' * 64},v1={good}", body, "s3cret")  # two secrets after a rotation
    assert not client.verify(f"t={now},v1={good}", body + b" ", "s3cret")
    assert not client.verify(f"t={now},v1={good}", body, "autre")
    stale = str(int(time.time()) - 301)
    old = hmac.new(b"s3cret", stale.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert not client.verify(f"t={stale},v1={old}", body, "s3cret")
    assert not client.verify("", body, "s3cret")
