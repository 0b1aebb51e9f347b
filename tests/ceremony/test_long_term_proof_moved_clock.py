"""Years later, with the system clock moved (libfaketime), as a relying party and the operator
would live it: separate processes on one instance (`seing demo collection`, then `seing archives
renew --due` with the clock past the deadline), and pyHanko's AdES long-term validation, offline
with revocation data required and our root the only anchor, run at the moved time.

- A completed document validates years after completion, not only while its root CRL of the day
  is fresh: the root's CRL reaches the end of the TSA certificate of its last document timestamp.
- The document and the evidence PDF renewed past their deadline validate in pyHanko before and
  after the old TSA certificate ends, until their next deadline: each TSA certificate has a CRL
  of its own (ARCHITECTURE.md, Long-term proof).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.intake import corpus

pytestmark = [pytest.mark.external, pytest.mark.moved_clock]  # libfaketime

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)
OK = "AdESPassed.OK"


def _faketime() -> str:
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not found:
        message = "libfaketime is not installed (apt-get install faketime)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return str(found[0])


class Instance:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "var"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
        self.env.update(PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests' / 'shifted_clock'}",
                        PYTHONDONTWRITEBYTECODE="1", SEING_DATA_DIR=str(self.data), SEING_DEV_MODE="true", TZ="UTC")

    def run(self, *args: str, at: datetime | None = None, module: str = "entrypoints.cli") -> subprocess.CompletedProcess:
        """``at``: the system clock of the process starts there (libfaketime, monotonic time untouched)."""
        env = dict(self.env)
        if at is not None:
            env.update(LD_PRELOAD=_faketime(), FAKETIME="@" + at.strftime("%Y-%m-%d %H:%M:%S"),
                       FAKETIME_DONT_FAKE_MONOTONIC="1", FAKETIME_FORCE_MONOTONIC_FIX="0")
        return subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=self.base, capture_output=True,
                              text=True, timeout=300)

    def seing(self, *args: str, at: datetime | None = None) -> subprocess.CompletedProcess:
        done = self.run(*args, at=at)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def status(self, at: datetime | None = None) -> dict[str, dict]:
        entries = json.loads(self.seing("archives", "status", "--json", at=at).stdout)
        return {e["target"]: e for e in entries}

    def stored(self, sha256: str, name: str) -> Path:
        (path,) = self.data.rglob(sha256)
        copy = self.base / name
        copy.write_bytes(path.read_bytes())
        return copy

    def validate(self, *pdfs: Path, at: datetime) -> dict[str, list[str]]:
        """pyHanko's verdict on each regular signature of each file, at ``at`` by the system clock."""
        done = self.run(str(self.base / "out" / "seing-root-ca.der"), *map(str, pdfs), at=at,
                        module="tests.ceremony.offline_lta")
        assert done.returncode == 0, done.stdout + done.stderr
        verdicts: dict[str, list[str]] = {}
        for line in done.stdout.splitlines():
            row = json.loads(line)
            assert datetime.fromisoformat(row["at"]) >= at  # the moved clock, not the real one
            verdicts.setdefault(Path(row["file"]).name, []).append(row["indication"])
        return verdicts


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    _faketime()
    instance = Instance(tmp_path_factory.mktemp("long-term"))
    instance.seing("db", "upgrade")
    instance.seing("ca", "init")
    source = instance.base / "contrat.pdf"
    source.write_bytes(corpus.minimal_pdf(pages=1, text="Contrat"))
    instance.seing("demo", "collection", "--pdf", str(source), "--out", str(instance.base / "out"))
    instance.seing("archives", "renew", "--due")  # the evidence's first document timestamp, if the demo left it due
    entries = instance.status()
    (instance.target,) = [t for t in entries if t != "evidence"]
    instance.completed_entries = entries
    return instance


@pytest.fixture(scope="module")
def renewed(instance):
    """The clock past the deadline: the renewal the worker runs daily, run by hand."""
    document = instance.completed_entries[instance.target]
    moved = datetime.fromisoformat(document["deadline"]) + DAY
    renew = instance.seing("archives", "renew", "--due", at=moved)
    after = instance.status(at=moved + timedelta(minutes=5))
    return type("Renewed", (), {
        "moved": moved, "stdout": renew.stdout, "entries": after,
        "tsa_end": datetime.fromisoformat(document["proof_ends"]),
        "document": instance.stored(after[instance.target]["sha256"], "renewed.pdf"),
        "evidence": instance.stored(after["evidence"]["sha256"], "renewed-evidence.pdf")})


def test_a_completed_document_validates_in_pyhanko_years_later(instance):
    document, evidence = instance.completed_entries[instance.target], instance.completed_entries["evidence"]
    assert not document["due"] and not evidence["due"]
    completed = instance.stored(document["sha256"], "completed.pdf")
    deadline = datetime.fromisoformat(document["deadline"])
    tsa_end = datetime.fromisoformat(document["proof_ends"])
    # Its proof ends with the TSA certificate (six years, used while more than two are left),
    # renewal is due a year before: years from now.
    assert tsa_end - deadline == timedelta(days=365) and deadline - datetime.now(UTC) > timedelta(days=3 * 365)
    # The day before its deadline (long after the signers' OCSP responses and CAs' CRLs went
    # stale), the completed document validates as it was downloaded.
    assert instance.validate(completed, at=deadline - DAY) == {"completed.pdf": [OK, OK, OK]}


def test_seing_archives_renew_past_the_deadline_renews_the_document_and_the_evidence(instance, renewed):
    assert "2 renewed, 0 failed" in renewed.stdout, renewed.stdout
    after = renewed.entries
    assert not after[instance.target]["due"] and not after["evidence"]["due"]
    assert all(datetime.fromisoformat(after[t]["last_renewed_at"]) >= renewed.moved for t in after)
    assert datetime.fromisoformat(after[instance.target]["proof_ends"]) > renewed.tsa_end  # the TSA rolled over
    completed = instance.stored(instance.completed_entries[instance.target]["sha256"], "completed.pdf")
    assert renewed.document.read_bytes().startswith(completed.read_bytes())
    # Until the old TSA certificate ends (a year at least after the renewal), pyHanko validates
    # the renewed files: every signature and the evidence's seal.
    verdicts = instance.validate(renewed.document, renewed.evidence, at=renewed.tsa_end - DAY)
    assert verdicts == {"renewed.pdf": [OK, OK, OK], "renewed-evidence.pdf": [OK]}


def test_renewed_files_validate_in_pyhanko_after_the_old_tsa_certificate_has_ended(instance, renewed):
    # The first document timestamp is then validated in the past, at the end of its TSA
    # certificate, where that certificate's own CRL stops being fresh.
    verdicts = instance.validate(renewed.document, renewed.evidence, at=renewed.tsa_end + DAY)
    assert verdicts == {"renewed.pdf": [OK, OK, OK], "renewed-evidence.pdf": [OK]}
    # And so until the next renewal is due (the new TSA certificate's end, or before it the
    # end of SHA-256 and P-256 in ALGORITHM_ENDS, less the margin).
    next_deadline = datetime.fromisoformat(renewed.entries[instance.target]["deadline"])
    assert next_deadline > renewed.tsa_end + 2 * DAY
    verdicts = instance.validate(renewed.document, renewed.evidence, at=next_deadline - DAY)
    assert verdicts == {"renewed.pdf": [OK, OK, OK], "renewed-evidence.pdf": [OK]}
