"""PDFs made by tools nobody here wrote, through the whole product: intake, sending (the signature
fields and metadata), signatures by the real pyHanko adapter (one level-1 signer with a placed box,
then a complete collection at levels 1, 2 and 3 with document timestamps), validated by pyHanko and
poppler's pdfsig.

Whatever the intake accepts, the product signs: each accepted file must come out signed and valid,
and a file with someone else's signature must keep it valid, reported « valide, émise par une
autorité que Seing ne connaît pas », never as a failure of ours.

The writers: Ghostscript, qpdf, poppler (pdftocairo through cairo, pdfseparate/pdfunite), img2pdf
and Ghostscript wrapping scanned images, LibreOffice Writer (Debian's libreoffice-writer-nogui,
skipped when absent: about 150 MB, installed by scripts/system_deps.sh), pypdfium2 and pyHanko's
writer for the incremental update and the foreign signature.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from domain.model.collection import CollectionStatus
from domain.model.errors import DocumentRefused
from domain.model.signer import SignatureLevel, SignerKind
from tests.ceremony.harness import Ceremony, pdfsig_reports, three_signers
from tests.conftest import require_service
from tests.intake import corpus
from tests.signing.pki_server import PkiHttpServer

SIGNER = "claire@exemple.fr"


def _ghostscript(kind: str):
    def make() -> bytes:
        require_service(corpus.ghostscript_available(),
                        "Ghostscript (Debian package ghostscript, installed by scripts/system_deps.sh)")
        return corpus.ghostscript_scan_pdf() if kind == "scan" else corpus.ghostscript_pdf(kind, pages=3)
    return make


def _qpdf(make_with_qpdf):
    def make() -> bytes:
        require_service(corpus.qpdf_available(), "qpdf (Debian package qpdf, installed by scripts/system_deps.sh)")
        return make_with_qpdf()
    return make


def _tool(make_with_tool, available, what: str):
    def make() -> bytes:
        require_service(available(), f"{what}, installed by scripts/system_deps.sh")
        return make_with_tool()
    return make


ACCEPTED = {
    "ghostscript-pdf-1.7": _ghostscript("1.7"),
    "ghostscript-pdf-2.0": _ghostscript("2.0"),
    "ghostscript-pdf-a-2b": _ghostscript("pdfa-2b"),
    "qpdf-object-streams": _qpdf(corpus.object_streams_pdf),
    "qpdf-linearised": _qpdf(corpus.linearized_pdf),
    "qpdf-qdf": _qpdf(corpus.qdf_pdf),
    "incremental-update": corpus.incrementally_updated_pdf,
    "form-fields": corpus.acroform_pdf,
    "already-signed-by-someone-else": corpus.signed_pdf,
    "poppler-cairo": _tool(corpus.cairo_pdf, corpus.poppler_available, "poppler-utils (pdftocairo)"),
    "poppler-unite-mixed-sizes-rotated": _tool(corpus.mixed_sizes_rotated_pdf, corpus.poppler_available,
                                               "poppler-utils (pdfunite, pdfseparate)"),
    "scan-img2pdf": _tool(corpus.img2pdf_scan_pdf, corpus.img2pdf_available, "img2pdf (Debian package img2pdf)"),
    "scan-ghostscript-jpeg": _ghostscript("scan"),
    "libreoffice-writer": _tool(corpus.libreoffice_pdf, lambda: corpus.libreoffice_binary() is not None,
                                "LibreOffice (Debian package libreoffice-writer-nogui)"),
}


_MADE: dict[str, bytes] = {}


def _made(name: str) -> bytes:
    """Each file made once per run (LibreOffice and the scans take seconds); a missing tool skips."""
    if name not in _MADE:
        _MADE[name] = ACCEPTED[name]()
    return _MADE[name]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = PkiHttpServer().start()
    ceremony = Ceremony(tmp_path_factory.mktemp("third-party"), public_url=server.base_url)
    server.pki = ceremony  # pdfsig follows the certificates' AIA to this loopback OCSP/CRL server
    yield ceremony
    server.stop()


def _send_for_one_signature(world: Ceremony, content: bytes) -> str:
    """A draft with this one document, an external level-1 signer with a box on the last page, sent."""
    uc = world.uc
    cid = uc.create_collection_draft(cabinet_id=world.cabinet_id, by_person_id=world.owner,
                                     title="Lettre de mission", message="Merci de signer.")
    document_id = uc.add_collection_document(collection_id=cid, by_person_id=world.owner, name="lettre.pdf",
                                             content=content)
    signer_id = uc.add_signer(collection_id=cid, by_person_id=world.owner, kind=SignerKind.EXTERNAL,
                              level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit", email=SIGNER)
    pages = len(world.get(cid).documents[0].page_sizes)
    uc.place_signature_field(collection_id=cid, by_person_id=world.owner, document_id=document_id,
                             signer_id=signer_id, page=pages, x=72, y=90, width=200, height=60)
    uc.send_collection(collection_id=cid, by_person_id=world.owner)
    return cid


def _pyhanko_statuses(pdf: bytes, root_der: bytes) -> dict[str, object]:
    """pyHanko's own validation of every signature (document timestamps aside), trusting our root only."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=True)
    context = ValidationContext(trust_roots=[x509.Certificate.load(root_der)], allow_fetching=False)
    return {s.field_name: validate_pdf_signature(s, context) for s in reader.embedded_signatures
            if s.sig_object_type == "/Sig"}


@pytest.mark.external  # pdfsig and certutil
@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_a_third_party_pdf_is_accepted_sent_signed_and_valid(world, name, tmp_path_factory):
    original = _made(name)
    foreign = [s.field_name for s in PdfFileReader(io.BytesIO(original), strict=True).embedded_signatures]

    cid = _send_for_one_signature(world, original)
    prepared = world.get(cid).documents[0].prepared
    assert prepared is not None, "sending created the signature field"
    world.clock.advance(timedelta(seconds=5))
    assert world.sign_as(SIGNER).status == "completed"
    assert world.run_jobs("finalise_collection") == 1

    collection = world.get(cid)
    assert collection.status is CollectionStatus.COMPLETED
    (signed,) = world.document_bytes(cid)
    assert signed.startswith(original), "every change is an incremental update: the original bytes stay first"

    ours = "Signature_" + collection.signers[0].id
    report = world.uc.verify_pdf(content=signed)
    by_field = {s.field_name: s for s in report.signatures}
    assert by_field[ours].ok and by_field[ours].level == 1, by_field[ours]
    assert report.whole_document_covered

    statuses = _pyhanko_statuses(signed, world.root_der())
    assert statuses[ours].bottom_line, statuses[ours].pretty_print_details()
    for field in foreign:
        # Our verification: intact, from an authority we do not know, and not a failure of the file.
        assert by_field[field].valid_unknown_authority and not by_field[field].ok, by_field[field]
    assert report.all_ok, report.as_dict()
    for field in foreign:
        # Not trusted (a throwaway key nobody here knows), but intact and not broken by what we added.
        status = statuses[field]
        assert status.intact and status.valid and status.docmdp_ok, status.pretty_print_details()

    # Poppler's pdfsig (NSS), a validator that shares no code with ours.
    path = tmp_path_factory.mktemp("pdfsig") / f"{name}.pdf"
    path.write_bytes(signed)
    reports = pdfsig_reports(path, world.root_der(), tmp_path_factory.getbasetemp() / "nss-third-party")
    (text,) = [r for r in reports if f"Signature Field Name: {ours}" in r]
    assert "Signature is Valid" in text and "Certificate is Trusted" in text, text
    for field in foreign:
        (text,) = [r for r in reports if f"Signature Field Name: {field}" in r]
        assert "Signature is Valid" in text, text


def test_ghostscripts_pdf_2_0_keeps_what_its_metadata_said_once_repaired(world):
    # Ghostscript writes an unquoted attribute value; the repair quotes it, so sending keeps the
    # packet's statements (creator tool, document id, title) instead of dropping them.
    content = _ghostscript("2.0")()
    cid = _send_for_one_signature(world, content)
    prepared = world.container.adapters.document_store().read(world.get(cid).documents[0].prepared.sha256)
    packet = PdfFileReader(io.BytesIO(prepared), strict=True).root["/Metadata"].data.decode("utf-8")
    original = PdfFileReader(io.BytesIO(content), strict=True).root["/Metadata"].data.decode("utf-8")
    document_id = re.search(r"uuid:[0-9a-f-]+", original).group(0)
    assert "pdf:Producer=UnknownProducer" in original
    assert document_id in packet and "UnknownApplication" in packet and ">Untitled<" in packet


@pytest.mark.parametrize("make", [lambda: corpus.signed_pdf(certify=1), lambda: corpus.signed_pdf(certify=2),
                                  _qpdf(corpus.qpdf_encrypted_pdf)], ids=["certified-no-change",
                                                                          "certified-form-filling", "encrypted"])
def test_a_file_the_product_cannot_sign_is_refused_at_upload_not_at_sending(world, make):
    uc = world.uc
    cid = uc.create_collection_draft(cabinet_id=world.cabinet_id, by_person_id=world.owner, title="Refus")
    with pytest.raises(DocumentRefused) as refused:
        uc.add_collection_document(collection_id=cid, by_person_id=world.owner, name="x.pdf", content=make())
    assert refused.value.code in ("document.locked", "document.encrypted")
    assert not world.get(cid).documents


# -- every file of the corpus through a complete collection: levels 1, 2 and 3 ----------------------

EMAILS = ["claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr"]


@pytest.fixture(scope="module")
def three_levels(world):
    """One collection holding every file of the corpus the machine can make, signed at levels 1
    (external, platform seal), 2 (the owner's LCP) and 3 (one-time QCP-n after the identity
    check), then finalised (document timestamps, evidence)."""
    names, contents, skipped = [], [], []
    for name in sorted(ACCEPTED):
        try:
            contents.append(_made(name))
            names.append(name)
        except pytest.skip.Exception as reason:
            skipped.append(f"{name}: {reason}")
    cid = world.collection(three_signers(world), contents=contents)
    for index, email in enumerate(EMAILS):
        world.clock.advance(timedelta(seconds=5))
        assert world.sign_as(email, identity_check=index == 2).status == ("completed" if index == 2 else "signed")
    assert world.run_jobs("finalise_collection") == 1
    collection = world.get(cid)
    assert collection.status is CollectionStatus.COMPLETED and collection.finalised_at is not None
    signed = dict(zip(names, world.document_bytes(cid), strict=True))
    return type("ThreeLevels", (), {"cid": cid, "originals": dict(zip(names, contents, strict=True)), "signed": signed,
                                    "skipped": skipped, "collection": collection})


@pytest.mark.external  # pdfsig and certutil
@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_a_third_party_pdf_goes_through_a_complete_collection_at_levels_1_2_and_3(world, three_levels, name,
                                                                                   tmp_path_factory):
    if name not in three_levels.signed:
        pytest.skip(next(s for s in three_levels.skipped if s.startswith(name)))
    original, signed = three_levels.originals[name], three_levels.signed[name]
    assert signed.startswith(original), "every change is an incremental update: the original bytes stay first"
    foreign = [s.field_name for s in PdfFileReader(io.BytesIO(original), strict=True).embedded_signatures]
    ours = {"Signature_" + signer.id: int(signer.level) for signer in three_levels.collection.signers}

    report = world.uc.verify_pdf(content=signed)
    by_field = {s.field_name: s for s in report.signatures}
    for field, level in ours.items():
        check = by_field[field]
        assert check.ok and check.level == level and check.certificate_status == "good", check
        assert check.pades_level == "B-LTA", check  # every level is B-LT when made (issue 18)
    for field in foreign:
        assert by_field[field].valid_unknown_authority, by_field[field]
    assert any(s.kind == "document_timestamp" and s.ok for s in report.signatures)
    assert report.whole_document_covered and report.all_ok, report.as_dict()

    statuses = _pyhanko_statuses(signed, world.root_der())
    for field in ours:
        assert statuses[field].bottom_line, statuses[field].pretty_print_details()
    for field in foreign:
        assert statuses[field].intact and statuses[field].valid, statuses[field].pretty_print_details()

    path = tmp_path_factory.mktemp("pdfsig-three") / f"{name}.pdf"
    path.write_bytes(signed)
    reports = pdfsig_reports(path, world.root_der(), tmp_path_factory.getbasetemp() / "nss-third-party")
    for field in ours:
        (text,) = [r for r in reports if f"Signature Field Name: {field}" in r]
        assert "Signature is Valid" in text and "Certificate is Trusted" in text, text
    for field in foreign:
        (text,) = [r for r in reports if f"Signature Field Name: {field}" in r]
        assert "Signature is Valid" in text, text
