"""Hand-built test PDFs, written in a stream so big ones cost no memory.

Each page shows its number and draws an image of random (incompressible) bytes, so the
file size follows ``bytes_per_page`` like a real scanned document would.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO


def write_pdf(out: BinaryIO, pages: int, bytes_per_page: int = 0) -> None:
    offsets: dict[int, int] = {}
    start = out.tell()

    def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
        offsets[number] = out.tell() - start
        out.write(b"%d 0 obj\n" % number)
        out.write(body)
        if stream is not None:
            out.write(b"\nstream\n")
            out.write(stream)
            out.write(b"\nendstream")
        out.write(b"\nendobj\n")

    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    # 1 catalog, 2 pages, 3 font, then per page: page, content, image (if any).
    per_page = 3 if bytes_per_page else 2
    page_numbers = [4 + i * per_page for i in range(pages)]
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
    obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    width = 256
    for i, number in enumerate(page_numbers):
        content = b"BT /F1 24 Tf 72 720 Td (Page %d) Tj ET" % (i + 1)
        resources = b"/Font << /F1 3 0 R >>"
        if bytes_per_page:
            height = max(1, bytes_per_page // width)
            content += b"\nq 200 0 0 150 72 400 cm /Im1 Do Q"
            resources += b" /XObject << /Im1 %d 0 R >>" % (number + 2)
        obj(
            number,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << %s >> /Contents %d 0 R >>"
            % (resources, number + 1),
        )
        obj(number + 1, b"<< /Length %d >>" % len(content), content)
        if bytes_per_page:
            data = os.urandom(width * height)
            obj(
                number + 2,
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length %d >>" % (width, height, len(data)),
                data,
            )
    xref_at = out.tell() - start
    count = max(offsets) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
    for n in range(1, count):
        out.write(b"%010d 00000 n \n" % offsets[n])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref_at))


def pdf_bytes(pages: int = 1, bytes_per_page: int = 0) -> bytes:
    buffer = io.BytesIO()
    write_pdf(buffer, pages, bytes_per_page)
    return buffer.getvalue()


def pdf_file(path: Path, pages: int = 1, bytes_per_page: int = 0) -> Path:
    with open(path, "wb") as out:
        write_pdf(out, pages, bytes_per_page)
    return path


def encrypted_pdf_bytes() -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("owner-secret", "user-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
