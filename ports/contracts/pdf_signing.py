"""Contract suite for ``PdfSigning``.

Hooks: ``make_adapter()``; ``identity()`` (a SigningIdentity the adapter can sign with);
``batch_signer(identity)`` (a BatchDigestSigner making that identity's signature values without
its ``key_ref``, for ``sign_documents_together``);
``sample_pdf(pages)`` and ``encrypted_pdf()`` (input documents); ``signature_fields(pdf)``
(the document's signature fields in order, as (name, signed) pairs — read with whatever
parser suits the adapter). ``PausedPdfSigningContract``, for adapters that also keep a signature
half made, takes the same hooks. Cryptographic validity is for each adapter's own tests with
independent validators; this suite checks the behaviour callers rely on.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import BinaryIO, Sequence

from attrs import evolve

from domain.model.archive import TimestampFacts
from domain.model.document import DocumentRef
from domain.model.errors import BrokenPdf, EncryptedPdf, InvalidPdf, NotAPdf, NotFound, SigningFailed
from ports.pdf_signing import (
    Box,
    PadesLevel,
    PausedPdfSigning,
    PdfSigning,
    PreparedSignature,
    SignatureField,
    SignaturePage,
    SignatureRequest,
    SigningIdentity,
)
from ports.remote_signing import BatchDigestSigner


class ScratchStore:
    """A DocumentStore in a dict, for the suite: the port works on stored documents."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        data = bytes(content) if isinstance(content, (bytes, bytearray, memoryview)) else content.read()
        ref = DocumentRef(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        self.blobs.setdefault(ref.sha256, data)
        return ref

    def open(self, sha256: str) -> BinaryIO:
        try:
            return io.BytesIO(self.blobs[sha256])
        except KeyError:
            raise NotFound(sha256) from None

    def read(self, sha256: str) -> bytes:
        return self.open(sha256).read()

    def exists(self, sha256: str) -> bool:
        return sha256 in self.blobs

    def delete(self, sha256: str) -> None:
        self.blobs.pop(sha256, None)


class BytesOnly:
    """The port's stored-document operations on bytes: what tests hold. Nothing else uses this."""

    def __init__(self, signing: PdfSigning) -> None:
        self.signing = signing
        self.store = ScratchStore()

    def __getattr__(self, name: str) -> object:  # the rest of the adapter, as it is
        return getattr(self.signing, name)

    def sign(self, pdf: bytes, request: SignatureRequest) -> bytes:
        return self.store.read(self.signing.sign_document(self.store, self.store.put(pdf).sha256, request).sha256)

    def timestamp(self, pdf: bytes) -> bytes:
        return self.store.read(self.signing.timestamp_document(self.store, self.store.put(pdf).sha256).sha256)

    def create_fields(self, pdf: bytes, fields: Sequence[SignatureField]) -> bytes:
        ref = self.signing.create_fields_document(self.store, self.store.put(pdf).sha256, fields)
        return self.store.read(ref.sha256)

    def last_document_timestamp(self, pdf: bytes) -> TimestampFacts | None:
        return self.signing.last_document_timestamp(self.store, self.store.put(pdf).sha256)

    def append_signature_page(self, pdf: bytes, page: SignaturePage) -> bytes:
        ref = self.signing.append_signature_page_document(self.store, self.store.put(pdf).sha256, page)
        return self.store.read(ref.sha256)


class CountingBatch:
    """A BatchDigestSigner that records how many digests each call carried."""

    def __init__(self, inner: BatchDigestSigner) -> None:
        self.inner = inner
        self.calls: list[int] = []

    def sign_digests(self, digests: Sequence[bytes], hash_algorithm: str) -> list[bytes]:
        self.calls.append(len(digests))
        return self.inner.sign_digests(digests, hash_algorithm)


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

    def batch_signer(self, identity: SigningIdentity) -> BatchDigestSigner:
        raise NotImplementedError

    def _request(self, level: PadesLevel = PadesLevel.B_B, field_name: str = "Signature1") -> SignatureRequest:
        return SignatureRequest(identity=self.identity(), level=level, field_name=field_name)

    def _bytes(self) -> BytesOnly:
        return BytesOnly(self.make_adapter())

    def test_adapter_is_a_pdf_signing(self) -> None:
        assert isinstance(self.make_adapter(), PdfSigning)

    def test_signing_a_stored_document_stores_the_signed_copy_and_keeps_the_original(self) -> None:
        store = ScratchStore()
        original = self.sample_pdf()
        ref = store.put(original)
        signed_ref = self.make_adapter().sign_document(store, ref.sha256, self._request())
        signed = store.read(signed_ref.sha256)
        assert signed_ref.size == len(signed) and signed_ref.sha256 == hashlib.sha256(signed).hexdigest()
        assert store.read(ref.sha256) == original
        assert signed.startswith(original)
        assert self.signature_fields(signed) == [("Signature1", True)]

    def _together(self) -> tuple[SigningIdentity, CountingBatch]:
        identity = self.identity()
        remote_identity = SigningIdentity(key_ref=None, certificate=identity.certificate, chain=identity.chain)
        return remote_identity, CountingBatch(self.batch_signer(identity))

    def test_documents_signed_together_ask_for_every_value_in_one_call(self) -> None:
        identity, batch = self._together()
        store = ScratchStore()
        originals = [self.sample_pdf(1), self.sample_pdf(2)]
        refs = [store.put(pdf) for pdf in originals]
        request = SignatureRequest(identity=identity, level=PadesLevel.B_B, field_name="Signature1")
        signed = self.make_adapter().sign_documents_together(store, [(r.sha256, request) for r in refs], batch)
        assert batch.calls == [2]  # one call, both digests
        assert len(signed) == 2
        for original, ref, signed_ref in zip(originals, refs, signed, strict=True):
            data = store.read(signed_ref.sha256)
            assert data.startswith(original) and store.read(ref.sha256) == original
            assert self.signature_fields(data) == [("Signature1", True)]

    def test_a_document_refused_in_the_first_phase_stops_the_batch_before_the_signer(self) -> None:
        identity, batch = self._together()
        store = ScratchStore()
        good, bad = store.put(self.sample_pdf()), store.put(b"not a pdf at all")
        request = SignatureRequest(identity=identity, level=PadesLevel.B_B, field_name="Signature1")
        try:
            self.make_adapter().sign_documents_together(store, [(good.sha256, request), (bad.sha256, request)], batch)
        except InvalidPdf:
            pass
        else:
            raise AssertionError("signed a batch with a document that is not a PDF")
        assert batch.calls == []

    def test_signing_an_absent_document_is_not_found(self) -> None:
        try:
            self.make_adapter().sign_document(ScratchStore(), hashlib.sha256(b"absent").hexdigest(), self._request())
        except NotFound:
            pass
        else:
            raise AssertionError("signed a document that is not stored")

    def test_each_level_signs(self) -> None:
        signing = self._bytes()
        for level in PadesLevel:
            signed = signing.sign(self.sample_pdf(), self._request(level))
            # B-LTA adds a document timestamp, which some parsers list as a field too.
            assert self.signature_fields(signed)[0] == ("Signature1", True), level

    def test_a_later_signature_keeps_the_earlier_one(self) -> None:
        signing = self._bytes()
        first = signing.sign(self.sample_pdf(), self._request(field_name="Client"))
        second = signing.sign(first, self._request(field_name="Expert"))
        assert second.startswith(first)
        assert self.signature_fields(second) == [("Client", True), ("Expert", True)]

    def test_fields_created_in_advance_are_filled_in_place(self) -> None:
        signing = self._bytes()
        prepared = signing.create_fields(
            self.sample_pdf(2),
            [SignatureField("Client", Box(1, 50, 50, 200, 60)), SignatureField("Expert", None)],
        )
        assert self.signature_fields(prepared) == [("Client", False), ("Expert", False)]
        signed = signing.sign(prepared, self._request(field_name="Expert"))
        assert self.signature_fields(signed) == [("Client", False), ("Expert", True)]

    def test_a_signature_page_is_an_update_whose_boxes_are_then_signed(self) -> None:
        signing = self._bytes()
        original = self.sample_pdf(2)
        extended = signing.append_signature_page(original, SignaturePage(width=595, height=842,
                                                                          document_name="Lettre (été).pdf",
                                                                          header_height=96))
        assert extended.startswith(original) and len(extended) > len(original)
        prepared = signing.create_fields(extended, [SignatureField("Client", Box(2, 36, 600, 180, 60))])
        signed = signing.sign(prepared, self._request(field_name="Client"))
        assert self.signature_fields(signed) == [("Client", True)], self.signature_fields(signed)

    def test_document_timestamp_is_an_update(self) -> None:
        signing = self._bytes()
        signed = signing.sign(self.sample_pdf(), self._request())
        stamped = signing.timestamp(signed)
        assert stamped.startswith(signed) and len(stamped) > len(signed)
        assert ("Signature1", True) in self.signature_fields(stamped)

    def test_the_last_document_timestamp_tells_what_its_proof_rests_on(self) -> None:
        signing = self._bytes()
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
            store = ScratchStore()
            ref = store.put(content)
            try:
                signing.sign_document(store, ref.sha256, self._request(PadesLevel.B_T))
            except InvalidPdf as refused:
                assert isinstance(refused, error) and refused.code == code, (refused, code)
            else:
                raise AssertionError(f"{code}: the stored document was signed anyway")
            assert list(store.blobs) == [ref.sha256], code

    def test_a_good_pdf_passes_the_check(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in.pdf"
            source.write_bytes(self.sample_pdf(2))
            self.make_adapter().check_signable_file(source)
        self.make_adapter().check_signable(self.sample_pdf(2))

    def test_a_malformed_xmp_packet_stops_neither_fields_nor_signatures(self) -> None:
        # Ghostscript's PDF 2.0 output, reduced (an XMP attribute value without quotes), and a
        # packet beyond any repair.
        signing = self._bytes()
        for original in (pdf_with_malformed_xmp(), pdf_with_malformed_xmp(b"<x:xmpmeta><rdf:RDF></x:xmpmeta")):
            signing.signing.check_signable(original)
            prepared = signing.create_fields(original, [SignatureField("Client", Box(0, 50, 50, 200, 60))])
            assert prepared.startswith(original)
            signed = signing.sign(prepared, self._request(PadesLevel.B_LTA, field_name="Client"))
            assert self.signature_fields(signed)[0] == ("Client", True)


class PausedPdfSigningContract:
    """Two phases that may run in different adapter instances: prepare (the digests fixed, the
    prepared PDFs stored), then, with values obtained elsewhere for exactly those digests, finish."""

    def make_adapter(self) -> PdfSigning:
        raise NotImplementedError

    def identity(self) -> SigningIdentity:
        raise NotImplementedError

    def sample_pdf(self, pages: int = 1) -> bytes:
        raise NotImplementedError

    def signature_fields(self, pdf: bytes) -> list[tuple[str, bool]]:
        raise NotImplementedError

    def batch_signer(self, identity: SigningIdentity) -> BatchDigestSigner:
        raise NotImplementedError

    def _paused(self) -> PausedPdfSigning:
        adapter = self.make_adapter()
        assert isinstance(adapter, PausedPdfSigning)
        return adapter

    def _prepared(self, store: ScratchStore, count: int = 2) -> tuple[
            list[bytes], list[str], list[SignatureRequest], list[PreparedSignature]]:
        identity = self.identity()
        remote = SigningIdentity(key_ref=None, certificate=identity.certificate, chain=identity.chain)
        originals = [self.sample_pdf(n + 1) for n in range(count)]
        bases = [store.put(pdf).sha256 for pdf in originals]
        requests = [SignatureRequest(identity=remote, level=PadesLevel.B_B, field_name="Signature1")] * count
        prepared = self._paused().prepare_documents(store, list(zip(bases, requests, strict=True)))
        return originals, bases, requests, prepared

    def _values(self, prepared: list[PreparedSignature]) -> list[bytes]:
        (algorithm,) = {p.hash_algorithm for p in prepared}
        return self.batch_signer(self.identity()).sign_digests([p.digest for p in prepared], algorithm)

    def test_prepared_documents_are_finished_later_with_the_values_for_their_digests(self) -> None:
        store = ScratchStore()
        originals, bases, requests, prepared = self._prepared(store)
        assert [p.base for p in prepared] == bases
        assert all(store.exists(p.prepared) and p.prepared not in bases for p in prepared)
        assert len({p.digest for p in prepared}) == 2
        values = self._values(prepared)
        # Another instance (another request, another process) finishes: nothing kept in memory.
        refs = self._paused().finish_documents(store, list(zip(prepared, requests, strict=True)), values)
        assert len(refs) == 2
        for original, ref in zip(originals, refs, strict=True):
            signed = store.read(ref.sha256)
            assert signed.startswith(original)
            assert self.signature_fields(signed) == [("Signature1", True)]

    def test_a_value_not_made_for_its_digest_is_refused_and_nothing_is_stored(self) -> None:
        store = ScratchStore()
        _originals, _bases, requests, prepared = self._prepared(store)
        values = self._values(prepared)
        kept = set(store.blobs)
        try:  # each value is the other document's
            self._paused().finish_documents(store, list(zip(prepared, requests, strict=True)), list(reversed(values)))
        except SigningFailed:
            pass
        else:
            raise AssertionError("finished with values made for other digests")
        assert set(store.blobs) == kept

    def test_a_prepared_file_changed_since_is_refused(self) -> None:
        store = ScratchStore()
        _originals, _bases, requests, prepared = self._prepared(store, count=1)
        values = self._values(prepared)
        data = bytearray(store.read(prepared[0].prepared))
        assert prepared[0].reserved_start > 10
        data[10] ^= 0x01  # one bit, where the /ByteRange covers it
        tampered = evolve(prepared[0], prepared=store.put(bytes(data)).sha256)
        kept = set(store.blobs)
        try:
            self._paused().finish_documents(store, [(tampered, requests[0])], values)
        except SigningFailed:
            pass
        else:
            raise AssertionError("finished a prepared PDF that is not the one prepared")
        assert set(store.blobs) == kept

    def test_what_is_not_a_pdf_is_refused_before_anything_is_prepared(self) -> None:
        store = ScratchStore()
        identity = self.identity()
        request = SignatureRequest(identity=SigningIdentity(key_ref=None, certificate=identity.certificate,
                                                            chain=identity.chain),
                                   level=PadesLevel.B_B, field_name="Signature1")
        bad = store.put(b"PK\x03\x04 not a pdf at all" * 20)
        try:
            self._paused().prepare_documents(store, [(bad.sha256, request)])
        except InvalidPdf:
            pass
        else:
            raise AssertionError("prepared a signature on what is not a PDF")
        assert list(store.blobs) == [bad.sha256]


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
