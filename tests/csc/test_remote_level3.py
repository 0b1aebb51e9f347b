"""Level 3 through a QTSP's remote key (certomancer-csc-dummy on loopback): the ceremony signs with
the CSC credential while the PAdES assembly, timestamps and revocation data stay ours; the
collection validates in pyHanko and pdfsig; the QTSP's refusals reach the signer as the ceremony's
own do (typed errors, French sentence on the page, problem details in the API), nothing recorded."""

from __future__ import annotations

import asyncio
import io
import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from dependency_injector import providers
from litestar.testing import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.fallback_revocation import FallbackRevocationSource
from adapters.signing.http_revocation import HttpRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.errors import (
    RemoteAuthorizationExpired,
    RemoteCodeAlreadyUsed,
    RemoteCodeRejected,
    RemoteCodeSpent,
    RemoteConsentUnsupported,
    RemoteCredentialMissing,
    RemoteHashMismatch,
    RemoteSigningUnavailable,
)
from domain.model.pki import CertificatePolicy
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from ports.remote_signing import RemoteSigningRoutes
from tests.ceremony.harness import Ceremony, require_tool
from tests.csc.server import SIGNER_EMAIL
from tests.signing.pki_server import PkiHttpServer
from tests.signing.test_pdf_signing import _spec

SIREN = "732829320"  # the harness's cabinet


@pytest.fixture(scope="module")
def pki_server():
    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path, pki_server, csc_server) -> Ceremony:
    ceremony = Ceremony(tmp_path, public_url=pki_server.base_url, remote_signing="csc",
                        remote_signing_options={"url": csc_server.url}, remote_signing_cabinets=SIREN)
    pki_server.pki = ceremony
    # As in production: our CA answers for our certificates, the QTSP's CRLs are fetched over HTTP.
    revocation = FallbackRevocationSource(CaRevocationSource(ceremony.ca), HttpRevocationSource())
    signing = PyHankoPdfSigning(vault=ceremony.vault, timestamp_authority=BuiltinTsa(ceremony.vault, ceremony.ca,
                                                                                      ceremony.clock),
                                revocation_source=revocation, clock=ceremony.clock)
    ceremony.container.adapters.pdf_signing.override(providers.Object(signing))
    return ceremony


def _remote_signer(email: str = SIGNER_EMAIL) -> dict:
    return dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED_QUALIFIED, given_names="Juliette",
                surname="Remote", email=email, mobile="06 12 34 56 78")


def _ready_for_code(world: Ceremony, email: str = SIGNER_EMAIL) -> str:
    """Open, pass the identity check, get the code: the steps before « Signer »."""
    token = _identity_checked(world, email)
    world.uc.request_signing_code(token=token)
    return token


def _identity_checked(world: Ceremony, email: str = SIGNER_EMAIL) -> str:
    """Open and pass the identity check: the steps page then offers « Recevoir mon code »."""
    token = world.token_of(email)
    world.uc.open_ceremony(token=token)
    from domain.model.identity import CheckMode

    verifier = world.container.adapters.identity_verifier()
    session = world.uc.start_identity_check(token=token)
    for step in CheckMode.DOCUMENT_AND_FACE.steps:
        verifier.submit_capture(session.session_ref, step, b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
    verifier.finish_capture(session.session_ref)
    verifier.decide_now(session.session_ref)
    assert world.uc.identity_check_outcome(token=token) == "approved"
    return token


def _ades_lta_passes(roots: list[bytes], sig) -> None:
    """pyHanko's AdES long-term validation with revocation required, nothing fetched, both anchors:
    our root (levels 1 and 2, the TSA) and the QTSP's (level 3)."""
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import PdfSignatureValidationSpec, SignatureValidationSpec
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    base = _spec(roots[0])
    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[asn1_x509.Certificate.load(r) for r in roots]),
            revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO)),
        revinfo_gathering_policy=base.revinfo_gathering_policy)
    result = asyncio.run(ades_lta_validation(sig, PdfSignatureValidationSpec(spec)))
    assert result.api_status.bottom_line, result.api_status.pretty_print_details()


def _pdfsig(path, roots: list[bytes], nss_dir) -> list[str]:
    import subprocess

    certutil, tool = require_tool("certutil"), require_tool("pdfsig")
    nss_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([certutil, "-N", "--empty-password", "-d", f"sql:{nss_dir}"], check=True)
    for n, root in enumerate(roots):
        (nss_dir / f"root{n}.der").write_bytes(root)
        subprocess.run([certutil, "-A", "-n", f"Root {n}", "-t", "CT,C,C", "-i", str(nss_dir / f"root{n}.der"),
                        "-d", f"sql:{nss_dir}"], check=True)
    result = subprocess.run([tool, "-nssdir", f"sql:{nss_dir}", str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return re.split(r"^Signature #\d+:$", result.stdout, flags=re.M)[1:]


@pytest.mark.external  # pdfsig and certutil
def test_a_collection_signed_at_level_3_through_the_qtsp_validates_in_pyhanko_and_pdfsig(world, csc_server,
                                                                                        tmp_path):
    world.give_certificate(world.owner, CertificatePolicy.LCP)
    cid = world.collection([
        dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
             email="claire@exemple.fr"),
        dict(kind=SignerKind.MYSELF, level=SignatureLevel.ADVANCED),
        _remote_signer(),
    ], documents=2)
    world.clock.advance(timedelta(seconds=5))
    assert world.sign_as("claire@exemple.fr").status == "signed"
    world.clock.advance(timedelta(seconds=5))
    assert world.sign_as("jessica@poussart.fr").status == "signed"
    world.clock.advance(timedelta(seconds=5))
    token = _ready_for_code(world)
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"

    collection = world.get(cid)
    assert collection.status is CollectionStatus.COMPLETED
    remote_signer = next(s for s in collection.signers if str(s.email) == SIGNER_EMAIL)
    remote = remote_signer.certificate
    # The QTSP's certificate is what the trail and the evidence name; no one-time certificate of ours.
    qtsp_leaf = asn1_x509.Certificate.load(csc_server.certificate_der("signer"))
    assert remote.serial == format(qtsp_leaf.serial_number, "x") and not remote.one_time
    assert "Juliette Remote" in remote.subject and "QTSP Test Signing CA" in remote.issuer
    roots = [world.root_der(), csc_server.root_der()]
    for n, pdf in enumerate(world.document_bytes(cid)):
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
        assert len(signatures) == 3
        assert signatures[-1].signer_cert.dump() == qtsp_leaf.dump()
        for sig in signatures:
            _ades_lta_passes(roots, sig)
        # Our verifier: intact and valid; the QTSP is no authority of ours, so it does not vouch
        # for it, and qualified it is not without a trusted list granting it.
        report = world.uc.verify_pdf(content=pdf)
        by_field = {s.field_name: s for s in report.signatures if s.kind == "signature"}
        checked = by_field["Signature_" + remote_signer.id]
        assert checked.intact and checked.valid and not checked.qualified
        assert checked.valid_unknown_authority and not checked.known_authority
        assert all(s.ok for s in report.signatures if s is not checked)  # ours: trusted, valid
        path = tmp_path / f"final-{n}.pdf"
        path.write_bytes(pdf)
        reports = [r for r in _pdfsig(path, roots, tmp_path / f"nss-{n}") if "ETSI.CAdES.detached" in r]
        assert len(reports) == 3
        for text in reports:
            assert "Signature is Valid" in text, text
            assert "Certificate is Trusted" in text, text
        assert any("Signer Certificate Common Name: Juliette Remote\n" in text for text in reports)


@pytest.mark.parametrize("refusal,error", [
    ("wrong_code", RemoteCodeRejected),
    ("expired_sad", RemoteAuthorizationExpired),
    ("hash_mismatch", RemoteHashMismatch),
])
def test_a_qtsp_refusal_leaves_nothing_signed_and_a_new_code_signs(world, strict, refusal, error):
    cid = world.collection([_remote_signer()], documents=2)  # both documents under one authorisation
    token = _ready_for_code(world)
    before = [d.latest.sha256 for d in world.get(cid).documents]
    if refusal == "wrong_code":
        strict.otp = "not-the-signers-code"
    elif refusal == "expired_sad":
        strict.sad_lifetime = 0
    else:
        strict.pin_other_hashes = True
    strict.authorizations.clear()
    with pytest.raises(error):
        world.uc.sign(token=token, code=world.latest_code())
    assert len(strict.authorizations) == 1  # the batch's one authorisation, not one per document
    collection = world.get(cid)
    assert [d.latest.sha256 for d in collection.documents] == before
    assert collection.signers[0].status is not SignerStatus.SIGNED
    assert "document_signed" not in [e.kind for e in world.trail(cid)]
    # The QTSP back to normal: the signer asks for a new code and signs.
    strict.otp, strict.sad_lifetime, strict.pin_other_hashes = None, 300.0, False
    world.clock.advance(timedelta(minutes=2))
    world.uc.request_signing_code(token=token)
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"


def test_the_signers_code_goes_to_a_qtsp_that_asks_for_one(world, strict):
    cid = world.collection([_remote_signer()])
    token = _ready_for_code(world)
    strict.otp = world.latest_code()
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"
    assert world.get(cid).status is CollectionStatus.COMPLETED


def test_a_signer_the_qtsp_does_not_know_is_told_before_a_code_is_sent(world):
    world.collection([_remote_signer("inconnu@exemple.fr")])
    token = world.token_of("inconnu@exemple.fr")
    world.uc.open_ceremony(token=token)
    sent = len(world.notifications("signing_code"))
    with pytest.raises(RemoteCredentialMissing):
        _ready_for_code(world, "inconnu@exemple.fr")
    assert len(world.notifications("signing_code")) == sent


def test_the_refusal_is_a_french_sentence_on_the_page_and_a_problem_in_the_api(world, strict):
    from tests.apps import app_for

    world.collection([_remote_signer()])
    token = _ready_for_code(world)
    strict.otp = "not-the-signers-code"
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        client.get("/verifier")
        csrf = client.cookies.get("seing_csrf")
        page = client.post(f"/signature/{token}/signer", data={"_csrf_token": csrf, "code": world.latest_code()},
                           follow_redirects=False)
        assert page.status_code < 500
        text = re.sub(r"\s+", " ", page.text).replace("\u00a0", " ").replace("&#39;", "'")
        assert "Le prestataire de signature qualifiée a refusé ce code : rien n’a été signé" in text, text[:3000]
        world.clock.advance(timedelta(minutes=2))
        world.uc.request_signing_code(token=token)
        api = client.post(f"/api/v1/signature/{token}/signature", json={"code": world.latest_code()})
    assert api.status_code == 422, api.text
    problem = api.json()
    assert api.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "remote_signing.code_rejected" and "refusé ce code" in problem["detail"]


def test_without_trusted_time_a_remote_signature_is_not_queued_for_the_worker(world):
    """The worker could not authorise at the QTSP (it has no code): the signer is told to try again."""
    from domain.model.errors import TimestampUnavailable

    class DownTsa:
        def timestamp(self, digest, hash_algorithm, nonce=None):
            raise TimestampUnavailable("the TSA does not answer")

    revocation = FallbackRevocationSource(CaRevocationSource(world.ca), HttpRevocationSource())
    world.container.adapters.pdf_signing.override(providers.Object(PyHankoPdfSigning(
        vault=world.vault, timestamp_authority=DownTsa(), revocation_source=revocation, clock=world.clock)))
    cid = world.collection([_remote_signer()])
    token = _ready_for_code(world)
    with pytest.raises(TimestampUnavailable):
        world.uc.sign(token=token, code=world.latest_code())
    assert world.jobs("finalise_signature") == []
    signer = world.get(cid).signers[0]
    assert signer.finalising_since is None and signer.status is not SignerStatus.SIGNED


@pytest.mark.external  # pdfsig and certutil
def test_two_documents_are_authorised_once_with_a_single_use_code_and_validate(world, strict, csc_server, tmp_path):
    """SCAL2 with a code the QTSP accepts once: every document's digest first, one
    credentials/authorize naming both hashes, one signHash, then each signature finished."""
    cid = world.collection([_remote_signer()], documents=2)
    token = _ready_for_code(world)
    strict.otp, strict.single_use_otp = world.latest_code(), True
    strict.authorizations.clear()
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"

    (authorization,) = strict.authorizations
    assert authorization["numSignatures"] == 2 and len(authorization["hash"]) == 2
    assert len(set(authorization["hash"])) == 2  # one digest per document
    # The code is spent: a second authorisation with it is refused, as a real QTSP would.
    service = world.container.adapters.remote_signing().service
    credential = service.credential_for(SIGNER_EMAIL)
    with pytest.raises(RemoteCodeRejected):
        service.authorize(credential, [bytes(32)], "sha256", strict.otp)

    assert world.get(cid).status is CollectionStatus.COMPLETED
    roots = [world.root_der(), csc_server.root_der()]
    qtsp_leaf = csc_server.certificate_der("signer")
    documents = world.document_bytes(cid)
    assert len(documents) == 2
    for n, pdf in enumerate(documents):
        (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
        assert signature.signer_cert.dump() == qtsp_leaf
        _ades_lta_passes(roots, signature)
        path = tmp_path / f"together-{n}.pdf"
        path.write_bytes(pdf)
        (text,) = [r for r in _pdfsig(path, roots, tmp_path / f"nss-together-{n}") if "ETSI.CAdES.detached" in r]
        assert "Signature is Valid" in text and "Certificate is Trusted" in text, text


def test_a_qtsp_that_sends_its_own_code_is_asked_to_and_its_code_signs(world, strict):
    """OTP type online: « Envoyer le code » calls credentials/sendOTP instead of sending ours;
    the code the QTSP sent authorises both documents once; ours is not one it accepts."""
    strict.online_otp, strict.single_use_otp = True, True
    cid = world.collection([_remote_signer()], documents=2)
    sent_before = len(world.notifications("signing_code"))
    token = _ready_for_code(world)
    assert len(world.notifications("signing_code")) == sent_before  # no code of ours
    assert len(strict.sent_otps) == 1
    sent = [e for e in world.trail(cid) if e.kind == "code_sent"]
    assert sent and dict(sent[-1].details)["channel"] == "qtsp"
    with pytest.raises(RemoteCodeRejected):  # a code the QTSP did not send
        world.uc.sign(token=token, code="000000" if strict.otp != "000000" else "111111")
    world.uc.request_signing_code(token=token)
    assert len(strict.sent_otps) == 2
    strict.authorizations.clear()
    assert world.uc.sign(token=token, code=strict.sent_otps[-1]).status == "completed"
    (authorization,) = strict.authorizations
    assert authorization["numSignatures"] == 2 and authorization["OTP"] == strict.sent_otps[-1]
    assert world.get(cid).status is CollectionStatus.COMPLETED


def test_the_code_page_says_the_qtsp_sent_the_code(world, strict):
    from tests.apps import app_for

    strict.online_otp = True
    world.collection([_remote_signer()])
    token = _ready_for_code(world)
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        page = client.get(f"/signature/{token}/code?envoye=qtsp")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text).replace("\u00a0", " ")
    assert "Votre prestataire de signature qualifiée vous a envoyé un code : saisissez-le ci-dessous." in text
    assert "par SMS" not in text


class _NoLocks:
    """Another host's signature is not held back by this host's lock: only the version check stands."""

    @contextmanager
    def hold(self, key):
        yield


class _AnotherSignatureLandsFirst:
    """The QTSP, with another signer's signature recorded while it authorises ours (the first time
    only): what a signer on another host does between our hashing and our recording."""

    def __init__(self, service, land) -> None:
        self.service = service
        self._land = land

    def __getattr__(self, name):
        return getattr(self.service, name)

    def authorize(self, *args, **kwargs):
        if self._land is not None:
            land, self._land = self._land, None
            other = threading.Thread(target=land)  # its own event loop: ours is waiting for the SAD
            other.start()
            other.join(120)
        return self.service.authorize(*args, **kwargs)


def _documents_change_during_the_remote_signature(world) -> tuple[str, str, list]:
    """A parallel collection (a level-1 signer and the QTSP's signer) whose level-1 signature is
    recorded while the QTSP authorises the remote one."""
    world.container.adapters.locks.override(providers.Object(_NoLocks()))
    cid = world.collection([
        dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
             email="claire@exemple.fr"),
        _remote_signer(),
    ], mode=InvitationMode.PARALLEL, documents=2)
    claire = world.token_of("claire@exemple.fr")
    world.uc.open_ceremony(token=claire)
    world.uc.request_signing_code(token=claire)
    claire_code = world.latest_code()
    outcomes: list = []
    routes = world.container.adapters.remote_signing()
    world.container.adapters.remote_signing.override(providers.Object(RemoteSigningRoutes(
        service=_AnotherSignatureLandsFirst(routes.service,
                                            lambda: outcomes.append(world.uc.sign(token=claire, code=claire_code))),
        cabinets=routes.cabinets, every_cabinet=routes.every_cabinet)))
    token = _ready_for_code(world)
    return cid, token, outcomes


def test_a_document_changed_under_a_spent_single_use_code_asks_for_a_new_code_and_says_why(world, strict):
    """SCAL2 binds the SAD to the hashes: the changed documents need a new authorisation, which the
    spent code cannot give. The QTSP is not asked with it again (it would say « wrong code »): the
    signer is told the documents changed and signs the current version with a new code."""
    cid, token, landed = _documents_change_during_the_remote_signature(world)
    strict.otp, strict.single_use_otp = world.latest_code(), True
    strict.authorizations.clear()
    with pytest.raises(RemoteCodeSpent):
        world.uc.sign(token=token, code=world.latest_code())
    assert [o.status for o in landed] == ["signed"]  # the other signature is kept
    assert len(strict.authorizations) == 1  # the spent code was not sent again
    collection = world.get(cid)
    remote = next(s for s in collection.signers if str(s.email) == SIGNER_EMAIL)
    assert remote.status is not SignerStatus.SIGNED
    assert [e for e in world.trail(cid)
            if e.kind == "document_signed" and dict(e.details)["signer_id"] == remote.id] == []

    world.clock.advance(timedelta(minutes=2))
    world.uc.request_signing_code(token=token)
    strict.otp = world.latest_code()
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"
    assert len(strict.authorizations) == 2
    for pdf in world.document_bytes(cid):
        report = world.uc.verify_pdf(content=pdf)
        signatures = [s for s in report.signatures if s.kind == "signature"]
        assert len(signatures) == 2 and all(s.intact and s.valid for s in signatures)


def test_a_document_changed_under_a_credential_without_code_is_authorised_again_silently(world, strict):
    """No code at the QTSP (the signer's consent is our own code, bound to the approved versions,
    which did not change): the new hashes are simply authorised again and the signature completes."""
    cid, token, landed = _documents_change_during_the_remote_signature(world)
    strict.authorizations.clear()
    assert world.uc.sign(token=token, code=world.latest_code()).status == "completed"
    assert [o.status for o in landed] == ["signed"]
    first, second = strict.authorizations
    assert len(first["hash"]) == len(second["hash"]) == 2 and set(first["hash"]).isdisjoint(second["hash"])
    for pdf in world.document_bytes(cid):
        report = world.uc.verify_pdf(content=pdf)
        signatures = [s for s in report.signatures if s.kind == "signature"]
        assert len(signatures) == 2 and all(s.intact and s.valid for s in signatures)


def test_the_spent_code_refusal_is_a_french_sentence_and_a_409_problem(world, strict):
    from tests.apps import app_for

    _cid, token, _landed = _documents_change_during_the_remote_signature(world)
    strict.otp, strict.single_use_otp = world.latest_code(), True
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        api = client.post(f"/api/v1/signature/{token}/signature", json={"code": world.latest_code()})
    assert api.status_code == 409, api.text
    problem = api.json()
    assert problem["code"] == "remote_signing.code_spent"
    assert "Un autre signataire a signé ces documents pendant votre signature" in problem["detail"]
    assert "demandez un nouveau code" in problem["detail"]


def _page_text(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:2000]
    return re.sub(r"\s+", " ", page.text).replace("\u00a0", " ").replace("&#39;", "'")


@pytest.mark.parametrize("online_otp", [True, False])
def test_the_steps_page_says_who_sends_the_code(world, strict, online_otp):
    """A QTSP that makes its own code (online OTP) sends it, not us: the steps page says so before
    « Recevoir mon code », as the API's view does; otherwise our SMS is announced."""
    from tests.apps import app_for

    strict.online_otp = online_otp
    world.collection([_remote_signer()])
    token = _identity_checked(world)
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        text = _page_text(client, f"/signature/{token}")
        view = client.post(f"/api/v1/signature/{token}/open").json()
    assert "Recevoir mon code" in text
    provider = "Votre prestataire de signature qualifiée vous enverra lui-même un code à usage unique."
    if online_otp:
        assert provider in text and "par SMS" not in text
        assert view["code_channel"] == "qtsp" and view["masked_destination"] == ""
    else:
        assert provider not in text
        assert "Un code à usage unique vous sera envoyé par SMS au 06 ** ** 78." in text
        assert view["code_channel"] == "sms"


def test_after_a_refused_code_the_page_still_says_the_qtsp_sends_the_next_one(world, strict):
    """The QTSP's refusal is shown above the steps (« Recevoir mon code » again): the new code
    will come from the QTSP too, not by our SMS."""
    from tests.apps import app_for

    strict.online_otp = True
    world.collection([_remote_signer()])
    token = _ready_for_code(world)
    wrong = "000000" if strict.otp != "000000" else "111111"
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        client.get("/verifier")
        page = client.post(f"/signature/{token}/signer",
                           data={"_csrf_token": client.cookies.get("seing_csrf"), "code": wrong},
                           follow_redirects=False)
        text = re.sub(r"\s+", " ", page.text).replace("\u00a0", " ").replace("&#39;", "'")
    assert "refusé ce code" in text, text[:3000]
    assert "Votre prestataire de signature qualifiée vous enverra lui-même un code à usage unique." in text
    assert "par SMS" not in text


def test_signing_again_with_a_qtsp_code_an_attempt_spent_says_so_and_a_new_code_signs(world, strict):
    """The QTSP accepted its code, then signHash failed: the code is spent there. « Signer » again
    with it is told so, without asking the QTSP (which would answer « wrong code »); the trail says
    when the QTSP accepted it; a new code from the QTSP signs."""
    strict.online_otp, strict.single_use_otp = True, True
    cid = world.collection([_remote_signer()], documents=2)
    token = _ready_for_code(world)
    code = strict.sent_otps[-1]
    strict.authorizations.clear()
    strict.sign_hash_down = True
    with pytest.raises(RemoteSigningUnavailable):
        world.uc.sign(token=token, code=code)
    assert len(strict.authorizations) == 1
    checked = [e for e in world.trail(cid) if e.kind == "code_checked"]
    assert [dict(e.details)["channel"] for e in checked] == ["qtsp"]

    strict.sign_hash_down = False
    with pytest.raises(RemoteCodeAlreadyUsed):
        world.uc.sign(token=token, code=code)
    assert len(strict.authorizations) == 1  # the spent code was not sent again
    assert world.get(cid).signers[0].status is not SignerStatus.SIGNED

    world.clock.advance(timedelta(minutes=2))
    world.uc.request_signing_code(token=token)
    assert world.uc.sign(token=token, code=strict.sent_otps[-1]).status == "completed"
    assert len(strict.authorizations) == 2


def test_the_already_used_qtsp_code_is_a_french_sentence_on_the_page(world, strict):
    from tests.apps import app_for

    strict.online_otp, strict.single_use_otp = True, True
    cid = world.collection([_remote_signer()])
    token = _ready_for_code(world)
    with world.uow() as tx:  # an earlier attempt the QTSP authorised, which did not complete
        from domain.services.audit import append

        signer = world.get(cid).signers[0]
        append(tx, cid, "code_checked", at=world.clock.now(), actor=signer.id, signer_id=signer.id,
               channel="qtsp", step="checked")
        tx.commit()
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        client.get("/verifier")
        page = client.post(f"/signature/{token}/signer",
                           data={"_csrf_token": client.cookies.get("seing_csrf"), "code": strict.sent_otps[-1]},
                           follow_redirects=False)
        text = re.sub(r"\s+", " ", page.text).replace("\u00a0", " ").replace("&#39;", "'")
    assert page.status_code == 409, text[:2000]
    assert ("Le dernier code envoyé par votre prestataire de signature qualifiée a déjà servi, pour une signature "
            "qui n’a pas abouti") in text
    assert "Recevoir mon code" in text  # the way to a new one


def test_a_qtsp_that_authorises_only_by_consent_on_its_page_is_named_before_any_code(world, strict):
    """oauth2code (the signer consents on the QTSP's own page) takes no code: « Recevoir mon code »
    posted anyway says so in French and points to the consent, no code is sent, nothing is authorised."""
    from tests.apps import app_for

    strict.oauth2code = True
    world.collection([_remote_signer()])
    token = _identity_checked(world)
    sent = len(world.notifications("signing_code"))
    with pytest.raises(RemoteConsentUnsupported):
        world.uc.request_signing_code(token=token)
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        client.get("/verifier")
        page = client.post(f"/signature/{token}/code",
                           data={"_csrf_token": client.cookies.get("seing_csrf"), "accepte": "1"},
                           follow_redirects=False)
        text = re.sub(r"\s+", " ", page.text).replace("\u00a0", " ").replace("&#39;", "'")
    assert page.status_code == 409, text[:2000]
    assert "demande que vous autorisiez la signature sur sa propre page" in text
    assert len(world.notifications("signing_code")) == sent and strict.authorizations == []
