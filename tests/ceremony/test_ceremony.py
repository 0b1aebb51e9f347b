"""The signing ceremony end to end on the use cases: three levels, sequential and parallel,
validated by pyHanko (our verifier) and poppler's pdfsig."""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager

import pytest

from domain.model.audit import verify_chain
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.errors import InvitationLinkUnusable
from domain.model.signer import SignatureLevel, SignerKind
from tests.ceremony.harness import Ceremony, pdfsig_reports, three_signers
from tests.signing.pki_server import PkiHttpServer


@pytest.fixture(scope="module")
def pki_server():
    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path, pki_server):
    ceremony = Ceremony(tmp_path, public_url=pki_server.base_url)
    pki_server.pki = ceremony  # the loopback server answers OCSP/CRL from this ceremony's CA
    return ceremony


def _run_three_levels(world: Ceremony, mode: InvitationMode, order: list[int]) -> str:
    cid = world.collection(three_signers(world), mode=mode, documents=2, observers=1)
    emails = ["claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr"]
    outcomes = []
    for index in order:
        world.clock.advance(__import__("datetime").timedelta(seconds=5))
        outcomes.append(world.sign_as(emails[index], identity_check=index == 2))
    assert [o.status for o in outcomes] == ["signed", "signed", "completed"]
    assert world.run_jobs("finalise_collection") == 1  # completion is the worker's, not the last signer's
    return cid


def _check_final_pdfs(world: Ceremony, cid: str, tmp_path) -> None:
    collection = world.get(cid)
    assert collection.status is CollectionStatus.COMPLETED and collection.finalised_at is not None
    signers = {s.id: s for s in collection.signers}
    for n, pdf in enumerate(world.document_bytes(cid)):
        report = world.uc.verify_pdf(content=pdf)
        assert report.all_ok, report.as_dict()
        signatures = [s for s in report.signatures if s.kind == "signature"]
        assert len(signatures) == 3
        by_field = {s.field_name: s for s in signatures}
        for signer in collection.signers:
            check = by_field["Signature_" + signer.id]
            assert check.level == int(signer.level), (signer.display_name, check)
            assert check.pades_level == "B-LTA" and check.proven_level == "B-LTA"  # every level, issue 18
            assert check.certificate_status == "good" and not check.qualified
        assert any(s.kind == "document_timestamp" for s in report.signatures)
        path = tmp_path / f"final-{n}.pdf"
        path.write_bytes(pdf)
        reports = pdfsig_reports(path, world.root_der(), tmp_path / "nss")
        real = [r for r in reports if "ETSI.CAdES.detached" in r]
        assert len(real) == 3
        # pdfsig's view of each level: the platform seal at level 1, the person's own certificate above.
        expected_cn = {SignatureLevel.SIMPLE: "Seing", SignatureLevel.ADVANCED: "Jessica POUSSART",
                       SignatureLevel.ADVANCED_QUALIFIED: "Marc DURAND"}
        for text in real:
            assert "Signature is Valid" in text, text
            assert "Certificate is Trusted" in text, text
            field = re.search(r"Signature Field Name: (\S+)", text).group(1)
            signer = next(s for s in collection.signers if "Signature_" + s.id == field)
            assert f"Signer Certificate Common Name: {expected_cn[signer.level]}\n" in text, text
        assert "Total document signed" in reports[-1], reports[-1]
    assert all(s.certificate is not None for s in signers.values())


@pytest.mark.external  # pdfsig and certutil
def test_three_levels_in_sequence_give_valid_pdfs_for_pyhanko_and_pdfsig(world, tmp_path):
    cid = _run_three_levels(world, InvitationMode.SEQUENTIAL, [0, 1, 2])
    _check_final_pdfs(world, cid, tmp_path)
    collection = world.get(cid)
    # One-time QCP-n for the external level-3 signer, the owner's own LCP at level 2, the seal at level 1.
    policies = [s.certificate.policy for s in collection.signers]
    assert policies == ["platform-seal", "0.4.0.2042.1.3", "0.4.0.194112.1.0"]
    assert collection.signers[2].certificate.one_time
    assert verify_chain(world.trail(cid)) is None


@pytest.mark.external  # pdfsig and certutil
def test_three_levels_in_parallel_give_valid_pdfs_whatever_the_order(world, tmp_path):
    cid = _run_three_levels(world, InvitationMode.PARALLEL, [2, 0, 1])
    _check_final_pdfs(world, cid, tmp_path)


def test_completion_sends_download_links_not_documents_and_seals_the_evidence(world):
    cid = _run_three_levels(world, InvitationMode.SEQUENTIAL, [0, 1, 2])
    collection = world.get(cid)
    completed = world.notifications("collection_completed")
    linked = {n.to: n.context_dict()["download_token"] for n in completed if "download_token" in n.context_dict()}
    assert set(linked) == {"claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr", "copie0@exemple.fr"}
    # The owner prepared and signed: one email, the one with the link, not a second near-identical one.
    assert sorted(n.to for n in completed) == sorted(linked)
    assert all(link.token_hash not in linked.values() for link in collection.download_links)  # only hashes kept
    # Integrators hear of each step, completion last (once the signed PDFs can be downloaded).
    events = [j.spec.payload_dict()["event"] for j in world.jobs("webhook_event")]
    assert events == ["collection.sent"] + ["signer.opened", "signer.signed"] * 3 + ["collection.completed"]
    assert {j.spec.payload_dict()["cabinet_id"] for j in world.jobs("webhook_event")} == {collection.cabinet_id}
    name, pdf = world.uc.download_by_link(token=linked["copie0@exemple.fr"], item=collection.documents[0].id)
    assert name == "lettre-1-signé.pdf" and pdf == world.document_bytes(cid)[0]
    _, evidence_pdf = world.uc.download_by_link(token=linked["marc@exemple.fr"], item="evidence.pdf")
    _, evidence_json = world.uc.download_by_link(token=linked["marc@exemple.fr"], item="evidence.json")
    sealed = world.uc.verify_pdf(content=evidence_pdf)
    assert sealed.all_ok and sealed.signatures[0].pades_level == "B-LT"
    data = json.loads(evidence_json)
    assert [s["level"] for s in data["signers"]] == [1, 2, 3]
    assert data["signers"][2]["certificate"]["policy"] == "0.4.0.194112.1.0"
    assert all(len(d["versions"]) == 1 + 3 + 1 for d in data["documents"])  # fields, 3 signatures, B-LTA
    kinds = [e["kind"] for e in data["events"]]
    for kind in ("created", "sent", "opened", "code_sent", "code_checked", "signed", "document_signed", "completed"):
        assert kind in kinds
    assert data["audit_chain"]["valid"]
    assert "downloaded" in [e.kind for e in world.trail(cid)]
    # The preparer reads the evidence from her account too.
    _, again = world.uc.evidence_for_member(collection_id=cid, by_person_id=world.owner, fmt="json")
    assert again == evidence_json


class _NoLocks:
    @contextmanager
    def hold(self, key):
        yield


@pytest.mark.parametrize("locks", ["process", "none"])
def test_ten_signers_signing_at_the_same_moment_all_end_up_in_the_pdf(tmp_path, locks):
    world = Ceremony(tmp_path)
    if locks == "none":  # without the lock, version checks alone keep every signature
        from dependency_injector import providers

        world.container.adapters.locks.override(providers.Object(_NoLocks()))
    signers = [dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Signataire",
                    surname="Numero" + "abcdefghij"[n], email=f"s{n}@exemple.fr") for n in range(10)]
    cid = world.collection(signers, mode=InvitationMode.PARALLEL)
    codes = {}
    for n in range(10):
        token = world.token_of(f"s{n}@exemple.fr")
        world.uc.open_ceremony(token=token)
        world.uc.request_signing_code(token=token)
        codes[token] = world.latest_code()
    barrier = threading.Barrier(10)
    results, errors = [], []

    def go(token, code):
        barrier.wait()
        try:
            results.append(world.uc.sign(token=token, code=code).status)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=item) for item in codes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sorted(results) == ["completed"] + ["signed"] * 9
    (pdf,) = world.document_bytes(cid)
    report = world.uc.verify_pdf(content=pdf)
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert len(signatures) == 10 and report.all_ok


def test_refusal_ends_the_collection_tells_the_preparer_and_sends_no_document(world):
    cid = world.collection(three_signers(world), mode=InvitationMode.PARALLEL)
    world.sign_as("claire@exemple.fr")
    token = world.token_of("marc@exemple.fr")
    world.uc.open_ceremony(token=token)
    world.uc.refuse(token=token, reason="Le montant est faux")
    collection = world.get(cid)
    assert collection.status is CollectionStatus.REFUSED
    assert [n.to for n in world.notifications("collection_refused")] == ["jessica@poussart.fr"]
    # Claire (signed) is told nothing will be sent; Jessica, who prepared it, read the preparer's email.
    assert [n.to for n in world.notifications("collection_refused_signer")] == ["claire@exemple.fr"]
    assert world.notifications("collection_completed") == [] and collection.download_links == []
    refused = [j.spec.payload_dict() for j in world.jobs("webhook_event")][-2:]
    marc = next(s.id for s in collection.signers if str(s.email) == "marc@exemple.fr")
    assert [(e["event"], e.get("data.signer_id")) for e in refused] == [("signer.refused", marc),
                                                                        ("collection.refused", None)]
    with pytest.raises(InvitationLinkUnusable):  # the collection is refused: no one signs any more
        world.uc.sign(token=world.token_of("jessica@poussart.fr"), code="000000")
    assert world.run_jobs("seal_evidence") == 1
    evidence = world.get(cid).evidence
    assert evidence is not None
    data = json.loads(world.container.adapters.document_store().read(evidence.json.sha256))
    assert data["collection"]["status"] == "refused"
    assert data["signers"][2]["refusal_reason"] == "Le montant est faux"
    assert "refused" in [e["kind"] for e in data["events"]]


def test_expiry_seals_the_evidence_through_the_worker(world):
    from datetime import timedelta

    # A short deadline keeps the clock in the past: validation data must not come from the future.
    cid = world.collection(three_signers(world), deadline=timedelta(minutes=10))
    world.sign_as("claire@exemple.fr")
    world.clock.advance(timedelta(minutes=11))
    world.uc.run_due_reminders_and_expiry()
    assert world.get(cid).status is CollectionStatus.EXPIRED
    world.run_jobs("seal_evidence")
    evidence = world.get(cid).evidence
    assert evidence is not None
    report = world.uc.verify_pdf(content=world.container.adapters.document_store().read(evidence.pdf.sha256))
    assert report.signatures[0].intact and report.signatures[0].valid
