"""What every page shares: a favicon, htmx configured to need no inline style, titles without markup,
and the page a person lands on after logging in."""

from __future__ import annotations

import re

from tests.web.conftest import login, post_form
from tests.web.qcp_helpers import OFFICER_EMAIL, OFFICER_PASSWORD, appoint_officer

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def page_title(html: str) -> str:
    match = TITLE.search(html)
    assert match, "the page has no <title>"
    return match.group(1)


def test_the_favicon_is_served_so_browsers_log_no_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/")
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_htmx_is_told_not_to_inject_the_inline_style_our_policy_refuses(client):
    import json

    html = client.get("/connexion").text
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert config
    settings = json.loads(config.group(1))
    assert settings["includeIndicatorStyles"] is False
    assert "style" not in settings["attributesToSettle"]  # settling would write style="" attributes
    assert settings["allowEval"] is False
    # the policy stays strict: no 'unsafe-inline' was added to make htmx happy
    assert "unsafe-inline" not in client.get("/connexion").headers["content-security-policy"]
    assert ".htmx-indicator" in client.get("/static/css/seing.css").text


def test_the_main_pages_have_plain_text_titles(client, container, owner):
    login(client)
    for path in ("/connexion", "/collectes", "/cabinet/membres", "/ma-signature", "/mes-certificats",
                 "/mon-compte", "/verifier", "/pki", "/nulle-part"):
        response = client.get(path)
        title = page_title(response.text)
        assert "<" not in title and "&lt;" not in title, (path, title)
        assert title.strip().endswith("· Seing"), (path, title)


def test_the_waiting_page_title_holds_no_form_or_csrf_token():
    # The waiting page is reached deep in the QCP flow; render its template as the app does.
    from entrypoints.web.app import _template_engine

    class _Request:
        class url:  # noqa: N801 - the attributes the base layout reads
            path = "/qcp/x"
            query = ""
        session: dict = {}

    class _Step:
        value = "wait_for_identity"

    class _Enrollment:
        id = "x"
        cabinet_name = "Cabinet Poussart"
        next_step = _Step()

    template = _template_engine().get_template("qcp/waiting.html")
    html = template.render(request=_Request(), viewer=None, flashes=[], errors={}, values={}, simulator=True,
                           enrollment=_Enrollment(), waiting=True, refresh_seconds=5,
                           csrf_input='<input type="hidden" name="_csrf_token" value="SECRET">',
                           csrf_token=lambda: "SECRET")
    assert page_title(html) == "Vérification en cours · Seing"
    assert "Approuver maintenant" in html  # the demo form is still on the page, in its body


def test_a_preparer_lands_on_the_collections_after_login(client, owner):
    assert login(client).headers["location"] == "/"
    assert client.get("/", follow_redirects=False).headers["location"] == "/collectes"


def test_a_registration_officer_lands_on_the_back_office(client, container):
    appoint_officer(container)
    login(client, OFFICER_EMAIL, OFFICER_PASSWORD)
    assert client.get("/", follow_redirects=False).headers["location"] == "/back-office"


def test_a_member_who_does_not_prepare_lands_on_the_cabinet(client, container, owner):
    from tests.web.test_cabinet_pages import COLLABORATOR, COLLABORATOR_PASSWORD, _join_as_collaborator

    _join_as_collaborator(client, container, owner)  # invited with « Signer » only
    post_form(client, "/deconnexion")
    login(client, COLLABORATOR, COLLABORATOR_PASSWORD)
    assert client.get("/", follow_redirects=False).headers["location"] == "/cabinet/membres"


def test_an_anonymous_visitor_is_sent_to_the_login_form(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/connexion"


def test_file_inputs_come_with_a_french_picker_tied_to_them(client):
    html = client.get("/verifier").text
    assert '<input type="file" id="fichier" name="fichier"' in html
    picker = re.search(r'<span class="file-picker" aria-hidden="true" data-for="fichier"(.*?)</span>\s*</span>', html, re.S)
    assert picker, "no French picker after the file input"
    assert '<label for="fichier" class="file-picker-button">Choisir un fichier</label>' in picker.group(0)
    assert "Aucun fichier choisi" in picker.group(0)
    assert '<script src="/static/js/files.js" defer></script>' in html


def test_no_message_gives_a_named_person_a_gender_we_do_not_know():
    # « %(name)s en est informé » is wrong for Irina; we store no gender, so such sentences are epicene.
    from pathlib import Path

    gendered = re.compile(r"%\(name\)s[^\"]{0,40}?\b(informé|invité|prévenu|averti)\b")
    root = Path(__file__).resolve().parents[2] / "entrypoints" / "web" / "templates"
    found = [(path.name, match.group(0)) for path in root.rglob("*.html")
             for match in gendered.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
