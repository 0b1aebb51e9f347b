from __future__ import annotations

import io

import pytest

from adapters.system.clock import SystemClock
from ports.contracts.pdf_signing import PdfSigningContract
from tests.signing.pdfs import encrypted_pdf_bytes, pdf_bytes


class _Documents:
    def sample_pdf(self, pages=1):
        return pdf_bytes(pages)

    def encrypted_pdf(self):
        return encrypted_pdf_bytes()


class TestFakePdfSigning(_Documents, PdfSigningContract):
    def make_adapter(self):
        from adapters.memory.pdf_signing import FakePdfSigning

        return FakePdfSigning()

    def identity(self):
        from ports.pdf_signing import SigningIdentity

        return SigningIdentity(key_ref="fake-key", certificate=b"fake-cert")

    def batch_signer(self, identity):
        class Values:
            def sign_digests(self, digests, hash_algorithm):
                return [b"fake-signature" for _ in digests]

        return Values()

    def signature_fields(self, pdf):
        from adapters.memory.pdf_signing import FakePdfSigning

        return FakePdfSigning.signature_fields(pdf)


class TestPyHankoPdfSigning(_Documents, PdfSigningContract):
    @pytest.fixture(autouse=True)
    def _bind(self, signing, identity, vault):
        self._signing, self._identity, self._vault = signing, identity, vault

    def make_adapter(self):
        return self._signing

    def identity(self):
        return self._identity

    def batch_signer(self, identity):
        vault = self._vault

        class VaultValues:
            def sign_digests(self, digests, hash_algorithm):
                return [vault.sign_digest(identity.key_ref, d, hash_algorithm) for d in digests]

        return VaultValues()

    def signature_fields(self, pdf):
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.fields import enumerate_sig_fields

        reader = PdfFileReader(io.BytesIO(pdf))
        return [(name, value is not None) for name, value, _ in enumerate_sig_fields(reader)]


@pytest.fixture(scope="module")
def pdf_pool():
    from adapters.isolation.pool import BoundedProcessPool

    pool = BoundedProcessPool(workers=1, memory_mb=768, cpu_seconds=20, timeout_seconds=20,
                              preload=("adapters.signing.pyhanko_signing",))
    yield pool
    pool.close()


class TestPyHankoPdfSigningWithItsDryRunInAWorker(TestPyHankoPdfSigning):
    """Production wiring: ``check_signable`` runs in a bounded worker; its refusals come back typed."""

    @pytest.fixture(autouse=True)
    def _bind(self, vault, tsa, revocation, identity, pdf_pool):
        from adapters.signing.pyhanko_signing import PyHankoPdfSigning

        self._signing = PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation,
                                          isolation=pdf_pool, clock=SystemClock())
        self._identity, self._vault = identity, vault


class TestPyHankoPdfSigningInAProcessPool(TestPyHankoPdfSigning):
    """Signatures in worker processes, each with its own adapter; the dry run stays with the local one."""

    @pytest.fixture(autouse=True)
    def _bind(self, vault, tsa, revocation, identity, signing):
        from adapters.signing.process_pool import ProcessPoolPdfSigning
        from adapters.signing.pyhanko_signing import PyHankoPdfSigning

        def factory():
            return PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation,
                                     clock=SystemClock())

        # fork: the workers inherit the test's in-memory key vault (production workers build their own
        # adapter from the settings, through the forkserver).
        pool = ProcessPoolPdfSigning(factory=factory, local=signing, workers=1, start_method="fork")
        self._signing, self._identity, self._vault = pool, identity, vault
        yield
        pool.close()

    def test_the_signature_is_made_in_another_process(self, tmp_path):
        import os

        from tests.signing.pdfs import pdf_file

        assert self._signing._pool().submit(os.getpid).result() != os.getpid()
        source = pdf_file(tmp_path / "in.pdf")
        self._signing.sign_file(source, tmp_path / "out.pdf", self._request())
        assert self.signature_fields((tmp_path / "out.pdf").read_bytes()) == [("Signature1", True)]
