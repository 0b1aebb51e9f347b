from __future__ import annotations

import io

import pytest

from adapters.memory.pdf_signing import FakePdfSigning
from ports.contracts.pdf_signing import PdfSigningContract
from tests.signing.pdfs import encrypted_pdf_bytes, pdf_bytes


class _Documents:
    def sample_pdf(self, pages=1):
        return pdf_bytes(pages)

    def encrypted_pdf(self):
        return encrypted_pdf_bytes()


class TestFakePdfSigning(_Documents, PdfSigningContract):
    def make_adapter(self):
        return FakePdfSigning()

    def identity(self):
        from ports.pdf_signing import SigningIdentity

        return SigningIdentity(key_ref="fake-key", certificate=b"fake-cert")

    def signature_fields(self, pdf):
        return FakePdfSigning.signature_fields(pdf)


class TestPyHankoPdfSigning(_Documents, PdfSigningContract):
    @pytest.fixture(autouse=True)
    def _bind(self, signing, identity):
        self._signing, self._identity = signing, identity

    def make_adapter(self):
        return self._signing

    def identity(self):
        return self._identity

    def signature_fields(self, pdf):
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.fields import enumerate_sig_fields

        reader = PdfFileReader(io.BytesIO(pdf))
        return [(name, value is not None) for name, value, _ in enumerate_sig_fields(reader)]
