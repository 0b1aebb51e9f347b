"""The intake corpus, generated on the fly: no binary fixture is committed.

Two independent generators make valid PDFs (a hand-written minimal file, pypdfium2's new
document), pyHanko's writer makes the encrypted ones and signs one with a throwaway key, and
qpdf rewrites one linearised and one with object streams. Tools nobody here wrote make the rest:
Ghostscript, qpdf, poppler (pdftocairo, pdfseparate, pdfunite), img2pdf and LibreOffice Writer
(Debian packages, scripts/system_deps.sh).
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tempfile
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path


def pdf_from_objects(objects: list[bytes], version: str = "1.4") -> bytes:
    """A classic PDF file of these objects, numbered from 1 (the first one is the catalog), with
    its cross-reference table."""
    out = bytearray(f"%PDF-{version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def minimal_pdf(pages: int = 1, size: tuple[int, int] = (595, 842), text: str = "Lettre de mission") -> bytes:
    """A PDF written by hand, byte offsets counted, one short text line per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font_ref = 3 + 2 * pages
    for i in range(pages):
        content_ref = 4 + 2 * i
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
                       f"/Resources << /Font << /F1 {font_ref} 0 R >> >> /Contents {content_ref} 0 R >>".encode())
        stream = f"BT /F1 18 Tf 72 720 Td ({text} {i + 1}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_from_objects(objects)


def pdf_without_pages() -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = [len(out)]
    out += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    offsets.append(len(out))
    out += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdfium_pdf(pages: int = 2, size: tuple[float, float] = (612, 792)) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(*size)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def _pyhanko_writer(pages: int = 1):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter(stream_xrefs=False)
    for _ in range(pages):
        content = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (Seing) Tj ET"))
        page = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
            generic.NameObject("/Resources"): generic.DictionaryObject(),
            generic.NameObject("/Contents"): content,
        })
        writer.insert_page(page)
    return writer


def pyhanko_pdf(pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    _pyhanko_writer(pages).write(buffer)
    return buffer.getvalue()


def encrypted_pdf(user_password: str | None = "secret") -> bytes:
    """``user_password`` None: opens without a password but is still encrypted (owner restrictions)."""
    writer = _pyhanko_writer()
    writer.encrypt("owner-password", user_password or "")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def signed_pdf(content: bytes | None = None, *, certify: int | None = None, lock_all_fields: bool = False) -> bytes:
    """A PDF already carrying a signature, made with a throwaway self-signed key.

    ``certify``: a certification signature with that DocMDP level instead (1: no change allowed,
    2: form filling and signing, 3: annotations too). ``lock_all_fields``: an approval signature
    whose field locks every form field (FieldMDP /All).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Throwaway TEST")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    with tempfile.TemporaryDirectory() as tmp:
        key_path, cert_path = Path(tmp, "key.pem"), Path(tmp, "cert.pem")
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    from pyhanko.sign.fields import MDPPerm

    meta = signers.PdfSignatureMetadata(field_name="Signature1", certify=certify is not None,
                                        docmdp_permissions=MDPPerm(certify) if certify else MDPPerm.FILL_FORMS)
    from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, SigFieldSpec

    field = SigFieldSpec("Signature1", field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL)) if lock_all_fields else None
    output = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(content or minimal_pdf())), meta, signer=signer,
                              new_field_spec=field)
    return output.getvalue()


def qpdf_available() -> bool:
    return shutil.which("qpdf") is not None


def qpdf_rewrite(content: bytes, *args: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp, "in.pdf"), Path(tmp, "out.pdf")
        source.write_bytes(content)
        subprocess.run(["qpdf", *args, str(source), str(target)], check=True, capture_output=True, timeout=60)
        return target.read_bytes()


def linearized_pdf() -> bytes:
    return qpdf_rewrite(pdfium_pdf(pages=3), "--linearize")


def object_streams_pdf() -> bytes:
    return qpdf_rewrite(minimal_pdf(pages=2), "--object-streams=generate")


def truncated_pdf() -> bytes:
    whole = pdfium_pdf(pages=3)
    return whole[: len(whole) * 2 // 3]


def garbage_after_header() -> bytes:
    return b"%PDF-1.7\n" + bytes(range(256)) * 8


def png_image() -> bytes:
    """A real 2x2 PNG, the kind a user renames to .pdf."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# -- files made by tools nobody here wrote -----------------------------------------------------------
#
# Ghostscript and qpdf write the PDFs users bring (print-to-PDF drivers, scanners, archivers): their
# structures (XMP packets, object streams, linearisation, encryption) are what the intake must face.

_POSTSCRIPT_PAGES = """/Helvetica findfont 18 scalefont setfont
1 1 {pages} {{ 72 720 moveto (Lettre de mission, page ) show 3 string cvs show showpage }} for
"""

# PDF/A needs an output intent with an ICC profile; Ghostscript ships sRGB. The path is Debian's.
_SRGB_ICC = "/usr/share/color/icc/ghostscript/srgb.icc"
_PDFA_DEFINITION = """/ICCProfile ({icc}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[{{OutputIntent_PDFA}} << /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB) >> /PUT pdfmark
[{{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""


def ghostscript_available() -> bool:
    return shutil.which("gs") is not None and Path(_SRGB_ICC).exists()


def ghostscript_pdf(kind: str = "1.7", pages: int = 3) -> bytes:
    """Ghostscript's pdfwrite: ``kind`` is "1.7", "2.0" or "pdfa-2b"."""
    with tempfile.TemporaryDirectory() as tmp:
        program, target = Path(tmp, "pages.ps"), Path(tmp, "out.pdf")
        program.write_text(_POSTSCRIPT_PAGES.format(pages=pages))
        command = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={target}"]
        if kind == "pdfa-2b":
            definition = Path(tmp, "pdfa_def.ps")
            definition.write_text(_PDFA_DEFINITION.format(icc=_SRGB_ICC))
            command += ["-dPDFA=2", "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB",
                        f"--permit-file-read={Path(_SRGB_ICC).parent}/", str(definition)]
        else:
            command.append(f"-dCompatibilityLevel={kind}")
        subprocess.run([*command, str(program)], check=True, capture_output=True, timeout=120)
        return target.read_bytes()


_POSTSCRIPT_TEXT = """/Helvetica findfont 10 scalefont setfont
/line (Le client confie au cabinet la tenue de sa comptabilite et l'etablissement de ses comptes annuels.) def
1 1 {pages} {{ /p exch def
  /bottom p {pages} eq {{ 842 {last_fill} 770 mul sub }} {{ 36 }} ifelse def
  810 -12 bottom {{ 40 exch moveto line show }} for
  p {pages} eq {{ {footer} }} if
  showpage }} for
"""


def text_pdf(pages: int = 2, *, last_fill: float = 1.0, footer: bool = False) -> bytes:
    """Ghostscript pages of body text, line after line from the top to 36 pt from the bottom; the
    last page filled to ``last_fill`` (1.0: full, 0.5: its upper half), with a page-number footer
    centred at the bottom when ``footer``. What a long engagement letter printed to PDF looks like."""
    footer_ps = "/Helvetica findfont 8 scalefont setfont 280 20 moveto (Page finale) show" if footer else ""
    with tempfile.TemporaryDirectory() as tmp:
        program, target = Path(tmp, "text.ps"), Path(tmp, "out.pdf")
        program.write_text(_POSTSCRIPT_TEXT.format(pages=pages, last_fill=last_fill, footer=footer_ps),
                           encoding="latin-1")
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-sPAPERSIZE=a4",
                        "-dFIXEDMEDIA", f"-sOutputFile={target}", str(program)],
                       check=True, capture_output=True, timeout=120)
        return target.read_bytes()


def qpdf_encrypted_pdf() -> bytes:
    """AES-256, empty user password: opens without a password, owner restrictions apply."""
    return qpdf_rewrite(minimal_pdf(pages=2), "--encrypt", "", "owner-secret", "256", "--modify=none", "--")


def qdf_pdf() -> bytes:
    """qpdf's QDF form (uncompressed, normalised content), as people hand-edit PDFs."""
    return qpdf_rewrite(ghostscript_pdf("1.7", pages=2) if ghostscript_available() else minimal_pdf(pages=2),
                        "--qdf", "--object-streams=disable")


def incrementally_updated_pdf() -> bytes:
    """A PDF with a second revision (a new title and a changed page), appended as an incremental update."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(minimal_pdf(pages=2)))
    writer.set_info(generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject("Révisé")}))
    page = writer.root["/Pages"]["/Kids"][1].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def acroform_pdf() -> bytes:
    """A form with a filled text field and a check box, written by hand with its own /AcroForm."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R] /DA (/Helv 0 Tf 0 g) "
        b"/DR << /Font << /Helv 6 0 R >> >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R] /Contents 7 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Nom) /V (Jessica Poussart) /Rect [72 600 300 620] "
        b"/P 3 0 R /F 4 /DA (/Helv 12 Tf 0 g) >>",
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (Accord) /V /Off /AS /Off /Rect [72 560 86 574] "
        b"/P 3 0 R /F 4 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    content = b"BT /F1 14 Tf 72 720 Td (Formulaire) Tj ET"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    return pdf_from_objects(objects, version='1.7')


# Poppler (cairo backend), img2pdf, LibreOffice: more writers of the PDFs clients bring. -----------

def poppler_available() -> bool:
    return all(shutil.which(tool) for tool in ("pdftocairo", "pdfunite", "pdfseparate"))


def _run_tool(command: list[str], cwd: str, timeout: int = 120) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=timeout, cwd=cwd)


def cairo_pdf() -> bytes:
    """Poppler's pdftocairo rewriting a PDF through cairo's PDF surface (what GNOME's "print to
    file" writes): cairo's own object layout, fonts re-embedded as subsets."""
    source = ghostscript_pdf("1.7", pages=2) if ghostscript_available() else minimal_pdf(pages=2)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "in.pdf").write_bytes(source)
        _run_tool(["pdftocairo", "-pdf", "in.pdf", "out.pdf"], tmp)
        return Path(tmp, "out.pdf").read_bytes()


def mixed_sizes_rotated_pdf() -> bytes:
    """Pages of three sizes (A4 portrait, US Letter landscape, A5) split by pdfseparate and joined
    by pdfunite, then pages 2 and 3 turned by qpdf (/Rotate 90 and 270)."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a4.pdf").write_bytes(minimal_pdf(pages=2, size=(595, 842)))
        Path(tmp, "letter.pdf").write_bytes(pdfium_pdf(pages=1, size=(792, 612)))
        Path(tmp, "a5.pdf").write_bytes(minimal_pdf(pages=1, size=(420, 595), text="Annexe"))
        _run_tool(["pdfseparate", "-f", "1", "-l", "1", "a4.pdf", "a4-page-%d.pdf"], tmp)
        _run_tool(["pdfunite", "a4-page-1.pdf", "letter.pdf", "a5.pdf", "joined.pdf"], tmp)
        joined = Path(tmp, "joined.pdf").read_bytes()
    if qpdf_available():
        # pdfunite writes a trailer /Size smaller than its highest object number: qpdf warns, and
        # keeps it as found (the quirk is part of what the intake must face).
        return qpdf_rewrite(joined, "--warning-exit-0", "--rotate=+90:2", "--rotate=+270:3")
    return joined


def img2pdf_available() -> bool:
    return shutil.which("img2pdf") is not None


def scan_png(width: int = 413, height: int = 584) -> bytes:
    """A grey "scanned page": paper noise and dark text-like bars, as a flatbed scanner gives."""
    import random

    rng = random.Random(12)
    rows = []
    for y in range(height):
        line = bytearray(rng.randrange(225, 256) for _ in range(width))
        if y % 24 < 8 and 60 < y < height - 80:
            for x in range(60, 60 + rng.randrange(200, width - 120)):
                line[x] = rng.randrange(0, 70)
        rows.append(b"\x00" + bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def img2pdf_scan_pdf() -> bytes:
    """A scanned page as scanner software makes it: one image per page, wrapped by img2pdf on A4."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "scan-1.png").write_bytes(scan_png())
        Path(tmp, "scan-2.png").write_bytes(scan_png(584, 413))
        _run_tool(["img2pdf", "--pagesize", "A4", "-o", "out.pdf", "scan-1.png", "scan-2.png"], tmp)
        return Path(tmp, "out.pdf").read_bytes()


def ghostscript_scan_pdf() -> bytes:
    """A scanned page through Ghostscript: the image drawn by PostScript, written by pdfwrite as
    a DCT (JPEG) image, the way print-to-PDF drivers store photos and scans."""
    width, height = 310, 438
    import random

    rng = random.Random(7)
    samples = bytes(rng.randrange(200, 256) if (y % 20) > 6 else rng.randrange(0, 90)
                    for y in range(height) for _ in range(width))
    program = (f"/picstr {width} string def 40 60 translate 515 727 scale\n"
               f"{width} {height} 8 [{width} 0 0 -{height} 0 {height}]\n"
               "currentfile /ASCIIHexDecode filter image\n" + samples.hex() + ">\nshowpage\n")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "scan.ps").write_text(program)
        _run_tool(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-sPAPERSIZE=a4",
                   "-dAutoFilterGrayImages=false", "-sGrayImageFilter=DCTEncode", "-sOutputFile=out.pdf",
                   "scan.ps"], tmp)
        return Path(tmp, "out.pdf").read_bytes()


def libreoffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:body><office:text>
  <text:h text:outline-level="1">Lettre de mission</text:h>
  <text:p>Le cabinet accepte la mission de tenue comptable décrite ci-dessous.</text:p>
  <table:table table:name="Honoraires"><table:table-column table:number-columns-repeated="2"/>
   <table:table-row><table:table-cell><text:p>Tenue</text:p></table:table-cell>
    <table:table-cell><text:p>1 200 €</text:p></table:table-cell></table:table-row>
  </table:table>
  <text:p>Fait à Lyon.</text:p>
 </office:text></office:body>
</office:document>
"""


def libreoffice_pdf() -> bytes:
    """LibreOffice Writer's PDF export of a letter with a table (its own profile, in a temporary
    directory, so that it neither reads nor writes the user's)."""
    binary = libreoffice_binary()
    assert binary is not None
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "lettre.fodt").write_text(_FODT, encoding="utf-8")
        _run_tool([binary, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", tmp, "lettre.fodt"], tmp, timeout=180)
        return Path(tmp, "lettre.pdf").read_bytes()
