"""Mon compte, Ma signature personnelle, language switch, French formatting, the dev outbox."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from entrypoints.web.i18n import format_day, format_moment
from tests.web.conftest import OWNER_EMAIL, OWNER_PASSWORD, ROOT, error_for, login, post_form


def test_my_signature_lists_my_cabinets_with_role_and_delegations(client, owner):
    login(client)
    page = client.get("/ma-signature")
    assert "<h1>Ma signature personnelle</h1>" in page.text
    assert "Cabinet Poussart &amp; Associés" in page.text and "732829320" in page.text
    assert "Expert-comptable" in page.text
    assert "Signer, Sceller, Préparer" in page.text


def test_the_user_menu_opens_the_personal_pages_and_logout(client, owner):
    login(client)
    html = client.get("/ma-signature").text
    assert '<summary>Jessica Poussart</summary>' in html
    for link in ('href="/ma-signature">Ma signature personnelle', 'href="/mon-compte">Mon compte'):
        assert link in html
    assert 'action="/deconnexion"' in html and ">Déconnexion</button>" in html


def test_change_password_checks_the_current_one_and_the_confirmation(client, owner):
    login(client)
    wrong = post_form(client, "/mon-compte/mot-de-passe", {"current_password": "nope nope nope",
                                                            "new_password": "a new long password",
                                                            "new_password_confirm": "a new long password"})
    assert 400 <= wrong.status_code < 500
    assert error_for(wrong.text, "current_password") == "Le mot de passe actuel est incorrect."
    differ = post_form(client, "/mon-compte/mot-de-passe", {"current_password": OWNER_PASSWORD,
                                                             "new_password": "a new long password",
                                                             "new_password_confirm": "a different one!"})
    assert differ.status_code == 400
    assert error_for(differ.text, "new_password_confirm") == "Les deux mots de passe ne correspondent pas."
    short = post_form(client, "/mon-compte/mot-de-passe", {"current_password": OWNER_PASSWORD,
                                                            "new_password": "short", "new_password_confirm": "short"})
    assert 400 <= short.status_code < 500
    assert "au moins 10" in error_for(short.text, "new_password")
    # Passwords are never echoed back into the page.
    assert OWNER_PASSWORD not in short.text and "a new long password" not in differ.text
    done = post_form(client, "/mon-compte/mot-de-passe", {"current_password": OWNER_PASSWORD,
                                                           "new_password": "a new long password",
                                                           "new_password_confirm": "a new long password"})
    assert done.status_code == 303
    assert "Votre mot de passe a été changé." in client.get("/mon-compte").text
    post_form(client, "/deconnexion")
    assert login(client, OWNER_EMAIL, "a new long password").status_code == 303


def test_totp_setup_can_be_cancelled(client, owner):
    login(client)
    post_form(client, "/mon-compte/double-authentification")
    assert "<svg" in client.get("/mon-compte").text
    post_form(client, "/mon-compte/double-authentification/annuler")
    page = client.get("/mon-compte")
    assert "<svg" not in page.text and "Activer la double authentification" in page.text


def test_language_switch_shows_english_and_is_kept_per_person(client, container, owner):
    response = post_form(client, "/langue", {"locale": "en", "suivant": "/connexion"})
    assert response.status_code == 303 and response.headers["location"] == "/connexion"
    page = client.get("/connexion")
    assert '<html lang="en">' in page.text and "<h1>Sign in</h1>" in page.text
    assert "Forgot your password?" in page.text
    wrong = post_form(client, "/connexion", {"email": OWNER_EMAIL, "password": "wrong password"})
    assert "Wrong email address or password." in wrong.text
    empty = post_form(client, "/connexion", {"email": "", "password": ""})
    assert "Enter your email address." in empty.text  # field errors from macros are translated too

    # Logged in, the choice is stored for the person and comes back at the next login.
    post_form(client, "/langue", {"locale": "fr", "suivant": "/connexion"})
    login(client)
    post_form(client, "/langue", {"locale": "en", "suivant": "/mon-compte"})
    assert container.use_cases.profile(person_id=owner.person_id).locale == "en"
    post_form(client, "/deconnexion")
    client.cookies.clear()
    login(client)
    assert "<h1>My account</h1>" in client.get("/mon-compte").text
    assert "Sign, Seal, Prepare" in client.get("/ma-signature").text


def test_an_unknown_language_falls_back_to_french(client):
    post_form(client, "/langue", {"locale": "tlh", "suivant": "https://evil.example/"})
    assert "<h1>Connexion</h1>" in client.get("/connexion").text


def test_dates_are_french_in_paris_time():
    moment = datetime(2026, 11, 28, 13, 5, tzinfo=UTC)
    assert format_moment(moment, "fr") == "28 novembre 2026 à 14 h 05"
    assert format_moment(datetime(2026, 7, 1, 6, 30, tzinfo=UTC), "fr") == "1er juillet 2026 à 8 h 30"  # the French ordinal
    assert format_moment(moment, "en") == "November 28, 2026 at 2:05\u202fPM" or \
        format_moment(moment, "en") == "November 28, 2026 at 2:05 PM"
    assert format_day(moment, "fr") == "28 novembre 2026"


def test_every_ui_string_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "N_",
                    "-o", str(pot), "."], cwd=ROOT, check=True)
    extracted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalogue = read_po((ROOT / "entrypoints/locale/en/LC_MESSAGES/messages.po").open("rb"))
    translated = {m.id for m in catalogue if m.id and m.string}
    missing = sorted(extracted - translated)
    assert not missing, f"run scripts/update_catalogue.sh and translate: {missing}"
    assert len(extracted) > 100


def test_templates_use_french_typography():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "french_typography.py")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_dev_outbox_lists_messages_with_clickable_links(client, container):
    from adapters.messaging.outbox import OutboxMailer
    from adapters.system.clock import SystemClock
    from ports.messaging import OutgoingEmail

    settings = container.settings()
    OutboxMailer(settings.outbox_dir, clock=SystemClock()).send(OutgoingEmail(
        to="irina.faron@example.fr", subject="Invitation à rejoindre le cabinet",
        text="Bonjour,\nRejoignez le cabinet : http://127.0.0.1:8000/invitation/abc123.\n<b>not html</b>", html=None))
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert "irina.faron@example.fr" in page.text and "Invitation à rejoindre le cabinet" in page.text
    assert '<a href="http://127.0.0.1:8000/invitation/abc123">' in page.text
    assert "&lt;b&gt;not html&lt;/b&gt;" in page.text


def test_dev_outbox_does_not_exist_outside_dev_mode(tmp_path):
    from litestar.testing import TestClient

    from entrypoints.composition.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.web.app import create_app

    container = build_container(Settings(data_dir=tmp_path, dev_mode=False), fakes=True)
    with TestClient(create_app(container)) as client:
        response = client.get("/dev/outbox")
    assert response.status_code == 404
    assert "Page introuvable" in response.text


def test_each_render_speaks_its_requests_language_inside_blocks_and_loops_that_set_variables():
    # The translation callables read the locale of the render (not the template context):
    # one environment, two requests in two languages, then a render without a request.
    from entrypoints.web.app import _template_engine

    env = _template_engine().engine
    template = env.from_string(
        '{% set who = "Anne" %}{% for n in [1, 2] %}{% set page = n %}{{ _("Refuser") }}|'
        '{{ ngettext("%(num)d page", "%(num)d pages", page) }}|{{ _("Bonjour %(name)s", name=who ~ "<b>") }}|'
        '{{ current_locale() }};{% endfor %}')

    def request(locale):
        return type("Request", (), {"session": {"locale": locale}})()

    english = template.render(request=request("en"))
    french = template.render(request=request("fr"))
    # "Bonjour %(name)s" is no message of the catalogue: shown as written, its value escaped.
    assert english == ("Refuse|1 page|Bonjour Anne&lt;b&gt;|en;"
                       "Refuse|2 pages|Bonjour Anne&lt;b&gt;|en;")
    assert french == ("Refuser|1 page|Bonjour Anne&lt;b&gt;|fr;"
                      "Refuser|2 pages|Bonjour Anne&lt;b&gt;|fr;")
    assert template.render().endswith("|fr;")  # no request: French, nothing left from the English render
