"""seing verify, seing audit verify, seing demo collection, and retention."""

from __future__ import annotations

import json
from datetime import timedelta

import attrs
import pytest

from domain.model.collection import InvitationMode
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints import cli
from tests.ceremony.harness import Ceremony
from tests.intake import corpus


@pytest.fixture
def world(tmp_path):
    return Ceremony(tmp_path / "world")


def _signed(world: Ceremony) -> tuple[str, bytes]:
    signers = [dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
                    email="claire@exemple.fr"),
               dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED, given_names="Anne", surname="Roux",
                    email="anne@exemple.fr", mobile="06 12 34 56 78")]
    cid = world.collection(signers, mode=InvitationMode.PARALLEL)
    world.sign_as("claire@exemple.fr")
    world.sign_as("anne@exemple.fr")
    assert world.run_jobs("finalise_collection") == 1
    (pdf,) = world.document_bytes(cid)
    return cid, pdf


@pytest.fixture
def use_world(world, monkeypatch):
    """The CLI on this world's container (its CA and in-memory unit of work); `seing verify`
    reads the world's data directory as the local instance."""
    monkeypatch.setattr(cli, "_container", lambda settings: world.container)
    monkeypatch.setenv("SEING_DATA_DIR", str(world.settings.data_dir))
    return world


def test_seing_verify_reports_each_signature_and_its_level_as_json(use_world, tmp_path, capsys):
    _, pdf = _signed(use_world)
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    assert cli.main(["verify", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "valid" and result["exit_code"] == 0 and result["kind"] == "pdf"
    assert result["trust"] == [{"kind": "local_instance", "source": str(use_world.settings.pki_dir)}]
    report = result["report"]
    assert report["all_ok"] and report["whole_document_covered"] and report["trusted_list"] is None
    signatures = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert [s["level"] for s in signatures] == [1, 2]
    assert all(s["certificate_status"] == "good" and not s["qualified"] for s in signatures)
    # Completed: every signature B-LTA, proven at its own timestamp's time.
    assert [s["proven_level"] for s in signatures] == ["B-LTA", "B-LTA"]
    assert all(s["proven_at"] == s["signing_time"] for s in signatures)


def test_a_byte_changed_in_a_signed_pdf_makes_seing_verify_report_it_broken(use_world, tmp_path, capsys):
    _, pdf = _signed(use_world)
    tampered = bytearray(pdf)
    at = tampered.find(b"Lettre 1")
    assert at > 0
    tampered[at] = ord("l")
    path = tmp_path / "tampered.pdf"
    path.write_bytes(bytes(tampered))
    assert cli.main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Intègre : non" in out and "Résultat : NON VALIDE" in out
    assert "Preuve par le fichier seul (hors ligne) : aucune" in out


def test_editing_one_stored_event_makes_seing_audit_verify_name_that_event(use_world, capsys):
    cid, _ = _signed(use_world)
    assert cli.main(["audit", "verify"]) == 0
    assert "all intact" in capsys.readouterr().out
    chain = use_world.store.tables["audit"][cid]
    chain[4] = attrs.evolve(chain[4], ip="192.0.2.66")  # someone edits a stored row
    assert cli.main(["audit", "verify"]) == 3
    assert f"collection {cid}: chain broken at event 5 (hash)" in capsys.readouterr().out


def test_seing_demo_collection_writes_signed_pdfs_evidence_and_the_root(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path / "data"))
    pdf = tmp_path / "lettre.pdf"
    pdf.write_bytes(corpus.pdfium_pdf(pages=2))
    out = tmp_path / "out"
    assert cli.main(["demo", "collection", "--pdf", str(pdf), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "dossier-de-preuve.json", "dossier-de-preuve.pdf", "lettre-signe.pdf", "seing-root-ca.der",
        "seing-root-ca.pem"]
    evidence = json.loads((out / "dossier-de-preuve.json").read_text())
    assert [s["level"] for s in evidence["signers"]] == [1, 2, 3]
    assert evidence["signers"][1]["certificate"]["one_time"] is False  # the collaborator's own LCP
    assert evidence["signers"][2]["certificate"]["one_time"] is True
    assert cli.main(["verify", "--root", str(out / "seing-root-ca.pem"), str(out / "lettre-signe.pdf")]) == 0


def test_seing_demo_collection_fails_clearly_on_a_file_the_intake_refuses(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path / "data"))
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"not a pdf at all")
    assert cli.main(["demo", "collection", "--pdf", str(bad), "--out", str(tmp_path / "out")]) == 1
    assert "seing demo collection failed: add notes.pdf" in capsys.readouterr().err


def test_retention_purges_documents_after_30_days_and_keeps_the_evidence_10_years(world):
    cid, _ = _signed(world)
    collection = world.get(cid)
    documents = world.container.adapters.document_store()
    kept = [d.latest.sha256 for d in collection.documents] + [d.ref.sha256 for d in collection.documents]
    evidence = collection.evidence
    world.clock.advance(timedelta(days=29))
    assert world.uc.apply_retention().documents_purged == ()
    world.clock.advance(timedelta(days=2))
    report = world.uc.apply_retention()
    assert report.documents_purged == (cid,) and report.evidence_purged == ()
    assert not any(documents.exists(sha) for sha in kept)
    assert documents.exists(evidence.pdf.sha256) and documents.exists(evidence.json.sha256)
    assert "documents_purged" in [e.kind for e in world.trail(cid)]
    world.clock.advance(timedelta(days=3653))
    assert world.uc.apply_retention().evidence_purged == (cid,)
    assert not documents.exists(evidence.pdf.sha256)
    assert world.uc.apply_retention() == type(report)(documents_purged=(), evidence_purged=())


def test_the_worker_runs_retention_and_pending_evidence_periodically(world):
    periodic = world.container.worker()._periodic
    assert {"retention", "evidence_pending", "collections_due"} <= set(periodic)


def test_retention_keeps_bytes_another_collection_still_uses(world):
    cid, _ = _signed(world)
    other = world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Paul",
                                   surname="Durand", email="paul@exemple.fr")])  # the same original PDF
    shared = world.get(cid).documents[0].ref.sha256
    assert world.get(other).documents[0].ref.sha256 == shared
    world.clock.advance(timedelta(days=31))
    assert world.uc.apply_retention().documents_purged == (cid,)
    assert world.container.adapters.document_store().exists(shared)


def test_one_time_keys_are_destroyed_after_the_signature(world):
    from domain.model.errors import KeyNotFound

    cid, _ = _signed(world)
    one_time = [c for c in world.store.tables["certificates"].values() if c.one_time]
    assert len(one_time) == 1  # Anne's level-2 certificate for this ceremony
    with pytest.raises(KeyNotFound):
        world.vault.get(one_time[0].key_id)


def test_seing_demo_collection_refuses_to_write_a_demo_cabinet_into_a_production_instance(tmp_path, capsys,
                                                                                          monkeypatch):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SEING_DEV_MODE", "false")
    pdf = tmp_path / "lettre.pdf"
    pdf.write_bytes(corpus.minimal_pdf())
    assert cli.main(["demo", "collection", "--pdf", str(pdf), "--out", str(tmp_path / "out")]) == 1
    assert "SEING_DEV_MODE=true" in capsys.readouterr().err
    assert not (tmp_path / "data").exists(), "nothing was written into the instance"


def test_seing_demo_collection_says_it_needs_the_outbox_rather_than_overriding_the_operator(tmp_path, capsys,
                                                                                          monkeypatch):
    monkeypatch.setenv("SEING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SEING_MAIL_BACKEND", "smtp")
    pdf = tmp_path / "lettre.pdf"
    pdf.write_bytes(corpus.minimal_pdf())
    assert cli.main(["demo", "collection", "--pdf", str(pdf), "--out", str(tmp_path / "out")]) == 1
    assert "SEING_MAIL_BACKEND=outbox" in capsys.readouterr().err
