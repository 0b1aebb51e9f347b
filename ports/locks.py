"""Serialising work on one key (a collection's documents) across threads and processes."""

from __future__ import annotations

from typing import ContextManager, Protocol, runtime_checkable

__all__ = ["SigningLocks"]


@runtime_checkable
class SigningLocks(Protocol):
    def hold(self, key: str) -> ContextManager[None]:
        """Block until no one else holds ``key``, hold it for the ``with`` block.

        A lock only spares wasted work: use cases still check versions before recording,
        so an adapter whose lock does not reach every process (several hosts) stays correct.
        """
        ...
