"""Page images for the wizard: real PNGs of the requested width, proportional height."""

from __future__ import annotations

import struct
import zlib

import pytest

from adapters.pdf.rendering import PdfiumPageRenderer
from domain.model.errors import InvalidValue, NotFound
from ports.pdf_rendering import PdfPageRenderer
from tests.intake import corpus


def png_size_and_pixels(png: bytes) -> tuple[int, int, bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    idat, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if kind == b"IDAT":
            idat += png[offset + 8:offset + 8 + length]
        offset += 12 + length
    return width, height, zlib.decompress(idat)


def test_the_renderer_conforms_to_the_port():
    assert isinstance(PdfiumPageRenderer(), PdfPageRenderer)


def test_a_page_renders_at_the_width_asked_with_its_proportions():
    png = PdfiumPageRenderer().render_png(corpus.minimal_pdf(pages=2), page=2, width_px=300)
    width, height, raw = png_size_and_pixels(png)
    assert width == 300 and abs(height - round(300 * 842 / 595)) <= 1
    assert len(raw) == height * (1 + width * 3)
    # White paper with some dark text drawn on it.
    assert b"\xff\xff\xff" in raw and any(byte < 100 for byte in raw)


def test_a_missing_page_is_not_found():
    with pytest.raises(NotFound):
        PdfiumPageRenderer().render_png(corpus.minimal_pdf(pages=1), page=2, width_px=200)


def test_an_absurd_width_is_refused():
    with pytest.raises(InvalidValue):
        PdfiumPageRenderer().render_png(corpus.minimal_pdf(), page=1, width_px=10_000)


# -- blank room for the default signature boxes --------------------------------------------------------


def _char_boxes(pdf: bytes, page: int) -> list[tuple[float, float, float, float]]:
    """Every character's box on the page (left, bottom, right, top), as PDFium's text layer has them:
    a check that does not depend on the bitmap the adapter reads."""
    import pypdfium2

    text = pypdfium2.PdfDocument(pdf)[page - 1].get_textpage()
    return [text.get_charbox(i) for i in range(text.count_chars()) if not text.get_text_range(i, 1).isspace()]


def _overlaps(box: tuple[float, float, float, float], char: tuple[float, float, float, float]) -> bool:
    return box[0] < char[2] and char[0] < box[2] and box[1] < char[3] and char[1] < box[3]


needs_gs = pytest.mark.skipif(not corpus.ghostscript_available(), reason="Ghostscript is not installed")


@needs_gs
@pytest.mark.parametrize("footer", [False, True], ids=["body-only", "with-footer"])
def test_free_boxes_lie_where_the_page_is_blank_and_cover_no_character(footer):
    pdf = corpus.text_pdf(2, last_fill=0.5, footer=footer)
    corners = PdfiumPageRenderer().free_boxes(pdf, page=2, width=180, height=60, padding=12, margin=36, limit=6)
    assert corners, "half a page is blank"
    chars = _char_boxes(pdf, 2)
    assert chars
    boxes = [(x, y, x + 180, y + 60) for x, y in corners]
    for box in boxes:
        padded = (box[0] - 12, box[1] - 12, box[2] + 12, box[3] + 12)
        assert not any(_overlaps(padded, char) for char in chars), box
        assert box[0] >= 36 and box[1] >= 36 and box[2] <= 595 - 36 and box[3] <= 842 - 36
    for i, a in enumerate(boxes):
        assert not any(_overlaps(a, b) for b in boxes[i + 1:])
    # The lowest row comes first, left to right in it.
    assert corners == sorted(corners, key=lambda c: (c[1], c[0]))


@needs_gs
def test_a_page_full_of_text_has_no_free_box():
    pdf = corpus.text_pdf(1)
    assert PdfiumPageRenderer().free_boxes(pdf, page=1, width=180, height=60, padding=12, margin=36, limit=6) == []


@needs_gs
def test_free_boxes_stop_at_the_limit_and_refuse_a_missing_page():
    renderer = PdfiumPageRenderer()
    pdf = corpus.text_pdf(1, last_fill=0.0)
    assert len(renderer.free_boxes(pdf, page=1, width=180, height=60, padding=12, margin=36, limit=2)) == 2
    with pytest.raises(NotFound):
        renderer.free_boxes(pdf, page=3, width=180, height=60, padding=12, margin=36, limit=2)
    with pytest.raises(InvalidValue):
        renderer.free_boxes(pdf, page=1, width=0, height=60, padding=12, margin=36, limit=2)


def test_a_turned_page_gives_no_guess():
    if not (corpus.poppler_available() and corpus.qpdf_available()):
        pytest.skip("poppler and qpdf are needed for a turned page")
    pdf = corpus.mixed_sizes_rotated_pdf()
    assert PdfiumPageRenderer().free_boxes(pdf, page=2, width=180, height=60, padding=12, margin=36,
                                           limit=2) == []
