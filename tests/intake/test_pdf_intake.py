"""PDF intake on a generated corpus: each file accepted, or refused with the right code, never a crash.

The intake runs the real signing adapter's dry run (fields, metadata, a throwaway signature), so
"accepted" here means "sending and signing will work on it".
"""

from __future__ import annotations

import pytest

from adapters.memory.keyvault import InMemoryKeyVault
from adapters.pdf.inspection import PyHankoPdfiumInspector
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from domain.model.document import PageSize
from domain.model.errors import DocumentRefused, InvalidValue
from domain.model.intake import CEILING_MAX_BYTES, DEFAULT_MAX_BYTES, MB, IntakePolicy, PdfInfo
from domain.services.collections import check_upload
from entrypoints.web.errors import describe
from tests.conftest import require_service
from tests.intake import corpus

INSPECTOR = PyHankoPdfiumInspector()
SIGNING = PyHankoPdfSigning(vault=InMemoryKeyVault())


def refusal(content: bytes, policy: IntakePolicy | None = None) -> DocumentRefused | None:
    try:
        check_upload(policy=policy or IntakePolicy(), inspector=INSPECTOR, signing=SIGNING, content=content)
    except DocumentRefused as refused:
        return refused
    return None


def outcome(content: bytes, policy: IntakePolicy | None = None) -> str:
    refused = refusal(content, policy)
    return refused.code if refused else "accepted"


@pytest.fixture(scope="module")
def qpdf():
    require_service(corpus.qpdf_available(), "qpdf (Debian package qpdf, installed by scripts/system_deps.sh)")


@pytest.fixture(scope="module")
def ghostscript():
    require_service(corpus.ghostscript_available(),
                    "Ghostscript (Debian package ghostscript, installed by scripts/system_deps.sh)")


# -- accepted -------------------------------------------------------------------------------------


def test_a_hand_written_pdf_is_accepted_with_its_pages():
    content = corpus.minimal_pdf(pages=3)
    assert outcome(content) == "accepted"
    info = INSPECTOR.inspect(content)
    assert info.page_count == 3 and info.page_sizes[0] == PageSize(595, 842)
    assert not info.encrypted and not info.has_signatures


def test_a_pdfium_pdf_is_accepted_with_its_page_size():
    content = corpus.pdfium_pdf(pages=2, size=(612, 792))
    assert outcome(content) == "accepted"
    assert INSPECTOR.inspect(content).page_sizes == (PageSize(612, 792), PageSize(612, 792))


def test_a_pyhanko_pdf_is_accepted():
    assert outcome(corpus.pyhanko_pdf(pages=2)) == "accepted"


def test_a_pdf_already_signed_is_accepted_and_reported_as_signed():
    content = corpus.signed_pdf()
    assert outcome(content) == "accepted"
    assert INSPECTOR.inspect(content).has_signatures


def test_a_linearised_pdf_is_accepted(qpdf):
    content = corpus.linearized_pdf()
    assert b"/Linearized" in content[:1024]
    assert outcome(content) == "accepted"
    assert INSPECTOR.inspect(content).page_count == 3


def test_a_pdf_with_object_streams_is_accepted(qpdf):
    content = corpus.object_streams_pdf()
    assert b"/ObjStm" in content
    assert outcome(content) == "accepted"
    assert INSPECTOR.inspect(content).page_count == 2


@pytest.mark.parametrize("kind", ["1.7", "2.0", "pdfa-2b"])
def test_a_ghostscript_pdf_is_accepted(ghostscript, kind):
    content = corpus.ghostscript_pdf(kind, pages=3)
    assert outcome(content) == "accepted"
    assert INSPECTOR.inspect(content).page_count == 3


def test_ghostscripts_pdf_2_0_has_the_malformed_xmp_packet_the_dry_run_must_survive(ghostscript):
    # The case seen in the field: without the repair, pyHanko's writer stops on this packet.
    import io

    from pyhanko.pdf_utils.metadata.xmp_xml import XmpXmlProcessingError
    from pyhanko.pdf_utils.reader import PdfFileReader

    content = corpus.ghostscript_pdf("2.0")
    assert content.startswith(b"%PDF-2.0")
    with pytest.raises(XmpXmlProcessingError):
        _ = PdfFileReader(io.BytesIO(content)).root["/Metadata"].xmp
    SIGNING.check_signable(content)


def test_a_qdf_pdf_is_accepted(qpdf):
    content = corpus.qdf_pdf()
    assert content.startswith(b"%PDF-") and b"%QDF-1.0" in content
    assert outcome(content) == "accepted"


def test_a_pdf_with_an_incremental_update_is_accepted():
    content = corpus.incrementally_updated_pdf()
    assert content.count(b"%%EOF") == 2
    assert outcome(content) == "accepted"


def test_a_pdf_with_form_fields_is_accepted():
    content = corpus.acroform_pdf()
    assert outcome(content) == "accepted"


def test_a_pdf_exactly_at_the_limit_is_accepted():
    content = corpus.minimal_pdf()
    assert outcome(content, IntakePolicy(max_bytes=len(content))) == "accepted"


# -- refused --------------------------------------------------------------------------------------


def test_an_encrypted_pdf_is_refused():
    assert outcome(corpus.encrypted_pdf("secret")) == "document.encrypted"


def test_a_pdf_encrypted_without_a_user_password_is_refused_too():
    # It opens without a password, but carries owner restrictions the signature would have to break.
    assert outcome(corpus.encrypted_pdf(None)) == "document.encrypted"


def test_a_pdf_qpdf_encrypted_with_an_empty_user_password_is_refused_with_what_to_do(qpdf):
    refused = refusal(corpus.qpdf_encrypted_pdf())
    assert refused is not None and refused.code == "document.encrypted"
    assert "Enregistrez-le sans protection" in describe(refused).text()


@pytest.mark.parametrize("level", [1, 2, 3])
def test_a_pdf_certified_by_its_author_is_refused_as_locked_with_what_to_do(level):
    # Level 1 forbids every change; levels 2 and 3 allow filling fields and signing, but not adding
    # the signature fields sending creates: the author's certification would turn invalid.
    refused = refusal(corpus.signed_pdf(certify=level))
    assert refused is not None and refused.code == "document.locked", refused
    text = describe(refused).text()
    assert "certifié" in text and "Demandez à son auteur une version non certifiée" in text


def test_a_pdf_whose_signature_locks_every_field_is_refused_as_locked():
    # Our fields would fall under the lock: validators would then call that signature broken.
    assert outcome(corpus.signed_pdf(lock_all_fields=True)) == "document.locked"


def test_a_truncated_pdf_is_refused_as_broken():
    assert outcome(corpus.truncated_pdf()) == "document.broken"


def test_a_pdf_header_followed_by_garbage_is_refused_as_broken():
    assert outcome(corpus.garbage_after_header()) == "document.broken"


def test_a_renamed_png_is_refused_as_not_a_pdf():
    assert outcome(corpus.png_image()) == "document.not_pdf"


def test_an_empty_file_is_refused_as_empty():
    assert outcome(b"") == "document.empty"


def test_a_pdf_without_any_page_is_refused_as_empty():
    assert outcome(corpus.pdf_without_pages()) == "document.empty"


def test_a_file_over_the_limit_is_refused_before_it_is_parsed():
    class Untouchable:
        def inspect(self, content: bytes) -> PdfInfo:
            raise AssertionError("a file over the limit must not be parsed")

    content = corpus.minimal_pdf()
    with pytest.raises(DocumentRefused) as refused:
        check_upload(policy=IntakePolicy(max_bytes=len(content) - 1), inspector=Untouchable(), signing=SIGNING,
                     content=content)
    assert refused.value.code == "document.too_large"
    assert refused.value.params["limit_bytes"] == len(content) - 1


def test_a_real_file_over_the_default_limit_is_refused():
    content = corpus.minimal_pdf() + b"%" + b" " * DEFAULT_MAX_BYTES + b"\n"
    assert outcome(content) == "document.too_large"


def test_the_limit_defaults_to_25_mb_and_is_capped_at_200_mb():
    assert IntakePolicy().max_bytes == 25 * MB == DEFAULT_MAX_BYTES
    assert IntakePolicy.megabytes(200).max_bytes == CEILING_MAX_BYTES
    with pytest.raises(InvalidValue):
        IntakePolicy.megabytes(201)
    with pytest.raises(InvalidValue):
        IntakePolicy(max_bytes=0)


def test_a_pdf_with_bytes_before_its_header_looks_like_a_pdf_but_is_refused_as_broken():
    # Readers look for the header in the first kilobyte, so it is a PDF; the signing library
    # needs the header first, so it could not be signed: broken rather than "not a PDF".
    assert outcome(b"\xef\xbb\xbf junk before the header\n" + corpus.minimal_pdf()) == "document.broken"
    assert outcome(b" " * 1100 + corpus.minimal_pdf()) == "document.not_pdf"


def test_no_input_makes_the_inspector_raise():
    for content in (b"", b"%PDF-", b"%PDF-1.7\n%%EOF", corpus.png_image(), bytes(range(256)) * 4,
                    corpus.minimal_pdf()[:-30], corpus.encrypted_pdf("x")[:500]):
        assert isinstance(INSPECTOR.inspect(content), PdfInfo)


def test_a_file_too_demanding_to_read_is_refused_as_such_rather_than_as_damaged():
    info = PdfInfo(readable=False, too_demanding=True, problem="memory")
    with pytest.raises(DocumentRefused) as refused:
        IntakePolicy().check_content(info)
    assert refused.value.code == "document.too_complex"
    assert "trop de mémoire ou de temps" in describe(refused.value).message


def test_active_content_is_refused_and_named_even_when_the_pdf_reads_well():
    info = PdfInfo(readable=True, page_sizes=[PageSize(595, 842)], active_content=("javascript", "launch"))
    with pytest.raises(DocumentRefused) as refused:
        IntakePolicy().check_content(info)
    assert refused.value.code == "document.active_content"
    assert refused.value.params["kinds"] == "javascript, launch"
