"""A certificate that signs again and again (the platform seal, a member's certificate) has its
validated path reused at B-LT while the revocation data fetched for each signature still vouches
for it, and an issuing CA's status, once pyHanko has checked it, is not checked again while the
revocation data for it stays the same (adapters/signing/pyhanko_signing.py, ``_KnownPaths``); a
revoked certificate or CA is refused as before."""

from __future__ import annotations

import io
import itertools

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.signing import pyhanko_signing
from adapters.signing.pyhanko_signing import PyHankoPdfSigning, _KnownPaths
from domain.model.errors import SigningCertificateRejected
from domain.model.pki import RevocationReason
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.conftest import SystemClock
from tests.signing.pdfs import pdf_file
from tests.signing.pki_server import SigningPki
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


@pytest.fixture
def crl_checks(monkeypatch):
    """The certificates whose status pyHanko checked against a CRL."""
    import pyhanko_certvalidator.validate as validate

    checked = []
    original = validate.verify_crl

    async def counting(cert, *args, **kwargs):
        checked.append(cert.subject.human_friendly)
        return await original(cert, *args, **kwargs)

    monkeypatch.setattr(validate, "verify_crl", counting)
    return checked


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
    later = pyhanko_signing.monotonic() + pyhanko_signing._PATH_TTL + 1
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


def test_the_issuing_cas_status_is_checked_once_for_many_one_time_certificates(signing, pki, tmp_path, crl_checks):
    ca_name = asn1_x509.Certificate.load(pki.issuing.der).subject.human_friendly
    files = [_sign(signing, pki.identity(pki.issue_signer("Client", next(_names))), tmp_path, f"c{i}") for i in range(3)]
    # The first signature checks the issuing CA against the root's CRL; the next ones, with the
    # same CRL fetched again, take that answer. Each file still carries that CRL for validators.
    assert crl_checks.count(ca_name) == 1
    for signed in files:
        _check_lt(pki, signed)


def test_an_issuing_ca_revoked_after_its_status_was_learned_is_refused(tmp_path, pki_server):
    from adapters.signing.ca_revocation import CaRevocationSource
    from adapters.timestamping.inprocess import InProcessTimestampAuthority

    own = SigningPki(tmp_path / "pki", pki_server.base_url)  # a CA of its own: this one gets revoked
    tsa = InProcessTimestampAuthority(vault=own.vault, key_ref=own.tsa.key_ref, certificate=own.tsa.der,
                                      chain=own.tsa_chain, clock=SystemClock())
    signing = PyHankoPdfSigning(vault=own.vault, timestamp_authority=tsa, revocation_source=CaRevocationSource(own.ca),
                                clock=SystemClock())
    _sign(signing, own.identity(own.issue_signer("Client", next(_names))), tmp_path, "before")
    # The root's CRL now lists the issuing CA: other bytes, so its status is checked again.
    own.ca.revoke(format(own.issuing.cert.serial_number, "x"), RevocationReason.KEY_COMPROMISE,
                  own.test_pki.clock.now())
    with pytest.raises(SigningCertificateRejected):
        _sign(signing, own.identity(own.issue_signer("Client", next(_names))), tmp_path, "after")


def test_the_issuing_cas_status_is_checked_again_once_its_time_is_up_however_often_it_was_taken(
        signing, pki, tmp_path, crl_checks, monkeypatch):
    ca_name = asn1_x509.Certificate.load(pki.issuing.der).subject.human_friendly
    start, shift = pyhanko_signing.monotonic(), [0.0]
    monkeypatch.setattr(pyhanko_signing, "monotonic", lambda: start + shift[0])
    ttl = pyhanko_signing._PATH_TTL
    for i, at in enumerate((0.0, 0.6 * ttl, 1.2 * ttl)):
        shift[0] = at
        _sign(signing, pki.identity(pki.issue_signer("Client", next(_names))), tmp_path, f"t{i}")
    # Checked at the first signature, taken at the second, checked again at the third: taking it
    # does not make it new.
    assert crl_checks.count(ca_name) == 2
