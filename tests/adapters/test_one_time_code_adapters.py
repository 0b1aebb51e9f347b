"""The one-time code adapters against their port contracts, plus HMAC key handling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.memory.one_time_codes import InMemoryOneTimeCodeRepository
from adapters.security.one_time_codes import HmacCodeHasher, PyotpCodeGenerator
from ports.contracts.one_time_codes import (
    CodeGeneratorContract,
    CodeHasherContract,
    OneTimeCodeRepositoryContract,
)

KEY = b"k" * 32


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class TestInMemoryOneTimeCodeRepository(OneTimeCodeRepositoryContract):
    def make_adapter(self) -> InMemoryOneTimeCodeRepository:
        return InMemoryOneTimeCodeRepository()


class TestPyotpCodeGenerator(CodeGeneratorContract):
    def make_adapter(self) -> PyotpCodeGenerator:
        return PyotpCodeGenerator(_Clock())


class TestHmacCodeHasher(CodeHasherContract):
    def make_adapter(self) -> HmacCodeHasher:
        return HmacCodeHasher({"k1": KEY}, "k1")


def test_a_hash_made_under_another_key_does_not_verify() -> None:
    code_hash = HmacCodeHasher({"k1": KEY}, "k1").hash("123456", context="ch-1")
    assert not HmacCodeHasher({"k1": b"x" * 32}, "k1").verify(code_hash, "123456", context="ch-1")


def test_codes_hashed_before_a_key_rotation_still_verify() -> None:
    before = HmacCodeHasher({"k1": KEY}, "k1")
    code_hash = before.hash("123456", context="ch-1")
    after = HmacCodeHasher({"k1": KEY, "k2": b"n" * 32}, "k2")
    assert after.verify(code_hash, "123456", context="ch-1")
    assert after.hash("123456", context="ch-1").startswith("hmac-sha256$k2$")


def test_a_retired_key_verifies_nothing() -> None:
    code_hash = HmacCodeHasher({"k1": KEY}, "k1").hash("123456", context="ch-1")
    assert not HmacCodeHasher({"k2": b"n" * 32}, "k2").verify(code_hash, "123456", context="ch-1")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 32 bytes"):
        HmacCodeHasher({"k1": b"short"}, "k1")


def test_the_current_key_must_be_configured() -> None:
    with pytest.raises(ValueError, match="current key"):
        HmacCodeHasher({"k1": KEY}, "k2")


def test_a_key_from_a_configuration_string() -> None:
    hasher = HmacCodeHasher.from_secret("0123456789abcdef" * 4)
    assert hasher.verify(hasher.hash("000001", context="c"), "000001", context="c")
