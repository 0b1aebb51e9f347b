"""What every IdGenerator must do. Subclass in tests and implement ``make_adapter``."""

from __future__ import annotations

import re

from ports.ids import IdGenerator

__all__ = ["IdGeneratorContract"]

_URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


class IdGeneratorContract:
    def make_adapter(self) -> IdGenerator:
        raise NotImplementedError

    def test_is_an_id_generator(self) -> None:
        assert isinstance(self.make_adapter(), IdGenerator)

    def test_ids_are_unique_short_strings(self) -> None:
        ids = self.make_adapter()
        issued = [ids.new_id() for _ in range(200)]
        assert len(set(issued)) == len(issued)
        assert all(isinstance(i, str) and 0 < len(i) <= 36 for i in issued)

    def test_ids_fit_in_a_url(self) -> None:
        assert _URL_SAFE.match(self.make_adapter().new_id())

    def test_tokens_are_unique_and_url_safe(self) -> None:
        ids = self.make_adapter()
        tokens = [ids.new_token() for _ in range(200)]
        assert len(set(tokens)) == len(tokens)
        assert all(_URL_SAFE.match(t) for t in tokens)

    def test_tokens_carry_256_bits(self) -> None:
        # base64 without padding: 256 bits need at least 43 characters.
        assert len(self.make_adapter().new_token()) >= 43

    def test_tokens_are_not_ids(self) -> None:
        ids = self.make_adapter()
        assert ids.new_token() != ids.new_id()
