"""`seing verify` is a pure reader: it creates nothing, works from any directory, says where its
trust comes from, speaks French (English on request), checks evidence JSON files against the
sealed evidence PDF, and answers 0 valid, 1 invalid, 2 cannot check."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from domain.model.certificates import der_to_pem
from domain.model.signer import SignatureLevel, SignerKind
from entrypoints import cli
from entrypoints.composition.ceremony_wiring import make_reader_verifier
from tests.ceremony.harness import Ceremony

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A completed one-signer collection: the signed PDF, the evidence PDF and JSON, the CA root."""
    world = Ceremony(tmp_path_factory.mktemp("instance") / "var")
    cid = world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire",
                                 surname="Petit", email="claire@exemple.fr")])
    world.sign_as("claire@exemple.fr")
    world.run_jobs("finalise_collection")
    collection = world.get(cid)
    assert collection.evidence is not None, "the evidence was sealed"
    store = world.container.adapters.document_store()
    out = tmp_path_factory.mktemp("files")
    (out / "lettre-signe.pdf").write_bytes(world.document_bytes(cid)[0])
    (out / "dossier-de-preuve.pdf").write_bytes(store.read(collection.evidence.pdf.sha256))
    (out / "dossier-de-preuve.json").write_bytes(store.read(collection.evidence.json.sha256))
    (out / "root.pem").write_bytes(der_to_pem(world.root_der()))
    return type("Files", (), {"dir": out, "instance": world.settings.data_dir, "world": world})


def _seing(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SEING_")}
    environment.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", "verify", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


class _Ran:
    def __init__(self, returncode: int, stdout: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, ""


def _seing_here(args: list[str], cwd: Path, monkeypatch, capsys) -> _Ran:
    """`seing verify` as ``_seing`` runs it (from ``cwd``, no SEING_ setting), in this process: the
    tests above prove the command as a separate program; the ones that only read its report spare
    a Python start-up (seconds on a loaded machine) each."""
    for name in [n for n in os.environ if n.startswith("SEING_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = cli.main(["verify", *args])
    return _Ran(code, capsys.readouterr().out)


def test_seing_verify_in_an_empty_directory_leaves_it_empty_and_says_how_to_trust(files, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    signed = files.dir / "lettre-signe.pdf"

    untrusted = _seing([str(signed)], empty)
    assert untrusted.returncode == 2, untrusted.stdout + untrusted.stderr
    assert "Aucune source de confiance" in untrusted.stdout and "--root" in untrusted.stdout
    assert "Résultat : IMPOSSIBLE À VÉRIFIER" in untrusted.stdout

    trusted = _seing(["--root", str(files.dir / "root.pem"), str(signed)], empty)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert f"Confiance : racine donnée par --root ({files.dir / 'root.pem'})" in trusted.stdout
    assert "Résultat : VALIDE" in trusted.stdout

    assert list(empty.iterdir()) == [], "seing verify created files"


def test_inside_an_instance_seing_verify_trusts_its_ca_and_says_so(files, tmp_path):
    before = sorted(p.relative_to(files.instance) for p in files.instance.rglob("*"))
    inside = _seing([str(files.dir / "lettre-signe.pdf")], files.instance.parent)  # ./var is the instance
    assert inside.returncode == 0, inside.stdout + inside.stderr
    assert f"autorité de l’instance Seing locale ({files.instance / 'pki'})" in inside.stdout
    assert sorted(p.relative_to(files.instance) for p in files.instance.rglob("*")) == before


def test_seing_verify_speaks_english_on_request(files, tmp_path, monkeypatch, capsys):
    english = _seing_here(["--lang", "en", "--root", str(files.dir / "root.pem"),
                           str(files.dir / "lettre-signe.pdf")], tmp_path, monkeypatch, capsys)
    assert english.returncode == 0, english.stdout + english.stderr
    assert "Result: VALID" in english.stdout and "Trust: root given with --root" in english.stdout
    assert "Résultat" not in english.stdout


def test_the_evidence_json_is_checked_against_the_digest_its_sealed_pdf_binds(files, tmp_path, capsys,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = ["--root", str(files.dir / "root.pem")]
    evidence = files.dir / "dossier-de-preuve.json"
    assert cli.main(["verify", *root, str(evidence)]) == 0
    out = capsys.readouterr().out
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert f"Empreinte liée par le scellement de {files.dir / 'dossier-de-preuve.pdf'} : {digest}" in out
    assert "Le JSON correspond au dossier scellé : oui" in out and "Résultat : VALIDE" in out

    tampered = tmp_path / "dossier-de-preuve.json"
    data = json.loads(evidence.read_bytes())
    data["signers"][0]["level"] = 3
    tampered.write_bytes(json.dumps(data).encode())
    assert cli.main(["verify", *root, "--evidence-pdf", str(files.dir / "dossier-de-preuve.pdf"),
                     str(tampered), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["verdict"] == "invalid" and result["evidence"]["matches"] is False
    assert result["evidence"]["bound_sha256"] == digest

    # No sealed PDF beside it and none given: nothing to check against.
    assert cli.main(["verify", *root, str(tampered)]) == 2
    assert "--evidence-pdf" in capsys.readouterr().out


def test_an_update_appended_after_the_seal_cannot_rebind_another_json(files, tmp_path, capsys, monkeypatch):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from ports.evidence import EVIDENCE_JSON_DIGEST_KEY

    forged_json = b'{"forged": true}'
    writer = IncrementalPdfFileWriter(io.BytesIO((files.dir / "dossier-de-preuve.pdf").read_bytes()))
    info = writer.trailer["/Info"].get_object()
    info[generic.NameObject("/" + EVIDENCE_JSON_DIGEST_KEY)] = generic.TextStringObject(
        hashlib.sha256(forged_json).hexdigest())
    writer.update_container(info)
    forged_pdf = io.BytesIO()
    writer.write(forged_pdf)
    (tmp_path / "dossier.pdf").write_bytes(forged_pdf.getvalue())
    (tmp_path / "dossier.json").write_bytes(forged_json)

    verifier = make_reader_verifier(roots=[files.world.root_der()], clock=files.world.clock)
    assert verifier.bound_evidence_digest(forged_pdf.getvalue()) == hashlib.sha256(
        (files.dir / "dossier-de-preuve.json").read_bytes()).hexdigest()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["verify", "--root", str(files.dir / "root.pem"), str(tmp_path / "dossier.json")]) == 1


def test_a_file_that_is_no_pdf_cannot_be_checked(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("bonjour")
    assert cli.main(["verify", str(tmp_path / "notes.txt")]) == 2
    assert "Vérification impossible" in capsys.readouterr().out
    assert cli.main(["verify", str(tmp_path / "absent.pdf"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["verdict"] == "undetermined"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_configured_trusted_list_is_named_as_a_source_of_trust(files, tmp_path, capsys, monkeypatch):
    import base64

    from domain.model.pki import CaName
    from tests.ceremony.test_verification import GRANTED, TSL

    der = {c.name: c.der for c in files.world.ca.ca_certificates()}[CaName.LCP]
    tsl = tmp_path / "tsl.xml"
    tsl.write_text(TSL.format(cert=base64.b64encode(der).decode(), status=GRANTED))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEING_TRUSTED_LIST_FILE", str(tsl))
    assert cli.main(["verify", "--json", "--root", str(files.dir / "root.pem"),
                     str(files.dir / "lettre-signe.pdf")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["trust"] == [{"kind": "root", "source": str(files.dir / "root.pem")},
                               {"kind": "trusted_list", "source": "tsl.xml (FR)"}]
    assert result["report"]["trusted_list"] == "tsl.xml (FR)"


@pytest.fixture(scope="module")
def foreign_signed(tmp_path_factory):
    """A client's file that already carried someone else's signature, then signed through Seing."""
    from tests.intake import corpus

    world = Ceremony(tmp_path_factory.mktemp("foreign") / "var")
    cid = world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire",
                                 surname="Petit", email="claire@exemple.fr")], contents=[corpus.signed_pdf()])
    world.sign_as("claire@exemple.fr")
    world.run_jobs("finalise_collection")
    out = tmp_path_factory.mktemp("foreign-files")
    (out / "signe.pdf").write_bytes(world.document_bytes(cid)[0])
    (out / "etranger.pdf").write_bytes(corpus.signed_pdf())
    (out / "root.pem").write_bytes(der_to_pem(world.root_der()))
    return out


def test_a_foreign_signature_is_reported_valid_from_an_unknown_authority_and_ours_valid(foreign_signed, tmp_path,
                                                                                        monkeypatch, capsys):
    def _seing(args, cwd):
        return _seing_here(args, cwd, monkeypatch, capsys)

    result = _seing(["--root", str(foreign_signed / "root.pem"), str(foreign_signed / "signe.pdf")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("État : valide, émise par une autorité que Seing ne connaît pas") == 1
    assert "État : valide\n" in result.stdout and "Résultat : VALIDE" in result.stdout

    english = _seing(["--lang", "en", "--json", "--root", str(foreign_signed / "root.pem"),
                      str(foreign_signed / "signe.pdf")], tmp_path)
    report = json.loads(english.stdout)
    assert english.returncode == 0 and report["verdict"] == "valid"
    foreign = [s for s in report["report"]["signatures"] if s["valid_unknown_authority"]]
    assert [s["field_name"] for s in foreign] == ["Signature1"] and not foreign[0]["known_authority"]
    text = _seing(["--lang", "en", "--root", str(foreign_signed / "root.pem"), str(foreign_signed / "signe.pdf")],
                  tmp_path)
    assert "valid, issued by an authority Seing does not know" in text.stdout


def test_a_file_signed_only_by_an_unknown_authority_cannot_be_vouched_for(foreign_signed, tmp_path, monkeypatch,
                                                                          capsys):
    result = _seing_here(["--root", str(foreign_signed / "root.pem"), str(foreign_signed / "etranger.pdf")],
                         tmp_path, monkeypatch, capsys)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "valide, émise par une autorité que Seing ne connaît pas" in result.stdout
    assert "Résultat : IMPOSSIBLE À VÉRIFIER" in result.stdout
