"""French typography, in one place for the pages and the emails.

- ``of(name)``: « de Jessica », « d’Irina » (elision before a vowel sound; « h » is left alone,
  since nothing tells a mute h from an aspirated one in a name);
- ``on_moment(at)``: « le 6 décembre 2026 à 5 h 39 », Paris time;
- ``mobile(number)``: « 06 24 00 00 13 » for a French mobile, E.164 (« +447700900123 ») otherwise;
- ``signed_count(signed, total)``: « 0 sur 1 signé », « 2 sur 3 signés ».

The apostrophe is the typographic one (’), as everywhere in the interface; « e-mail » is the one
spelling (``EMAIL``). Pure standard library: the notification renderer uses it without the web app.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["APOSTROPHE", "EMAIL", "PARIS", "day", "distinguished_name", "mobile", "moment", "of", "on_moment", "preposition", "signed_count",
           "starts_with_vowel"]

APOSTROPHE = "\u2019"
EMAIL = "e-mail"
PARIS = ZoneInfo("Europe/Paris")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
_VOWELS = set("aeiouy")


def starts_with_vowel(word: str) -> bool:
    """« Irina », « Émilie », « Yves » elide; « Yann » and « Hugo » do not."""
    text = str(word or "").strip().lstrip("«“\"' ")
    if not text:
        return False
    first = text[0].lower()
    if first in ("œ", "æ"):
        return True
    base = unicodedata.normalize("NFD", first)[0]
    if base == "y":  # « d’Yves » (y sounds as a vowel before a consonant), « de Yann »
        return len(text) > 1 and unicodedata.normalize("NFD", text[1].lower())[0] not in _VOWELS
    return base in _VOWELS


def of(name: str, *, word: str = "de") -> str:
    """« de Jessica Poussart », « d’Irina Faron »; ``word="que"`` gives « qu’Irina »."""
    name = str(name or "").strip()
    return f"{preposition(name, word=word)}{name}"


def preposition(name: str, *, word: str = "de") -> str:
    """« de » or « d’ » for what follows: a message reads ``"Message %(de)s%(name)s"``, so that its
    English translation can still use ``%(name)s`` alone (gettext refuses a placeholder the source lacks)."""
    return f"{word[:-1]}{APOSTROPHE}" if starts_with_vowel(name) else f"{word} "


def _paris(at: datetime) -> datetime:
    return at.astimezone(PARIS) if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)


def day(at: date | datetime | None) -> str:
    """« 1er juillet 2026 », « 6 décembre 2026 » (Paris time for a moment; a birth date is a plain date)."""
    if at is None:
        return ""
    local = _paris(at) if isinstance(at, datetime) else at
    number = "1er" if local.day == 1 else str(local.day)
    return f"{number} {_MONTHS[local.month - 1]} {local.year}"


def moment(at: date | datetime | None) -> str:
    """« 6 décembre 2026 à 5 h 39 » (Paris time; stored times are UTC). Empty for no date."""
    if at is None:
        return ""
    if not isinstance(at, datetime):  # a plain date has no hour
        return day(at)
    local = _paris(at)
    return f"{day(at)} à {local.hour} h {local.minute:02d}"


def on_moment(at: date | datetime | None) -> str:
    """« le 6 décembre 2026 à 5 h 39 »: the phrase a sentence needs (never « à 6 décembre »)."""
    text = moment(at)
    return f"le {text}" if text else ""


def mobile(number: object) -> str:
    """« 06 24 00 00 13 » whatever form the number was stored or typed in."""
    raw = re.sub(r"[\s.()\u00a0-]", "", str(number or ""))
    if not raw:
        return ""
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if re.fullmatch(r"\+33\d{9}", raw):
        raw = "0" + raw[3:]
    if re.fullmatch(r"0\d{9}", raw):
        return " ".join(raw[i:i + 2] for i in range(0, 10, 2))
    # Elsewhere the grouping depends on the country's plan, which we do not carry: E.164, unspaced.
    return raw


# The attribute names asn1crypto's ``Name.human_friendly`` writes, in the words of a French certificate viewer.
_NAME_ATTRIBUTES = {
    "Common Name": "Nom", "Given Name": "Prénom", "Surname": "Nom de famille", "Organization": "Organisation",
    "Organizational Unit": "Service", "Organization Identifier": "Identifiant de l’organisation",
    "Country": "Pays", "Locality": "Localité", "State/Province": "Région", "Street Address": "Adresse",
    "Postal Code": "Code postal", "Serial Number": "Numéro de série", "Email Address": "Adresse e-mail",
    "Title": "Fonction", "Pseudonym": "Pseudonyme", "Name": "Nom", "Domain Component": "Composant de domaine",
}
# asn1crypto separates attributes by "; " when a value holds a comma, by ", " otherwise.
_NAME_ATTRIBUTE = re.compile(r"(^|; |, )(" + "|".join(map(re.escape, sorted(_NAME_ATTRIBUTES, key=len, reverse=True)))
                             + r"): ")


def distinguished_name(text: str | None) -> str:
    """« Nom : Jessica Poussart ; Organisation : Cabinet Poussart » from
    "Common Name: Jessica Poussart, Organization: Cabinet Poussart"."""
    def label(match: re.Match[str]) -> str:
        return f"{' ; ' if match.group(1) else ''}{_NAME_ATTRIBUTES[match.group(2)]}\u00a0: "
    return _NAME_ATTRIBUTE.sub(label, str(text or ""))


def signed_count(signed: int, total: int) -> str:
    """« 0 sur 1 signé », « 2 sur 3 signés »: the participle agrees with the signed documents' count."""
    return f"{signed} sur {total} {'signés' if signed > 1 else 'signé'}"
