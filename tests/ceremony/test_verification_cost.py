"""Verifying a file costs work in proportion to its signatures: each revision's modifications are
analysed once per verification, and each signature gets at most one long-term validation."""

from __future__ import annotations

import pytest
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

import adapters.signing.pyhanko_validation as validation
from domain.model.collection import InvitationMode
from tests.ceremony.harness import Ceremony, three_signers


@pytest.fixture(scope="module")
def completed(tmp_path_factory):
    world = Ceremony(tmp_path_factory.mktemp("cost"))
    cid = world.collection(three_signers(world), mode=InvitationMode.PARALLEL)
    for index, email in enumerate(["claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr"]):
        world.sign_as(email, identity_check=index == 2)
    assert world.run_jobs("finalise_collection") == 1
    (pdf,) = world.document_bytes(cid)
    return world, pdf


def _counting(monkeypatch, owner, name: str) -> list[object]:
    calls: list[object] = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args[0] if args else None)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_each_signature_s_modifications_are_analysed_once_per_verification(completed, monkeypatch):
    world, pdf = completed
    analysed = _counting(monkeypatch, EmbeddedPdfSignature, "evaluate_modifications")
    report = world.uc.verify_pdf(content=pdf)
    # Three signatures and the document timestamp, all proven B-LTA from the file alone: the
    # long-term validation of each signature reviews every signature of the file, and must reuse
    # the review instead of redoing it (N² diff analyses made a 10-signer file take a minute).
    assert [s.proven_level for s in report.signatures if s.kind == "signature"] == ["B-LTA"] * 3
    assert len(report.signatures) == 4 and report.all_ok
    assert len(analysed) == len(set(map(id, analysed))) == 4


def test_each_signature_gets_at_most_one_long_term_validation(completed, monkeypatch):
    world, pdf = completed
    long_term = _counting(monkeypatch, validation, "ades_lta_validation")
    report = world.uc.verify_pdf(content=pdf)
    assert report.all_ok
    assert len(long_term) == len({id(s) for s in long_term}) == 3  # not for the document timestamp


def test_the_file_s_timestamps_are_proven_once_per_verification_not_once_per_signature(completed, monkeypatch):
    world, pdf = completed
    from pyhanko.sign.validation import ades
    from pyhanko.sign.validation.status import DocumentTimestampStatus

    chain: list[object] = []
    original = ades.ades_timestamp_validation

    async def counted(*args, **kwargs):
        if kwargs.get("status_cls") is DocumentTimestampStatus:  # the chain of proofs of existence
            chain.append(kwargs["tst_signed_data"])
        return await original(*args, **kwargs)

    monkeypatch.setattr(ades, "ades_timestamp_validation", counted)
    report = world.uc.verify_pdf(content=pdf)
    assert [s.proven_level for s in report.signatures if s.kind == "signature"] == ["B-LTA"] * 3
    # The document timestamp once: every signature's long-term validation rests on the chain of
    # document timestamps after it, the same chain for all of them (it was proven three times).
    assert len(chain) == 1
