"""Verification: levels from policies and QCStatements, trusted lists, revocation at signing time."""

from __future__ import annotations

import base64

import pytest

from domain.model.collection import InvitationMode
from domain.model.errors import NotVerifiable
from domain.model.pki import CaName, RevocationReason
from entrypoints.composition.ceremony_wiring import make_verifier
from tests.ceremony.harness import Ceremony, three_signers

TSL = """<?xml version="1.0" encoding="UTF-8"?>
<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#">
 <SchemeInformation><SchemeTerritory>FR</SchemeTerritory></SchemeInformation>
 <TrustServiceProviderList><TrustServiceProvider><TSPServices><TSPService><ServiceInformation>
  <ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/CA/QC</ServiceTypeIdentifier>
  <ServiceName><Name xml:lang="en">Test QTSP</Name></ServiceName>
  <ServiceDigitalIdentity><DigitalId><X509Certificate>{cert}</X509Certificate></DigitalId></ServiceDigitalIdentity>
  <ServiceStatus>{status}</ServiceStatus>
 </ServiceInformation></TSPService></TSPServices></TrustServiceProvider></TrustServiceProviderList>
</TrustServiceStatusList>
"""
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    world = Ceremony(tmp_path_factory.mktemp("verification"))
    cid = world.collection(three_signers(world), mode=InvitationMode.PARALLEL)
    for index, email in enumerate(["claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr"]):
        world.sign_as(email, identity_check=index == 2)
    assert world.run_jobs("finalise_collection") == 1
    (pdf,) = world.document_bytes(cid)
    return world, cid, pdf


def _with_list(world, tmp_path, ca_name: CaName, status: str = GRANTED):
    der = {c.name: c.der for c in world.ca.ca_certificates()}[ca_name]
    path = tmp_path / "tsl.xml"
    path.write_text(TSL.format(cert=base64.b64encode(der).decode(), status=status))
    return make_verifier(world.ca, world.clock, str(path))


def _levels(report):
    return {s.level: s for s in report.signatures if s.kind == "signature"}


def test_nothing_is_qualified_without_a_trusted_list(signed):
    world, _, pdf = signed
    report = world.uc.verify_pdf(content=pdf)
    assert report.trusted_list is None
    assert not any(s.qualified for s in report.signatures)
    assert _levels(report)[3].qc_compliance and _levels(report)[3].certificate_policies == ("0.4.0.194112.1.0",)


def test_a_trusted_list_granting_the_qcp_ca_makes_only_the_level_3_signature_qualified(signed, tmp_path):
    world, _, pdf = signed
    report = _with_list(world, tmp_path, CaName.QCP).verify(pdf)
    levels = _levels(report)
    assert levels[3].qualified and levels[3].trust_source == "tsl.xml (FR)"
    assert not levels[2].qualified and not levels[1].qualified
    assert report.trusted_list == "tsl.xml (FR)"


def test_a_withdrawn_service_or_a_non_qualified_certificate_is_never_qualified(signed, tmp_path):
    world, _, pdf = signed
    assert not _levels(_with_list(world, tmp_path, CaName.QCP, WITHDRAWN).verify(pdf))[3].qualified
    # The LCP CA granted as qualified does not make an LCP (no QcCompliance) signature qualified.
    assert not _levels(_with_list(world, tmp_path, CaName.LCP).verify(pdf))[2].qualified


def test_a_certificate_revoked_after_signing_is_reported_good_at_signing_time(tmp_path):
    world = Ceremony(tmp_path)
    cid = world.collection(three_signers(world)[1:2])  # the owner at level 2, her own LCP
    world.sign_as("jessica@poussart.fr")
    world.run_jobs("finalise_collection")
    (pdf,) = world.document_bytes(cid)
    serial = world.get(cid).signers[0].certificate.serial
    world.clock.advance(__import__("datetime").timedelta(seconds=30))
    world.ca.revoke(serial, RevocationReason.KEY_COMPROMISE, world.clock.now())
    (check,) = [s for s in world.uc.verify_pdf(content=pdf).signatures if s.kind == "signature"]
    assert check.certificate_status == "good" and check.revoked_since_signing, check


def test_a_file_without_signature_is_not_verifiable(signed):
    world, _, _ = signed
    from tests.intake import corpus

    with pytest.raises(NotVerifiable):
        world.uc.verify_pdf(content=corpus.minimal_pdf())
    with pytest.raises(NotVerifiable):
        world.uc.verify_pdf(content=b"hello")
