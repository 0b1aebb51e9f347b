"""Short transactions run again when another one changed the same rows first."""

from __future__ import annotations

from typing import Callable, TypeVar

from domain.model.errors import Conflict, DocumentVersionConflict

__all__ = ["MAX_TRAIL_RETRIES", "retrying"]

T = TypeVar("T")
MAX_TRAIL_RETRIES = 30


def retrying(work: Callable[[], T]) -> T:
    """Run a short transaction again when another one extended the same audit chain (or
    changed the same collection) first: the refused commit changed nothing. A document
    version conflict is the caller's to handle (it signs again on the fresh version)."""
    for _attempt in range(MAX_TRAIL_RETRIES - 1):
        try:
            return work()
        except DocumentVersionConflict:
            raise
        except Conflict:
            continue
    return work()
