"""Every field a domain class gains must reach a column, or it would be lost on save."""

from __future__ import annotations

import inspect
from typing import Any, Callable

import attrs
import pytest

from adapters.persistence import mappers
from domain.model.account import Account, PasswordReset
from domain.model.cabinet import Cabinet, Invitation, Member
from domain.model.certificates import Certificate
from domain.model.lcp_registration import LcpRegistration
from domain.model.one_time_code import OneTimeCodeChallenge
from domain.model.person import Person
from domain.model.qcp_enrollment import CaptureLink

# Fields stored as several columns (a PersonName as given names and surname, ...).
SPLIT = {"name": {"given_names", "surname"}, "consent": {"consent_version", "consent_accepted_at"}}


@pytest.mark.parametrize(("cls", "columns"), [
    (Cabinet, mappers.cabinet_columns), (Person, mappers.person_columns), (Member, mappers.member_columns),
    (Invitation, mappers.invitation_columns), (Account, mappers.account_columns),
    (PasswordReset, mappers.password_reset_columns), (Certificate, mappers.certificate_columns),
    (OneTimeCodeChallenge, mappers.challenge_columns), (LcpRegistration, mappers.registration_columns),
    (CaptureLink, mappers.capture_link_columns),
], ids=lambda value: getattr(value, "__name__", ""))
def test_every_stored_field_of_an_aggregate_has_its_columns(cls: type, columns: Callable[[Any], dict]) -> None:
    # Read from the mapper's source: a cheap tripwire, the contracts check the values.
    fields = {f.name for f in attrs.fields(cls) if f.init}  # init=False fields are transient (pending events)
    mapper_text = _source(columns)
    missing = [name for name in fields if f'"{name}"' not in mapper_text
               and not (name in SPLIT and all(f'"{column}"' in mapper_text for column in SPLIT[name]))]
    assert missing == [], f"{cls.__name__} fields with no column: {missing}"


def _source(function: Callable[..., Any]) -> str:
    return inspect.getsource(function)
