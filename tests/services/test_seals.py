"""The cabinet seal's use cases on fakes: the owner-approved request, delegation refusals, sealing.

The CA is the real built-in one (the fakes' container prepares it); PDF signing is the fake,
which records what it was asked: the PAdES validators' side is tests/ceremony/test_seal_pdfs.py.
"""

from __future__ import annotations

import json

import pytest
from dependency_injector import providers

from adapters.memory.pdf_signing import FakePdfSigning
from domain.model.audit import verify_chain
from domain.model.cabinet import Delegation, Role
from domain.model.errors import NotFound, NotOwner
from domain.model.pki import CertificateKind, CertificatePolicy
from domain.model.seals import (
    NoSealCertificate,
    NothingToSeal,
    SealDelegationMissing,
    SealProfile,
    SealRequestAlreadyOpen,
    SealRequestState,
    TooManyDocumentsToSeal,
)
from domain.services.seals import SealUpload
from ports.pdf_signing import PadesLevel
from tests.intake import corpus
from tests.services.conftest import PASSWORD, cabinet, container, sent, uc  # noqa: F401  (fixtures)


def member(uc, cabinet, sent, email, delegations):  # noqa: F811
    uc.invite_member(cabinet_id=cabinet.cabinet_id, by_person_id=cabinet.person_id, email=email,
                     given_names="Irina", surname="Faron", role=Role.COLLABORATOR, delegations=delegations)
    token = [n for n in sent() if n.template == "member_invitation"][-1].context_dict()["token"]
    return uc.accept_invitation(token=token, password="another good password", mobile=None)


@pytest.fixture
def sealer(uc, cabinet, sent):  # noqa: F811
    return member(uc, cabinet, sent, "irina@cs.expert", frozenset({Delegation.SEAL}))


def approved(uc, cabinet, requester, profile=SealProfile.ADVANCED):  # noqa: F811
    request = uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=requester, profile=profile)
    return uc.approve_seal_certificate_request(cabinet_id=cabinet.cabinet_id, person_id=cabinet.person_id,
                                               request_id=request.id)


def test_a_member_requests_the_owner_approves_and_the_ca_issues_an_organisation_seal(uc, cabinet, sealer, container):  # noqa: F811
    request = uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=sealer, profile="qualified")
    assert request.state is SealRequestState.PENDING
    issued = uc.approve_seal_certificate_request(cabinet_id=cabinet.cabinet_id, person_id=cabinet.person_id,
                                                 request_id=request.id)
    assert issued.state is SealRequestState.ISSUED
    record = container.adapters.ca().certificate(issued.certificate.serial)
    assert record.kind is CertificateKind.SEAL and record.policy is CertificatePolicy.QCP_L
    assert "NTRFR-732829320" in record.subject and "Cabinet Poussart" in record.subject
    overview = uc.seal_overview(cabinet_id=cabinet.cabinet_id, person_id=sealer)
    assert overview.current.id == request.id
    assert [r.id for r in overview.certificates] == [request.id]


def test_one_pending_request_at_a_time(uc, cabinet, sealer):  # noqa: F811
    uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=sealer, profile="advanced")
    with pytest.raises(SealRequestAlreadyOpen):
        uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=cabinet.person_id, profile="advanced")


def test_a_collaborator_cannot_approve_and_nothing_is_issued(uc, cabinet, sealer, container):  # noqa: F811
    request = uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=sealer, profile="advanced")
    with pytest.raises(NotOwner):
        uc.approve_seal_certificate_request(cabinet_id=cabinet.cabinet_id, person_id=sealer, request_id=request.id)
    assert uc.seal_overview(cabinet_id=cabinet.cabinet_id, person_id=sealer).pending.id == request.id


def test_a_member_without_the_seal_delegation_is_refused_at_request_and_at_sealing(uc, cabinet, sealer, sent):  # noqa: F811
    preparer = member(uc, cabinet, sent, "paul@cs.expert", frozenset({Delegation.PREPARE}))
    with pytest.raises(SealDelegationMissing):
        uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=preparer, profile="advanced")
    approved(uc, cabinet, sealer)
    with pytest.raises(SealDelegationMissing) as refused:
        uc.seal_documents(cabinet_id=cabinet.cabinet_id, person_id=preparer,
                          files=[SealUpload(name="a.pdf", content=corpus.minimal_pdf())])
    assert refused.value.code == "seal.delegation_missing"


def test_an_outsider_does_not_find_the_cabinets_seal(uc, cabinet, sealer):  # noqa: F811
    other = uc.create_cabinet(name="Autre", siren="552100554", owner_given_names="A", owner_surname="B",
                              owner_email="a@b.fr", owner_mobile=None, password=PASSWORD)
    with pytest.raises(NotFound):
        uc.seal_overview(cabinet_id=cabinet.cabinet_id, person_id=other.person_id)


def test_sealing_needs_an_issued_certificate_and_at_least_one_pdf(uc, cabinet, sealer):  # noqa: F811
    with pytest.raises(NoSealCertificate):
        uc.seal_documents(cabinet_id=cabinet.cabinet_id, person_id=sealer,
                          files=[SealUpload(name="a.pdf", content=corpus.minimal_pdf())])
    with pytest.raises(NothingToSeal):
        uc.seal_documents(cabinet_id=cabinet.cabinet_id, person_id=sealer, files=[])
    with pytest.raises(TooManyDocumentsToSeal):
        uc.seal_documents(cabinet_id=cabinet.cabinet_id, person_id=sealer,
                          files=[SealUpload(name=f"{i}.pdf", content=b"%PDF") for i in range(21)])


def test_a_batch_is_sealed_at_b_lt_then_timestamped_with_its_trail_and_evidence(uc, cabinet, sealer, container):  # noqa: F811
    signing = FakePdfSigning(container.adapters.clock())
    container.adapters.pdf_signing.override(providers.Object(signing))
    issued = approved(uc, cabinet, sealer)
    sealing = uc.seal_documents(cabinet_id=cabinet.cabinet_id, person_id=sealer, files=[
        SealUpload(name="bilan 2029", content=corpus.minimal_pdf()),
        SealUpload(name="liasse.pdf", content=corpus.minimal_pdf(pages=2))])
    assert [d.name for d in sealing.documents] == ["bilan 2029.pdf", "liasse.pdf"]
    seals = [r for r in signing.signed if r.field_name.startswith("Cachet-")]
    assert len(seals) == 2 and all(r.identity.certificate == issued.certificate.der for r in seals)
    assert {r.level for r in seals} == {PadesLevel.B_LT}
    assert signing.timestamps == 3  # each sealed document and the evidence file: B-LTA
    assert {r.reason for r in seals} == {"Cachet de Cabinet Poussart"}
    store = container.adapters.document_store()
    with container.adapters.uow.provider()() as tx:
        trail = tx.audit.of_collection(sealing.id)
    assert verify_chain(trail) is None
    report = uc.verify_audit_trails()  # `seing audit verify` walks the sealings' chains too
    assert report.chains == 1 and report.events == len(trail) and report.broken == ()
    assert [e.kind for e in trail] == ["sealing_started", "document_sealed", "document_timestamped",
                                       "document_sealed", "document_timestamped", "evidence_sealed"]
    evidence = json.loads(uc.sealing_evidence_for_member(cabinet_id=cabinet.cabinet_id, person_id=cabinet.person_id,
                                                         sealing_id=sealing.id, item="json"))
    assert evidence["sealing"]["cabinet"] == "Cabinet Poussart"
    assert evidence["audit_chain"]["valid"] is True
    assert [d["final_sha256"] for d in evidence["documents"]] == [d.sealed_sha256 for d in sealing.documents]
    name, content = uc.sealed_document_for_member(cabinet_id=cabinet.cabinet_id, person_id=sealer,
                                                  sealing_id=sealing.id, document_id=sealing.documents[0].id)
    assert name == "bilan 2029-scellé.pdf" and content == store.read(sealing.documents[0].sealed_sha256)


def test_a_request_emails_the_cabinets_owners_who_decide(uc, cabinet, sealer, sent):  # noqa: F811
    before = len([n for n in sent() if n.template == "seal_certificate_requested"])
    uc.request_seal_certificate(cabinet_id=cabinet.cabinet_id, person_id=sealer, profile="qualified")
    mails = [n for n in sent() if n.template == "seal_certificate_requested"][before:]
    assert [str(n.to) for n in mails] == ["jessica@poussart.fr"]  # the owner, not the collaborator asking
    context = mails[0].context_dict()
    assert "Irina" in context["requester_name"]
    assert context["cabinet_name"] == "Cabinet Poussart" and context["profile"] == "qualified"


def test_the_request_email_renders_in_french(tmp_path):
    from domain.model.jobs import Notification
    from domain.model.values import Email
    from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer

    nbsp = "\u00a0"
    renderer = NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example/", locale_dir=tmp_path / "locale")
    email = renderer.render(Notification.email(
        Email("jessica@poussart.fr"), "seal_certificate_requested", recipient_name="Jessica POUSSART",
        requester_name="Irina FARON", cabinet_name="Cabinet Poussart", profile="qualified"))
    assert email.subject == f"Demande de certificat de cachet pour «{nbsp}Cabinet Poussart{nbsp}»"
    for part in (email.text, email.html):
        assert "Irina FARON demande le certificat de cachet électronique" in part
        assert f"Profil{nbsp}: cachet sur le profil qualifié (QCP-l, QcType eseal)." in part
        assert f"«{nbsp}Cachet du cabinet{nbsp}»" in part
        assert " :" not in part
