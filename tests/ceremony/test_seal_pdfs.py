"""« Sceller un document » on the real CA and PAdES signing: the cabinet's seal validates in our
verifier (reported as a seal, « Cachet de … »), in pyHanko's AdES engine at B-LTA offline, and in
poppler's pdfsig; its evidence file is sealed and its JSON matches."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pyhanko.sign.ades.report import AdESPassed

from domain.model.seals import SealProfile
from domain.services.seals import SealUpload
from domain.services.verification import verify_evidence_json
from tests.ceremony.harness import Ceremony, pdfsig_reports
from tests.ceremony.test_long_term_proof import _lta, _signatures
from tests.intake import corpus
from tests.signing.pki_server import PkiHttpServer


@pytest.fixture(scope="module")
def pki_server():
    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path, pki_server):
    ceremony = Ceremony(tmp_path, public_url=pki_server.base_url)
    pki_server.pki = ceremony
    return ceremony


def _sealed(world: Ceremony, profile: SealProfile, count: int = 1):
    request = world.uc.request_seal_certificate(cabinet_id=world.cabinet_id, person_id=world.owner, profile=profile)
    world.uc.approve_seal_certificate_request(cabinet_id=world.cabinet_id, person_id=world.owner,
                                              request_id=request.id)
    world.clock.advance(timedelta(seconds=5))
    files = [SealUpload(name=f"bilan-{n}.pdf", content=corpus.minimal_pdf(pages=n + 1)) for n in range(count)]
    return world.uc.seal_documents(cabinet_id=world.cabinet_id, person_id=world.owner, files=files)


@pytest.mark.parametrize("profile", list(SealProfile))
def test_a_sealed_pdf_is_reported_as_the_cabinets_seal_and_proven_at_b_lta(world, profile):
    sealing = _sealed(world, profile, count=2)
    world.clock.advance(timedelta(minutes=1))
    for document in sealing.documents:
        pdf = world.container.adapters.document_store().read(document.sealed_sha256)
        report = world.uc.verify_pdf(content=pdf)
        assert report.all_ok, report.as_dict()
        [seal] = [s for s in report.signatures if s.kind == "signature"]
        assert seal.seal_of == "Cabinet Poussart" and seal.level is None
        assert seal.pades_level == "B-LTA" and seal.proven_level == "B-LTA"
        assert any(s.kind == "document_timestamp" for s in report.signatures)
        assert ("0.4.0.194112.1.1" in seal.certificate_policies) is (profile is SealProfile.QUALIFIED)
        assert seal.qc_compliance is (profile is SealProfile.QUALIFIED) and not seal.qualified  # no trusted list
        for sig in _signatures(pdf):
            result = _lta(world, sig)
            assert result.ades_subindic is AdESPassed.OK, (result.ades_subindic, result.api_status)


def test_the_sealing_evidence_file_is_sealed_and_binds_its_json(world):
    sealing = _sealed(world, SealProfile.ADVANCED)
    pdf = world.container.adapters.document_store().read(sealing.evidence_pdf_sha256)
    twin = world.container.adapters.document_store().read(sealing.evidence_json_sha256)
    check = verify_evidence_json(verifier=world.container.adapters.signature_verifier(), json_content=twin,
                                 sealed_pdf=pdf)
    assert check.matches and check.sealed_pdf.all_ok, check.as_dict()
    assert json.loads(twin)["sealing"]["certificate"]["serial"] == sealing.certificate_serial


@pytest.mark.external  # pdfsig and certutil
def test_pdfsig_validates_the_cabinets_seal(world, tmp_path):
    sealing = _sealed(world, SealProfile.QUALIFIED)
    path = tmp_path / "sealed.pdf"
    path.write_bytes(world.container.adapters.document_store().read(sealing.documents[0].sealed_sha256))
    reports = pdfsig_reports(path, world.root_der(), tmp_path / "nss")
    [seal] = [r for r in reports if "ETSI.CAdES.detached" in r]
    assert "Signature is Valid" in seal and "Certificate is Trusted" in seal, seal
    assert "Signer Certificate Common Name: Cabinet Poussart\n" in seal, seal
    assert "Total document signed" in reports[-1], reports[-1]


def test_verifier_page_and_verify_report_say_cachet_de_the_cabinet(world):
    from litestar.testing import TestClient

    from entrypoints.verify_command import _pdf_lines
    from tests.apps import app_for

    sealing = _sealed(world, SealProfile.ADVANCED)
    pdf = world.container.adapters.document_store().read(sealing.documents[0].sealed_sha256)
    lines = _pdf_lines(world.uc.verify_pdf(content=pdf), __import__("pathlib").Path("bilan.pdf"), lambda s: s)
    assert "  Cachet de Cabinet Poussart" in lines
    assert "  Signataire : Cabinet Poussart" not in lines and "  Cachet électronique ; PAdES B-LTA" in lines
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        client.get("/verifier")
        page = client.post("/verifier", data={"_csrf_token": client.cookies.get("seing_csrf")},
                           files={"fichier": ("bilan.pdf", pdf, "application/pdf")})
    assert page.status_code == 200, page.text
    assert "Cachet de Cabinet Poussart" in page.text and 'class="seal-of"' in page.text


def test_sealed_documents_and_their_evidence_get_archive_timestamps_renewed(world):
    from domain.model.audit import verify_chain
    from domain.model.seals import SEALING_EVIDENCE

    sealing = _sealed(world, SealProfile.ADVANCED)
    store = world.container.adapters.document_store()
    [document] = sealing.documents
    entries = [e for e in world.uc.archive_status() if e.of == "sealing"]
    assert {(e.collection_id, e.target) for e in entries} == {(sealing.id, document.id), (sealing.id, SEALING_EVIDENCE)}
    world.clock.advance(timedelta(minutes=5))
    report = world.uc.renew_archives(due_only=False)
    renewed = {(o.collection_id, o.target) for o in report.renewed if o.of == "sealing"}
    assert renewed == {(sealing.id, document.id), (sealing.id, SEALING_EVIDENCE)} and not report.failed
    after = world.uc.sealing_for_member(cabinet_id=world.cabinet_id, person_id=world.owner, sealing_id=sealing.id)
    [renewed_document] = after.documents
    assert renewed_document.sealed_sha256 != document.sealed_sha256
    assert renewed_document.earlier_sha256s == (document.sealed_sha256,)
    assert after.earlier_evidence_pdfs == (sealing.evidence_pdf_sha256,)
    assert renewed_document.archive is not None and renewed_document.archive.last_renewed_at is not None
    pdf = store.read(renewed_document.sealed_sha256)
    assert pdf.startswith(store.read(document.sealed_sha256))  # an incremental update
    verdict = world.uc.verify_pdf(content=pdf)
    assert verdict.all_ok, verdict.as_dict()
    assert len([s for s in verdict.signatures if s.kind == "document_timestamp"]) == 2
    with world.container.adapters.uow.provider()() as tx:
        trail = tx.audit.of_collection(sealing.id)
    assert verify_chain(trail) is None
    assert [e.kind for e in trail].count("archive_renewed") == 2


def test_retention_deletes_the_sealed_documents_then_later_the_evidence(world):
    from domain.model.seals import SealingNotFound

    sealing = _sealed(world, SealProfile.ADVANCED)
    store = world.container.adapters.document_store()
    [document] = sealing.documents
    world.clock.advance(timedelta(days=31))
    report = world.uc.apply_retention()
    assert report.sealing_documents_purged == (sealing.id,) and report.sealing_evidence_purged == ()
    assert not store.exists(document.sealed_sha256) and not store.exists(document.original_sha256)
    assert store.exists(sealing.evidence_pdf_sha256)
    with pytest.raises(SealingNotFound):
        world.uc.sealed_document_for_member(cabinet_id=world.cabinet_id, person_id=world.owner,
                                            sealing_id=sealing.id, document_id=document.id)
    assert world.uc.sealing_evidence_for_member(cabinet_id=world.cabinet_id, person_id=world.owner,
                                                sealing_id=sealing.id, item="pdf")
    # The evidence is kept for its own, much longer, time; its renewal goes on meanwhile.
    assert {e.target for e in world.uc.archive_status() if e.of == "sealing"} == {"evidence"}
    world.clock.advance(timedelta(days=3653))
    assert world.uc.apply_retention().sealing_evidence_purged == (sealing.id,)
    assert not store.exists(sealing.evidence_pdf_sha256)
    with world.container.adapters.uow.provider()() as tx:
        kinds = [e.kind for e in tx.audit.of_collection(sealing.id)]
    assert "documents_purged" in kinds


def _stamp_words(path, page: int) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """pdftotext's words of a page with their top-left corners (points, from the page's top-left)."""
    import re
    import subprocess

    from tests.ceremony.harness import require_tool

    out = subprocess.run([require_tool("pdftotext"), "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    width, height = (float(v) for v in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out).groups())
    words = {w: (float(x), float(y)) for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)<', out)}
    return width, height, words


def _ink(path, page: int, box: tuple[float, float, float, float]) -> int:
    """Dark pixels pdftoppm renders inside ``box`` (x0, y0, x1, y1 in points from the top-left)."""
    import subprocess

    from tests.ceremony.harness import require_tool

    stem = path.with_suffix("")
    subprocess.run([require_tool("pdftoppm"), "-gray", "-r", "72", "-f", str(page), "-l", str(page), "-singlefile",
                    str(path), str(stem)], check=True)
    data = stem.with_suffix(".pgm").read_bytes()
    magic, width, height, _maximum, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    width, height = int(width), int(height)
    x0, y0, x1, y1 = (int(v) for v in box)
    return sum(1 for y in range(max(y0, 0), min(y1, height)) for x in range(max(x0, 0), min(x1, width))
               if pixels[y * width + x] < 128)


@pytest.mark.external  # pdftotext and pdftoppm
@pytest.mark.parametrize("page,corner,expected_page,left,top", [
    (None, None, 2, False, False),  # the default: bottom right of the last page
    ("first", "top_left", 1, True, True),
])
def test_a_sealed_pdf_shows_its_stamp_where_the_member_put_it(world, tmp_path, page, corner, expected_page, left, top):
    from domain.model.seals import SealStamp

    request = world.uc.request_seal_certificate(cabinet_id=world.cabinet_id, person_id=world.owner,
                                                profile=SealProfile.ADVANCED)
    world.uc.approve_seal_certificate_request(cabinet_id=world.cabinet_id, person_id=world.owner,
                                              request_id=request.id)
    original = corpus.minimal_pdf(pages=2)
    sealing = world.uc.seal_documents(cabinet_id=world.cabinet_id, person_id=world.owner,
                                      files=[SealUpload(name="bilan.pdf", content=original)],
                                      stamp=SealStamp.parse(page, corner))
    store = world.container.adapters.document_store()
    sealed, before = tmp_path / "sealed.pdf", tmp_path / "original.pdf"
    sealed.write_bytes(store.read(sealing.documents[0].sealed_sha256))
    before.write_bytes(original)
    width, height, words = _stamp_words(sealed, expected_page)
    for word in ("Cachet", "électronique", "Cabinet", "Poussart"):
        assert word in words, words
    x, y = words["Cachet"]
    assert (x < width / 2) is left and (y < height / 2) is top, (x, y)
    other = 1 if expected_page == 2 else 2
    assert "Cachet" not in _stamp_words(sealed, other)[2]
    # What a reader sees: ink where the stamp is, none there in the original.
    region = (x - 2, y - 2, x + 120, y + 40)
    assert _ink(sealed, expected_page, region) > 50
    assert _ink(before, expected_page, region) == 0
    assert world.uc.verify_pdf(content=sealed.read_bytes()).all_ok
