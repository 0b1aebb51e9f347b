"""The signer's pages (`/signature/{token}`), the download links and `/verifier`, driven with
Litestar's TestClient on the fake container with the real CA and PAdES signing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Iterator

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.collection import InvitationMode
from domain.model.errors import TimestampUnavailable
from domain.model.identity import CheckMode
from domain.model.pki import CertificatePolicy
from domain.model.signer import SignatureLevel, SignerKind
from tests.ceremony.harness import Ceremony

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _external(level: SignatureLevel, name: str, email: str, mobile: str | None = "06 12 34 56 78") -> dict:
    return dict(kind=SignerKind.EXTERNAL, level=level, given_names=name, surname="Exemple", email=email,
                mobile=mobile)


@pytest.fixture
def world(tmp_path) -> Ceremony:
    return Ceremony(tmp_path)


@pytest.fixture
def client(world: Ceremony) -> Iterator[TestClient]:
    from tests.apps import app_for

    with TestClient(app_for(world.container), base_url="http://testserver.local") as test_client:
        yield test_client


def _csrf(client: TestClient) -> str:
    token = client.cookies.get("seing_csrf")
    if token is None:
        client.get("/verifier")
        token = client.cookies.get("seing_csrf")
    assert token
    return token


def _post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Any:
    return client.post(path, data={"_csrf_token": _csrf(client), **(data or {})}, follow_redirects=False)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("’", "'").replace("\u00a0", " ")


def _signing(world: Ceremony, tsa: Any) -> PyHankoPdfSigning:
    return PyHankoPdfSigning(vault=world.vault, timestamp_authority=tsa, revocation_source=CaRevocationSource(world.ca),
                             clock=world.clock)


def _level2(world: Ceremony, **kwargs: Any) -> str:
    return world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")], **kwargs)


def _accept(client: TestClient, token: str) -> Any:
    response = _post(client, f"/signature/{token}/code", {"accepte": "1"})
    assert response.status_code == 303, response.text
    return response


# -- the ceremony, step by step --------------------------------------------------------------------------


def test_the_signer_reads_the_documents_page_by_page_with_the_message_and_the_steps(world, client):
    world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")], documents=2)
    token = world.token_of("anne@exemple.fr")
    page = client.get(f"/signature/{token}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Lettre de mission 2026" in text and "Merci de signer." in text
    assert "J'ai lu et j'accepte les documents." in text and "Refuser" in text
    assert "par SMS au 06 ** ** 78" in text
    images = re.findall(r'<img src="(/signature/[^"]+/pages/\d+)"', page.text)
    assert len(images) == 4  # two documents of two pages
    image = client.get(images[1])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get(images[0].rsplit("/", 1)[0] + "/9").status_code == 404
    pdf_link = re.search(r'href="(/signature/[^"]+/pdf)"', page.text).group(1)
    assert client.get(pdf_link).content.startswith(b"%PDF-")


def test_the_preparers_message_keeps_its_line_breaks_escaped_and_says_whose_it_is(world, client):
    # A message typed on several lines, with something that looks like markup.
    world.collection([_external(SignatureLevel.SIMPLE, "Anne", "anne@exemple.fr", mobile=None)],
                     message="Bonjour Anne,\nla lettre <b>2026</b>.\nJessica")
    page = client.get(f"/signature/{world.token_of('anne@exemple.fr')}")
    assert "<blockquote>Bonjour Anne,<br>\nla lettre &lt;b&gt;2026&lt;/b&gt;.<br>\nJessica</blockquote>" in page.text
    assert re.search(r'<h2 id="message-titre">Message (de |d’)\w', page.text)


def test_level_2_sms_code_then_sign_records_the_signature(world, client):
    cid = _level2(world)
    token = world.token_of("anne@exemple.fr")
    client.get(f"/signature/{token}")
    response = _accept(client, token)
    assert response.headers["location"].startswith(f"/signature/{token}/code")
    assert world.notifications("signing_code")[-1].to == "+33612345678"
    code_page = client.get(response.headers["location"])
    code_page = _text(code_page.text)
    assert "Signer" in code_page and "Code non reçu ?" in code_page and "06 ** ** 78" in code_page
    signed = _post(client, f"/signature/{token}/signer", {"code": world.latest_code()})
    assert signed.status_code == 303
    # The last signature: the worker completes the collection, the page waits for it.
    finalising = _text(client.get(signed.headers["location"]).text)
    assert "Votre signature est en cours de finalisation" in finalising
    assert "Tous les signataires ont signé : les documents reçoivent leur horodatage final" in finalising
    assert world.get(cid).status.value == "completed" and world.get(cid).evidence is None
    assert world.run_jobs("finalise_collection") == 1
    done = client.get(signed.headers["location"])
    assert "Votre signature est enregistrée" in done.text
    kinds = [e.kind for e in world.trail(cid)]
    assert "opened" in kinds and "signed" in kinds and "evidence_sealed" in kinds


def test_viewing_the_signers_page_again_writes_nothing(world, client):
    cid = _level2(world)
    token = world.token_of("anne@exemple.fr")
    assert client.get(f"/signature/{token}").status_code == 200
    trail, jobs, collection = world.trail(cid), len(world.jobs()), world.get(cid)
    assert [e.kind for e in trail].count("opened") == 1
    for _view in range(3):
        assert client.get(f"/signature/{token}").status_code == 200
    assert world.trail(cid) == trail and len(world.jobs()) == jobs
    assert world.get(cid) == collection


def test_level_1_sends_the_code_by_email_and_signs(world, client):
    world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)])
    token = world.token_of("bruno@exemple.fr")
    assert "par e-mail à b***@exemple.fr" in _text(client.get(f"/signature/{token}").text)
    _accept(client, token)
    assert world.notifications("signing_code")[-1].to == "bruno@exemple.fr"
    assert "par e-mail à b***@exemple.fr" in _text(client.get(f"/signature/{token}/code").text)
    signed = _post(client, f"/signature/{token}/signer", {"code": world.latest_code()})
    assert "Votre signature est en cours de finalisation" in client.get(signed.headers["location"]).text
    assert world.run_jobs("finalise_collection") == 1  # the last signature: the worker completes it
    assert "Votre signature est enregistrée" in client.get(signed.headers["location"]).text


def test_the_code_is_only_sent_once_the_documents_are_accepted(world, client):
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    response = _post(client, f"/signature/{token}/code", {})
    assert response.status_code == 400
    assert "Cochez « J'ai lu et j'accepte » pour recevoir votre code." in _text(response.text)
    assert world.notifications("signing_code") == []


def test_a_missing_acceptance_is_shown_next_to_the_box_which_takes_the_focus(world, client):
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    page = client.get(f"/signature/{token}").text
    # Without JavaScript the answer scrolls back to the « Signer » section; with htmx only that section is swapped.
    assert f'action="/signature/{token}/code#accepter"' in page
    assert f'hx-post="/signature/{token}/code" hx-target="#accepter" hx-select="#accepter"' in page
    refused = _post(client, f"/signature/{token}/code", {})
    section = refused.text[refused.text.index('<section class="signer-actions" id="accepter"'):]
    assert 'id="accepte" name="accepte" value="1" aria-invalid="true" aria-describedby="accepte-erreur" autofocus' \
        in section
    assert section.index('id="accepte-erreur"') < section.index("</section>")


def test_htmx_gets_the_section_in_place_on_error_and_a_redirect_on_success(world, client):
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    headers = {"HX-Request": "true"}
    refused = client.post(f"/signature/{token}/code", data={"_csrf_token": _csrf(client)}, headers=headers)
    assert refused.status_code == 200 and 'id="accepte-erreur"' in refused.text  # htmx swaps 2xx answers only
    accepted = client.post(f"/signature/{token}/code", data={"_csrf_token": _csrf(client), "accepte": "1"},
                           headers=headers)
    assert accepted.status_code == 200
    assert accepted.headers["hx-redirect"] == f"/signature/{token}/code?envoye=sms"
    assert len(world.notifications("signing_code")) == 1


def test_a_wrong_code_five_times_kills_it_and_a_new_one_is_offered(world, client):
    cid = _level2(world)
    token = world.token_of("anne@exemple.fr")
    _accept(client, token)
    good = world.latest_code()
    wrong = "000000" if good != "000000" else "111111"
    first = _post(client, f"/signature/{token}/signer", {"code": wrong})
    assert first.status_code in (400, 422) and "Ce code est incorrect" in first.text
    for _ in range(4):
        last = _post(client, f"/signature/{token}/signer", {"code": wrong})
    assert last.status_code < 500
    refused = _post(client, f"/signature/{token}/signer", {"code": good})
    assert refused.status_code < 500 and "demandez-en un nouveau" in refused.text
    assert "Recevoir un nouveau code" in refused.text
    assert world.get(cid).status.value == "in_progress"
    assert "code_failed" in [e.kind for e in world.trail(cid)]


def test_an_empty_code_is_asked_for_again(world, client):
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    _accept(client, token)
    response = _post(client, f"/signature/{token}/signer", {"code": "  "})
    assert response.status_code == 400 and "Saisissez le code à 6 chiffres reçu." in response.text


def test_an_expired_code_is_refused_with_a_clear_message(world, client):
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    _accept(client, token)
    code = world.latest_code()
    world.clock.advance(timedelta(hours=1))
    response = _post(client, f"/signature/{token}/signer", {"code": code})
    assert 400 <= response.status_code < 500
    assert "Ce code a expiré" in response.text


def test_resending_too_soon_is_throttled_then_allowed(world, client):
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    _accept(client, token)
    too_soon = _post(client, f"/signature/{token}/code", {"renvoyer": "1"})
    assert too_soon.status_code == 429 and "patientez" in too_soon.text
    world.clock.advance(timedelta(seconds=61))
    again = _post(client, f"/signature/{token}/code", {"renvoyer": "1"})
    assert again.status_code == 303 and "renvoye=1" in again.headers["location"]
    assert "Un nouveau code vous a été envoyé." in client.get(again.headers["location"]).text
    assert len(world.notifications("signing_code")) == 2


def test_refusal_needs_a_reason_and_a_confirmation_then_ends_the_collection(world, client):
    cid = _level2(world)
    token = world.token_of("anne@exemple.fr")
    page = client.get(f"/signature/{token}/refus")
    assert "Refuser de signer" in page.text
    missing = _post(client, f"/signature/{token}/refus", {"raison": ""})
    assert missing.status_code == 400
    assert "Indiquez la raison de votre refus" in missing.text and "Cochez la case pour confirmer" in missing.text
    assert world.get(cid).status.value == "in_progress"
    done = _post(client, f"/signature/{token}/refus", {"raison": "Le montant est faux", "confirme": "1"})
    assert done.status_code == 303
    assert "Vous avez refusé de signer" in client.get(done.headers["location"]).text
    assert world.get(cid).status.value == "refused"
    assert "refused" in [e.kind for e in world.trail(cid)]


def test_a_dead_link_gets_a_clear_french_page_never_a_500(world, client):
    unknown = client.get("/signature/nimporte-quoi")
    assert unknown.status_code == 410 and "Ce lien de signature n’est plus valable" in unknown.text
    for path in ("/code", "/refus", "/identite"):
        assert client.get(f"/signature/nimporte-quoi{path}").status_code == 410
    assert _post(client, "/signature/nimporte-quoi/code", {"accepte": "1"}).status_code == 410
    assert _post(client, "/signature/nimporte-quoi/signer", {"code": "123456"}).status_code == 410
    assert _post(client, "/signature/nimporte-quoi/refus", {"raison": "x", "confirme": "1"}).status_code == 410
    assert client.get("/signature/nimporte-quoi/documents/d/pages/1").status_code == 404


def test_an_expired_collection_says_the_deadline_has_passed(world, client):
    _level2(world, deadline=timedelta(days=2))
    token = world.token_of("anne@exemple.fr")
    world.clock.advance(timedelta(days=3))
    page = client.get(f"/signature/{token}")
    assert page.status_code == 410 and "La date limite de signature est passée" in _text(page.text)


def test_a_refused_collection_tells_the_other_signers(world, client):
    cid = world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr"),
                            _external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None),
                            _external(SignatureLevel.SIMPLE, "Chloé", "chloe@exemple.fr", mobile=None)],
                           mode=InvitationMode.PARALLEL)
    world.sign_as("chloe@exemple.fr")
    world.uc.refuse(token=world.token_of("anne@exemple.fr"), reason="Non")
    assert sorted(n.to for n in world.notifications("collection_refused_signer")) == [
        "bruno@exemple.fr", "chloe@exemple.fr"]
    page = client.get(f"/signature/{world.token_of('bruno@exemple.fr')}")
    assert page.status_code == 410 and "Cette collecte a été refusée" in page.text
    refuser = _text(client.get(f"/signature/{world.token_of('anne@exemple.fr')}").text)
    assert "nous avons prévenu Jessica Poussart ainsi que les 2 autres signataires" in refuser
    # Chloé signed before the refusal: her page says nothing will be sent, not « quand tous auront signé ».
    signed = _text(client.get(f"/signature/{world.token_of('chloe@exemple.fr')}").text)
    assert "Un autre signataire a refusé de signer" in signed and "Quand tous les signataires" not in signed
    # The preparer's page shows each signer's state: Bruno is no longer « Invité ».
    _post(client, "/connexion", {"email": "jessica@poussart.fr", "password": "correct horse battery"})
    rows = {row.split("</th>")[0].rsplit(">", 1)[-1]: _text(row)
            for row in client.get(f"/collectes/{cid}").text.split('<tr id="signataire-')[1:]}
    assert "A refusé" in rows["Anne Exemple"] and "A signé" in rows["Chloé Exemple"]
    assert "N'a pas signé : collecte refusée" in rows["Bruno Exemple"] and "Invité" not in rows["Bruno Exemple"]


def test_the_signer_sees_each_document_their_box_on_its_page_and_the_digest_their_code_binds(world, client):
    from domain.model.one_time_code import bind_payload

    cid = world.collection([_external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")], documents=2)
    token = world.token_of("anne@exemple.fr")
    html = client.get(f"/signature/{token}").text
    collection = world.get(cid)
    signer = collection.signers[0]
    for index, document in enumerate(collection.documents, start=1):
        placement = collection.placement(document.id, signer.id)
        size = document.page_sizes[placement.page - 1]
        # Listed with its pages and the page of the box, then the box drawn over that page's image.
        assert f'<a href="#doc-{index}">{document.name}</a>' in html
        box = re.search(rf'<rect id="zone-{index}" data-signature-zone x="([\d.]+)" y="([\d.]+)"\s+'
                        rf'width="([\d.]+)" height="([\d.]+)"', html)
        assert box is not None
        assert [float(v) for v in box.groups()] == pytest.approx(
            [placement.x, size.height - placement.y - placement.height, placement.width, placement.height])
        # Each page image has its size before it loads, so only the pages near the screen are fetched.
        assert f'width="900" height="{round(900 * size.height / size.width)}"' in html
    assert html.count('loading="lazy"') == sum(d.page_count for d in collection.documents) - 1
    assert 'href="#zone-1"' in html and "Aller à mes zones de signature" in html
    # The digest shown is the one the code is bound to.
    bound = bind_payload(d.approved.sha256 for d in world.get(cid).documents)
    assert f'<code id="empreinte-code">{bound}</code>' in html
    _accept(client, token)
    challenges = list(world.store.tables["one_time_codes"].values())
    assert [c.payload_digest for c in challenges] == [bound]  # the code sent is bound to exactly that
    assert bound in client.get(f"/signature/{token}/code").text


def test_an_unavailable_tsa_shows_the_finalising_page_that_refreshes_itself(world, client):
    class DownTsa:
        def timestamp(self, digest, hash_algorithm, nonce=None):
            raise TimestampUnavailable("the TSA does not answer")

    world.container.adapters.pdf_signing.override(providers.Object(_signing(world, DownTsa())))
    _level2(world)
    token = world.token_of("anne@exemple.fr")
    _accept(client, token)
    signed = _post(client, f"/signature/{token}/signer", {"code": world.latest_code()})
    page = client.get(signed.headers["location"])
    assert "Votre signature est en cours de finalisation" in page.text
    assert 'data-poll-url="/api/v1/signature/' in page.text and '/static/js/signer.js' in page.text
    world.container.adapters.pdf_signing.override(
        providers.Object(_signing(world, BuiltinTsa(world.vault, world.ca, world.clock))))
    assert world.run_jobs("finalise_signature") == 1
    assert world.run_jobs("finalise_collection") == 1  # the signature was the last one
    assert "Votre signature est enregistrée" in client.get(f"/signature/{token}").text


def test_an_external_level_3_signer_checks_their_identity_first(world, client):
    cid = world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    page = client.get(f"/signature/{token}")
    assert "Vérifier mon identité" in page.text and "recevoir-code" not in page.text
    assert _post(client, f"/signature/{token}/code", {"accepte": "1"}).headers["location"].endswith("/identite")
    start = client.get(f"/signature/{token}/identite")
    assert "Commencer" in start.text
    started = _post(client, f"/signature/{token}/identite")
    assert started.status_code == 303
    qr_page = client.get(f"/signature/{token}/identite")
    assert "<svg" in qr_page.text and "Continuez ici dans votre navigateur." in qr_page.text
    assert '/identity-check" data-poll-field="status"' in qr_page.text
    verifier = world.container.adapters.identity_verifier()
    session_ref = world.get(cid).signers[0].identity_check_reference
    for step in CheckMode.DOCUMENT_AND_FACE.steps:
        verifier.submit_capture(session_ref, step, PNG, "image/png")
    verifier.finish_capture(session_ref)
    verifier.decide_now(session_ref)
    approved = client.get(f"/signature/{token}/identite", follow_redirects=False)
    assert approved.status_code == 303
    page = client.get(f"/signature/{token}")
    assert "J'ai lu et j'accepte le document." in _text(page.text)
    _accept(client, token)
    signed = _post(client, f"/signature/{token}/signer", {"code": world.latest_code()})
    assert "Votre signature est en cours de finalisation" in client.get(signed.headers["location"]).text
    assert world.run_jobs("finalise_collection") == 1  # the last signature: the worker completes it
    assert "Votre signature est enregistrée" in client.get(signed.headers["location"]).text



def test_on_a_phone_the_level_3_signer_continues_on_the_phone_instead_of_scanning_a_code(world, client):
    world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    assert _post(client, f"/signature/{token}/code", {"accepte": "1"}).status_code == 303
    assert _post(client, f"/signature/{token}/identite").status_code == 303
    phone = client.get(f"/signature/{token}/identite", headers={"Sec-CH-UA-Mobile": "?1"}).text
    assert "Continuer sur ce téléphone" in phone and 'id="continuer-navigateur"' in phone
    assert "Scannez le QR code avec votre smartphone" not in phone and "ordinateur" not in phone
    computer = client.get(f"/signature/{token}/identite", headers={"Sec-CH-UA-Mobile": "?0"}).text
    assert "Scannez le QR code avec votre smartphone pour continuer." in computer


# -- downloads ----------------------------------------------------------------------------------------


def _completed_with_links(world: Ceremony, client: TestClient) -> tuple[str, str]:
    cid = world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)],
                           observers=1)
    token = world.token_of("bruno@exemple.fr")
    world.uc.open_ceremony(token=token)
    world.uc.request_signing_code(token=token)
    world.uc.sign(token=token, code=world.latest_code())
    world.run_jobs("finalise_collection")
    links = [n for n in world.notifications() if n.context_dict().get("download_token")]
    assert links, [n.template for n in world.notifications()]
    return cid, links[-1].context_dict()["download_token"]


def test_the_download_link_lists_the_signed_pdfs_and_the_evidence_and_serves_them(world, client):
    cid, download = _completed_with_links(world, client)
    page = client.get(f"/telechargement/{download}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Documents signés" in text and "lettre-1-signé.pdf" in text and "Dossier de preuve (PDF)" in text
    document_link = re.search(r'href="(/telechargement/[^"]+/documents/[^"]+)"', page.text).group(1)
    pdf = client.get(document_link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # The signed copy never takes the original's name: « lettre-1-signé.pdf », ASCII fallback without the accent.
    assert pdf.headers["content-disposition"] == (
        "attachment; filename=\"lettre-1-signe.pdf\"; filename*=UTF-8''lettre-1-sign%C3%A9.pdf")
    evidence = client.get(f"/telechargement/{download}/dossier-de-preuve.pdf")
    assert evidence.status_code == 200 and evidence.content.startswith(b"%PDF-")
    twin = client.get(f"/telechargement/{download}/dossier-de-preuve.json")
    assert twin.headers["content-type"].startswith("application/json") and twin.json()
    assert client.get(f"/telechargement/{download}/autre.txt").status_code == 404
    assert [e for e in world.trail(cid) if e.kind == "downloaded"]


def test_an_expired_or_unknown_download_link_says_so_in_french(world, client):
    _cid, download = _completed_with_links(world, client)
    unknown = client.get("/telechargement/inconnu")
    assert unknown.status_code == 410 and "Ce lien de téléchargement n’est pas valable" in unknown.text
    world.clock.advance(timedelta(days=31))
    expired = client.get(f"/telechargement/{download}")
    assert expired.status_code == 410 and "Ce lien de téléchargement a expiré" in expired.text
    assert client.get(f"/telechargement/{download}/dossier-de-preuve.pdf").status_code == 410


def test_the_preparer_downloads_the_evidence_and_signed_pdf_from_the_collection(world, client):
    cid, _download = _completed_with_links(world, client)
    assert client.get(f"/collectes/{cid}/dossier-de-preuve.pdf", follow_redirects=False).status_code == 303
    _post(client, "/connexion", {"email": "jessica@poussart.fr", "password": "correct horse battery"})
    page = client.get(f"/collectes/{cid}")
    assert page.status_code == 200
    assert f'href="/collectes/{cid}/dossier-de-preuve.pdf"' in page.text and "/documents-signes/" in page.text
    evidence = client.get(f"/collectes/{cid}/dossier-de-preuve.pdf")
    assert evidence.status_code == 200 and evidence.content.startswith(b"%PDF-")
    assert client.get(f"/collectes/{cid}/dossier-de-preuve.json").json()
    document_id = world.get(cid).documents[0].id
    signed = client.get(f"/collectes/{cid}/documents-signes/{document_id}")
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF-")
    assert "filename*=UTF-8''lettre-1-sign%C3%A9.pdf" in signed.headers["content-disposition"]
    # Each of the member's downloads is in the trail with what the edge saw of the client.
    member_downloads = [e for e in world.trail(cid) if e.kind == "downloaded" and e.detail_dict()["role"] == "member"]
    assert sorted(e.detail_dict()["item"] for e in member_downloads) == sorted(
        ["evidence.pdf", "evidence.json", document_id])
    assert {(e.ip, e.user_agent) for e in member_downloads} == {("testclient", "testclient")}


# -- /verifier -----------------------------------------------------------------------------------------------


def _upload(client: TestClient, content: bytes, name: str = "lettre.pdf") -> Any:
    return client.post("/verifier", data={"_csrf_token": _csrf(client)},
                       files={"fichier": (name, content, "application/pdf")})


def test_the_verifier_reports_each_signature_in_french(world, client):
    world.give_certificate(world.owner, CertificatePolicy.LCP)
    cid = world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None),
                            dict(kind=SignerKind.MYSELF, level=SignatureLevel.ADVANCED)])
    world.sign_as("bruno@exemple.fr")
    world.sign_as("jessica@poussart.fr")
    world.run_jobs("finalise_collection")
    page = client.get("/verifier")
    assert page.status_code == 200 and "Vérifier une signature" in page.text
    report = _upload(client, world.document_bytes(cid)[0])
    assert report.status_code == 200, report.text
    text = _text(report.text)
    assert "Niveau 1 : signature simple" in text and "Niveau 2 : signature avancée" in text
    assert "Horodatage du document" in text and "valide au moment de la signature" in text
    assert "Niveau PAdES" in text and "B-LT" in text
    # What the file proves by itself, offline, and since when: every signature at B-LTA.
    assert text.count("Preuve apportée par le fichier seul") == 2 and text.count("PAdES B-LTA, établie au") == 2
    assert "aucune liste de confiance européenne n'est configurée" in text  # never "qualified" without one
    # Certificate details with French attribute names, never asn1crypto's English ones.
    certificate = re.search(r"Certificat</dt><dd>(.*?)</dd>", report.text, re.S).group(1)
    assert "Organisation\u00a0:" in certificate and "Nom\u00a0:" in certificate, certificate
    assert "Common Name" not in report.text and "Organization:" not in report.text
    _name, evidence = world.uc.evidence_for_member(collection_id=cid, by_person_id=world.owner)
    sealed = _upload(client, evidence, "dossier-de-preuve.pdf")
    assert sealed.status_code == 200, sealed.text
    assert "Toutes les signatures sont valides" in _text(sealed.text)


def test_the_verifier_refuses_bad_files_with_a_clear_message(world, client):
    empty = client.post("/verifier", data={"_csrf_token": _csrf(client)})
    assert empty.status_code == 400 and "Choisissez un fichier PDF" in empty.text
    not_pdf = _upload(client, b"hello, this is text", "note.txt")
    assert not_pdf.status_code in (400, 422) and "ne peut pas être vérifié" in not_pdf.text
    twin = _upload(client, b'{"collection": {}}', "preuve.json")
    assert twin.status_code == 400 and "double JSON du dossier de preuve" in _text(twin.text)
    from tests.intake import corpus

    unsigned = _upload(client, corpus.minimal_pdf(pages=1, text="x"))
    assert unsigned.status_code < 500
    assert "ne contient aucune signature" in unsigned.text or "ne peut pas être vérifié" in unsigned.text


def test_an_external_level_3_signer_captures_in_this_browser_and_comes_back_to_sign(world, client):
    """The same capture pages as the QCP flow (`/identity/capture/…?device=browser`); at the end
    the browser returns to the signer's page, which asks the provider for its decision."""
    from urllib.parse import urlsplit

    world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    _post(client, f"/signature/{token}/identite")
    qr_page = client.get(f"/signature/{token}/identite")
    href = re.search(r'<a href="([^"]+)" id="continuer-navigateur">', qr_page.text).group(1).replace("&amp;", "&")
    assert href.startswith("/identity/capture/") and "device=browser" in href
    path = urlsplit(href).path
    for step in CheckMode.DOCUMENT_AND_FACE.steps:
        sent = client.post(f"{path}/photo", data={"_csrf_token": _csrf(client), "device": "browser",
                                                  "step": step.value},
                           files={"image": ("photo.png", PNG, "image/png")}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
    end = client.get(sent.headers["location"], follow_redirects=False)
    assert end.status_code == 303 and end.headers["location"] == f"/signature/{token}/identite"
    world.container.adapters.identity_verifier().decide_now(path.rsplit("/", 1)[1])
    approved = client.get(f"/signature/{token}/identite", follow_redirects=False)
    assert approved.status_code == 303
    assert "recevoir-code" in client.get(f"/signature/{token}").text


def test_no_step_answers_a_500_whatever_the_state_of_the_collection(world, client):
    """Every page and form of the ceremony, replayed after signing, after completion and on a
    refused collection: a French page (200, 303, 4xx), never a server error."""
    world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None),
                      _external(SignatureLevel.ADVANCED, "Anne", "anne@exemple.fr")],
                     mode=InvitationMode.PARALLEL)
    bruno, anne = world.token_of("bruno@exemple.fr"), world.token_of("anne@exemple.fr")

    def replay(token: str) -> list[int]:
        statuses = [client.get(f"/signature/{token}{suffix}", follow_redirects=False).status_code
                    for suffix in ("", "/code", "/refus", "/identite", "/documents/x/pdf", "/documents/x/pages/1")]
        statuses += [_post(client, f"/signature/{token}{suffix}", data).status_code for suffix, data in (
            ("/code", {"accepte": "1"}), ("/code", {"renvoyer": "1"}), ("/signer", {"code": "123456"}),
            ("/signer", {"code": "abc"}), ("/refus", {"raison": "Non", "confirme": "1"}), ("/identite", {}))]
        return statuses

    world.sign_as("bruno@exemple.fr")
    assert all(status < 500 for status in replay(bruno))
    assert "Votre signature est enregistrée" in client.get(f"/signature/{bruno}").text
    world.sign_as("anne@exemple.fr")
    for token in (bruno, anne):
        assert all(status < 500 for status in replay(token))
    world.run_jobs("finalise_collection")
    assert "Votre signature est enregistrée" in client.get(f"/signature/{anne}").text


def test_the_verifier_says_when_a_file_is_too_large(client, monkeypatch):
    from entrypoints.web.pages import verifier

    monkeypatch.setattr(verifier, "MAX_VERIFY_BYTES", 1000)
    response = _upload(client, b"%PDF-1.7\n" + b"0" * 2000)
    assert response.status_code == 413 and "Ce fichier dépasse" in response.text


@pytest.mark.parametrize("decision, outcome", [("approve", "recevoir-code"), ("reject", "Recommencer la vérification")])
def test_in_dev_mode_the_simulator_decides_at_once_for_a_demo(tmp_path, decision, outcome):
    from entrypoints.settings import Settings
    from tests.apps import app_for

    world = Ceremony(tmp_path)
    world.container.settings.override(providers.Object(Settings(data_dir=tmp_path, public_url="http://127.0.0.1:9",
                                                                dev_mode=True)))
    verifier = world.container.adapters.identity_verifier()
    verifier.decision_delay = timedelta(minutes=3)
    cid = world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    with TestClient(app_for(world.container), base_url="http://testserver.local") as client:
        _post(client, f"/signature/{token}/identite")
        assert "Approuver maintenant" not in client.get(f"/signature/{token}/identite").text  # nothing captured yet
        session_ref = world.get(cid).signers[0].identity_check_reference
        for step in CheckMode.DOCUMENT_AND_FACE.steps:
            verifier.submit_capture(session_ref, step, PNG, "image/png")
        verifier.finish_capture(session_ref)
        page = client.get(f"/signature/{token}/identite")
        assert "Approuver maintenant" in page.text
        decided = _post(client, f"/signature/{token}/identite/simulateur", {"decision": decision})
        assert decided.status_code == 303
        assert outcome in client.get(f"/signature/{token}/identite", follow_redirects=True).text


def test_outside_dev_mode_there_is_no_simulator_shortcut(world, client):
    from entrypoints.settings import Settings

    world.container.settings.override(providers.Object(Settings(data_dir=world.settings.data_dir,
                                                                public_url="http://127.0.0.1:9", dev_mode=False)))
    world.collection([_external(SignatureLevel.ADVANCED_QUALIFIED, "Marc", "marc@exemple.fr")])
    token = world.token_of("marc@exemple.fr")
    _post(client, f"/signature/{token}/identite")
    assert "Approuver maintenant" not in client.get(f"/signature/{token}/identite").text
    assert _post(client, f"/signature/{token}/identite/simulateur", {"decision": "approve"}).status_code == 404


def test_the_verifier_reports_a_foreign_signature_as_valid_from_an_unknown_authority(world, client):
    from tests.intake import corpus

    cid = world.collection([_external(SignatureLevel.SIMPLE, "Bruno", "bruno@exemple.fr", mobile=None)],
                           contents=[corpus.signed_pdf()])
    world.sign_as("bruno@exemple.fr")
    report = _upload(client, world.document_bytes(cid)[0])
    assert report.status_code == 200, report.text
    text = _text(report.text)
    assert "Toutes les signatures sont valides" in text  # ours are, and the foreign one is not a failure
    assert "valide, émise par une autorité que Seing ne connaît pas" in text
    assert "non valide" not in text
    only_foreign = _text(_upload(client, corpus.signed_pdf()).text)
    assert "Toutes les signatures sont valides" not in only_foreign  # nothing Seing can vouch for
    assert "Seing ne peut pas se porter garant de leurs auteurs" in only_foreign
    assert "au moins une signature n'est pas valide" not in only_foreign
    assert "valide, émise par une autorité que Seing ne connaît pas" in only_foreign
