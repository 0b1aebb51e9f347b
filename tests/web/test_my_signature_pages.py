"""« Ma signature personnelle », « S'enregistrer » and « Mes certificats » as plain French pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography import x509

from domain.model.cabinet import Delegation, Role
from tests.web.conftest import OWNER_EMAIL, login, post_form, queued_token
from tests.web.lcp_helpers import latest_code, register_lcp

COLLABORATOR_EMAIL = "irina.faron@example.fr"
COLLABORATOR_PASSWORD = "irina's long password"


@pytest.fixture
def pki(container):
    container.adapters.ca().init_hierarchy()
    return container.adapters.ca()


@pytest.fixture
def flow(owner):
    return f"/signature-personnelle/{owner.cabinet_id}/enregistrement"


def errors_in(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'class="field-error">(.*?)</', html, re.S)]


def flashes_in(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<div class="alert alert-\w+">(.*?)</div>', html, re.S)]


def current_step(html: str) -> str:
    match = re.search(r'<li class="current" aria-current="step">\s*(.*?)\s*</li>', html, re.S)
    assert match, "no current step shown"
    return match.group(1)


def start(client, flow):
    answer = post_form(client, flow)
    assert answer.status_code == 303 and answer.headers["location"] == flow
    return answer


def to_sms_step(client, container, flow):
    start(client, flow)
    post_form(client, f"{flow}/code-email")
    answer = post_form(client, f"{flow}/code-email/verification", {"code": latest_code(container, "email")})
    assert answer.status_code == 303, answer.text


def join_without_sign(client, container, owner):
    """A collaborator holding only PREPARE, logged in in ``client``."""
    container.use_cases.invite_member(cabinet_id=owner.cabinet_id, by_person_id=owner.person_id,
                                      email=COLLABORATOR_EMAIL, given_names="Irina", surname="Faron",
                                      role=Role.COLLABORATOR, delegations=frozenset({Delegation.PREPARE}))
    container.use_cases.accept_invitation(token=queued_token(container, "member_invitation", COLLABORATOR_EMAIL),
                                          password=COLLABORATOR_PASSWORD, mobile="06 11 22 33 44")
    login(client, COLLABORATOR_EMAIL, COLLABORATOR_PASSWORD)


def test_my_signature_offers_to_register_a_member_holding_sign(client, owner, pki):
    login(client)
    html = client.get("/ma-signature").text
    assert "<h1>Ma signature personnelle</h1>" in html
    assert "Certificat de signature (LCP)" in html
    assert f'action="/signature-personnelle/{owner.cabinet_id}/enregistrement"' in html
    assert "S’enregistrer" in html
    # An active LCP comes first: no « Souscrire » link yet, but the page says how to get there.
    assert f'href="/signature-personnelle/{owner.cabinet_id}/qcp"' not in html
    assert "il vous faut d’abord votre certificat de signature (LCP)" in html


def test_registration_walks_every_step_in_french_and_issues_the_certificate(client, container, owner, pki, flow):
    login(client)
    start(client, flow)

    page = client.get(flow).text
    assert current_step(page) == "Adresse e-mail"
    assert "Accès protégé" in page and ">Envoyer le code</button>" in page
    assert "jessica.poussart@example.fr" in page

    assert post_form(client, f"{flow}/code-email").status_code == 303
    page = client.get(flow).text
    assert "Un code vous a été envoyé à j•••@example.fr." in flashes_in(page)
    assert 'autocomplete="one-time-code"' in page and "Code non reçu\u00a0?" in page

    assert post_form(client, f"{flow}/code-email/verification",
                     {"code": latest_code(container, "email")}).status_code == 303
    page = client.get(flow).text
    assert current_step(page) == "Mobile"
    assert "Votre adresse e-mail est vérifiée." in flashes_in(page)
    assert "Un code vous a été envoyé par SMS au 06 ** ** 13." in flashes_in(page)  # the SMS goes out by itself
    assert "envoyé par SMS au 06 ** ** 13" in page and ">Renvoyer</button>" in page

    assert post_form(client, f"{flow}/code-sms/verification",
                     {"code": latest_code(container, "sms")}).status_code == 303
    page = client.get(flow).text
    assert current_step(page) == "Identité"
    for shown in ("Jessica", "Poussart", OWNER_EMAIL, "06 24 00 00 13"):
        assert shown in page
    assert post_form(client, f"{flow}/identite").status_code == 303

    page = client.get(flow).text
    assert current_step(page) == "Conditions"
    version = container.settings().lcp_terms_version
    assert 'href="/pki/cgu"' in page and f"(version {version})" in page
    assert f'name="terms_version" value="{version}"' in page
    done = post_form(client, f"{flow}/conditions", {"terms_version": version, "accept_terms": "oui"})
    assert done.status_code == 303

    page = client.get(flow).text
    assert "Votre certificat est émis" in page and "Votre certificat de signature est émis." in flashes_in(page)
    assert current_step(page) if 'aria-current="step"' in page else True
    certificate = container.use_cases.my_certificates(person_id=owner.person_id)[0]
    assert certificate.serial_formatted in page and "LCP" in page and "Actif" in page

    overview = client.get("/ma-signature").text
    assert certificate.serial_formatted in overview and "S’enregistrer" not in overview
    assert f'href="/signature-personnelle/{owner.cabinet_id}/qcp"' in overview
    assert "Souscrire à un certificat qualifié" in overview
    listed = client.get("/mes-certificats").text
    assert certificate.serial_formatted in listed and "Cabinet Poussart &amp; Associés" in listed
    assert "du 28 novembre 2026 au 27 novembre 2029" in listed


def test_the_page_resumes_where_the_person_left_off(client, container, owner, pki, flow):
    login(client)
    to_sms_step(client, container, flow)
    client.cookies.clear()  # another browser: the session forgot the codes sent, the database did not
    login(client)
    assert "Reprendre l’enregistrement" in client.get("/ma-signature").text
    page = client.get(flow).text
    assert current_step(page) == "Mobile"
    assert "Nous allons envoyer un code par SMS à votre mobile 06 ** ** 13." in page
    # « S'enregistrer » again resumes the same registration rather than failing.
    start(client, flow)
    assert current_step(client.get(flow).text) == "Mobile"


def test_a_wrong_code_is_refused_five_times_then_the_code_is_dead(client, container, owner, pki, flow):
    login(client)
    start(client, flow)
    post_form(client, f"{flow}/code-email")
    right = latest_code(container, "email")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        answer = post_form(client, f"{flow}/code-email/verification", {"code": wrong})
        assert answer.status_code in (410, 422), answer.status_code
        assert errors_in(answer.text)
    assert errors_in(answer.text) != []
    dead = post_form(client, f"{flow}/code-email/verification", {"code": right})
    assert dead.status_code == 410
    assert errors_in(dead.text) == ["Ce code n’est plus valable (trop d’essais ou code remplacé)\u00a0: "
                                    "demandez-en un nouveau."]
    assert current_step(dead.text) == "Adresse e-mail"


def test_the_first_wrong_code_says_so_next_to_the_field(client, container, owner, pki, flow):
    login(client)
    start(client, flow)
    post_form(client, f"{flow}/code-email")
    answer = post_form(client, f"{flow}/code-email/verification", {"code": "12345x"})
    assert answer.status_code == 422
    assert errors_in(answer.text) == ["Ce code est incorrect\u00a0: vérifiez-le et réessayez."]
    assert 'aria-describedby="code-erreur"' in answer.text
    empty = post_form(client, f"{flow}/code-email/verification", {"code": ""})
    assert empty.status_code == 400
    assert errors_in(empty.text) == ["Saisissez le code à 6\u00a0chiffres que vous avez reçu."]


def test_an_expired_code_is_refused_and_a_new_one_works(client, container, owner, pki, flow):
    login(client)
    to_sms_step(client, container, flow)
    code = latest_code(container, "sms")
    container.adapters.clock().advance(timedelta(minutes=11))
    expired = post_form(client, f"{flow}/code-sms/verification", {"code": code})
    assert expired.status_code == 410
    assert errors_in(expired.text) == ["Ce code a expiré\u00a0: demandez-en un nouveau."]
    assert post_form(client, f"{flow}/code-sms").status_code == 303
    assert post_form(client, f"{flow}/code-sms/verification",
                     {"code": latest_code(container, "sms")}).status_code == 303
    assert current_step(client.get(flow).text) == "Identité"


def test_resending_at_once_is_throttled_with_a_french_sentence(client, container, owner, pki, flow):
    login(client)
    start(client, flow)
    post_form(client, f"{flow}/code-email")
    again = post_form(client, f"{flow}/code-email")
    assert again.status_code == 429
    assert "Un code vient d’être envoyé\u00a0: patientez un instant avant d’en redemander un." in again.text


def test_the_terms_must_be_ticked(client, container, owner, pki, flow):
    login(client)
    to_sms_step(client, container, flow)
    post_form(client, f"{flow}/code-sms/verification", {"code": latest_code(container, "sms")})
    post_form(client, f"{flow}/identite")
    version = container.settings().lcp_terms_version
    refused = post_form(client, f"{flow}/conditions", {"terms_version": version})
    assert refused.status_code == 400
    assert errors_in(refused.text) == ["Cochez la case pour accepter les conditions générales d’utilisation."]
    stale = post_form(client, f"{flow}/conditions", {"terms_version": "cgu-1999", "accept_terms": "oui"})
    assert stale.status_code == 409
    assert "Les conditions ont changé depuis votre lecture" in stale.text
    assert container.use_cases.my_certificates(person_id=owner.person_id) == []


def test_a_step_out_of_order_sends_the_person_back_where_they_are(client, container, owner, pki, flow):
    login(client)
    start(client, flow)
    answer = post_form(client, f"{flow}/identite")
    assert answer.status_code == 303 and answer.headers["location"] == flow
    page = client.get(flow).text
    assert "L’enregistrement a avancé entre-temps\u00a0: voici l’étape où vous en êtes." in flashes_in(page)
    assert current_step(page) == "Adresse e-mail"


def test_cancelling_returns_to_my_signature_and_allows_a_fresh_start(client, container, owner, pki, flow):
    login(client)
    start(client, flow)
    cancelled = post_form(client, f"{flow}/annuler")
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/ma-signature"
    assert "Enregistrement annulé." in flashes_in(client.get("/ma-signature").text)
    start(client, flow)
    assert current_step(client.get(flow).text) == "Adresse e-mail"


def test_a_member_without_sign_gets_a_clear_french_refusal(client, container, owner, pki):
    join_without_sign(client, container, owner)
    overview = client.get("/ma-signature").text
    assert "Vous n’avez pas la délégation «\u00a0Signer\u00a0» dans ce cabinet." in overview
    assert "S’enregistrer</button>" not in overview
    refused = post_form(client, f"/signature-personnelle/{owner.cabinet_id}/enregistrement")
    assert refused.status_code == 403
    assert ("Pour vous enregistrer, il vous faut la délégation «\u00a0Signer\u00a0» dans ce cabinet\u00a0: "
            "demandez-la à l’expert-comptable titulaire.") in refused.text
    page = client.get(f"/signature-personnelle/{owner.cabinet_id}/enregistrement")
    assert page.status_code == 200 and "il vous faut la délégation" in page.text


def test_another_cabinet_or_nobody_logged_in_gets_nothing(client, owner, pki):
    anonymous = client.get(f"/signature-personnelle/{owner.cabinet_id}/enregistrement", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/connexion")
    login(client)
    assert client.get("/signature-personnelle/not-my-cabinet/enregistrement").status_code == 404
    assert post_form(client, "/signature-personnelle/not-my-cabinet/enregistrement").status_code == 404


def test_my_certificates_downloads_the_certificate_never_a_key(client, container, owner, pki):
    summary = register_lcp(container, owner.person_id, owner.cabinet_id)
    login(client)
    listed = client.get("/mes-certificats").text
    assert f'href="/mes-certificats/{summary.certificate_id}.pem"' in listed
    pem = client.get(f"/mes-certificats/{summary.certificate_id}.pem")
    assert pem.status_code == 200 and pem.headers["content-type"].startswith("application/x-pem-file")
    assert "attachment" in pem.headers["content-disposition"]
    assert b"PRIVATE KEY" not in pem.content
    der = client.get(f"/mes-certificats/{summary.certificate_id}.der")
    assert der.headers["content-type"] == "application/pkix-cert"
    assert x509.load_pem_x509_certificate(pem.content) == x509.load_der_x509_certificate(der.content)
    assert format(x509.load_der_x509_certificate(der.content).serial_number, "x") == summary.serial
    assert client.get(f"/mes-certificats/{summary.certificate_id}.key").status_code == 404
    assert client.get("/mes-certificats/someone-else.pem").status_code == 404


def test_revoking_asks_for_confirmation_and_a_reason(client, container, owner, pki):
    summary = register_lcp(container, owner.person_id, owner.cabinet_id)
    login(client)
    listed = client.get("/mes-certificats").text
    assert f'href="/mes-certificats/{summary.certificate_id}/revocation"' in listed
    confirm = client.get(f"/mes-certificats/{summary.certificate_id}/revocation")
    assert confirm.status_code == 200
    assert "La révocation est définitive" in confirm.text and "Motif de la révocation" in confirm.text
    no_reason = post_form(client, f"/mes-certificats/{summary.certificate_id}/revocation")
    assert no_reason.status_code == 400
    assert errors_in(no_reason.text) == ["Choisissez le motif de la révocation."]
    # The error sits by the choices and the first choice takes the focus (no page to scroll through).
    assert re.search(r'id="reason-[a-z_]+" name="reason" value="[a-z_]+" aria-invalid="true" autofocus>', no_reason.text)
    assert no_reason.text.count("autofocus") == 1
    assert container.use_cases.my_certificates(person_id=owner.person_id)[0].status.value == "active"

    done = post_form(client, f"/mes-certificats/{summary.certificate_id}/revocation", {"reason": "key_compromise"})
    assert done.status_code == 303 and done.headers["location"] == "/mes-certificats"
    page = client.get("/mes-certificats").text
    assert f"Le certificat {summary.serial_formatted} est révoqué. Il ne peut plus servir à signer." in page
    assert "Révoqué" in page and "/revocation" not in page
    again = client.get(f"/mes-certificats/{summary.certificate_id}/revocation", follow_redirects=False)
    assert again.status_code == 303
    overview = client.get("/ma-signature").text
    assert "S’enregistrer" in overview  # no active LCP any more: register again


def test_the_pages_are_in_english_when_the_person_chose_english(client, container, owner, pki, flow):
    login(client)
    post_form(client, "/langue", {"locale": "en", "suivant": "/ma-signature"})
    overview = client.get("/ma-signature").text
    assert "<h1>My personal signature</h1>" in overview and "Register" in overview
    start(client, flow)
    assert ">Send the code</button>" in client.get(flow).text
    assert "<h1>My certificates</h1>" in client.get("/mes-certificats").text


def test_an_sms_code_the_operator_refuses_is_shown_to_the_registrant(client, container, owner, pki, flow):
    from entrypoints.worker import Worker

    login(client)
    to_sms_step(client, container, flow)  # the SMS code is sent once the email is verified
    assert latest_code(container, "sms")
    assert "n’a pas pu être remis" not in client.get(flow).text
    container.adapters.sms_sender().fail_next(permanent=True, message="21211 invalid To", code="21211")
    worker = Worker(container.adapters.job_store(), container.job_handlers(), container.adapters.clock(),
                    max_attempts=8, on_failure=container.job_failure_handlers())
    while worker.run_once():
        pass

    page = client.get(flow)
    assert page.status_code == 200
    [alert] = re.findall(r'<p class="alert alert-error" role="alert" id="sms-non-remis">(.*?)</p>', page.text, re.S)
    assert alert.startswith("Le SMS contenant votre code n’a pas pu être remis au ")
    assert "demandez un nouveau code" in alert
    assert current_step(page.text) == "Mobile"

    # A new code that leaves (once the resend throttle allows it): the warning goes.
    container.adapters.clock().advance(timedelta(minutes=11))
    resent = post_form(client, f"{flow}/code-sms")
    assert resent.status_code == 303, re.findall(r'field-error[^>]*>(.*?)<', resent.text)
    assert "n’a pas pu être remis" not in client.get(flow).text
