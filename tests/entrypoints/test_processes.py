"""Several web processes on one port (`seing serve --workers N`, uvicorn's supervisor) and several
job workers (`seing worker --processes N`, our ProcessGroup): each started for real, killed, restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from entrypoints import cli
from entrypoints.process_group import ProcessGroup

ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> set[int]:
    """The web processes uvicorn spawned under ``pid`` (not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            # The parent is the 4th field, after the command in parentheses (which may hold spaces).
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.add(int(entry.name))
    return found


def wait_until(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_worker_process_that_dies_is_started_again_and_all_stop_together():
    group = ProcessGroup([sys.executable, "-c", "import time; time.sleep(120)"], 2, restart_delay=0.1,
                         stop_timeout=10)
    stop = threading.Event()
    outcome: list[int] = []
    thread = threading.Thread(target=lambda: outcome.append(group.run(stop)))
    thread.start()
    try:
        wait_until(lambda: len(group.children) == 2, what="two children")
        first, second = group.children
        os.kill(first.pid, signal.SIGKILL)
        wait_until(lambda: group.restarts == 1, what="a restart")
        assert group.children[0].pid != first.pid and group.children[0].poll() is None
        assert group.children[1] is second and second.poll() is None
    finally:
        stop.set()
        thread.join(timeout=30)
    assert outcome == [0]
    assert all(child.poll() is not None for child in group.children)


def test_worker_processes_run_one_worker_each_from_the_same_command(monkeypatch, tmp_path):
    started = []

    class Group:
        def __init__(self, command, count):
            started.append((command, count))

        def run(self):
            return 0

    class Container:
        def shutdown_resources(self):
            started.append("checked")

    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "ProcessGroup", Group)
    monkeypatch.setattr(cli, "_container", lambda settings: Container())
    assert cli.main(["worker", "--processes", "3", "--quiet"]) == 0
    assert started == ["checked", ([sys.executable, "-m", "entrypoints.cli", "worker", "--processes", "1",
                                    "--quiet"], 3)]


def test_a_count_below_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--workers", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_web_processes_share_one_port_and_a_killed_one_is_replaced(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    env.update(PYTHONPATH=str(ROOT), SEING_DATA_DIR=str(tmp_path), SEING_PORT=str(port), SEING_HOST="127.0.0.1")
    subprocess.run([sys.executable, "-m", "entrypoints.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "serve", "--workers", "2"], env=env,
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/connexion", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(lambda: answers() and len(children_of(server.pid)) == 2, 120, "two web processes")
        web = children_of(server.pid)
        print(f"web processes under {server.pid}: {sorted(web)}")  # noqa: T201
        victim = min(web)
        os.kill(victim, signal.SIGKILL)
        # uvicorn's supervisor notices the death and spawns another process on the same socket.
        wait_until(lambda: victim not in children_of(server.pid) and len(children_of(server.pid)) == 2, 60,
                   "a replacement")
        assert [answers() for _ in range(10)] == [True] * 10
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    assert server.returncode == 0, (tmp_path / "web.log").read_text()[-2000:]
