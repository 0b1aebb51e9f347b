"""The one catalogue from refusals to status and French sentence: complete and consistent."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from cattrs.errors import ClassValidationError

from domain.model import errors as domain_errors
from domain.model.errors import DomainError
from domain.model.values import MIN_PASSWORD_LENGTH
from entrypoints.web import errors as catalogue
from entrypoints.web.api.input import _converter
from entrypoints.web.api.schemas import InvitationInput

# Refusals that are not the caller's doing: the only domain errors answered with a 5xx.
SERVER_SIDE = {"document.corrupted", "document.store_unavailable", "ca.not_initialised", "ca.qcp_publication_insecure", "timestamp.unavailable",
               "signing.failed", "archive.renewal_rejected",
               # The QTSP failed or refused digests we authorised: not the signer's doing.
               "remote_signing.refused", "remote_signing.hash_mismatch", "remote_signing.unavailable"}


def every_domain_error() -> list[type[DomainError]]:
    """Every DomainError subclass the domain defines, in domain.model.errors or any other domain module."""
    import domain

    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    # Subclasses defined elsewhere (tests, adapters) are not part of the domain's vocabulary.
    return [cls for cls in found if cls.__module__.split(".")[0] == "domain"]


def test_the_walk_finds_the_errors_of_domain_model_errors():
    names = {cls.__name__ for cls in every_domain_error()}
    assert {"InvalidSiren", "NotOwner", "AlreadyMember", "InvalidCredentials"} <= names


def sample(cls: type[DomainError]) -> DomainError:
    """An instance, whatever the constructor asks for."""
    for args, kwargs in (((), {}), (("field",), {}), ((), {"remaining_tries": 1}),
                         ((), {"retry_after_seconds": 5}), ((), {"state": "s", "action": "a"}),
                         ((), {"retry_after_seconds": 5, "possible_at": "2026-12-07T10:15:00+00:00"}),
                         ((), {"registration_id": "r"}), ((), {"scope": "read"})):
        try:
            return cls(*args, **kwargs)
        except TypeError:
            continue
    raise AssertionError(f"cannot build {cls.__name__}")


@pytest.mark.parametrize("error_class", every_domain_error(), ids=lambda cls: cls.__name__)
def test_every_domain_error_code_has_a_french_sentence_of_its_own(error_class):
    message = catalogue.message_for_code(error_class.code)
    assert message, f"{error_class.__name__} ({error_class.code}) needs a message in entrypoints/web/errors.py"
    assert message[0].isupper() and message.rstrip().endswith((".", "!", "?")), message
    info = catalogue.describe(sample(error_class))
    assert info.code == error_class.code
    assert 400 <= info.status < 500 or error_class.code in SERVER_SIDE, (error_class.code, info.status)
    assert "%(" not in info.message, "pages show the message as it is: no placeholders in domain messages"


def test_every_code_is_unique():
    codes = [cls.code for cls in every_domain_error()]
    assert len(codes) == len(set(codes))


def test_an_unknown_subclass_falls_back_to_its_parents_status_and_message():
    class BrandNewSirenProblem(domain_errors.InvalidSiren):
        code = "siren.brand_new"

    class BrandNewRefusal(domain_errors.NotOwner):
        code = "member.brand_new"

    class BrandNewConflict(DomainError):
        code = "something.brand_new"

    siren = catalogue.describe(BrandNewSirenProblem())
    assert (siren.status, siren.field) == (422, "siren")
    assert siren.message == catalogue.message_for_code("siren.invalid")
    assert catalogue.describe(BrandNewRefusal()).status == 403
    assert catalogue.describe(BrandNewConflict()).status == 409
    assert catalogue.status_for(domain_errors.NotFound) == 404
    assert catalogue.status_for(domain_errors.InvalidCredentials) == 401


def test_the_password_sentence_states_the_domain_minimum():
    assert f"{MIN_PASSWORD_LENGTH}\u00a0caractères" in catalogue.message_for_code("password.weak")


def test_name_errors_say_which_name():
    given = catalogue.describe(domain_errors.InvalidName("given_names"))
    cabinet = catalogue.describe(domain_errors.InvalidName("cabinet_name"))
    assert "prénom" in given.message and given.field == "given_names"
    assert "cabinet" in cabinet.message


def test_french_sentences_put_a_non_breaking_space_before_high_punctuation():
    sentences = [catalogue.message_for_code(cls.code) for cls in every_domain_error()]
    sentences += [catalogue.edge_error(code).message for code in catalogue.edge_codes()]
    for sentence in sentences:
        assert not re.search(r"[^\u00a0\u202f] ?[:;!?](\s|$)", sentence.replace("https:", "")), sentence


def test_every_edge_code_has_a_sentence_and_a_client_or_server_status():
    for code in catalogue.edge_codes():
        info = catalogue.edge_error(code)
        assert info.message and 400 <= info.status < 600


def test_cattrs_errors_become_field_messages():
    with pytest.raises(ClassValidationError) as caught:
        _converter.structure({"email": 3, "surname": "B", "delegations": ["sign", "nope"], "extra": 1},
                             InvitationInput)
    found = {(e.field, e.text()) for e in catalogue.describe_structuring_error(caught.value, InvitationInput)}
    assert found == {
        ("email", "Valeur du mauvais type\u00a0: un texte attendu."),
        ("given_names", "Ce champ est obligatoire."),
        ("delegations[1]", "Valeur inconnue\u00a0: choisissez parmi « sign », « seal », « prepare »."),
        ("extra", "Ce champ n’est pas attendu."),
    }


def test_field_messages_are_translated_then_filled():
    error = catalogue.FieldError("role", "Valeur inconnue\u00a0: choisissez parmi %(choices)s.", {"choices": "« a »"})
    assert error.text(lambda m: "Unknown value: pick one of %(choices)s.") == "Unknown value: pick one of « a »."
    # A translation with a broken placeholder must not turn a refusal into a 500.
    assert error.text(lambda m: "Broken %(nope)s") == "Broken %(nope)s"


def test_every_error_sentence_has_an_english_translation():
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with open(root / "entrypoints/locale/en/LC_MESSAGES/messages.po", "rb") as handle:
        english = read_po(handle)
    sources = [root / "entrypoints/web/errors.py", root / "entrypoints/web/problems.py",
               root / "entrypoints/web/api/input.py"]
    msgids = {message for source in sources
              for _line, message, _comments, _context in extract_from_file("python", source, keywords={"N_": None})}
    untranslated = sorted(m for m in msgids if m not in english or not english[m].string)
    assert msgids and untranslated == [], "run scripts/update_catalogue.sh and translate: " + repr(untranslated)
