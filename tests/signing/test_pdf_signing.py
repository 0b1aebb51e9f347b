from __future__ import annotations

import asyncio
import io
from datetime import datetime, timezone

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.ades import ades_lta_validation, ades_with_time_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

from domain.model.errors import BrokenPdf, EncryptedPdf, NotAPdf, SigningCertificateRejected
from ports.contracts.pdf_signing import BytesOnly
from ports.pdf_signing import (
    Box,
    PadesLevel,
    PdfSigning,
    SignatureField,
    SignatureRequest,
    VisibleSignature,
)
from tests.intake import corpus
from tests.signing.pdfs import encrypted_pdf_bytes, pdf_bytes, pdf_file


@pytest.fixture
def signing(signing):
    """The session's adapter, with the bytes wrapper (tests only) these tests hold documents in."""
    return BytesOnly(signing)


def _root(pki):
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(pki.root.der)


def _request(identity, level, field_name="Signature1", **kwargs):
    return SignatureRequest(identity=identity, level=level, field_name=field_name, **kwargs)


def _signatures(data: bytes):
    return PdfFileReader(io.BytesIO(data)).embedded_regular_signatures


def _check_bb(pki, data: bytes, count: int = 1):
    sigs = _signatures(data)
    assert len(sigs) == count
    for sig in sigs:
        vc = ValidationContext(trust_roots=[_root(pki)], allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(sig, vc)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.bottom_line, status.pretty_print_details()
    return sigs


def _spec(root_der: bytes, local_knowledge=None):
    from asn1crypto import x509 as asn1_x509

    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[asn1_x509.Certificate.load(root_der)]),
        revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
    )
    extra = {"local_knowledge": local_knowledge} if local_knowledge is not None else {}
    return SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
        **extra,
    )


def ades_lt_status(root_der: bytes, sig):
    """AdES validation with time (EN 319 102-1 §5.5) now, from the file's own data only:
    revocation required and nothing fetched online, so it passes only if the DSS holds
    the certificates and OCSP responses needed."""
    from pyhanko.sign.validation.ades import _dss_to_local_knowledge
    from pyhanko.sign.validation.status import PdfSignatureStatus

    sig.compute_integrity_info()
    return asyncio.run(
        ades_with_time_validation(
            sig.signed_data,
            _spec(root_der, _dss_to_local_knowledge(sig.reader)),
            raw_digest=sig.compute_digest(),
            extra_status_kwargs=sig.summarise_integrity_info(),
            status_cls=PdfSignatureStatus,
        )
    )


def ades_lta_status(root_der: bytes, sig):
    """AdES LTA validation (§5.6.3): the document timestamps give proof of existence."""
    return asyncio.run(ades_lta_validation(sig, PdfSignatureValidationSpec(_spec(root_der))))


def _check_lt(pki, data: bytes, count: int = 1):
    sigs = _signatures(data)
    assert len(sigs) == count
    for sig in sigs:
        result = ades_lt_status(pki.root.der, sig)
        assert result.ades_subindic.status is AdESStatus.PASSED, (result.ades_subindic, result.api_status)
        assert result.api_status.bottom_line
        assert result.api_status.timestamp_validity is not None
    return sigs


def test_adapter_is_a_pdf_signing(signing):
    assert isinstance(signing, PdfSigning)


def test_b_b_signature_is_valid_and_uses_one_vault_operation(signing, identity, pki, vault):
    before = len(vault.signed)
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_B))
    assert len(vault.signed) - before == 1  # no dry-run signature to size the container
    (sig,) = _check_bb(pki, signed)
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    unsigned = sig.signer_info["unsigned_attrs"]
    assert not unsigned.native or all(a["type"].native != "signature_time_stamp_token" for a in unsigned)


def test_b_t_signature_carries_a_trusted_timestamp(signing, identity, pki):
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_T))
    (sig,) = _check_bb(pki, signed)
    vc = ValidationContext(trust_roots=[_root(pki)])
    status = validate_pdf_signature(sig, vc, ts_validation_context=vc)
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted


def test_b_lt_signature_validates_with_embedded_revocation_data(signing, identity, pki, revocation):
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_LT))
    _check_lt(pki, signed)
    dss = PdfFileReader(io.BytesIO(signed)).root["/DSS"]
    assert len(dss["/OCSPs"]) >= 1  # the signer's, from the delegated responder
    assert len(dss["/CRLs"]) >= 1  # the root's, covering the issuing CA and the TSA
    assert len(dss["/Certs"]) >= 5  # signer, CA, root, TSA, OCSP responder


def test_second_signature_added_later_keeps_the_first_valid(signing, identity, pki):
    first = signing.sign(pdf_bytes(2), _request(identity, PadesLevel.B_LT, "Client"))
    other_identity = pki.identity(pki.issue_signer("Bruno", "Durand"))
    second = signing.sign(first, _request(other_identity, PadesLevel.B_LT, "Expert"))
    assert second.startswith(first)  # incremental update
    sigs = _check_lt(pki, second, count=2)
    assert [s.field_name for s in sigs] == ["Client", "Expert"]


def test_b_lta_adds_a_document_timestamp_over_everything(signing, identity, pki):
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_LTA))
    reader = PdfFileReader(io.BytesIO(signed))
    (doc_ts,) = reader.embedded_timestamp_signatures
    status = validate_pdf_timestamp(doc_ts, validation_context=ValidationContext(trust_roots=[_root(pki)]))
    assert status.bottom_line if hasattr(status, "bottom_line") else status.valid and status.trusted
    result = ades_lta_status(pki.root.der, reader.embedded_regular_signatures[0])
    assert result.ades_subindic.status is AdESStatus.PASSED, result.ades_subindic
    assert result.oldest_evidence_record_timestamp is not None


def test_document_timestamp_after_two_signatures(signing, identity, pki):
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_LT, "A"))
    signed = signing.sign(signed, _request(identity, PadesLevel.B_LT, "B"))
    stamped = signing.timestamp(signed)
    assert stamped.startswith(signed)
    reader = PdfFileReader(io.BytesIO(stamped))
    assert len(reader.embedded_timestamp_signatures) == 1
    _check_lt(pki, stamped, count=2)


def test_visible_signature_is_drawn_in_its_box(signing, identity, pki):
    appearance = VisibleSignature(
        box=Box(page=-1, x=50, y=60, width=220, height=70),
        signer_name="Alice MARTIN",
        signed_at=datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc),
        level_label="Niv 2 : avancée",
    )
    signed = signing.sign(pdf_bytes(3), _request(identity, PadesLevel.B_B, appearance=appearance))
    (sig,) = _check_bb(pki, signed)
    widget = sig.sig_field
    if "/Kids" in widget:
        widget = widget["/Kids"][0]
    assert [round(float(v)) for v in widget["/Rect"]] == [50, 60, 270, 130]
    reader = PdfFileReader(io.BytesIO(signed))
    last_page = reader.root["/Pages"]["/Kids"][2]
    assert any(annot.get_object() == widget for annot in last_page["/Annots"])
    import pypdfium2

    text = pypdfium2.PdfDocument(signed)[2].get_textpage().get_text_range()
    assert "Page 3" in text
    # pdfium does not extract text from widget appearances; check the stream instead.
    stream = widget["/AP"]["/N"].data
    assert b"Alice MARTIN" in stream and b"28 novembre 2026" in stream and b"14 h 05" in stream


def test_a_signature_made_later_than_drawn_states_the_window_it_is_made_in(signing, identity, pki):
    """The consent at a QTSP: the appearance is drawn before the signer leaves, the value and its
    timestamp come on the return, so the box says between when and when, not one time."""
    start = datetime(2026, 11, 28, 13, 5, 40, tzinfo=timezone.utc)
    for end, expected in ((datetime(2026, 11, 28, 13, 26, tzinfo=timezone.utc),
                           "le 28 novembre 2026 entre 14 h 05 et 14 h 26"),
                          (datetime(2026, 11, 28, 23, 10, tzinfo=timezone.utc),
                           "entre le 28 novembre 2026 à 14 h 05 et le 29 novembre 2026 à 0 h 10")):
        appearance = VisibleSignature(box=Box(page=0, x=50, y=60, width=220, height=70), signer_name="Alice MARTIN",
                                      signed_at=start, level_label="Niv 3", signed_before=end)
        signed = signing.sign(pdf_bytes(1), _request(identity, PadesLevel.B_B, appearance=appearance))
        (sig,) = _check_bb(pki, signed)
        widget = sig.sig_field
        if "/Kids" in widget:
            widget = widget["/Kids"][0]
        stream = widget["/AP"]["/N"].data.decode("ascii")
        assert expected.replace("à", "\\340") in stream, stream  # a PDF string's octal escape


def test_invisible_signature_has_an_empty_rectangle(signing, identity, pki):
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_B))
    (sig,) = _check_bb(pki, signed)
    widget = sig.sig_field
    if "/Kids" in widget:
        widget = widget["/Kids"][0]
    assert [float(v) for v in widget["/Rect"]] == [0, 0, 0, 0]


def test_fields_created_in_advance_are_filled_by_later_signers(signing, identity, pki):
    prepared = signing.create_fields(
        pdf_bytes(2),
        [
            SignatureField("Client", Box(page=1, x=50, y=50, width=200, height=60)),
            SignatureField("Expert", Box(page=1, x=300, y=50, width=200, height=60)),
        ],
    )
    names = [s.field_name for s in _signatures(prepared)]
    assert names == []
    first = signing.sign(prepared, _request(identity, PadesLevel.B_B, "Client"))
    second = signing.sign(first, _request(identity, PadesLevel.B_B, "Expert"))
    sigs = _check_bb(pki, second, count=2)
    assert [s.field_name for s in sigs] == ["Client", "Expert"]
    expert = sigs[1].sig_field
    assert [round(float(v)) for v in expert["/Rect"]] == [300, 50, 500, 110]


def test_signing_files_streams_to_the_destination(signing, identity, pki, tmp_path):
    source = pdf_file(tmp_path / "in.pdf", pages=5, bytes_per_page=10_000)
    destination = tmp_path / "out.pdf"
    signing.sign_file(source, destination, _request(identity, PadesLevel.B_LT))
    _check_lt(pki, destination.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pdf", "out.pdf"]


@pytest.mark.parametrize(
    ("content", "error", "code"),
    [
        (b"PK\x03\x04 this is a zip, not a PDF" * 10, NotAPdf, "pdf.not_pdf"),
        (encrypted_pdf_bytes(), EncryptedPdf, "pdf.encrypted"),
        (pdf_bytes(3)[:-400], BrokenPdf, "pdf.broken"),
        (pdf_bytes(3)[:200], BrokenPdf, "pdf.broken"),
    ],
    ids=["not-pdf", "encrypted", "truncated-end", "truncated-early"],
)
def test_bad_input_is_refused_and_leaves_no_file(signing, identity, tmp_path, content, error, code):
    source = tmp_path / "in.pdf"
    source.write_bytes(content)
    destination = tmp_path / "out.pdf"
    with pytest.raises(error) as caught:
        signing.sign_file(source, destination, _request(identity, PadesLevel.B_T))
    assert caught.value.code == code
    assert [p.name for p in tmp_path.iterdir()] == ["in.pdf"]
    with pytest.raises(error):
        signing.sign(content, _request(identity, PadesLevel.B_B))


def test_revoked_certificate_is_refused_at_b_lt_and_leaves_no_file(signing, pki, tmp_path):
    revoked = pki.issue_signer("Eve", "Revoquee")
    pki.revoke(revoked)
    identity = pki.identity(revoked)
    source = pdf_file(tmp_path / "in.pdf")
    with pytest.raises(SigningCertificateRejected):
        signing.sign_file(source, tmp_path / "out.pdf", _request(identity, PadesLevel.B_LT))
    assert [p.name for p in tmp_path.iterdir()] == ["in.pdf"]


def test_no_trusted_time_means_no_b_t_signature(vault, identity, tmp_path):
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning
    from domain.model.errors import TimestampUnavailable

    class DownTsa:
        def timestamp(self, digest, hash_algorithm, nonce=None):
            raise TimestampUnavailable("down")

    signing = PyHankoPdfSigning(vault=vault, timestamp_authority=DownTsa())
    source = pdf_file(tmp_path / "in.pdf")
    with pytest.raises(TimestampUnavailable):
        signing.sign_file(source, tmp_path / "out.pdf", _request(identity, PadesLevel.B_T))
    assert [p.name for p in tmp_path.iterdir()] == ["in.pdf"]


def test_memory_does_not_grow_with_the_number_of_pages(signing, identity, tmp_path):
    import tracemalloc

    def peak(pages: int) -> int:
        source = pdf_file(tmp_path / f"{pages}.pdf", pages=pages, bytes_per_page=40_000)
        signing.sign_file(source, tmp_path / "warm.pdf", _request(identity, PadesLevel.B_B))
        tracemalloc.start()
        try:
            signing.sign_file(source, tmp_path / f"{pages}-signed.pdf", _request(identity, PadesLevel.B_B))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(5), peak(150)  # 0.2 MB and 6 MB
    # The large file is 30 times bigger; its peak may only grow by pyHanko's
    # per-object bookkeeping (cross-reference table), far below the file's size.
    assert large < small + 2 * 2**20, (small, large)


def test_b_t_over_http_with_the_durable_option(vault, pki, pki_server, identity, tmp_path):
    from adapters.signing.pyhanko_signing import PyHankoPdfSigning
    from adapters.timestamping.http_client import HttpTimestampClient

    signing = PyHankoPdfSigning(
        vault=vault, timestamp_authority=HttpTimestampClient(f"{pki_server.base_url}/pki/tsa"), durable=True
    )
    destination = tmp_path / "out.pdf"
    # The adapter's first signature also fetches one token to learn the TSA's token size.
    signing.sign_file(pdf_file(tmp_path / "first.pdf"), tmp_path / "first-signed.pdf", _request(identity, PadesLevel.B_T))
    pki_server.requests.clear()
    signing.sign_file(pdf_file(tmp_path / "in.pdf"), destination, _request(identity, PadesLevel.B_T))
    (sig,) = _check_bb(pki, destination.read_bytes())
    vc = ValidationContext(trust_roots=[_root(pki)])
    assert validate_pdf_signature(sig, vc, ts_validation_context=vc).timestamp_validity.trusted
    assert pki_server.requests == ["POST /pki/tsa"]  # one token, no dry run to size the signature


@pytest.mark.parametrize(
    ("policy", "key_type"),
    [("QCP_N", "EC_P256"), ("LCP", "RSA_3072"), ("QCP_N", "RSA_3072")],
    ids=["qcp-ec", "lcp-rsa", "qcp-rsa"],
)
def test_b_lt_with_each_policy_and_key_type(signing, pki, policy, key_type):
    from domain.model.pki import CertificatePolicy, KeyType

    issued = pki.issue_signer("Hugo", "Lefebvre", KeyType[key_type], CertificatePolicy[policy])
    signed = signing.sign(pdf_bytes(), _request(pki.identity(issued), PadesLevel.B_LT))
    (sig,) = _check_lt(pki, signed)
    assert sig.signer_cert.dump() == issued.der


def test_an_undersized_reservation_is_retried_once_with_more_room(signing, identity, pki, vault, monkeypatch):
    import adapters.signing.pyhanko_signing as module

    signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_T))  # token size known
    monkeypatch.setattr(module, "_CMS_OVERHEAD", -2500)  # too small for this CMS
    before = len(vault.signed)
    signed = signing.sign(pdf_bytes(), _request(identity, PadesLevel.B_T))
    _check_bb(pki, signed)
    signer_signatures = [key for key, _ in vault.signed[before:] if key == identity.key_ref.id]
    assert len(signer_signatures) == 2  # the first attempt did not fit



def test_a_pdf_is_checked_and_signed_from_inside_a_running_event_loop(signing, identity, pki) -> None:
    """An async caller (or Playwright's sync API in a test) already runs a loop in its thread:
    the port is synchronous, so it must not try to nest asyncio.run."""

    async def inside() -> bytes:
        signing.check_signable(pdf_bytes(1))
        return signing.sign(pdf_bytes(1), _request(identity, PadesLevel.B_B))

    _check_bb(pki, asyncio.run(inside()))


@pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")
def test_a_signed_box_is_opaque_so_the_text_under_it_never_shows(signing, identity, pki):
    """A box placed over body text: once signed, the box looks exactly as it does on a blank page."""
    import pypdfium2

    box = Box(page=0, x=40, y=400, width=180, height=60)
    appearance = VisibleSignature(box=box, signer_name="Alice MARTIN",
                                  signed_at=datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc),
                                  level_label="Niv 2 : avancée")

    def box_pixels(pdf: bytes) -> bytes:
        document = pypdfium2.PdfDocument(pdf)
        document.init_forms()  # pdfium draws the widgets' appearances only then
        page = document[0]
        bitmap = page.render(scale=2, grayscale=True, may_draw_forms=True)
        top = int((page.get_size()[1] - box.y - box.height) * 2)
        # The inside of the box, away from its border's anti-aliasing.
        rows = [bytes(bitmap.buffer)[y * bitmap.stride + (box.x + 3) * 2: y * bitmap.stride + (box.x + box.width - 3) * 2]
                for y in range(top + 6, top + box.height * 2 - 6)]
        return b"".join(rows)

    text = corpus.text_pdf(1)
    blank = corpus.text_pdf(1, last_fill=0.0)
    assert box_pixels(text) != box_pixels(blank)  # the box really is over text
    signed_on_text = signing.sign(text, _request(identity, PadesLevel.B_B, appearance=appearance))
    signed_on_blank = signing.sign(blank, _request(identity, PadesLevel.B_B, appearance=appearance))
    assert box_pixels(signed_on_text) == box_pixels(signed_on_blank)


def test_the_page_previews_show_the_signatures_already_made(signing, identity, pki):
    """The next signer's page image shows the boxes signed before (pdfium draws widgets only with forms)."""
    from adapters.pdf.rendering import render_page

    box = Box(page=0, x=40, y=400, width=180, height=60)
    appearance = VisibleSignature(box=box, signer_name="Alice MARTIN",
                                  signed_at=datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc),
                                  level_label="Niv 2 : avancée")
    blank = corpus.text_pdf(1, last_fill=0.0)
    signed = signing.sign(blank, _request(identity, PadesLevel.B_B, appearance=appearance))
    assert render_page(signed, 1, 600) != render_page(blank, 1, 600)


def test_the_search_for_blank_room_sees_the_signatures_already_made(signing, identity, pki):
    """A signed box is ink: no default box is placed over it."""
    from adapters.pdf.rendering import find_free_boxes

    box = Box(page=0, x=40, y=400, width=180, height=60)
    appearance = VisibleSignature(box=box, signer_name="Alice MARTIN",
                                  signed_at=datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc),
                                  level_label="Niv 2 : avancée")
    signed = signing.sign(corpus.text_pdf(1, last_fill=0.0), _request(identity, PadesLevel.B_B, appearance=appearance))
    free = find_free_boxes(signed, 1, 180, 60, 12, 36, 40)
    assert free  # the rest of the page is blank
    assert not [(x, y) for x, y in free
                if x < box.x + box.width and box.x < x + 180 and y < box.y + box.height and box.y < y + 60]


def test_ten_signatures_with_one_certificate_at_once_are_each_valid(signing, identity, pki):
    # The SignedData's parts are kept encoded per certificate (CmsParts) and shared by threads:
    # bytes only, so concurrent signatures neither wait on each other nor spoil each other.
    from concurrent.futures import ThreadPoolExecutor

    document = pdf_bytes()
    with ThreadPoolExecutor(max_workers=10) as pool:
        signed = list(pool.map(lambda _: signing.sign(document, _request(identity, PadesLevel.B_T)), range(10),
                               timeout=120))

    for data in signed:
        (sig,) = _check_bb(pki, data)
        vc = ValidationContext(trust_roots=[_root(pki)])
        status = validate_pdf_signature(sig, vc, ts_validation_context=vc)
        assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert len({bytes(_signatures(d)[0].pkcs7_content) for d in signed}) == 10
