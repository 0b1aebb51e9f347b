"""Level 3 through a QTSP that authorises only by the signer's consent on its own page (CSC
oauth2code, the loopback OAuth 2.0 stub beside certomancer-csc-dummy): « Autoriser chez mon
prestataire » prepares the documents and sends the signer there with their digests; the redirect
back signs exactly those digests and records the signature as every level-3 signature is. The
refusals: a state we did not issue, a replayed redirect, the signer declining, a document
changed meanwhile."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from dependency_injector import providers
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.fallback_revocation import FallbackRevocationSource
from adapters.signing.http_revocation import HttpRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.collection import CollectionStatus, InvitationMode
from domain.model.errors import RemoteConsentDeclined, RemoteConsentOutdated, RemoteConsentUnusable
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from tests.ceremony.harness import Ceremony
from tests.csc.server import SIGNER_EMAIL
from tests.csc.test_remote_level3 import SIREN, _ades_lta_passes, _identity_checked, _pdfsig, _remote_signer
from tests.signing.pki_server import PkiHttpServer

REDIRECT = "http://testserver.local/signature/consentement"


@pytest.fixture(scope="module")
def pki_server():
    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path, pki_server, csc_server, strict) -> Ceremony:
    strict.oauth2code = True
    ceremony = Ceremony(tmp_path, public_url=pki_server.base_url, remote_signing="csc",
                        remote_signing_options={"url": csc_server.url, "client_id": "seing",
                                                "client_secret": "s3cret"},
                        remote_signing_cabinets=SIREN)
    pki_server.pki = ceremony
    revocation = FallbackRevocationSource(CaRevocationSource(ceremony.ca), HttpRevocationSource())
    signing = PyHankoPdfSigning(vault=ceremony.vault, timestamp_authority=BuiltinTsa(ceremony.vault, ceremony.ca,
                                                                                      ceremony.clock),
                                revocation_source=revocation, clock=ceremony.clock)
    ceremony.container.adapters.pdf_signing.override(providers.Object(signing))
    return ceremony


def _at_the_provider(url: str) -> dict[str, str]:
    """The signer's browser on the provider's page, consenting: the query of the redirect back."""
    back = httpx.get(url, follow_redirects=False)
    assert back.status_code == 302, back.text
    return dict(httpx.URL(back.headers["location"]).params)


def _consent(world: Ceremony, token: str) -> tuple[str, dict[str, str]]:
    redirect = REDIRECT
    started = world.uc.start_remote_consent(token=token, redirect_uri=redirect)
    return redirect, _at_the_provider(started.url)


@pytest.mark.external  # pdfsig and certutil
def test_a_collection_signed_at_level_3_through_the_consent_at_the_provider_validates(world, strict, csc_server,
                                                                                     tmp_path):
    cid = world.collection([
        dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
             email="claire@exemple.fr"),
        _remote_signer(),
    ], documents=2)
    world.clock.advance(timedelta(seconds=5))
    assert world.sign_as("claire@exemple.fr").status == "signed"
    world.clock.advance(timedelta(seconds=5))
    token = _identity_checked(world)
    sent = len(world.notifications("signing_code"))
    redirect, back = _consent(world, token)
    assert strict.authorizations == []  # no credentials/authorize: the consent is the authorisation
    (consented,) = strict.consents.values()
    assert len(consented["hashes"]) == 2 and len(set(consented["hashes"])) == 2
    world.clock.advance(timedelta(minutes=2))  # the signer's time on the provider's page
    outcome = world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                             redirect_uri=redirect)
    assert outcome.status == "completed"
    assert len(world.notifications("signing_code")) == sent  # no code of ours either

    collection = world.get(cid)
    assert collection.status is CollectionStatus.COMPLETED
    remote = next(s for s in collection.signers if str(s.email) == SIGNER_EMAIL)
    assert remote.status is SignerStatus.SIGNED and "Juliette Remote" in remote.certificate.subject
    kinds = [e.kind for e in world.trail(cid)]
    assert kinds.index("consent_requested") < kinds.index("consent_given")
    assert len([e for e in world.trail(cid) if e.kind == "document_signed"
                and dict(e.details)["signer_id"] == remote.id]) == 2
    roots = [world.root_der(), csc_server.root_der()]
    qtsp_leaf = csc_server.certificate_der("signer")
    for n, pdf in enumerate(world.document_bytes(cid)):
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
        assert len(signatures) == 2 and signatures[-1].signer_cert.dump() == qtsp_leaf
        for sig in signatures:
            _ades_lta_passes(roots, sig)
        path = tmp_path / f"consented-{n}.pdf"
        path.write_bytes(pdf)
        reports = [r for r in _pdfsig(path, roots, tmp_path / f"nss-{n}") if "ETSI.CAdES.detached" in r]
        assert len(reports) == 2
        for text in reports:
            assert "Signature is Valid" in text and "Certificate is Trusted" in text, text


def test_a_state_we_did_not_issue_and_a_replayed_redirect_are_refused(world, strict):
    cid = world.collection([_remote_signer(), dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE,
                                                   given_names="Claire", surname="Petit", email="claire@exemple.fr")])
    token = _identity_checked(world)
    redirect, back = _consent(world, token)
    with pytest.raises(RemoteConsentUnusable):
        world.uc.finish_remote_consent(token=token, state="forged", code=back["code"], error=None,
                                       redirect_uri=redirect)
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=redirect).status == "signed"
    with pytest.raises(RemoteConsentUnusable):  # the same redirect again
        world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                       redirect_uri=redirect)
    assert len([e for e in world.trail(cid) if e.kind == "document_signed"]) == 1


def test_a_consent_that_lapsed_is_refused_and_a_new_one_signs(world, strict):
    world.collection([_remote_signer()])
    token = _identity_checked(world)
    redirect, back = _consent(world, token)
    world.clock.advance(timedelta(minutes=16))
    with pytest.raises(RemoteConsentUnusable):
        world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                       redirect_uri=redirect)
    redirect, back = _consent(world, token)
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=redirect).status == "completed"


def test_the_signer_declining_at_the_provider_signs_nothing_and_can_start_again(world, strict):
    cid = world.collection([_remote_signer()], documents=2)
    token = _identity_checked(world)
    redirect, back = _consent(world, token)
    before = [d.latest.sha256 for d in world.get(cid).documents]
    with pytest.raises(RemoteConsentDeclined):
        world.uc.finish_remote_consent(token=token, state=back["state"], code=None, error="access_denied",
                                       redirect_uri=redirect)
    collection = world.get(cid)
    assert [d.latest.sha256 for d in collection.documents] == before
    assert collection.signers[0].status is not SignerStatus.SIGNED
    declined = [e for e in world.trail(cid) if e.kind == "consent_declined"]
    assert [dict(e.details)["reason"] for e in declined] == ["access_denied"]
    assert strict.credential_tokens == {}  # the code was never exchanged
    redirect, back = _consent(world, token)
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=redirect).status == "completed"


def test_a_document_changed_during_the_consent_is_said_and_a_new_consent_signs_the_new_version(world, strict):
    cid = world.collection([
        dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire", surname="Petit",
             email="claire@exemple.fr"),
        _remote_signer(),
    ], mode=InvitationMode.PARALLEL)
    token = _identity_checked(world)
    redirect, back = _consent(world, token)
    assert world.sign_as("claire@exemple.fr").status == "signed"  # while the signer is at the provider
    with pytest.raises(RemoteConsentOutdated):
        world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                       redirect_uri=redirect)
    assert strict.credential_tokens == {}  # nothing signed at the provider for the former version
    redirect, back = _consent(world, token)
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=redirect).status == "completed"
    (pdf,) = world.document_bytes(cid)
    report = world.uc.verify_pdf(content=pdf)
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert len(signatures) == 2 and all(s.intact and s.valid for s in signatures)


def _text(page) -> str:
    import re

    return re.sub(r"\s+", " ", page.text).replace("\u00a0", " ").replace("&#39;", "'")


def test_the_signers_page_sends_them_to_the_provider_and_signs_on_their_return(world, strict):
    """The steps page offers « Autoriser chez mon prestataire » instead of « Recevoir mon code »; the
    button goes to the provider's page; its redirect back signs and shows the signature done."""
    from litestar.testing import TestClient

    from tests.apps import app_for

    cid = world.collection([_remote_signer()], documents=2)
    token = _identity_checked(world)
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        steps = client.get(f"/signature/{token}")
        assert steps.status_code == 200
        text = _text(steps)
        assert "Autoriser chez mon prestataire" in text and "Recevoir mon code" not in text
        assert "vous demandera d’autoriser la signature sur sa propre page" in text
        csrf = client.cookies.get("seing_csrf")
        unticked = client.post(f"/signature/{token}/consentement", data={"_csrf_token": csrf},
                               follow_redirects=False)
        assert unticked.status_code == 400 and "pour autoriser la signature" in _text(unticked)
        sent = client.post(f"/signature/{token}/consentement", data={"_csrf_token": csrf, "accepte": "1"},
                           follow_redirects=False)
        assert sent.status_code == 303, _text(sent)[:2000]
        back = httpx.URL(httpx.get(sent.headers["location"], follow_redirects=False).headers["location"])
        assert back.path == "/signature/consentement"  # one redirect URI for every signer, as providers register it
        done = client.get(f"{back.path}?{back.query.decode()}", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/signature/{token}"
        assert world.get(cid).status is CollectionStatus.COMPLETED
        replayed = client.get(f"{back.path}?{back.query.decode()}", follow_redirects=False)
        assert replayed.status_code < 500


def test_a_declined_consent_is_a_french_sentence_above_the_button(world, strict):
    from litestar.testing import TestClient

    from tests.apps import app_for

    cid = world.collection([_remote_signer(), dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE,
                                                   given_names="Claire", surname="Petit",
                                                   email="claire@exemple.fr")])
    token = _identity_checked(world)
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        client.get("/verifier")
        sent = client.post(f"/signature/{token}/consentement",
                           data={"_csrf_token": client.cookies.get("seing_csrf"), "accepte": "1"},
                           follow_redirects=False)
        state = httpx.URL(sent.headers["location"]).params["state"]
        page = client.get(f"/signature/consentement?error=access_denied&state={state}")
        text = _text(page)
        assert page.status_code == 409, text[:2000]
        assert "Vous n’avez pas autorisé la signature chez votre prestataire de signature qualifiée" in text
        assert "Autoriser chez mon prestataire" in text  # the way to try again
        forged = client.get("/signature/consentement?code=x&state=forged")
        assert forged.status_code == 410
        assert "ne correspond à aucune autorisation en cours" in _text(forged)
    assert world.get(cid).signers[0].status is not SignerStatus.SIGNED


def test_the_api_gives_the_providers_page_and_refusals_as_problems(world, strict):
    """``/open`` says there is no code (``qtsp_consent``); ``/consent`` gives the provider's page,
    whose redirect comes back to the signer's page of Seing; a code asked for instead is a 409
    problem pointing to the consent."""
    from litestar.testing import TestClient

    from tests.apps import app_for

    cid = world.collection([_remote_signer()])
    token = _identity_checked(world)
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        view = client.post(f"/api/v1/signature/{token}/open").json()
        assert view["code_channel"] == "qtsp_consent"
        code = client.post(f"/api/v1/signature/{token}/code", json={"accepted": True})
        assert code.status_code == 409 and code.headers["content-type"].startswith("application/problem+json")
        assert code.json()["code"] == "remote_signing.consent_unsupported"
        assert "Autoriser chez mon prestataire" in code.json()["detail"]
        refused = client.post(f"/api/v1/signature/{token}/consent", json={"accepted": False})
        assert refused.status_code == 422
        started = client.post(f"/api/v1/signature/{token}/consent", json={"accepted": True})
        assert started.status_code == 201, started.text
        back = httpx.URL(httpx.get(started.json()["url"], follow_redirects=False).headers["location"])
        assert back.path == "/signature/consentement"
        # This browser did not start the consent (the API's client did): the outcome on a page of its own.
        done = client.get(f"{back.path}?{back.query.decode()}", follow_redirects=False)
        assert done.status_code == 200 and "Votre signature est enregistrée" in _text(done)
    assert world.get(cid).status is CollectionStatus.COMPLETED


def test_the_consent_waits_for_the_identity_check_and_belongs_to_its_signer(world, strict):
    """As a code would: no consent before the level-3 identity check; and a redirect brought back
    by another signer's page (their link in the session) is not this signer's consent."""
    from domain.model.errors import IdentityCheckRequired

    world.collection([_remote_signer(), _remote_signer("paul.remote@example.fr")],
                     mode=InvitationMode.PARALLEL)
    token = world.token_of(SIGNER_EMAIL)
    world.uc.open_ceremony(token=token)
    with pytest.raises(IdentityCheckRequired):
        world.uc.start_remote_consent(token=token, redirect_uri=REDIRECT)
    assert strict.consents == {}
    token = _identity_checked(world)
    other = _identity_checked(world, "paul.remote@example.fr")
    redirect, back = _consent(world, token)
    with pytest.raises(RemoteConsentUnusable):
        world.uc.finish_remote_consent(token=other, state=back["state"], code=back["code"], error=None,
                                       redirect_uri=redirect)
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=redirect).status == "signed"
