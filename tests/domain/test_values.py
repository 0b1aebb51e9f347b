import pytest

from domain.model.errors import InvalidEmail, InvalidMobile, InvalidName, InvalidSiren, WeakPassword
from domain.model.values import Email, Mobile, PersonName, Siren, check_password_strength


@pytest.mark.parametrize("raw", ["732829320", "732 829 320", "552 100 554", "443061841"])
def test_a_siren_with_a_correct_check_digit_is_accepted(raw):
    assert len(Siren(raw).value) == 9


@pytest.mark.parametrize("raw", ["732829321", "12345678", "1234567890", "ABCDEFGHI", ""])
def test_a_siren_with_a_wrong_check_digit_or_length_is_refused(raw):
    with pytest.raises(InvalidSiren) as error:
        Siren(raw)
    assert error.value.code == "siren.invalid"
    assert error.value.field == "siren"


def test_a_siren_is_shown_in_groups_of_three():
    assert Siren("732829320").formatted() == "732 829 320"


def test_emails_are_compared_without_case():
    assert Email("Jessica.Poussart@Cabinet.FR") == Email("jessica.poussart@cabinet.fr")


@pytest.mark.parametrize("raw", ["not-an-email", "a@b", "a@@b.fr", "a..b@c.fr", "", "jean dupont@x.fr"])
def test_malformed_emails_are_refused(raw):
    with pytest.raises(InvalidEmail):
        Email(raw)


@pytest.mark.parametrize("raw,expected", [
    ("06 12 34 56 78", "+33612345678"),
    ("07.12.34.56.78", "+33712345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+32 470 12 34 56", "+32470123456"),
])
def test_mobiles_are_normalised_to_e164(raw, expected):
    assert Mobile(raw).value == expected


@pytest.mark.parametrize("raw", ["01 23 45 67 89", "+33 1 23 45 67 89", "06 12", "hello", "", "+0612345678"])
def test_landlines_and_garbage_are_refused_as_mobiles(raw):
    with pytest.raises(InvalidMobile):
        Mobile(raw)


def test_a_french_mobile_is_masked_as_the_guide_shows_it():
    assert Mobile("06 24 00 00 13").masked() == "06 ** ** 13"


def test_names_match_ignoring_case_and_accents():
    assert PersonName("Hélène-Marie", "Lefèvre").matches(PersonName("HELENE MARIE", "lefevre"))
    assert not PersonName("Hélène", "Lefèvre").matches(PersonName("Helena", "Lefevre"))


@pytest.mark.parametrize("given,surname", [("", "Poussart"), ("Jessica", "  "), ("J3ssica", "Poussart")])
def test_empty_or_implausible_names_are_refused(given, surname):
    with pytest.raises(InvalidName):
        PersonName(given, surname)


def test_the_full_name_puts_the_surname_in_capitals():
    assert PersonName("Jessica", "Poussart").full == "Jessica POUSSART"


def test_short_passwords_are_refused():
    with pytest.raises(WeakPassword) as error:
        check_password_strength("short")
    assert error.value.params["min_length"] == 10
