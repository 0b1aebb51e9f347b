"""The sealed evidence PDF binds its JSON twin's SHA-256 where a verifier can read it: in the
revision the seal covers."""

from __future__ import annotations

import hashlib

from adapters.memory.clock import FixedClock
from adapters.pdf.evidence_report import PlainPdfEvidenceRenderer
from entrypoints.composition.ceremony_wiring import make_reader_verifier
from ports.contracts.pdf_signing import BytesOnly
from ports.evidence import EVIDENCE_JSON_DIGEST_KEY
from ports.pdf_signing import PadesLevel, SignatureRequest

EVIDENCE = {
    "collection": {"id": "c-1", "title": "Lettre de mission", "status": "completed", "cabinet": "Cabinet Poussart",
                   "preparer": "Jessica Poussart", "preparer_email": "jessica@poussart.fr", "mode": "sequential",
                   "created_at": None, "sent_at": None, "ended_at": None},
    "signers": [], "observers": [], "documents": [], "events": [],
    "audit_chain": {"valid": True, "events": 0, "last_hash": ""},
    "generated_at": None,
}


def _sealed(signing, identity, pdf: bytes) -> bytes:
    return BytesOnly(signing).sign(pdf, SignatureRequest(identity=identity, level=PadesLevel.B_B, field_name="Scellement"))


def _render(digest: str) -> bytes:
    try:
        return PlainPdfEvidenceRenderer().render(EVIDENCE, json_sha256=digest)
    except KeyError as missing:  # the renderer reads more keys than this sketch gives
        raise AssertionError(f"complete EVIDENCE with {missing}") from None


def test_the_sealed_evidence_pdf_binds_the_json_digest(signing, identity):
    digest = hashlib.sha256(b'{"evidence": 1}').hexdigest()
    sealed = _sealed(signing, identity, _render(digest))
    assert make_reader_verifier(roots=[], clock=FixedClock()).bound_evidence_digest(sealed) == digest


def test_an_evidence_pdf_sealed_before_the_key_existed_is_matched_on_its_printed_line(signing, identity):
    digest = hashlib.sha256(b'{"evidence": 2}').hexdigest()
    rendered = _render(digest)
    key = EVIDENCE_JSON_DIGEST_KEY.encode()
    older = rendered.replace(b"/" + key, b"/" + b"X" * len(key))  # same length: offsets stay right
    assert older != rendered
    sealed = _sealed(signing, identity, older)
    assert make_reader_verifier(roots=[], clock=FixedClock()).bound_evidence_digest(sealed) == digest


def test_an_unsealed_pdf_binds_nothing_a_verifier_would_accept(signing, identity):
    import pytest

    from domain.model.errors import NotVerifiable

    with pytest.raises(NotVerifiable):
        make_reader_verifier(roots=[], clock=FixedClock()).bound_evidence_digest(_render("0" * 64))
