"""Contract suite for ``PdfSigning``.

Hooks: ``make_adapter()``; ``identity()`` (a SigningIdentity the adapter can sign with);
``sample_pdf(pages)`` and ``encrypted_pdf()`` (input documents); ``signature_fields(pdf)``
(the document's signature fields in order, as (name, signed) pairs — read with whatever
parser suits the adapter). Cryptographic validity is for each adapter's own tests with
independent validators; this suite checks the behaviour callers rely on.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from domain.model.errors import BrokenPdf, EncryptedPdf, InvalidPdf, NotAPdf
from ports.pdf_signing import Box, PadesLevel, PdfSigning, SignatureField, SignatureRequest, SigningIdentity


class PdfSigningContract:
    def make_adapter(self) -> PdfSigning:
        raise NotImplementedError

    def identity(self) -> SigningIdentity:
        raise NotImplementedError

    def sample_pdf(self, pages: int = 1) -> bytes:
        raise NotImplementedError

    def encrypted_pdf(self) -> bytes:
        raise NotImplementedError

    def signature_fields(self, pdf: bytes) -> list[tuple[str, bool]]:
        raise NotImplementedError

    def _request(self, level: PadesLevel = PadesLevel.B_B, field_name: str = "Signature1") -> SignatureRequest:
        return SignatureRequest(identity=self.identity(), level=level, field_name=field_name)

    def test_adapter_is_a_pdf_signing(self) -> None:
        assert isinstance(self.make_adapter(), PdfSigning)

    def test_signing_appends_an_update_and_fills_one_field(self) -> None:
        original = self.sample_pdf()
        signed = self.make_adapter().sign(original, self._request())
        assert signed.startswith(original)
        assert self.signature_fields(signed) == [("Signature1", True)]

    def test_each_level_signs(self) -> None:
        signing = self.make_adapter()
        for level in PadesLevel:
            signed = signing.sign(self.sample_pdf(), self._request(level))
            # B-LTA adds a document timestamp, which some parsers list as a field too.
            assert self.signature_fields(signed)[0] == ("Signature1", True), level

    def test_a_later_signature_keeps_the_earlier_one(self) -> None:
        signing = self.make_adapter()
        first = signing.sign(self.sample_pdf(), self._request(field_name="Client"))
        second = signing.sign(first, self._request(field_name="Expert"))
        assert second.startswith(first)
        assert self.signature_fields(second) == [("Client", True), ("Expert", True)]

    def test_fields_created_in_advance_are_filled_in_place(self) -> None:
        signing = self.make_adapter()
        prepared = signing.create_fields(
            self.sample_pdf(2),
            [SignatureField("Client", Box(1, 50, 50, 200, 60)), SignatureField("Expert", None)],
        )
        assert self.signature_fields(prepared) == [("Client", False), ("Expert", False)]
        signed = signing.sign(prepared, self._request(field_name="Expert"))
        assert self.signature_fields(signed) == [("Client", False), ("Expert", True)]

    def test_document_timestamp_is_an_update(self) -> None:
        signing = self.make_adapter()
        signed = signing.sign(self.sample_pdf(), self._request())
        stamped = signing.timestamp(signed)
        assert stamped.startswith(signed) and len(stamped) > len(signed)
        assert ("Signature1", True) in self.signature_fields(stamped)

    def test_the_last_document_timestamp_tells_what_its_proof_rests_on(self) -> None:
        signing = self.make_adapter()
        signed = signing.sign(self.sample_pdf(), self._request())
        assert signing.last_document_timestamp(signed) is None
        stamped = signing.timestamp(signed)
        facts = signing.last_document_timestamp(stamped)
        assert facts is not None
        assert facts.certificate_ends and all(end > facts.stamped_at for end in facts.certificate_ends)
        assert "sha256" in facts.algorithms and len(facts.algorithms) >= 2
        again = signing.last_document_timestamp(signing.timestamp(stamped))
        assert again is not None and again.stamped_at >= facts.stamped_at

    def test_files_in_files_out(self) -> None:
        signing = self.make_adapter()
        with tempfile.TemporaryDirectory() as tmp:
            source, destination = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
            source.write_bytes(self.sample_pdf(3))
            signing.sign_file(source, destination, self._request())
            assert self.signature_fields(destination.read_bytes()) == [("Signature1", True)]
            assert sorted(p.name for p in Path(tmp).iterdir()) == ["in.pdf", "out.pdf"]

    def test_bad_input_is_refused_with_a_code_and_leaves_no_file(self) -> None:
        signing = self.make_adapter()
        cases = [
            (b"PK\x03\x04 not a pdf at all" * 20, NotAPdf, "pdf.not_pdf"),
            (self.encrypted_pdf(), EncryptedPdf, "pdf.encrypted"),
            (self.sample_pdf(3)[:-300], BrokenPdf, "pdf.broken"),
        ]
        for content, error, code in cases:
            with tempfile.TemporaryDirectory() as tmp:
                source, destination = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
                source.write_bytes(content)
                try:
                    signing.sign_file(source, destination, self._request(PadesLevel.B_T))
                except InvalidPdf as refused:
                    assert isinstance(refused, error) and refused.code == code, (refused, code)
                else:
                    raise AssertionError(f"{code}: signed anyway")
                assert [p.name for p in Path(tmp).iterdir()] == ["in.pdf"], code
                try:
                    signing.check_signable_file(source)
                except InvalidPdf as refused:
                    assert refused.code == code, (refused, code)
                else:
                    raise AssertionError(f"{code}: the check let it through")
                try:
                    signing.check_signable(content)
                except InvalidPdf as refused:
                    assert refused.code == code, (refused, code)
                else:
                    raise AssertionError(f"{code}: the check on bytes let it through")

    def test_a_good_pdf_passes_the_check(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in.pdf"
            source.write_bytes(self.sample_pdf(2))
            self.make_adapter().check_signable_file(source)
        self.make_adapter().check_signable(self.sample_pdf(2))

    def test_a_malformed_xmp_packet_stops_neither_fields_nor_signatures(self) -> None:
        # Ghostscript's PDF 2.0 output, reduced (an XMP attribute value without quotes), and a
        # packet beyond any repair.
        signing = self.make_adapter()
        for original in (pdf_with_malformed_xmp(), pdf_with_malformed_xmp(b"<x:xmpmeta><rdf:RDF></x:xmpmeta")):
            signing.check_signable(original)
            prepared = signing.create_fields(original, [SignatureField("Client", Box(0, 50, 50, 200, 60))])
            assert prepared.startswith(original)
            signed = signing.sign(prepared, self._request(PadesLevel.B_LTA, field_name="Client"))
            assert self.signature_fields(signed)[0] == ("Client", True)


def pdf_with_malformed_xmp(packet: bytes | None = None) -> bytes:
    """A one-page PDF 2.0 whose XMP packet is not well-formed XML, written by hand."""
    packet = packet or (
        b"<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>\n"
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>\n"
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n"
        b"<rdf:Description rdf:about=\"\" xmlns:pdf='http://ns.adobe.com/pdf/1.3/' pdf:Producer=UnknownProducer/>\n"
        b"<rdf:Description rdf:about=\"\" xmlns:dc='http://purl.org/dc/elements/1.1/' dc:format='application/pdf'>"
        b"<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Lettre</rdf:li></rdf:Alt></dc:title></rdf:Description>\n"
        b"</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end='w'?>"
    )
    content = b"BT /F1 18 Tf 72 720 Td (Lettre) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet) + packet + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-2.0\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /ID [<00112233445566778899aabbccddeeff> " % (len(objects) + 1)
    out += b"<00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
