"""The ``seing`` command: database, cabinets, outbox, worker and web server.

Operators read English here; what users read stays in the French UI.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import os
import signal
import subprocess
import sys
from typing import Any, Callable, Sequence

from adapters.persistence.database import SchemaNotCurrent
from domain.model.errors import DomainError
from entrypoints.process_group import ProcessGroup, available_cores
from entrypoints.settings import ConfigurationError, Settings, load_settings
from entrypoints.verify_command import add_verify_parser, cmd_verify

Command = Callable[[argparse.Namespace, Settings], int]


# The containers a command built, shut down when it returns (tests run commands in-process: a
# container left to the collector closed its database whenever the collector ran, even inside
# another test's transaction, which Pony refuses).
_BUILT: list[Any] = []


def _container(settings: Settings):  # type: ignore[no-untyped-def]
    from entrypoints.composition.container import build_container

    container = build_container(settings)
    _BUILT.append(container)
    container.init_resources()
    return container


def _shut_down_containers_since(count: int) -> None:
    while len(_BUILT) > count:
        _BUILT.pop().shutdown_resources()


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.persistence.migrations import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    applied = upgrade(settings.resolved_database_url)
    print(f"database up to date ({'applied ' + ', '.join(map(str, applied)) if applied else 'nothing to apply'})")
    return 0


def cmd_cabinet_create(args: argparse.Namespace, settings: Settings) -> int:
    password = args.password or os.environ.get("SEING_OWNER_PASSWORD") or getpass.getpass("Owner password: ")
    container = _container(settings)
    created = container.use_cases.create_cabinet(
        name=args.name, siren=args.siren, owner_given_names=args.given_names, owner_surname=args.surname,
        owner_email=args.email, owner_mobile=args.mobile, password=password)
    print(f"cabinet {created.cabinet_id} created; owner {args.email} can log in")
    return 0


def cmd_officer_create(args: argparse.Namespace, settings: Settings) -> int:
    container = _container(settings)
    password = args.password or os.environ.get("SEING_OFFICER_PASSWORD")
    if password is None and args.given_names:
        password = getpass.getpass("Officer password: ")
    appointed = container.use_cases.appoint_officer(email=args.email, given_names=args.given_names or "",
                                                    surname=args.surname or "", password=password)
    what = "created and appointed" if appointed.created_person else "appointed"
    print(f"registration officer {args.email} {what} (person {appointed.person_id})")
    return 0


def cmd_ca_init(args: argparse.Namespace, settings: Settings) -> int:
    container = _container(settings)
    container.adapters.ca().init_hierarchy()
    for certificate in container.adapters.ca().ca_certificates():
        print(f"{certificate.name.value:6} {certificate.subject}")
    return 0


def cmd_keys_rotate_kek(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.keyvault.software import generate_kek, parse_kek, rotate_kek_file

    if settings.key_vault != "software":
        print("the key-encryption key belongs to the software vault; an HSM manages its own keys", file=sys.stderr)
        return 2
    vault = _container(settings).adapters.vault()
    if settings.kek:
        new = generate_kek()
        count = vault.rotate_kek(parse_kek(new))
        print(f"{count} key(s) re-wrapped. Set SEING_KEK={new} and keep the old value in SEING_KEK_PREVIOUS "
              "until every process runs with the new one.")
    else:
        count = rotate_kek_file(vault, settings.data_dir / "kek")
        print(f"{count} key(s) re-wrapped with a new key-encryption key in {settings.data_dir / 'kek'}")
    return 0


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.messaging.outbox import read_outbox

    if not settings.dev_mode:
        print("the outbox exists only in dev mode (SEING_DEV_MODE=true)", file=sys.stderr)
        return 2
    messages = read_outbox(settings.outbox_dir)
    if args.json:
        print(json.dumps(messages, ensure_ascii=False, indent=2, default=str))
    else:
        for message in messages:
            print(f"{message['created_at']}  {message['channel']:5}  {message['to']:30}  "
                  f"{message.get('subject') or message['text'][:60]}")
    return 0


def _warn_about_publication(settings: Settings) -> None:
    """Said at every start: addresses a QCP-n certificate must not carry (EN 319 412)."""
    from entrypoints.composition.pki_config import publication_warnings

    for warning in publication_warnings(settings):
        print(warning, file=sys.stderr, flush=True)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not args.quiet:
        _warn_about_publication(settings)
    processes = args.processes or available_cores()
    if processes > 1 and not args.once:
        # Each child is a one-process worker; the database hands each job to one of them.
        _container(settings).shutdown_resources()  # a bad configuration stops here, said once
        command = [sys.executable, "-m", "entrypoints.cli", "worker", "--processes", "1", "--quiet"]
        print(f"seing worker: {processes} processes", flush=True)
        return ProcessGroup(command, processes).run()
    container = _container(settings)
    worker = container.worker()
    if args.once:
        print(f"{worker.run_once()} job(s) run")
        return 0
    worker.run_forever(poll_interval=settings.worker_poll_seconds)
    return 0


# uvicorn imports this in each web process (an import string: its workers are spawned, not forked),
# so every process builds its own container, database connections and vault from the environment.
WEB_APP_FACTORY = "entrypoints.web.app:create_served_app"


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """The web app on one port, in ``--workers`` processes (uvicorn's supervisor restarts any that dies)."""
    import uvicorn

    if not getattr(args, "warned", False):
        _warn_about_publication(settings)
    # Built once here so that an old schema or a missing provider stops the start with one line,
    # not once per web process.
    container = _container(settings)
    workers = args.workers or available_cores()
    if workers == 1:
        # uvicorn serves one process in this one: the container just checked serves it, rather
        # than a second one built from scratch (a tenth of a restarted process's start). main()
        # shuts it down when the server stops.
        from entrypoints.web.app import create_served_app

        uvicorn.run(functools.partial(create_served_app, container), factory=True, host=settings.host,
                    port=settings.port, log_level="info", access_log=not args.no_access_log)
        return 0
    container.shutdown_resources()  # before the web processes start: they build their own
    uvicorn.run(WEB_APP_FACTORY, factory=True, host=settings.host, port=settings.port, workers=workers,
                log_level="info", access_log=not args.no_access_log)
    return 0


def cmd_demo_seed(args: argparse.Namespace, settings: Settings) -> int:
    from entrypoints.demo import seed_demo

    for line in seed_demo(_container(settings)):
        print(line)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Web app and worker side by side, as ``make run`` wants them."""
    _warn_about_publication(settings)
    # The worker beside it would say the same: one warning per start is enough.
    worker = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker",
                               "--processes", str(args.processes or available_cores()), "--quiet"])
    print(f"\n  Seing is starting on {settings.resolved_public_url}\n", flush=True)
    try:
        args.warned = True
        return cmd_serve(args, settings)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=40)  # its processes finish the job in hand (ProcessGroup waits 30 s)
        except subprocess.TimeoutExpired:
            worker.kill()


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    report = _container(settings).use_cases.verify_audit_trails()
    for link in report.broken:
        print(f"collection {link.collection_id}: chain broken at event {link.sequence} ({link.reason})")
    print(f"{report.chains} chain(s), {report.events} event(s): "
          f"{'all intact' if not report.broken else str(len(report.broken)) + ' broken'}")
    return 0 if not report.broken else 3


def _when(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def cmd_archives_status(args: argparse.Namespace, settings: Settings) -> int:
    """Each kept PDF, soonest deadline first; exit 3 when one is due and its last renewal failed."""
    entries = _container(settings).use_cases.archive_status()
    if args.json:
        print(json.dumps([{"collection_id": e.collection_id, "cabinet_id": e.cabinet_id, "target": e.target,
                           "name": e.name, "sha256": e.sha256, "deadline": _when(e.deadline),
                           "proof_ends": _when(e.proof_ends), "last_renewed_at": _when(e.last_renewed_at),
                           "failures": e.failures, "last_failure": e.last_failure, "due": e.due, "of": e.of}
                          for e in entries], indent=2))
    else:
        for e in entries:
            state = "DUE" if e.due else "ok"
            failed = f", {e.failures} failed attempt(s) ({e.last_failure})" if e.failures else ""
            print(f"{'sealing ' if e.of == 'sealing' else ''}{e.collection_id} {e.target} ({e.name}): deadline {_when(e.deadline)} [{state}], "
                  f"last renewal {_when(e.last_renewed_at) or 'never'}{failed}")
        print(f"{len(entries)} kept PDF(s), {sum(e.due for e in entries)} due")
    return 3 if any(e.due and e.failures for e in entries) else 0


def cmd_archives_renew(args: argparse.Namespace, settings: Settings) -> int:
    """Renew now what is due (default) or every kept PDF; exit 3 when a renewal failed."""
    report = _container(settings).use_cases.renew_archives(due_only=not args.all, dry_run=args.dry_run)
    for outcome in report.planned:
        print(f"would renew {outcome.collection_id} {outcome.target} ({outcome.before[:12]})")
    for outcome in report.renewed:
        print(f"renewed {outcome.collection_id} {outcome.target}: {outcome.before[:12]} -> {outcome.after[:12]}")
    for outcome in report.failed:
        print(f"FAILED {outcome.collection_id} {outcome.target}: {outcome.error}", file=sys.stderr)
    if args.dry_run:
        print(f"dry run: {len(report.planned)} file(s) would be renewed")
    else:
        print(f"{len(report.renewed)} renewed, {len(report.failed)} failed")
    return 3 if report.failed else 0


def cmd_demo_collection(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from entrypoints.demo_collection import DemoFailed, run_demo_collection

    try:
        for line in run_demo_collection([Path(p) for p in args.pdf], Path(args.out), base=settings):
            print(line, flush=True)
    except DemoFailed as failure:
        print(f"seing demo collection failed: {failure}", file=sys.stderr)
        return 1
    return 0


def cmd_plugins(args: argparse.Namespace, settings: Settings) -> int:
    """Every provider group, what is installed in it and which one the configuration selects.
    Exit status 1 when a selected provider is not installed (the start would stop on it)."""
    from adapters.plugins import installed_providers
    from entrypoints.composition.real_adapters import selected_providers
    from ports.providers import CONTRACTS, GROUPS

    selected = selected_providers(settings)
    report = []
    for group in GROUPS:
        providers = installed_providers(group)
        report.append({
            "group": group, "selected": selected.get(group), "contract": CONTRACTS[group],
            "installed": [{"name": name, "factory": entry.value,
                           "distribution": f"{entry.dist.name} {entry.dist.version}" if entry.dist else ""}
                          for name, entry in sorted(providers.items())],
        })
    # An empty selection is an optional port left off (no remote signing service): nothing missing.
    missing = [g for g in report if g["selected"] and g["selected"] not in {p["name"] for p in g["installed"]}]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for g in report:
            print(f"{g['group']} (selected: {g['selected']})")
            for provider in g["installed"]:
                mark = "*" if provider["name"] == g["selected"] else " "
                print(f"  {mark} {provider['name']:<12} {provider['factory']}  [{provider['distribution']}]")
            if g in missing:
                print(f"  ! {g['selected']}: selected but not installed")
    return 1 if missing else 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _add_workers(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--workers", type=_positive, default=None,
                        help="web processes sharing the port (default: one per core)")
    # Behind a reverse proxy that logs requests already, one line per request here is only cost.
    parser.add_argument("--no-access-log", action="store_true", help="no line per request")
    return parser


def _add_processes(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--processes", type=_positive, default=None,
                        help="job worker processes (default: one per core)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seing", description="Seing electronic signatures")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(handler=cmd_db_upgrade)

    cabinet = sub.add_parser("cabinet", help="cabinets").add_subparsers(dest="cabinet_command", required=True)
    create = cabinet.add_parser("create", help="create a cabinet and its owner (expert-comptable)")
    create.add_argument("--name", required=True)
    create.add_argument("--siren", required=True)
    create.add_argument("--email", required=True, help="the owner's email, used to log in")
    create.add_argument("--given-names", required=True)
    create.add_argument("--surname", required=True)
    create.add_argument("--mobile")
    create.add_argument("--password", help="default: SEING_OWNER_PASSWORD or a prompt")
    create.set_defaults(handler=cmd_cabinet_create)

    officer = sub.add_parser("officer", help="registration officers (identity reviews, QCP validation)")
    officer_create = officer.add_subparsers(dest="officer_command", required=True).add_parser(
        "create", help="make a person (created if unknown) a registration officer")
    officer_create.add_argument("--email", required=True, help="the officer's email, used to log in")
    officer_create.add_argument("--given-names", help="for a person not yet known")
    officer_create.add_argument("--surname", help="for a person not yet known")
    officer_create.add_argument("--password", help="for a person not yet known; default: SEING_OFFICER_PASSWORD or a prompt")
    officer_create.set_defaults(handler=cmd_officer_create)

    ca = sub.add_parser("ca", help="the built-in certificate authority").add_subparsers(dest="ca_command",
                                                                                        required=True)
    ca.add_parser("init", help="create the CA hierarchy, TSA, OCSP and seal certificates (idempotent)").set_defaults(
        handler=cmd_ca_init)
    keys = sub.add_parser("keys", help="the key vault").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rotate-kek", help="re-wrap every private key with a new key-encryption key").set_defaults(
        handler=cmd_keys_rotate_kek)

    outbox = sub.add_parser("outbox", help="messages kept by the dev outbox")
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(handler=cmd_outbox)

    worker = sub.add_parser("worker", help="deliver notifications and run scheduled jobs")
    worker.add_argument("--once", action="store_true", help="run the due jobs once and exit")
    worker.add_argument("--quiet", action="store_true", help="no start-up warnings (seing run says them)")
    _add_processes(worker)
    worker.set_defaults(handler=cmd_worker)

    for name, help_text in (("serve", "serve the web app"), ("web", "the same as serve (its former name)")):
        _add_workers(sub.add_parser(name, help=help_text)).set_defaults(handler=cmd_serve)
    run = _add_workers(sub.add_parser("run", help="serve the web app with a worker beside it"))
    _add_processes(run)
    run.set_defaults(handler=cmd_run)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("seed", help="create the demo cabinet and logins (idempotent)").set_defaults(
        handler=cmd_demo_seed)
    demo_collection = demo.add_parser("collection", help="run one complete collection (levels 1, 2, 3) and write "
                                                         "the signed PDFs, the evidence file and the CA root")
    demo_collection.add_argument("--pdf", action="append", required=True, help="a PDF to sign (repeat for more)")
    demo_collection.add_argument("--out", required=True, help="where to write the results")
    demo_collection.set_defaults(handler=cmd_demo_collection)

    add_verify_parser(sub, cmd_verify)

    plugins = sub.add_parser("plugins", help="installed providers of each swappable port and the selected one")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(handler=cmd_plugins)

    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check every hash chain; name the first broken link").set_defaults(
        handler=cmd_audit_verify)
    archives = sub.add_parser("archives", help="archive-timestamp renewal of the kept PDFs").add_subparsers(
        dest="archives_command", required=True)
    status = archives.add_parser("status", help="each kept PDF with its renewal deadline and last renewal")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=cmd_archives_status)
    renew = archives.add_parser("renew", help="renew the archive timestamps now (the worker does it daily)")
    which = renew.add_mutually_exclusive_group()
    which.add_argument("--due", action="store_true", help="only the PDFs whose deadline has come (default)")
    which.add_argument("--all", action="store_true", help="every kept PDF")
    renew.add_argument("--dry-run", action="store_true", help="list what would be renewed, change nothing")
    renew.set_defaults(handler=cmd_archives_renew)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from entrypoints import log_redaction

    log_redaction.install()  # the worker and the web server alike
    args = build_parser().parse_args(argv)
    built = len(_BUILT)
    try:
        settings = load_settings()
        try:
            return args.handler(args, settings)
        finally:
            _shut_down_containers_since(built)
    except ConfigurationError as error:
        print(f"seing: {error}", file=sys.stderr)
        return 2
    except SchemaNotCurrent as error:
        print(f"seing: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"seing: refused ({error.code}): {error.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # an operator gets one line; SEING_DEBUG=1 shows the traceback
        if os.environ.get("SEING_DEBUG"):
            raise
        print(f"seing: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
