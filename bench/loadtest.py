"""`make loadtest`: Seing's web and worker processes under load, beside baselines measured in the same run.

Run: ``python -m bench.loadtest [--rounds 3] [--seconds 8] [--collections 40] [--web-workers 1,2]``
(``--tiny`` for a proof that it works, as ``make test`` runs it; ``--database-url`` for an empty
PostgreSQL database instead of a SQLite file). Everything runs on loopback, in a temporary folder.

Two measurements, each repeated ``--rounds`` times, reported as median with min-max:

1. The signer's page, ``GET /signature/{token}``, under wrk at ``--connections`` concurrent
   connections for ``--seconds``, served by ``seing serve --workers <cores>``; beside it the same
   wrk against a bare Litestar endpoint (bench/bare_app.py) served by the same uvicorn, the same
   number of processes and the same options (no access log in either). Beside requests per
   second, the CPU time each request cost the server's processes (from /proc): on a machine other
   programs share, the rate says how much of the cores the server got, the CPU per request what a
   request costs whatever the load.
2. End-to-end level-2 signatures over the JSON API: one external signer per collection, 1-page PDF,
   ``POST /api/v1/signature/{token}/signature`` from ``--clients`` concurrent clients; the clock
   runs from the first request until the job queue is empty again, so the worker's completion
   (document timestamps, evidence seal, emails) is inside the throughput. Once with one web
   process, once with two (``--web-workers``); the job workers are ``--worker-processes``.
   The signers' set-up (collections sent, page opened, code requested) is done before the clock
   starts, through the use cases, and its notifications are delivered before it starts too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import httpx
from attrs import define, field

ROOT = Path(__file__).resolve().parents[1]
PAGE_TARGET_RPS, PAGE_TARGET_P99_MS, SIGNATURES_PER_CORE = 1000, 50, 15


def cores() -> int:
    return max(1, len(os.sched_getaffinity(0)))


# -- servers --------------------------------------------------------------------------------------


def letters(n: int) -> str:
    """A number a name can hold: 0 → a, 27 → bb… (names take no digits)."""
    return "".join("abcdefghijklmnopqrstuvwxyz"[int(d, 26)] for d in _base26(n))


def _base26(n: int) -> str:
    digits = "0123456789abcdefghijklmnop"
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = digits[r] + out
        if n == 0:
            return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seing_env(data_dir: Path, port: int, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    env.update(PYTHONPATH=str(ROOT), SEING_DATA_DIR=str(data_dir), SEING_HOST="127.0.0.1", SEING_PORT=str(port),
               SEING_PUBLIC_URL=f"http://127.0.0.1:{port}", SEING_DEV_MODE="true", SEING_DEMO_DATA="false")
    if database_url:
        env["SEING_DATABASE_URL"] = database_url
    return env


class Process:
    """A server started for the measurement and always stopped after it (bounded waits)."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.log = log
        self._handle = log.open("ab")
        self.popen = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self._handle, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        if port is not None:
            self._wait_for(port)

    def _wait_for(self, port: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start on port {port}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._handle.close()

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def seing(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


def bare_server(workers: int, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--no-access-log", "--log-level", "warning"]


# -- the stack, prepared through the use cases ------------------------------------------------------


@define
class Signer:
    collection_id: str
    token: str
    code: str = ""


def postgres_admin(server_url: str, *statements: str) -> None:
    import psycopg2

    from adapters.persistence.location import parse_database_url

    connection = psycopg2.connect(**parse_database_url(server_url).psycopg2_kwargs())
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def postgres_database(server_url: str, name: str) -> str:
    """A new database beside the one ``server_url`` names (each stack starts empty)."""
    dbname = f"loadtest_{name}_{os.getpid()}"
    postgres_admin(server_url, f'DROP DATABASE IF EXISTS "{dbname}"', f'CREATE DATABASE "{dbname}"')
    return server_url.rsplit("/", 1)[0] + "/" + dbname


class Stack:
    """Seing's data folder and database with a cabinet and its sent collections, seen from here."""

    def __init__(self, data_dir: Path, server_url: str) -> None:
        from adapters.persistence.migrations import upgrade
        from entrypoints.composition.container import build_container
        from entrypoints.settings import Settings

        database_url = postgres_database(server_url, data_dir.name.replace("-", "_")) if server_url else ""
        self.data_dir, self.database_url, self._server_url = data_dir, database_url, server_url
        settings = Settings(data_dir=data_dir, database_url=database_url, dev_mode=True)
        upgrade(settings.resolved_database_url)
        self.container = build_container(settings)
        self.container.init_resources()
        self.container.adapters.ca().init_hierarchy()
        created = self.container.use_cases.create_cabinet(
            name="Cabinet Charge", siren="732829320", owner_given_names="Jessica", owner_surname="Poussart",
            owner_email="jessica@charge.fr", owner_mobile=None, password="correct horse battery")
        self.cabinet_id, self.owner = created.cabinet_id, created.person_id
        self._made = 0

    def close(self) -> None:
        self.container.shutdown_resources()
        if self._server_url:
            dbname = self.database_url.rsplit("/", 1)[1]
            postgres_admin(self._server_url, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def signers(self, count: int) -> list[Signer]:
        """``count`` sent collections, one external level-2 signer each, page opened, code requested."""
        from domain.model.signer import SignatureLevel, SignerKind
        from tests.intake.corpus import minimal_pdf

        uc = self.container.use_cases
        mobiles: dict[str, Signer] = {}
        for _ in range(count):
            n = self._made
            self._made += 1
            cid = uc.create_collection_draft(cabinet_id=self.cabinet_id, by_person_id=self.owner,
                                             title=f"Lettre de mission {n}", message="Merci de signer.")
            uc.add_collection_document(collection_id=cid, by_person_id=self.owner, name="lettre.pdf",
                                       content=minimal_pdf(pages=1, text=f"Lettre {n}"))
            mobile = f"06 {10 + n // 10000 % 90:02d} {n // 100 % 100:02d} {n % 100:02d} 00"
            uc.add_signer(collection_id=cid, by_person_id=self.owner, kind=SignerKind.EXTERNAL,
                          level=SignatureLevel.ADVANCED, given_names="Paul", surname=f"Martin{letters(n)}",
                          email=f"paul{n}@exemple.fr", mobile=mobile)
            uc.send_collection(collection_id=cid, by_person_id=self.owner)
            mobiles["+33" + mobile.replace(" ", "")[1:]] = Signer(cid, self._notification_context(
                "collection_invitation", f"paul{n}@exemple.fr")["token"])
        for signer in mobiles.values():
            uc.open_ceremony(token=signer.token)
            uc.request_signing_code(token=signer.token)
        for notification in self._notifications("signing_code"):
            if notification.to in mobiles:
                mobiles[notification.to].code = notification.context_dict()["code"]
        return list(mobiles.values())

    def _notifications(self, template: str) -> list[Any]:
        jobs = self.container.adapters.job_store().list(limit=1_000_000)
        found = [j.spec.as_notification() for j in reversed(jobs) if j.spec.kind == "notify"]
        return [n for n in found if n.template == template]

    def _notification_context(self, template: str, to: str) -> dict[str, str]:
        return [n for n in self._notifications(template) if n.to == to][-1].context_dict()

    def queue(self) -> tuple[int, int]:
        """Jobs still to run (pending, including retries) and jobs failed for good."""
        from domain.model.jobs import JobStatus

        # Counted by the database: this runs every 50 ms while the clock runs, on the cores it measures
        # (loading every job instead took about a fifth of the driver's CPU, 2026-12-08).
        counts = self.container.adapters.job_store().count_by_status()
        return counts[JobStatus.PENDING], counts[JobStatus.FAILED]

    def wait_for_empty_queue(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue()[0] == 0:
                return True
            time.sleep(0.05)
        return False

    def completed(self, collection_ids: list[str]) -> int:
        from domain.model.collection import CollectionStatus

        done = 0
        with self.container.adapters.uow() as tx:
            for cid in collection_ids:
                done += tx.collections.get(cid).status is CollectionStatus.COMPLETED
        return done


# -- measurements --------------------------------------------------------------------------------


@define
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    requests: int = 0
    cpu_ms_per_request: float = 0.0


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its descendants still running.

    On a machine other programs share, requests per second say how much of the cores the server
    got; CPU per request says what a request costs, whatever the load."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            # Each thread's own children: a pool started from a handler thread hangs there.
            children = [c for task in Path(f"/proc/{current}/task").iterdir()
                        for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        todo += [int(c) for c in children]
    return total


def wrk_with_cpu(url: str, server: "Process", *, connections: int, seconds: int) -> Sample:
    before = tree_cpu_seconds(server.popen.pid)
    sample = wrk(url, connections=connections, seconds=seconds)
    used = tree_cpu_seconds(server.popen.pid) - before
    sample.cpu_ms_per_request = 1000 * used / sample.requests if sample.requests else float("inf")
    return sample


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, *, connections: int, seconds: int) -> Sample:
    """One wrk run; errors are non-2xx/3xx answers plus socket errors."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (scripts/system_deps.sh installs the Debian package)")
    # wrk's own 2 s timeout would cut the slow tail off the percentiles and count it as errors.
    out = subprocess.run([binary, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * _UNITS[unit]

    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1))  # type: ignore[union-attr]
    finished = int(re.search(r"^\s*(\d+) requests in", out, re.M).group(1))  # type: ignore[union-attr]
    if finished == 0:  # no latency to report: a failure, not a fast run
        return Sample(rps=0.0, p50_ms=float("inf"), p99_ms=float("inf"), errors=1)
    return Sample(rps=rps, p50_ms=latency("50"), p99_ms=latency("99"), errors=errors, requests=finished)


def warm_up(url: str, count: int) -> None:
    """What a first request pays once per process (templates compiled, caches filled) is left out.

    Each request on a connection of its own, all at once: the kernel hands a new connection to
    whichever web process accepts first, so requests on one kept-alive connection warmed only one
    process and left the others' first requests inside the first measured round."""
    def one(_: int) -> None:
        with httpx.Client(timeout=120, headers={"Connection": "close"}) as client:
            client.get(url)

    with ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(one, range(count)))


def sign_all(base_url: str, signers: list[Signer], clients: int) -> tuple[list[float], int]:
    """Each signer's POST from ``clients`` concurrent clients; latencies (ms) and failed requests."""
    def sign(client: httpx.Client, signer: Signer) -> tuple[float, bool]:
        started = time.perf_counter()
        answer = client.post(f"{base_url}/api/v1/signature/{signer.token}/signature", json={"code": signer.code})
        return (time.perf_counter() - started) * 1000, answer.status_code == 200

    with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=clients)) as client, \
            ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda s: sign(client, s), signers))
    return [ms for ms, _ in results], sum(not ok for _, ok in results)


@define
class SigningSample:
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    incomplete: int
    cpu_ms_per_signature: float = 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure_signing(stack: Stack, port: int, signers: list[Signer], clients: int, timeout: float,
                    servers: list[Process]) -> SigningSample:
    cpu_before = sum(tree_cpu_seconds(server.popen.pid) for server in servers)
    started = time.perf_counter()
    latencies, errors = sign_all(f"http://127.0.0.1:{port}", signers, clients)
    stack.wait_for_empty_queue(timeout)
    elapsed = time.perf_counter() - started
    cpu = sum(tree_cpu_seconds(server.popen.pid) for server in servers) - cpu_before
    incomplete = len(signers) - stack.completed([s.collection_id for s in signers]) + stack.queue()[0]
    return SigningSample(per_second=len(signers) / elapsed, p50_ms=percentile(latencies, 0.5),
                         p99_ms=percentile(latencies, 0.99), errors=errors, incomplete=incomplete,
                         cpu_ms_per_signature=1000 * cpu / len(signers))


# -- the run ---------------------------------------------------------------------------------------


@define
class Row:
    what: str
    unit: str
    values: list[float]
    target: str = ""
    errors: int = 0
    notes: list[str] = field(factory=list)

    def median(self) -> float:
        return statistics.median(self.values)


def page_rows(args: argparse.Namespace, work: Path) -> list[Row]:
    workers = 1 if args.tiny else cores()  # tiny: two web processes are started by the signing part
    stack = Stack(work / "page", args.database_url)
    try:
        [signer] = stack.signers(1)
        page, bare = [], []
        port, bare_port = free_port(), free_port()
        env = seing_env(stack.data_dir, port, stack.database_url)
        with Process(seing("serve", "--workers", str(workers), "--no-access-log"), env, work / "page-web.log",
                     port) as seing_server, \
                Process(bare_server(workers, bare_port), env, work / "bare-web.log", bare_port) as bare_server_:
            warm_up(f"http://127.0.0.1:{bare_port}/", 4 * workers)
            warm_up(f"http://127.0.0.1:{port}/signature/{signer.token}", 4 * workers)
            for _ in range(args.rounds):  # alternated, so that a noisy moment hits both alike
                bare.append(wrk_with_cpu(f"http://127.0.0.1:{bare_port}/", bare_server_,
                                         connections=args.connections, seconds=args.seconds))
                page.append(wrk_with_cpu(f"http://127.0.0.1:{port}/signature/{signer.token}", seing_server,
                                         connections=args.connections, seconds=args.seconds))
    finally:
        stack.close()
    served = f"{workers} web process(es), {args.connections} connections"
    return [
        Row(f"signer page GET /signature/{{token}} ({served})", "req/s", [s.rps for s in page],
            f">= {PAGE_TARGET_RPS}", sum(s.errors for s in page)),
        Row("  its p50", "ms", [s.p50_ms for s in page]),
        Row("  its p99", "ms", [s.p99_ms for s in page], f"<= {PAGE_TARGET_P99_MS}"),
        Row("  its CPU per request (all web processes)", "ms", [s.cpu_ms_per_request for s in page]),
        Row("  its rate, in % of the bare endpoint's (same round)", "%",
            [100 * p.rps / b.rps if b.rps else 0.0 for p, b in zip(page, bare, strict=True)]),
        Row(f"baseline: bare Litestar endpoint ({served})", "req/s", [s.rps for s in bare], "",
            sum(s.errors for s in bare)),
        Row("  its p50", "ms", [s.p50_ms for s in bare]),
        Row("  its p99", "ms", [s.p99_ms for s in bare]),
        Row("  its CPU per request (all web processes)", "ms", [s.cpu_ms_per_request for s in bare]),
    ]


def signing_rows(args: argparse.Namespace, work: Path) -> list[Row]:
    rows = []
    for web_workers in args.web_workers:
        stack = Stack(work / f"sign-{web_workers}", args.database_url)
        try:
            rounds = [stack.signers(args.collections) for _ in range(args.rounds)]
            port = free_port()
            env = seing_env(stack.data_dir, port, stack.database_url)
            samples = []
            with Process(seing("worker", "--processes", str(args.worker_processes), "--quiet"), env,
                         work / f"sign-{web_workers}-worker.log") as worker, \
                    Process(seing("serve", "--workers", str(web_workers), "--no-access-log"), env,
                            work / f"sign-{web_workers}-web.log", port) as web:
                # The invitations and codes of the set-up go out before the clock starts.
                stack.wait_for_empty_queue(args.timeout)
                for signers in rounds:
                    samples.append(measure_signing(stack, port, signers, args.clients, args.timeout, [web, worker]))
        finally:
            stack.close()
        label = (f"level-2 signatures end to end ({web_workers} web, {args.worker_processes} worker "
                 f"process(es), {args.clients} clients, {args.collections} per round)")
        rows += [
            Row(label, "sig/s", [s.per_second for s in samples], f">= {SIGNATURES_PER_CORE * cores()}",
                sum(s.errors + s.incomplete for s in samples)),
            Row("  per core", "sig/s", [s.per_second / cores() for s in samples], f">= {SIGNATURES_PER_CORE}"),
            Row("  request p50", "ms", [s.p50_ms for s in samples]),
            Row("  request p99", "ms", [s.p99_ms for s in samples]),
            # What a signature costs Seing's processes (web, worker, their PDF and signing pools), whatever
            # share of the cores they got: the cores' time divided by it bounds the rate.
            Row("  CPU per signature (all Seing processes)", "ms", [s.cpu_ms_per_signature for s in samples]),
        ]
    return rows


def render(rows: list[Row]) -> str:
    width = max(len(r.what) for r in rows)
    lines = [f"{'measurement':<{width}}  {'median':>9}  {'min-max':>19}  {'unit':<6} {'target':<14} errors",
             "-" * (width + 60)]
    for r in rows:
        spread = f"{min(r.values):.1f}-{max(r.values):.1f}"  # inf: no request finished
        met = ""
        if r.target:
            bound = float(r.target.split()[1])
            met = " ok" if (r.median() >= bound if r.target.startswith(">=") else r.median() <= bound) else " MISSED"
        errors = "" if r.what.startswith(" ") else str(r.errors)  # sub-rows share their row's count
        lines.append(f"{r.what:<{width}}  {r.median():>9.1f}  {spread:>19}  {r.unit:<6} {r.target + met:<14} {errors}")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--collections", type=int, default=40, help="signatures per round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients signing")
    parser.add_argument("--web-workers", default="1,2", type=lambda v: [int(n) for n in v.split(",")])
    parser.add_argument("--worker-processes", type=int, default=cores())
    parser.add_argument("--database-url", default=os.environ.get("LOADTEST_DATABASE_URL", ""),
                        help="a PostgreSQL server, as the URL of a database the loadtest can create others "
                             "beside (default: a SQLite file in a temporary folder)")
    parser.add_argument("--timeout", type=float, default=300, help="longest wait for the queue to empty")
    parser.add_argument("--parts", default="page,signing", type=lambda v: v.split(","),
                        help="which measurements: page, signing or both")
    parser.add_argument("--tiny", action="store_true", help="prove it works: 1 round, 2 s, 4 connections, 2 signatures, one process per "
                        "server for the page and one job worker process")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.rounds, args.seconds, args.connections, args.collections, args.clients = 1, 2, 4, 2, 2
        # One job worker process is enough for two signatures; a second one only competes with the
        # web process's start-up for the cores (`seing worker --processes` is tested on its own).
        args.worker_processes = 1
    return args


def run(argv: list[str] | None = None) -> Iterator[str]:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="seing-loadtest-"))
    try:
        # Other programs on the machine take their share: the load average says how quiet it was.
        yield (f"loadtest on {cores()} core(s), {'PostgreSQL' if args.database_url else 'SQLite'}, "
               f"{args.rounds} round(s), load average {os.getloadavg()[0]:.1f} at start; logs in {work}")
        rows = page_rows(args, work) if "page" in args.parts else []
        rows += signing_rows(args, work) if "signing" in args.parts else []
        yield render(rows)
        yield f"load average {os.getloadavg()[0]:.1f} at the end"
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    for block in run(argv):
        print(block, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
