"""Archive-timestamp renewal under a moved clock: the daily worker job covers each kept PDF with a
new document timestamp before its last one's proof ends; a TSA outage is retried and alerted."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import timedelta

import pytest
from dependency_injector import providers
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.archive import algorithm_end
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.errors import TimestampUnavailable
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints import cli
from tests.ceremony.harness import Ceremony

DAY = timedelta(days=1)


class SwitchableTsa:
    """The built-in TSA, which the test can take down."""

    def __init__(self, inner: BuiltinTsa) -> None:
        self.inner = inner
        self.down = False

    def timestamp(self, digest: bytes, hash_algorithm: str, nonce: int | None = None) -> bytes:
        if self.down:
            raise TimestampUnavailable("the TSA does not answer")
        return self.inner.timestamp(digest, hash_algorithm, nonce)


@pytest.fixture
def world(tmp_path):
    # Documents kept long enough for the clock's jump; the worker's retention runs too.
    world = Ceremony(tmp_path / "world", document_retention_days=3653)
    world.tsa = SwitchableTsa(BuiltinTsa(world.vault, world.ca, world.clock))
    world.container.adapters.pdf_signing.override(providers.Object(PyHankoPdfSigning(
        vault=world.vault, timestamp_authority=world.tsa, revocation_source=CaRevocationSource(world.ca),
        clock=world.clock)))
    return world


def _completed(world: Ceremony) -> str:
    signers = [dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
                    email="claire@exemple.fr"),
               dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED, given_names="Anne", surname="Roux",
                    email="anne@exemple.fr", mobile="06 12 34 56 78")]
    cid = world.collection(signers, mode=InvitationMode.PARALLEL)
    world.sign_as("claire@exemple.fr")
    world.clock.advance(timedelta(seconds=5))
    world.sign_as("anne@exemple.fr")
    assert world.run_jobs("finalise_collection") == 1  # the worker completes it
    assert world.get(cid).status is CollectionStatus.COMPLETED and world.get(cid).evidence is not None
    return cid


def _daily_job(world: Ceremony) -> None:
    """What the worker does once a day: its periodic tasks, archive renewal among them."""
    assert "archive_renewal" in world.container.worker().run_periodic()


def _document_stamps(pdf: bytes) -> list:
    reader = PdfFileReader(io.BytesIO(pdf))
    return sorted((s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"),
                  key=lambda s: s.signed_revision)


def _entries(world: Ceremony, cid: str) -> dict:
    return {e.target: e for e in world.uc.archive_status() if e.collection_id == cid}


def _timestamps_validate(world: Ceremony, pdf: bytes, count: int) -> None:
    report = world.uc.verify_pdf(content=pdf)
    stamps = [s for s in report.signatures if s.kind == "document_timestamp"]
    assert len(stamps) == count and len(_document_stamps(pdf)) == count
    assert all(s.intact and s.valid for s in stamps)
    assert stamps[-1].ok and report.whole_document_covered, stamps[-1]


def test_a_completed_document_past_its_deadline_is_renewed_by_the_daily_job(world):
    cid = _completed(world)
    (document,) = world.get(cid).documents
    entry = _entries(world, cid)[document.id]
    old_tsa = world.ca.tsa().certificate
    tsa_end = old_tsa.not_after
    # The TSA's certificate ends first (6 years; its algorithms later): its end less a year.
    assert entry.proof_ends == tsa_end and entry.deadline == tsa_end - timedelta(days=365)
    assert not entry.due and entry.last_renewed_at is None
    (before,) = world.document_bytes(cid)

    world.clock.set(entry.deadline + DAY)
    _daily_job(world)

    (after,) = world.document_bytes(cid)
    assert after.startswith(before) and len(_document_stamps(after)) == 2
    _timestamps_validate(world, after, 2)
    # The previous timestamp's TSA chain got fresh validation data (the root's CRL, issued at the
    # moved clock's time) and a VRI entry, which the new timestamp covers.
    first = _document_stamps(after)[0]
    vri_key = "/" + hashlib.sha1(bytes(first.pkcs7_content)).hexdigest().upper()
    dss = PdfFileReader(io.BytesIO(after)).root["/DSS"]
    assert vri_key in [str(k) for k in dss["/VRI"]] and len(dss["/VRI"][vri_key]["/CRL"]) >= 1
    collection = world.get(cid)
    latest = collection.documents[0]
    assert latest.latest.sha256 != document.latest.sha256 and latest.versions[-1].kind == "timestamp"
    renewed = _entries(world, cid)[document.id]
    assert renewed.last_renewed_at == world.clock.now() and renewed.sha256 == latest.latest.sha256
    events = [e for e in world.trail(cid) if e.kind == "archive_renewed"]
    assert {e.detail_dict()["target"] for e in events} >= {document.id}
    assert world.uc.verify_audit_trails().broken == ()
    # The TSA rolled its key over (its old certificate had less than two years left): the new
    # timestamp rests on a new certificate, so the next deadline is years away.
    new_tsa = world.ca.tsa().certificate
    assert new_tsa.serial != old_tsa.serial and new_tsa.not_after > tsa_end
    # (Its end, or that of SHA-256 and P-256 in ETSI TS 119 312 if sooner.)
    assert renewed.proof_ends == min(new_tsa.not_after, algorithm_end("sha256"), algorithm_end("ec-secp256r1"))
    assert renewed.deadline == renewed.proof_ends - timedelta(days=365) > world.clock.now()
    world.clock.advance(DAY)
    _daily_job(world)
    assert world.document_bytes(cid) == [after]
    # After the old TSA certificate's end, the chain of timestamps still validates: the first one
    # is intact and sound, the last one, by the new certificate, trusted and good.
    world.clock.set(tsa_end + DAY)
    _timestamps_validate(world, after, 2)


def test_a_renewal_while_the_tsa_is_down_is_retried_and_alerted_never_lost(world, caplog):
    cid = _completed(world)
    _daily_job(world)  # the evidence PDF gets its first document timestamp
    (document,) = world.get(cid).documents
    deadline = _entries(world, cid)[document.id].deadline
    (before,) = world.document_bytes(cid)
    evidence_before = world.get(cid).evidence.pdf.sha256

    world.clock.set(deadline + DAY)
    world.tsa.down = True
    with caplog.at_level(logging.ERROR, logger="seing.archives"):
        _daily_job(world)
    assert world.document_bytes(cid) == [before] and world.get(cid).evidence.pdf.sha256 == evidence_before
    entries = _entries(world, cid)
    assert all(e.due and e.failures == 1 and e.last_failure == "timestamp.unavailable" for e in entries.values())
    failures = [e for e in world.trail(cid) if e.kind == "archive_renewal_failed"]
    assert {e.detail_dict()["target"] for e in failures} == {document.id, "evidence"}
    alerts = world.notifications("archive_renewal_failed")
    assert {n.to for n in alerts} == {"jessica@poussart.fr"}  # the cabinet's owner
    assert {n.context_dict()["collection_title"] for n in alerts} == {"Lettre de mission 2026"}
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and cid in r.getMessage()]
    assert len(logged) == 2 and all("timestamp.unavailable" in r.getMessage() for r in logged)

    # The next day the TSA answers again: both are renewed, nothing was lost.
    world.tsa.down = False
    world.clock.advance(DAY)
    _daily_job(world)
    (after,) = world.document_bytes(cid)
    _timestamps_validate(world, after, 2)
    entries = _entries(world, cid)
    assert all(not e.due and e.failures == 0 and e.last_renewed_at == world.clock.now() for e in entries.values())


def test_the_evidence_pdf_gets_a_document_timestamp_and_is_renewed_the_same_way(world):
    cid = _completed(world)
    evidence = world.get(cid).evidence
    sealed = world.container.adapters.document_store().read(evidence.pdf.sha256)
    assert _document_stamps(sealed) == []
    assert _entries(world, cid)["evidence"].due  # sealed at B-LT: its first document timestamp is due

    _daily_job(world)
    first = world.get(cid).evidence
    stamped = world.container.adapters.document_store().read(first.pdf.sha256)
    _timestamps_validate(world, stamped, 1)
    entry = _entries(world, cid)["evidence"]
    assert not entry.due and entry.deadline == world.ca.tsa().certificate.not_after - timedelta(days=365)
    # The evidence JSON still matches the digest the seal covers.
    json_bytes = world.container.adapters.document_store().read(first.json.sha256)
    check = world.container.use_cases.verify_pdf(content=stamped)
    assert check.signatures[0].kind == "signature" and check.signatures[0].ok
    from domain.services.verification import verify_evidence_json

    bound = verify_evidence_json(verifier=world.container.adapters.signature_verifier(), json_content=json_bytes,
                                 sealed_pdf=stamped)
    assert bound.json_sha256 == bound.bound_sha256

    world.clock.set(entry.deadline + DAY)
    _daily_job(world)
    renewed = world.container.adapters.document_store().read(world.get(cid).evidence.pdf.sha256)
    _timestamps_validate(world, renewed, 2)
    assert sum(e.kind == "archive_renewed" and e.detail_dict()["target"] == "evidence"
               for e in world.trail(cid)) == 2
    # Retention deletes every version of the evidence PDF, renewed ones and earlier ones alike.
    final = world.get(cid).evidence
    assert final.earlier_pdfs == (evidence.pdf.sha256, first.pdf.sha256)
    documents = world.container.adapters.document_store()
    world.clock.set(world.get(cid).ended_at + timedelta(days=3654))
    assert world.uc.apply_retention().evidence_purged == (cid,)
    assert not any(documents.exists(sha) for sha in (final.pdf.sha256, *final.earlier_pdfs))


def test_a_refused_collection_keeps_its_evidence_renewed_not_its_partial_document(world):
    signers = [dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
                    email="claire@exemple.fr"),
               dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Marc", surname="Durand",
                    email="marc@exemple.fr")]
    cid = world.collection(signers, mode=InvitationMode.PARALLEL)
    world.sign_as("claire@exemple.fr")
    token = world.token_of("marc@exemple.fr")
    world.uc.open_ceremony(token=token)
    world.uc.refuse(token=token, reason="Non")
    world.run_jobs("seal_evidence")
    assert world.get(cid).evidence is not None
    assert set(_entries(world, cid)) == {"evidence"}
    _daily_job(world)
    (partial,) = world.document_bytes(cid)
    assert _document_stamps(partial) == []  # the partial PDF stays as it ended (B-LT signatures)
    evidence = world.container.adapters.document_store().read(world.get(cid).evidence.pdf.sha256)
    _timestamps_validate(world, evidence, 1)


@pytest.fixture
def use_world(world, monkeypatch):
    monkeypatch.setattr(cli, "_container", lambda settings: world.container)
    monkeypatch.setenv("SEING_DATA_DIR", str(world.settings.data_dir))
    return world


def test_seing_archives_status_and_renew_by_hand(use_world, capsys):
    world = use_world
    cid = _completed(world)
    (document,) = world.get(cid).documents

    assert cli.main(["archives", "status", "--json"]) == 0
    listed = {e["target"]: e for e in json.loads(capsys.readouterr().out) if e["collection_id"] == cid}
    assert set(listed) == {document.id, "evidence"}
    assert listed["evidence"]["due"] and not listed[document.id]["due"]
    assert listed[document.id]["last_renewed_at"] is None and listed[document.id]["deadline"]

    assert cli.main(["archives", "renew", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would renew {cid} evidence" in out and document.id not in out
    assert _document_stamps(world.container.adapters.document_store().read(world.get(cid).evidence.pdf.sha256)) == []

    assert cli.main(["archives", "renew", "--all", "--dry-run"]) == 0
    assert f"would renew {cid} {document.id}" in capsys.readouterr().out

    assert cli.main(["archives", "renew", "--all"]) == 0
    assert "2 renewed, 0 failed" in capsys.readouterr().out
    assert cli.main(["archives", "status"]) == 0
    out = capsys.readouterr().out
    assert "last renewal never" not in out and "0 due" in out

    world.tsa.down = True
    assert cli.main(["archives", "renew", "--all"]) == 3
    captured = capsys.readouterr()
    assert "0 renewed, 2 failed" in captured.out and "timestamp.unavailable" in captured.err


def test_a_kept_pdf_whose_bytes_are_damaged_is_reported_not_passed_over(world, caplog):
    cid = _completed(world)
    evidence = world.get(cid).evidence
    documents = world.container.adapters.document_store()
    documents.blobs[evidence.pdf.sha256] = documents.blobs[evidence.pdf.sha256][:-10]  # storage damage
    with caplog.at_level(logging.ERROR, logger="seing.archives"):
        _daily_job(world)
    entry = _entries(world, cid)["evidence"]
    assert entry.due and entry.failures == 1 and entry.last_failure == "document.corrupted"
    assert [n.context_dict()["file_name"] for n in world.notifications("archive_renewal_failed")] == [
        "dossier de preuve"]
    assert any("document.corrupted" in r.getMessage() for r in caplog.records)
    assert world.get(cid).evidence.pdf == evidence.pdf  # nothing replaced
