from __future__ import annotations

import io

import pytest

from adapters.system.clock import SystemClock
from ports.contracts.pdf_signing import PausedPdfSigningContract, PdfSigningContract
from tests.signing.pdfs import encrypted_pdf_bytes, pdf_bytes


class _Documents:
    def sample_pdf(self, pages=1):
        return pdf_bytes(pages)

    def encrypted_pdf(self):
        return encrypted_pdf_bytes()


def _self_signed():
    """A key and its self-signed certificate: the fake checks values against the certificate."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake Signer")])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=36500))
                   .sign(key, hashes.SHA256()))
    return key, certificate.public_bytes(serialization.Encoding.DER)


_FAKE_KEY, _FAKE_CERTIFICATE = _self_signed()


class TestFakePdfSigning(_Documents, PdfSigningContract, PausedPdfSigningContract):
    def make_adapter(self):
        from adapters.memory.pdf_signing import FakePdfSigning

        return FakePdfSigning()

    def identity(self):
        from ports.pdf_signing import SigningIdentity

        return SigningIdentity(key_ref="fake-key", certificate=_FAKE_CERTIFICATE)

    def batch_signer(self, identity):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        class Values:
            def sign_digests(self, digests, hash_algorithm):
                algorithm = ec.ECDSA(Prehashed(getattr(hashes, hash_algorithm.upper())()))
                return [_FAKE_KEY.sign(d, algorithm) for d in digests]

        return Values()

    def signature_fields(self, pdf):
        from adapters.memory.pdf_signing import FakePdfSigning

        return FakePdfSigning.signature_fields(pdf)


class TestPyHankoPdfSigning(_Documents, PdfSigningContract, PausedPdfSigningContract):
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
