from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new unique identifier (opaque string, at most 36 characters)."""
        ...

    def new_token(self) -> str:
        """A new secret of 256 random bits, URL-safe; stored only as its hash."""
        ...
