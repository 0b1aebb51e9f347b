"""In Chromium, in French: a member holding SIGN registers (« S'enregistrer ») from « Ma signature
personnelle » with the codes the outbox received by email and SMS, gets an LCP certificate,
finds it in « Mes certificats » and downloads it."""

from __future__ import annotations

import re

import pytest
from cryptography import x509

from adapters.messaging.outbox import read_outbox

pytestmark = pytest.mark.browser

EMAIL = "claire.dubois@example.fr"
PASSWORD = "claire's long password"
MOBILE_MASKED = "06 ** ** 44"


def _latest_code(live_server, channel: str) -> str:
    """Deliver what is queued (``seing worker --once``), then read the newest code of that channel."""
    while live_server.deliver_mail():
        pass
    for message in read_outbox(live_server.outbox_dir):
        if message["channel"] == channel:
            match = re.search(r"\b(\d{6})\b", message["text"] or "")
            if match:
                return match.group(1)
    raise AssertionError(f"no {channel} code in {live_server.outbox_dir}")


def test_a_member_registers_and_downloads_the_lcp_certificate(live_server, browser, shoot, check_accessibility,
                                                              tmp_path):
    container = live_server.container
    container.adapters.ca().init_hierarchy()
    container.use_cases.create_cabinet(
        name="Cabinet Dubois", siren="552100554", owner_given_names="Claire", owner_surname="Dubois",
        owner_email=EMAIL, owner_mobile="06 12 34 56 44", password=PASSWORD)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1100, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()

    page.goto(f"{live_server.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/collectes")  # a preparer lands on « Mes collectes »

    page.locator("summary", has_text="Claire Dubois").click()
    page.get_by_role("link", name="Ma signature personnelle").click()
    page.wait_for_url(f"{live_server.url}/ma-signature")
    assert "Certificat de signature (LCP)" in page.content()
    shoot(page, "30-ma-signature-a-enregistrer")
    check_accessibility(page)

    page.get_by_role("button", name=re.compile("^S’enregistrer")).click()
    page.wait_for_url(re.compile(r"/signature-personnelle/[^/]+/enregistrement$"))
    assert page.locator("h2").first.inner_text() == "Accès protégé"
    assert page.locator("[aria-current=step]").inner_text().strip() == "Adresse e-mail"
    shoot(page, "31-acces-protege")
    check_accessibility(page)

    page.get_by_role("button", name="Envoyer le code").click()
    assert "Un code vous a été envoyé à c•••@example.fr." in page.get_by_role("status").inner_text()
    page.get_by_label("Code reçu par e-mail").fill("000000" if _latest_code(live_server, "email") != "000000"
                                                   else "111111")
    page.get_by_role("button", name="Valider", exact=True).click()
    assert "Ce code est incorrect" in page.locator("#code-erreur").inner_text()
    shoot(page, "32-code-email-incorrect")
    check_accessibility(page)
    page.get_by_label("Code reçu par e-mail").fill(_latest_code(live_server, "email"))
    page.get_by_role("button", name="Valider", exact=True).click()

    assert page.locator("[aria-current=step]").inner_text().strip() == "Mobile"
    assert f"envoyé par SMS au {MOBILE_MASKED}" in page.content()
    assert page.get_by_role("button", name="Renvoyer").is_visible()
    shoot(page, "33-code-sms")
    check_accessibility(page)
    page.get_by_label("Code reçu par SMS").fill(_latest_code(live_server, "sms"))
    page.get_by_role("button", name="Valider", exact=True).click()

    assert page.locator("h2").first.inner_text() == "Confirmez votre identité"
    identity = page.locator("dl.identity").inner_text()
    assert "Claire" in identity and "Dubois" in identity and EMAIL in identity and "06 12 34 56 44" in identity
    shoot(page, "34-identite")
    check_accessibility(page)
    page.get_by_role("button", name="Valider", exact=True).click()

    assert page.locator("h2").first.inner_text() == "Conditions générales"
    page.get_by_role("button", name="Accepter et obtenir mon certificat").click()
    assert "Cochez la case" in page.locator("#accept_terms-erreur").inner_text()
    page.get_by_label(re.compile("J’ai lu et j’accepte")).check()
    shoot(page, "35-conditions")
    check_accessibility(page)
    page.get_by_role("button", name="Accepter et obtenir mon certificat").click()

    assert page.locator("h2").first.inner_text() == "Votre certificat est émis"
    assert "Votre certificat de signature est émis." in page.get_by_role("status").inner_text()
    shoot(page, "36-certificat-emis")
    check_accessibility(page)

    page.locator("main").get_by_role("button", name="Mes certificats").click()
    page.wait_for_url(f"{live_server.url}/mes-certificats")
    row = page.locator("table.certificates tbody tr")
    assert row.count() == 1
    text = row.first.inner_text()
    assert "LCP" in text and "Cabinet Dubois" in text and "Actif" in text and re.search(r"du \d+ \w+ 20\d\d au", text)
    shoot(page, "37-mes-certificats")
    check_accessibility(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Télécharger \(PEM\)")).click()
    path = tmp_path / "certificat.pem"
    download_info.value.save_as(path)
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    assert b"PRIVATE KEY" not in path.read_bytes()
    assert certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "Claire DUBOIS"
    assert certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == "Cabinet Dubois"
    serial = format(certificate.serial_number, "X")
    assert serial[-6:] in text.replace(":", "").upper()

    page.goto(f"{live_server.url}/ma-signature")
    assert "Souscrire à un certificat qualifié" in page.content()
    shoot(page, "38-ma-signature-avec-lcp")
    check_accessibility(page)

    # « Révoquer », after a confirmation naming the consequences and a reason.
    page.goto(f"{live_server.url}/mes-certificats")
    page.get_by_role("link", name=re.compile("^Révoquer")).click()
    page.wait_for_url(re.compile(r"/mes-certificats/[^/]+/revocation$"))
    assert "La révocation est définitive" in page.content()
    page.get_by_role("button", name="Révoquer définitivement").click()
    assert "Choisissez le motif de la révocation." in page.locator("#reason-erreur").inner_text()
    page.get_by_label("Je quitte le cabinet ou mes fonctions changent").check()
    shoot(page, "39-revocation-confirmation")
    check_accessibility(page)
    page.get_by_role("button", name="Révoquer définitivement").click()
    page.wait_for_url(f"{live_server.url}/mes-certificats")
    assert "est révoqué. Il ne peut plus servir à signer." in page.get_by_role("status").inner_text()
    assert "Révoqué" in page.locator("table.certificates tbody tr").first.inner_text()
    shoot(page, "40-certificat-revoque")
    check_accessibility(page)
    context.close()


def test_anyone_reads_the_pki_repository_and_downloads_the_root(live_server, browser, shoot, check_accessibility,
                                                                 tmp_path):
    live_server.container.adapters.ca().init_hierarchy()
    context = browser.new_context(locale="fr-FR", viewport={"width": 1100, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/pki")
    assert page.locator("h1").inner_text() == "Infrastructure de clés publiques"
    shoot(page, "41-pki")
    check_accessibility(page)
    with page.expect_download() as download_info:
        page.locator("#ca-root").get_by_role("link", name=re.compile("^PEM")).click()
    path = tmp_path / "root.pem"
    download_info.value.save_as(path)
    root = x509.load_pem_x509_certificate(path.read_bytes())
    assert root.subject == root.issuer
    page.get_by_role("link", name="Déclaration d’information de l’ICP (PDS), en français").click()
    assert "Déclaration d’information" in page.locator("h1").inner_text()
    shoot(page, "42-pds")
    check_accessibility(page)
    page.get_by_role("link", name="English version").click()
    assert page.locator("h1").inner_text().startswith("Public Key Infrastructure Disclosure Statement")
    check_accessibility(page)
    context.close()
