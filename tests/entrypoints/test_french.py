"""French typography: one helper for the pages, the emails and the interface's dates and numbers."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from domain.model.jobs import Notification
from domain.model.values import Email
from entrypoints import french
from entrypoints.notifications import DEFAULT_TEMPLATES_DIR, NotificationRenderer


@pytest.mark.parametrize("name, expected", [
    ("Irina Faron", "d’Irina Faron"),
    ("Émilie Roux", "d’Émilie Roux"),
    ("Océane", "d’Océane"),
    ("Jessica Poussart", "de Jessica Poussart"),
    ("Hugo", "de Hugo"),  # an aspirated h cannot be told from a mute one: no elision
    ("Yann", "de Yann"),
    ("Yves", "d’Yves"),  # a y before a consonant sounds as a vowel
])
def test_de_elides_before_a_vowel(name, expected):
    assert french.of(name) == expected


def test_a_moment_reads_le_day_month_year_at_hours():
    at = datetime(2026, 12, 6, 4, 39, tzinfo=timezone.utc)  # 5 h 39 in Paris, winter time
    assert french.moment(at) == "6 décembre 2026 à 5 h 39"
    assert french.on_moment(at) == "le 6 décembre 2026 à 5 h 39"
    assert french.moment(datetime(2026, 7, 1, 12, 5, tzinfo=timezone.utc)) == "1er juillet 2026 à 14 h 05"
    assert french.on_moment(None) == ""
    assert french.day(date(1990, 3, 1)) == "1er mars 1990"  # a birth date has no time zone


@pytest.mark.parametrize("raw", ["+33624000013", "0624000013", "06 24 00 00 13", "06.24.00.00.13", "0033624000013"])
def test_a_french_mobile_reads_the_same_whatever_its_form(raw):
    assert french.mobile(raw) == "06 24 00 00 13"


def test_a_foreign_mobile_reads_in_international_form_whatever_its_form():
    assert french.mobile("+44 7700 900123") == french.mobile("00447700900123") == "+447700900123"


def test_the_signed_count_agrees_with_the_number_signed():
    assert french.signed_count(0, 1) == "0 sur 1 signé"
    assert french.signed_count(1, 3) == "1 sur 3 signé"
    assert french.signed_count(2, 3) == "2 sur 3 signés"


def test_the_certificate_emails_elide_the_holders_name():
    renderer = NotificationRenderer(DEFAULT_TEMPLATES_DIR, "http://seing.test")
    to = Email("irina@faron.fr")
    qcp = renderer.render(Notification.email(to, "qcp_certificate_issued", holder="IRINA FARON", name="Irina",
                                             validity_years="5", serial="0a", not_after="2031", cabinet="Cabinet"))
    assert "Votre certificat au nom d’IRINA FARON a bien été émis" in qcp.text
    assert "au nom d’IRINA FARON" in qcp.html
    lcp = renderer.render(Notification.email(to, "lcp_certificate_issued", display_name="Irina Faron",
                                             cabinet_name="Faron Conseil", valid_years="3", policy="LCP",
                                             serial="0b"))
    assert "Votre certificat au nom d’Irina Faron a bien été émis" in lcp.text
    assert "au nom <strong>d’Irina Faron</strong>" in lcp.html


def test_the_web_filters_speak_french_and_keep_line_breaks_escaped():
    from entrypoints.web.i18n import multiline

    assert str(multiline("Bonjour,\r\nMerci <b>vite</b>\nJessica")) == \
        "Bonjour,<br>\nMerci &lt;b&gt;vite&lt;/b&gt;<br>\nJessica"
    assert str(multiline(None)) == ""


def test_certificate_names_read_in_french():
    text = "Common Name: Jessica Poussart; Organization: Cabinet P, SA; Country: FR; Organization Identifier: NTRFR-1"
    assert french.distinguished_name(text) == ("Nom\u00a0: Jessica Poussart ; Organisation\u00a0: Cabinet P, SA ; "
                                              "Pays\u00a0: FR ; Identifiant de l’organisation\u00a0: NTRFR-1")
    assert french.distinguished_name("Common Name: Seing LCP CA, Organization: Seing, Country: FR") == \
        "Nom\u00a0: Seing LCP CA ; Organisation\u00a0: Seing ; Pays\u00a0: FR"


def test_every_french_string_spells_e_mail_one_way():
    """« e-mail » everywhere a person reads French (issue 15): never « Email », « mail » or « courriel »
    beside it. Every such string goes through gettext, so the catalogue's source strings are all of them."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    with (Path(french.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as catalogue:
        sources = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(catalogue) if m.id]
    other = re.compile(r"(?<![\w-])(e?mails?|Emails?|Mails?|courriels?)(?![\w-])")
    assert len(sources) > 500
    assert [s for s in sources if other.search(re.sub(r"%\(\w+\)s", "", s))] == []
