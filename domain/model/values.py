"""Value objects: frozen, validated at construction, compared by value."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from attrs import field, frozen

from domain.model.errors import InvalidEmail, InvalidMobile, InvalidName, InvalidSiren, WeakPassword


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _clean_siren(raw: str) -> str:
    return re.sub(r"[\s.\u00a0-]", "", str(raw))


@frozen
class Siren:
    """The 9-digit French company number; its last digit is a Luhn check digit."""

    value: str = field(converter=_clean_siren)

    @value.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not re.fullmatch(r"\d{9}", value):
            raise InvalidSiren("a SIREN has exactly 9 digits")
        if not _luhn_ok(value):
            raise InvalidSiren("the SIREN check digit is wrong")

    def __str__(self) -> str:
        return self.value

    def formatted(self) -> str:
        return f"{self.value[:3]} {self.value[3:6]} {self.value[6:]}"


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def _clean_email(raw: str) -> str:
    return str(raw).strip().lower()


@frozen
class Email:
    """An email address, stored lower-case (addresses are compared case-insensitively)."""

    value: str = field(converter=_clean_email)

    @value.validator
    def _check(self, _attribute: object, value: str) -> None:
        if len(value) > 254 or not _EMAIL.match(value) or ".." in value:
            raise InvalidEmail("not a valid email address")

    def __str__(self) -> str:
        return self.value


def _clean_mobile(raw: str) -> str:
    text = re.sub(r"[\s.()\u00a0-]", "", str(raw))
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"0[67]\d{8}", text):
        # French national format: 06/07 followed by eight digits.
        text = "+33" + text[1:]
    return text


@frozen
class Mobile:
    """A mobile number in E.164; French 06/07 national numbers are accepted and converted."""

    value: str = field(converter=_clean_mobile)

    @value.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not re.fullmatch(r"\+[1-9]\d{7,14}", value):
            raise InvalidMobile("not a mobile number in international or French format")
        if value.startswith("+33") and not re.fullmatch(r"\+33[67]\d{8}", value):
            raise InvalidMobile("a French mobile number starts with 06 or 07 and has 10 digits")

    def __str__(self) -> str:
        return self.value

    def national(self) -> str:
        """``06 12 34 56 78`` for French numbers, E.164 otherwise."""
        if self.value.startswith("+33"):
            digits = "0" + self.value[3:]
            return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
        return self.value

    def masked(self) -> str:
        """What the guide shows of a signer's mobile: ``06 ** ** 13``."""
        if self.value.startswith("+33"):
            digits = "0" + self.value[3:]
            return f"{digits[:2]} ** ** {digits[-2:]}"
        return self.value[:3] + " ** ** " + self.value[-2:]


def _clean_name(raw: str) -> str:
    return " ".join(str(raw).split())


@frozen
class PersonName:
    """Given names and surname as written on an identity document."""

    given_names: str = field(converter=_clean_name)
    surname: str = field(converter=_clean_name)

    @given_names.validator
    def _check_given(self, _attribute: object, value: str) -> None:
        _check_name_part("given_names", value)

    @surname.validator
    def _check_surname(self, _attribute: object, value: str) -> None:
        _check_name_part("surname", value)

    @property
    def full(self) -> str:
        """``Jessica POUSSART``: the form used in certificates' CN."""
        return f"{self.given_names} {self.surname.upper()}"

    def matches(self, other: PersonName) -> bool:
        """Equal ignoring case and accents, as identity checks compare names."""
        return fold(self.given_names) == fold(other.given_names) and fold(self.surname) == fold(other.surname)


def _check_name_part(field_name: str, value: str) -> None:
    problem = _name_part_problem(value)
    if problem is not None:
        raise InvalidName(field_name, f"{field_name} {problem}")


@lru_cache(maxsize=4096)
def _name_part_problem(value: str) -> str | None:
    """What is wrong with a name part, or None. Cached: every aggregate read from storage checks
    its names again (a signer's page view reads a collection: its preparer and signers)."""
    if not value:
        return "is required"
    if len(value) > 100:
        return "is too long"
    if any(char.isdigit() or char in "<>@/\\{}[]" for char in value):
        return "contains characters a name cannot hold"
    return None


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces normalised."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("-", " ").split())


MIN_PASSWORD_LENGTH = 10


def check_password_strength(password: str) -> None:
    """The one password rule: long enough (ANSSI favours length over composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword("password too short", min_length=MIN_PASSWORD_LENGTH)
    if len(password) > 1024:
        raise WeakPassword("password too long", min_length=MIN_PASSWORD_LENGTH)
