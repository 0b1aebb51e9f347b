"""Every signature a collection makes is verifiable offline from the file alone, for the long term:
B-LT as soon as it is made, B-LTA once the collection is complete (ETSI EN 319 102-1 through
pyHanko's AdES engine, revocation data required, nothing fetched, our root the only anchor)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import ades_lta_validation, ades_with_time_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo

from domain.model.collection import CollectionStatus, InvitationMode
from ports.contracts.pdf_signing import BytesOnly
from ports.pdf_signing import PadesLevel, SignatureRequest, SigningIdentity
from tests.ceremony.harness import Ceremony, three_signers
from tests.ceremony.offline_lta import offline_spec
from tests.intake import corpus

EMAILS = ["claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr"]


def _timing(world: Ceremony) -> ValidationTimingInfo:
    now = world.clock.now()  # the test's clock, never the wall clock
    return ValidationTimingInfo(validation_time=now, best_signature_time=now, point_in_time_validation=False)


def _signatures(pdf: bytes):
    return PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures


def _lta(world: Ceremony, sig):
    return asyncio.run(ades_lta_validation(sig, PdfSignatureValidationSpec(offline_spec(world.root_der())),
                                           timing_info=_timing(world)))


def _lt(world: Ceremony, sig):
    from pyhanko.sign.validation.ades import _dss_to_local_knowledge

    sig.compute_integrity_info()
    return asyncio.run(ades_with_time_validation(
        sig.signed_data, offline_spec(world.root_der(), _dss_to_local_knowledge(sig.reader)),
        timing_info=_timing(world), raw_digest=sig.compute_digest(),
        extra_status_kwargs=sig.summarise_integrity_info(), status_cls=PdfSignatureStatus))


def _vri_key(sig) -> str:
    return "/" + hashlib.sha1(bytes(sig.pkcs7_content)).hexdigest().upper()


def _vri_keys(pdf: bytes) -> list[str]:
    return [str(k) for k in PdfFileReader(io.BytesIO(pdf)).root["/DSS"]["/VRI"]]


@pytest.fixture
def world(tmp_path):
    return Ceremony(tmp_path)


@pytest.mark.parametrize("mode, order", [(InvitationMode.SEQUENTIAL, [0, 1, 2]), (InvitationMode.PARALLEL, [2, 0, 1])])
def test_every_signature_of_a_completed_document_validates_offline_at_b_lta(world, mode, order):
    cid = world.collection(three_signers(world), mode=mode, documents=2)
    for index in order:
        world.clock.advance(timedelta(seconds=5))
        world.sign_as(EMAILS[index], identity_check=index == 2)
    assert world.get(cid).status is CollectionStatus.COMPLETED
    assert world.run_jobs("finalise_collection") == 1
    world.clock.advance(timedelta(minutes=1))
    for pdf in world.document_bytes(cid):
        signatures = _signatures(pdf)
        assert len(signatures) == 3
        for sig in signatures:
            result = _lta(world, sig)
            assert result.ades_subindic is AdESPassed.OK, (sig.field_name, result.ades_subindic, result.api_status)
            # One copy of each certificate in the CMS.
            ders = [c.dump() for c in sig.signed_data["certificates"]]
            assert len(ders) == len(set(ders)), sig.field_name
        assert set(_vri_keys(pdf)) >= {_vri_key(sig) for sig in signatures}
        report = world.uc.verify_pdf(content=pdf)
        proven = [s for s in report.signatures if s.kind == "signature"]
        assert [s.proven_level for s in proven] == ["B-LTA"] * 3
        # Proven at the signature timestamp's time, not at the document timestamp's.
        assert all(s.proven_at is not None and s.proven_at == s.signing_time for s in proven)
    # Two days on, the OCSP responses (one day) and the level-3 one-time certificate (one hour)
    # have expired; 200 days on, the issuing CAs' CRLs too: the proof rests on the timestamps
    # (validation in the past); the root's CRL reaches the TSA certificate's end (see
    # ARCHITECTURE.md, "Long-term proof"; years later: test_long_term_proof_moved_clock.py).
    for days in (2, 198):
        world.clock.advance(timedelta(days=days))
        for pdf in world.document_bytes(cid):
            for sig in _signatures(pdf):
                result = _lta(world, sig)
                assert result.ades_subindic is AdESPassed.OK, (days, sig.field_name, result.ades_subindic)
            report = world.uc.verify_pdf(content=pdf)
            assert [s.proven_level for s in report.signatures if s.kind == "signature"] == ["B-LTA"] * 3


def _end(world: Ceremony, cid: str, how: str) -> None:
    if how == "refused":
        token = world.token_of("marc@exemple.fr")
        world.uc.open_ceremony(token=token)
        world.uc.refuse(token=token, reason="Le montant est faux")
    elif how == "cancelled":
        world.uc.cancel_collection(collection_id=cid, by_person_id=world.owner, reason="Dossier réglé autrement")
    else:
        world.clock.advance(timedelta(minutes=11))
        world.uc.run_due_reminders_and_expiry()


@pytest.mark.parametrize("how, status", [("refused", CollectionStatus.REFUSED),
                                         ("cancelled", CollectionStatus.CANCELLED),
                                         ("expired", CollectionStatus.EXPIRED)])
def test_a_collection_that_ends_unfinished_leaves_each_signature_verifiable_offline_at_b_lt(world, how, status):
    cid = world.collection(three_signers(world), mode=InvitationMode.PARALLEL, documents=1,
                           deadline=timedelta(minutes=10))
    world.sign_as("claire@exemple.fr")
    world.clock.advance(timedelta(seconds=5))
    world.sign_as("jessica@poussart.fr")
    _end(world, cid, how)
    assert world.get(cid).status is status
    world.clock.advance(timedelta(minutes=1))
    (pdf,) = world.document_bytes(cid)
    signatures = _signatures(pdf)
    assert len(signatures) == 2
    for sig in signatures:
        result = _lt(world, sig)
        assert result.ades_subindic is AdESPassed.OK, (sig.field_name, result.ades_subindic, result.api_status)
    assert set(_vri_keys(pdf)) >= {_vri_key(sig) for sig in signatures}
    report = world.uc.verify_pdf(content=pdf)
    assert [s.proven_level for s in report.signatures if s.kind == "signature"] == ["B-LT", "B-LT"]


def test_a_document_timestamp_gives_signatures_already_in_the_pdf_their_validation_data(world):
    """A PDF uploaded with signatures (here B-B and B-T, no DSS): the document timestamp that
    completes a collection first adds each one's chains, revocation data and VRI entry."""
    signing = BytesOnly(world.container.adapters.pdf_signing())
    seal = world.ca.platform_seal()
    identity = SigningIdentity(key_ref=seal.key, certificate=seal.certificate.der, chain=seal.issuers)
    pdf = corpus.minimal_pdf(pages=1, text="Contrat")
    pdf = signing.sign(pdf, SignatureRequest(identity=identity, level=PadesLevel.B_B, field_name="Ancienne1"))
    world.clock.advance(timedelta(seconds=5))
    pdf = signing.sign(pdf, SignatureRequest(identity=identity, level=PadesLevel.B_T, field_name="Ancienne2"))
    assert "/DSS" not in PdfFileReader(io.BytesIO(pdf)).root
    before = world.uc.verify_pdf(content=pdf)
    assert [s.proven_level for s in before.signatures] == ["B-B", "B-T"]
    assert before.signatures[0].proven_at == world.clock.now()  # no trusted time: proven only now
    world.clock.advance(timedelta(seconds=5))
    stamped = signing.timestamp(pdf)
    world.clock.advance(timedelta(minutes=1))
    old_b_b, old_b_t = _signatures(stamped)
    assert {_vri_key(old_b_b), _vri_key(old_b_t)} <= set(_vri_keys(stamped))
    result = _lta(world, old_b_t)
    assert result.ades_subindic is AdESPassed.OK, (result.ades_subindic, result.api_status)
    after = world.uc.verify_pdf(content=stamped)
    checks = [s for s in after.signatures if s.kind == "signature"]
    assert [s.proven_level for s in checks] == ["B-B", "B-LTA"]
    assert checks[1].proven_at == checks[1].signing_time


def test_signing_and_verifying_follow_the_clock_not_the_wall_clock(tmp_path):
    """The clock two months ahead of the real date: the signers' certificates, issued then, are not
    yet valid by the wall clock, yet B-LT signing and verification work at the clock's time.

    (Only up to B-LT: pyHanko 0.38's long-term validation builds the document timestamps' proof of
    existence at the wall clock's time, whatever time it is given.)"""
    world = Ceremony(tmp_path)
    world.clock.advance(timedelta(days=60))
    cid = world.collection(three_signers(world), mode=InvitationMode.PARALLEL, documents=1)
    world.sign_as("claire@exemple.fr")
    world.clock.advance(timedelta(seconds=5))
    world.sign_as("jessica@poussart.fr")
    token = world.token_of("marc@exemple.fr")
    world.uc.open_ceremony(token=token)
    world.uc.refuse(token=token, reason="Plus tard")
    world.clock.advance(timedelta(minutes=1))
    (pdf,) = world.document_bytes(cid)
    for sig in _signatures(pdf):
        result = _lt(world, sig)
        assert result.ades_subindic is AdESPassed.OK, (sig.field_name, result.ades_subindic)
    report = world.uc.verify_pdf(content=pdf)
    assert [s.proven_level for s in report.signatures if s.kind == "signature"] == ["B-LT", "B-LT"]


def test_a_second_document_timestamp_gives_the_first_one_fresh_validation_data(world):
    """The building block of archive-timestamp renewal: a new document timestamp over a
    completed PDF adds fresh revocation data for the previous timestamp's TSA chain, and
    every signature still validates at B-LTA."""
    cid = world.collection(three_signers(world), mode=InvitationMode.SEQUENTIAL, documents=1)
    for index in (0, 1, 2):
        world.clock.advance(timedelta(seconds=5))
        world.sign_as(EMAILS[index], identity_check=index == 2)
    assert world.run_jobs("finalise_collection") == 1
    (pdf,) = world.document_bytes(cid)
    world.clock.advance(timedelta(days=2))
    renewed = BytesOnly(world.container.adapters.pdf_signing()).timestamp(pdf)
    reader = PdfFileReader(io.BytesIO(renewed))
    stamps = [s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"]
    assert len(stamps) == 2
    first = min(stamps, key=lambda s: s.signed_revision)
    assert _vri_key(first) in _vri_keys(renewed)
    # The TSA is the root's child: its status is the root's CRL, in the DSS and in the VRI
    # entry of the first document timestamp.
    vri = reader.root["/DSS"]["/VRI"][_vri_key(first)]
    assert len(vri["/CRL"]) >= 1
    world.clock.advance(timedelta(minutes=1))
    for sig in _signatures(renewed):
        result = _lta(world, sig)
        assert result.ades_subindic is AdESPassed.OK, (sig.field_name, result.ades_subindic)
    report = world.uc.verify_pdf(content=renewed)
    assert report.all_ok and [s.proven_level for s in report.signatures if s.kind == "signature"] == ["B-LTA"] * 3
