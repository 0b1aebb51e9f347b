"""Many processes, one truth (issue 14, item 6), on PostgreSQL.

Two web processes (``seing serve --workers 1`` on two ports, so that each collection's two signers
are sure to sign through different processes) and two job workers (``seing worker --processes 1``),
all started by the test against one database, one data folder and a loopback SMTP sink. Every
collection has two signers invited in parallel who sign at the same time, one through each web
process, over the JSON API, as a signer's phone would: invitation and code read from the emails
(under chaos, while a signer's own web process is down, the other one answers, as a port shared
by several processes would).
Then every signature must be present and valid, every email delivered once (a redelivery keeps its
Message-ID, so the receiver sees one message), every audit chain intact, no job failed.
The chaos run does the same while a loop ``kill -9``s a random process 20 times and restarts it,
each victim at work and never the last one of its kind serving; it prints what it killed and what
each signer was answered beyond the plain path (a code spent by a signature killed mid-way).

``SEING_SCALE_COLLECTIONS`` sets the collections per run (default 8, which keeps both runs within
about 90 s on two cores; the issue's figure is 100), ``SEING_SCALE_DEADLINE`` the seconds the signing
may take, and the completion after the last kill (default 400).
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from adapters.persistence.migrations import upgrade
from bench.loadtest import free_port, letters
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.jobs import JobStatus
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints.composition.container import build_container
from entrypoints.settings import Settings
from tests.intake.corpus import minimal_pdf

# The session-scoped factory of throw-away PostgreSQL databases the persistence tests use.
from tests.persistence.conftest import make_postgres_database  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = int(os.environ.get("SEING_SCALE_COLLECTIONS", "8"))
KILLS = 20
CODE = r"Votre code à usage unique[^\n]*:\s*(\d{6})"
# Seconds for one run's signing, then for its completion: a bound, not a target (SEING_SCALE_DEADLINE for
# 100 collections on a loaded machine).
DEADLINE = float(os.environ.get("SEING_SCALE_DEADLINE", "400"))
pytestmark = [pytest.mark.postgres, pytest.mark.processes, pytest.mark.timeout(3 * int(DEADLINE))]


class Sink:
    """The SMTP server the workers deliver to: every message kept, in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        with self.lock:
            self.messages.append({"id": str(message["Message-ID"]), "to": str(message["To"]),
                                  "subject": str(message["Subject"]),
                                  "text": message.get_body(("plain",)).get_content()})
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.messages if m["to"] == address]


class Processes:
    """The four processes, by name; any can be killed and started again."""

    def __init__(self, env: dict[str, str], ports: dict[str, int], logs: Path) -> None:
        self.env, self.ports, self.logs = env, ports, logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()

    def command(self, name: str) -> list[str]:
        if name.startswith("web"):
            return [sys.executable, "-m", "entrypoints.cli", "serve", "--workers", "1", "--no-access-log"]
        return [sys.executable, "-m", "entrypoints.cli", "worker", "--processes", "1", "--quiet"]

    def start(self, name: str) -> None:
        env = dict(self.env)
        if name in self.ports:
            env["SEING_PORT"] = str(self.ports[name])
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(self.command(name), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        with self.lock:
            self.running[name] = process

    def kill(self, name: str) -> int:
        with self.lock:
            process = self.running[name]
        process.kill()  # SIGKILL: no handler runs, no job is finished, no answer is sent
        process.wait()
        return process.pid

    def wait_for_web(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for name, port in self.ports.items():
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or self.running[name].poll() is not None:
                        log = (self.logs / f"{name}.log").read_text()[-3000:]
                        raise AssertionError(f"{name} did not start: {log}") from None
                    time.sleep(0.2)

    def at_work(self) -> list[str]:
        """The processes running and past their start: a web process once it accepts connections,
        a worker once it holds a connection to PostgreSQL (it polls the queue from then on)."""
        with self.lock:
            running = {name: p.pid for name, p in self.running.items() if p.poll() is None}
        return sorted(name for name, pid in running.items()
                      if (self.answers(self.ports[name]) if name in self.ports else connected_to_postgres(pid)))

    def killable(self) -> list[str]:
        """The processes at work whose kind (web, worker) has no process down or starting."""
        working = set(self.at_work())
        return sorted(name for name in working
                      if all(other in working for other in self.running if other[:3] == name[:3]))

    @staticmethod
    def answers(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop_all(self) -> None:
        with self.lock:
            processes = list(self.running.values())
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def connected_to_postgres(pid: int) -> bool:
    """Whether the process has a TCP connection to port 5432 (its sockets, in /proc)."""
    sockets = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                sockets.add(target[len("socket:["):-1])
    except OSError:
        return False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in sockets and fields[2].endswith(f":{5432:04X}"):
                return True
    return False


class World:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.sink = Sink()
        self.smtp = Controller(self.sink, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.settings = Settings(data_dir=tmp_path / "var", database_url=database_url, dev_mode=True,
                                 mail_backend="smtp", smtp_host="127.0.0.1",
                                 smtp_port=self.smtp.port, smtp_security="none")
        upgrade(database_url)
        self.container = build_container(self.settings)
        self.container.init_resources()
        self.container.adapters.ca().init_hierarchy()
        uc = self.container.use_cases
        created = uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                                    owner_surname="Poussart", owner_email="jessica@poussart.fr", owner_mobile=None,
                                    password="correct horse battery")
        cabinet, owner = created.cabinet_id, created.person_id
        self.collections: dict[str, list[str]] = {}  # collection id -> its signers' emails, in web order
        for n in range(COLLECTIONS):
            cid = uc.create_collection_draft(cabinet_id=cabinet, by_person_id=owner, title=f"Mission {n}",
                                             message="Merci de signer.")
            uc.update_collection_options(collection_id=cid, by_person_id=owner, mode=InvitationMode.PARALLEL,
                                         deadline=None)
            uc.add_collection_document(collection_id=cid, by_person_id=owner, name="lettre.pdf",
                                       content=minimal_pdf(pages=1, text=f"Lettre {n}"))
            emails = [f"a{n}@exemple.fr", f"b{n}@exemple.fr"]
            for email, surname in zip(emails, ("Martin", "Durand"), strict=True):
                uc.add_signer(collection_id=cid, by_person_id=owner, kind=SignerKind.EXTERNAL,
                              level=SignatureLevel.SIMPLE, given_names="Paul", surname=f"{surname}{letters(n)}", email=email)
            self.collections[cid] = emails
        self.owner, self.uc = owner, uc
        self.story: list[str] = []  # what the signers were answered beyond the plain path, and when
        self.started = time.monotonic()
        self.failovers = 0  # requests that went to the other web process, theirs being down
        ports = {"web-a": free_port(), "web-b": free_port()}
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
        env.update(PYTHONPATH=str(ROOT), SEING_DATA_DIR=str(self.settings.data_dir), SEING_DATABASE_URL=database_url,
                   SEING_HOST="127.0.0.1", SEING_PUBLIC_URL=f"http://127.0.0.1:{ports['web-a']}",
                   SEING_DEV_MODE="true", SEING_DEMO_DATA="false", SEING_MAIL_BACKEND="smtp",
                   SEING_SMTP_HOST="127.0.0.1", SEING_SMTP_PORT=str(self.smtp.port), SEING_SMTP_SECURITY="none",
                   SEING_WORKER_POLL_SECONDS="0.2", SEING_WORKER_LEASE_SECONDS="10")
        self.processes = Processes(env, ports, tmp_path)

    def close(self) -> None:
        self.processes.stop_all()
        self.smtp.stop()
        self.container.shutdown_resources()

    # -- a signer, as a phone would do it ------------------------------------------------------

    def wait_for_email(self, address: str, pattern: str, deadline: float) -> str:
        while time.monotonic() < deadline:
            for message in reversed(self.sink.to(address)):
                found = re.search(pattern, message["text"])
                if found:
                    return found.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no email matching {pattern!r} reached {address}")

    def call(self, web: str, method: str, path: str, deadline: float, **kwargs) -> httpx.Response:
        """One API call, retried while it fails for a kill. A connection refused (its web process
        down or restarting) goes to the other web process, as one port shared by several
        processes does in production (``seing serve --workers N``: the kernel hands the
        connection to a live one); without it, a signer waited out each restart of its own
        process, up to a minute on a loaded machine, and half the signers were stuck at once."""
        other = next(name for name in self.processes.ports if name != web)
        while True:
            for target in (web, other):
                try:
                    answer = httpx.request(method, f"http://127.0.0.1:{self.processes.ports[target]}{path}",
                                           timeout=60, **kwargs)
                except httpx.ConnectError:
                    continue
                except httpx.TransportError:
                    break  # cut mid-way: its process was killed while answering
                if target != web:
                    with self.sink.lock:
                        self.failovers += 1
                if answer.status_code < 500:
                    return answer
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path} on {web} kept failing")
            time.sleep(0.3)

    def sign(self, email: str, web: str, deadline: float) -> None:
        """Open, ask for the code, sign with the newest code received. No Idempotency-Key: a key whose
        request died with its process stays reserved for minutes, so the client does what a person
        does: asks again (a lost code request is throttled or sends a new code) and signs again (a
        signature made before the kill answers that the signer has signed, or is finalising).

        Every refusal is noted (``story``, printed) with its problem code, and only the refusals a
        kill explains are retried: a code spent by a signature whose process died before recording
        it (``otp.already_used``: the code is used in a first transaction, the signature recorded in
        a last one, the module says « the signer asks for a new code and signs again ») or replaced
        by a second code still on its way (``otp.dead``) calls for the newer code, asked for if none
        came; any other refusal fails the test at once."""
        token = self.wait_for_email(email, r"/signature/([A-Za-z0-9_\-]+)", deadline)
        base = f"/api/v1/signature/{token}"
        opened = self.call(web, "POST", f"{base}/open", deadline)
        assert opened.status_code == 200, opened.text
        code = self.ask_for_code(email, web, base, deadline)
        tried = {code}
        while True:
            signed = self.call(web, "POST", f"{base}/signature", deadline, json={"code": code})
            if signed.status_code == 200:
                self.note(f"{email} via {web}: signed")
                return
            state = self.call(web, "GET", base, deadline).json()
            problem = signed.json().get("code") if "json" in signed.headers.get("content-type", "") else None
            self.note(f"{email} via {web}: signature answered {signed.status_code} {problem}, "
                      f"signer {state['signer_status']}")
            if state["signer_status"] in ("signed", "finalising"):
                # Signed by a request whose answer was lost with its process; « finalising »: the
                # signature is recorded and the worker completes the collection (the link then
                # answers 410 ``collection.link_unusable`` to a second signature).
                return
            assert problem in ("otp.already_used", "otp.dead"), (signed.text, state)
            assert time.monotonic() < deadline, (signed.text, state)
            newer = [c for c in self.codes(email) if c not in tried]
            code = newer[-1] if newer else self.ask_for_code(email, web, base, deadline)
            tried.add(code)

    def ask_for_code(self, email: str, web: str, base: str, deadline: float) -> str:
        """« Recevoir le code », and « Renvoyer » when none came: a request killed before its code was
        stored may still have counted against the resend throttle (429), so wait as long as it says
        (a code whose answer was lost may come meanwhile) and ask again."""
        while True:
            before = len(self.codes(email))
            asked = self.call(web, "POST", f"{base}/code", deadline, json={"accepted": True})
            assert asked.status_code in (201, 429), asked.text
            wait = 20.0
            if asked.status_code == 429:
                wait = float(asked.json().get("params", {}).get("retry_after_seconds", wait))
                self.note(f"{email} via {web}: code request answered 429 {asked.json().get('code')}, "
                          f"asks again in {wait:g} s")
            patience = time.monotonic() + wait
            while time.monotonic() < min(patience, deadline):
                if len(self.codes(email)) > before:
                    return self.codes(email)[-1]
                time.sleep(0.1)
            if time.monotonic() > deadline:
                raise AssertionError(f"no code reached {email}")

    def note(self, line: str) -> None:
        with self.sink.lock:
            self.story.append(f"{time.monotonic() - self.started:6.1f} s  {line}")

    def codes(self, address: str) -> list[str]:
        return [found.group(1) for m in self.sink.to(address) if (found := re.search(CODE, m["text"]))]

    # -- the run and its checks -----------------------------------------------------------------

    def run(self, chaos: bool) -> list[str]:
        for name in ("web-a", "web-b", "worker-1", "worker-2"):
            self.processes.start(name)
        self.processes.wait_for_web()
        killed: list[str] = []
        stop_chaos = threading.Event()
        chaos_thread = threading.Thread(target=self.chaos, args=(killed, stop_chaos)) if chaos else None
        deadline = time.monotonic() + DEADLINE
        self.started = time.monotonic()
        for cid in self.collections:
            self.uc.send_collection(collection_id=cid, by_person_id=self.owner)
        if chaos_thread:
            chaos_thread.start()
        try:
            # One thread per signer: with fewer, the last signers queued behind those whose web
            # process was down and started only once those were through (minutes under chaos).
            with ThreadPoolExecutor(2 * len(self.collections)) as pool:
                jobs = [pool.submit(self.sign, email, web, deadline)
                        for emails in self.collections.values()
                        for email, web in zip(emails, ("web-a", "web-b"), strict=True)]
                for job in jobs:
                    job.result()
            self.note("every signer has signed")
        finally:
            if chaos_thread:
                chaos_thread.join()  # it stops by itself after its kills
        # The bound runs again from the last kill: the kills' pace follows the restarts (a web
        # process takes a minute to start on a loaded machine), not the work under test.
        self.wait_until_done(max(deadline, time.monotonic() + DEADLINE))
        self.note("every collection completed, the queue empty")
        if self.failovers:
            self.note(f"{self.failovers} requests answered by the other web process, theirs being down")
        return killed

    def chaos(self, killed: list[str], stop: threading.Event) -> None:
        rng = random.Random(14)
        for n in range(KILLS):
            # Each kill hits a process at work, never one still starting (a worker was once killed
            # a moment after its start, before it had claimed anything), and never the last one
            # of its kind serving, so the signatures and the jobs go on through the chaos. A
            # worker may be killed while a web process restarts, and the other way round.
            while not (up := self.processes.killable()):
                time.sleep(0.1)
            name = rng.choice(up)
            pid = self.processes.kill(name)
            killed.append(f"kill -9 {name} (pid {pid})")
            self.note(f"chaos {n + 1}/{KILLS}: kill -9 {name} (pid {pid}), started again")
            self.processes.start(name)
            stop.wait(rng.uniform(0.5, 2.0))

    def wait_until_done(self, deadline: float) -> None:
        jobs = self.container.adapters.job_store()
        while time.monotonic() < deadline:
            pending = jobs.count_by_status()[JobStatus.PENDING]
            with self.container.adapters.uow() as tx:
                completed = all(tx.collections.get(cid).status is CollectionStatus.COMPLETED
                                for cid in self.collections)
            if completed and not pending:
                return
            time.sleep(0.3)
        raise AssertionError("the collections were not all completed with an empty queue in time")

    def check(self) -> list[str]:
        said = []
        verifier = self.container.adapters.signature_verifier()
        store = self.container.adapters.document_store()
        signatures = 0
        with self.container.adapters.uow() as tx:
            collections = {cid: tx.collections.get(cid) for cid in self.collections}
        for cid, collection in collections.items():
            assert collection.status is CollectionStatus.COMPLETED, cid
            for document in collection.documents:
                report = verifier.verify(store.read(document.latest.sha256))
                signed = [s for s in report.signatures if s.kind == "signature"]
                assert len(signed) == 2, (cid, [s.signer_name for s in signed])
                assert report.all_ok, (cid, report.as_dict())
                signatures += len(signed)
        said.append(f"{len(collections)} collections completed, {signatures} signatures present and valid")

        by_id: dict[str, list[dict[str, str]]] = {}
        for message in self.sink.messages:
            by_id.setdefault(message["id"], []).append(message)
        redelivered = {i: m for i, m in by_id.items() if len(m) > 1}
        for copies in redelivered.values():  # the same message again, never another one
            assert all(c == copies[0] for c in copies), copies
        unique = [copies[0] for copies in by_id.values()]
        for emails in self.collections.values():
            for email in emails:
                mine = [m for m in unique if m["to"] == email]
                invitations = [m for m in mine if "vous invite à signer" in m["subject"]]
                completions = [m for m in mine if "est signé par tous les signataires" in m["subject"]]
                assert len(invitations) == 1, (email, [m["subject"] for m in mine])
                assert len(completions) == 1, (email, [m["subject"] for m in mine])
        said.append(f"{len(unique)} distinct emails, each invitation and completion once per signer "
                    f"({len(redelivered)} redelivered with the same Message-ID)")

        report = self.uc.verify_audit_trails()
        assert not report.broken, report.broken
        assert report.chains >= len(self.collections)
        said.append(f"{report.chains} audit chains, {report.events} events, all intact")
        if self.container.adapters.job_store().count_by_status()[JobStatus.FAILED]:
            failed = [j for j in self.container.adapters.job_store().list(limit=100_000) if j.status is JobStatus.FAILED]
            raise AssertionError([(j.spec.kind, j.last_error) for j in failed])
        said.append("no job failed")
        return said


@pytest.fixture
def world(tmp_path, make_postgres_database):  # noqa: F811 (the fixture imported above)
    built = World(tmp_path, make_postgres_database())
    yield built
    built.close()


@pytest.mark.parametrize("chaos", [False, True], ids=["calm", "chaos"])
def test_two_web_processes_and_two_workers_on_postgresql_lose_nothing_and_double_nothing(world, chaos):
    started = time.monotonic()
    killed = world.run(chaos)
    checked = world.check()
    print(f"\n{COLLECTIONS} collections x 2 signers over 2 web processes and 2 workers "  # noqa: T201
          f"({'chaos' if chaos else 'calm'}), {time.monotonic() - started:.1f} s")
    for line in world.story + checked:
        print(f"  {line}")  # noqa: T201
    if chaos:
        assert len(killed) == KILLS
