"""A certificate that signs again and again (the platform seal, a member's certificate) has its
validated path reused at B-LT while the revocation data fetched for each signature still vouches
for it (adapters/signing/pyhanko_signing.py, ``_KnownPaths``); a revoked one is refused as before."""

from __future__ import annotations

import io
import itertools

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.signing import pyhanko_signing
from adapters.signing.pyhanko_signing import PyHankoPdfSigning, _KnownPaths
from domain.model.errors import SigningCertificateRejected
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.conftest import SystemClock
from tests.signing.pdfs import pdf_file
from tests.signing.test_pdf_signing import _check_lt

_names = (f"Signataire{''.join(letters)}" for letters in itertools.product("abcdefghij", repeat=3))


@pytest.fixture
def signing(vault, tsa, revocation):
    """An adapter of this test's own: its known paths start empty."""
    return PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=revocation, clock=SystemClock())


@pytest.fixture
def validations(monkeypatch):
    """How many times pyHanko validated a signer's path before signing."""
    counted = []
    original = pyhanko_signing._pyhanko_presign_signer_validation

    async def counting(session, context, key_usage):
        counted.append(session.pdf_signer.signer.signing_cert.subject.human_friendly)
        return await original(session, context, key_usage)

    monkeypatch.setattr(pyhanko_signing, "_pyhanko_presign_signer_validation", counting)
    return counted


def _sign(signing, identity, tmp_path, name: str, level=PadesLevel.B_LT) -> bytes:
    source = pdf_file(tmp_path / f"{name}-in.pdf")
    out = tmp_path / f"{name}.pdf"
    signing.sign_file(source, out, SignatureRequest(identity=identity, level=level))
    return out.read_bytes()


def test_a_certificate_signing_again_is_not_validated_again_and_its_file_still_holds_its_proof(
        signing, pki, tmp_path, validations):
    identity = pki.identity(pki.issue_signer("Sceau", next(_names)))
    files = [_sign(signing, identity, tmp_path, f"s{i}") for i in range(4)]
    # Met once, a certificate may be a one-time one: its path is remembered from its second signature.
    assert len(validations) == 2
    for signed in files:
        _check_lt(pki, signed)  # offline: the file's own OCSP responses and CRLs, as each fetched them
        dss = PdfFileReader(io.BytesIO(signed)).root["/DSS"]
        assert len(dss["/OCSPs"]) >= 1 and len(dss["/CRLs"]) >= 1


def test_a_certificate_revoked_after_its_path_was_remembered_is_refused(signing, pki, tmp_path, validations):
    issued = pki.issue_signer("Sceau", next(_names))
    identity = pki.identity(issued)
    _sign(signing, identity, tmp_path, "first")
    _sign(signing, identity, tmp_path, "second")
    pki.revoke(issued)
    with pytest.raises(SigningCertificateRejected):
        _sign(signing, identity, tmp_path, "third")
    assert not (tmp_path / "third.pdf").exists()
    assert len(validations) == 3  # the fresh OCSP response said "revoked": pyHanko validated, and refused


def test_a_remembered_path_is_validated_again_once_its_time_is_up(signing, pki, tmp_path, validations, monkeypatch):
    identity = pki.identity(pki.issue_signer("Sceau", next(_names)))
    _sign(signing, identity, tmp_path, "first")
    _sign(signing, identity, tmp_path, "second")
    later = pyhanko_signing.monotonic() + pyhanko_signing._TSA_PATH_TTL + 1
    monkeypatch.setattr(pyhanko_signing, "monotonic", lambda: later)
    _sign(signing, identity, tmp_path, "third")
    _sign(signing, identity, tmp_path, "fourth")
    assert len(validations) == 3


def test_one_time_certificates_never_push_a_remembered_path_out(signing, pki, tmp_path, validations):
    signing._known_paths = _KnownPaths(size=2)
    seal = pki.identity(pki.issue_signer("Sceau", next(_names)))
    _sign(signing, seal, tmp_path, "seal-1")
    _sign(signing, seal, tmp_path, "seal-2")
    for i in range(4):
        _sign(signing, pki.identity(pki.issue_signer("Client", next(_names))), tmp_path, f"once-{i}")
    before = len(validations)
    _sign(signing, seal, tmp_path, "seal-3")
    assert len(validations) == before


def test_b_b_and_b_t_signatures_validate_no_path_before_signing(signing, identity, tmp_path, validations):
    _sign(signing, identity, tmp_path, "bb", PadesLevel.B_B)
    _sign(signing, identity, tmp_path, "bt", PadesLevel.B_T)
    assert validations == []
