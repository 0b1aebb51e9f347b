
import pytest
from babel.messages.extract import extract_from_dir

from domain.model.jobs import Notification
from domain.model.values import Email
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer, NotificationTemplateError

NBSP = "\u00a0"


@pytest.fixture
def renderer(tmp_path):
    # An empty locale folder: what ships today, until the web helper adds the English catalogue.
    return NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example/", locale_dir=tmp_path / "locale")


def invitation(locale="fr", **overrides):
    context = dict(cabinet_name="Dupré & Associés", inviter_name="Jeanne Martin",
                   invitee_name="Claire Dupont", token="tok-123")
    context.update(overrides)
    return Notification.email(Email("claire@example.fr"), "member_invitation", locale=locale, **context)


def test_the_invitation_is_in_french_with_the_link_to_join(renderer):
    email = renderer.render(invitation())

    assert email.to == "claire@example.fr"
    assert email.subject == f"Jeanne Martin vous invite à rejoindre le cabinet «{NBSP}Dupré & Associés{NBSP}» sur Seing"
    assert email.text.startswith("Bonjour Claire Dupont,\n\n")
    assert "\nhttps://seing.example/invitation/tok-123\n" in email.text
    assert 'href="https://seing.example/invitation/tok-123"' in email.html
    assert "Rejoindre le cabinet" in email.html


def test_an_invitation_to_someone_unnamed_still_greets_politely(renderer):
    email = renderer.render(invitation(invitee_name=""))
    assert email.text.startswith("Bonjour,\n")


def test_french_typography_uses_guillemets_and_non_breaking_spaces(renderer):
    email = renderer.render(invitation())
    for part in (email.text, email.html):
        assert f"«{NBSP}Dupré" in part
        assert f"{NBSP}:" in part
        assert " :" not in part and " ?" not in part and " !" not in part  # never an ordinary space


def test_the_password_reset_email_carries_the_reset_link(renderer):
    email = renderer.render(Notification.email(Email("claire@example.fr"), "password_reset",
                                               name="Claire", token="abc_DEF-123"))
    assert email.subject == "Réinitialisation de votre mot de passe Seing"
    assert email.text.startswith("Bonjour Claire,")
    assert "https://seing.example/mot-de-passe/reinitialiser/abc_DEF-123" in email.text
    assert 'href="https://seing.example/mot-de-passe/reinitialiser/abc_DEF-123"' in email.html
    assert "une heure" in email.text
    assert f"demande{NBSP}?" in email.text


def test_the_account_locked_email_explains_what_to_do(renderer):
    email = renderer.render(Notification.email(Email("claire@example.fr"), "account_locked", name="Claire"))
    assert email.subject == "Votre compte Seing est temporairement verrouillé"
    assert "Bonjour Claire," in email.text
    assert f"«{NBSP}Mot de passe oublié{NBSP}»" in email.text
    assert "https://seing.example" in email.text
    assert "double authentification" in email.html


def test_names_are_escaped_in_html_but_not_in_text(renderer):
    email = renderer.render(invitation(inviter_name="Jean <script>", cabinet_name="A & B"))
    assert "Jean <script>" in email.text
    assert "<script>" not in email.html
    assert "Jean &lt;script&gt;" in email.html
    assert "A &amp; B" in email.html


def test_the_html_declares_the_language(renderer):
    assert '<html lang="fr">' in renderer.render(invitation()).html


def test_without_a_catalogue_other_languages_get_the_french_source(renderer):
    email = renderer.render(invitation(locale="en"))
    assert email.subject.startswith("Jeanne Martin vous invite")
    assert '<html lang="en">' in email.html


ENGLISH_PO = '''\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Réinitialisation de votre mot de passe Seing"
msgstr "Reset your Seing password"

msgid "Bonjour %(name)s,"
msgstr "Hello %(name)s,"

#, fuzzy
msgid "Ce lien est valable une heure et ne sert qu’une fois."
msgstr "A fuzzy guess that must not be used."
'''


def test_an_english_catalogue_translates_what_it_knows(tmp_path):
    folder = tmp_path / "locale" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(ENGLISH_PO, encoding="utf-8")
    renderer = NotificationRenderer(DEFAULT_TEMPLATES_DIR, "https://seing.example", locale_dir=tmp_path / "locale")

    email = renderer.render(Notification.email(Email("claire@example.fr"), "password_reset", locale="en-GB",
                                               name="Claire", token="tok"))

    assert email.subject == "Reset your Seing password"
    assert email.text.startswith("Hello Claire,")
    assert "Ce lien est valable une heure" in email.text  # fuzzy entries stay in French
    french = renderer.render(Notification.email(Email("claire@example.fr"), "password_reset", name="C", token="t"))
    assert french.subject == "Réinitialisation de votre mot de passe Seing"


def test_an_odd_locale_falls_back_to_french(renderer):
    email = renderer.render(invitation(locale="../../etc"))
    assert email.subject.startswith("Jeanne Martin vous invite")


def test_an_unknown_template_or_a_missing_value_is_a_template_error(renderer):
    with pytest.raises(NotificationTemplateError):
        renderer.render(Notification.email(Email("a@example.fr"), "no_such_template"))
    with pytest.raises(NotificationTemplateError):
        renderer.render(Notification.email(Email("a@example.fr"), "password_reset", name="Claire"))  # no token


def test_the_shipped_templates_give_babel_clean_french_messages():
    messages = {entry[2] for entry in extract_from_dir(
        str(DEFAULT_TEMPLATES_DIR),
        method_map=[("**.html", "jinja2"), ("**.txt", "jinja2")],
        options_map={"**": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}})}
    assert "Réinitialisation de votre mot de passe Seing" in messages
    assert "Bonjour %(name)s," in messages
    assert "Rejoindre le cabinet" in messages
    assert not [m for m in messages if isinstance(m, str) and "\n" in m]  # trimmed: one line per msgid
