"""Ports of the collections: their repository, and who holds an active qualified certificate.

``CollectionRepository`` is reached as ``uow.collections`` inside a unit of work, like the
other repositories: a collection obtained from it is tracked and saved by ``commit()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.model.collection import Collection, CollectionStatus


@runtime_checkable
class CollectionRepository(Protocol):
    def add(self, collection: Collection) -> None: ...

    def get(self, collection_id: str) -> Collection:
        """Raise domain NotFound when absent."""
        ...

    def by_token_hash(self, token_hash: str) -> Collection | None:
        """The collection holding a signer link with this hash (see ``Collection.token_hashes``)."""
        ...

    def search(self, cabinet_id: str, *, statuses: frozenset[CollectionStatus] | None = None, text: str = "",
               offset: int = 0, limit: int = 20) -> tuple[list[Collection], int]:
        """One page of the cabinet's collections, newest first, and how many match in all.

        ``text`` matches as ``Collection.matches`` does: the title or a signer's name or email,
        ignoring case and accents. ``statuses`` None means any status.
        """
        ...

    def due(self, now: datetime, *, limit: int = 100) -> list[Collection]:
        """Collections in progress whose ``next_due_at()`` is at or before ``now``, earliest first.

        A database stores ``next_due_at()`` in an indexed column when saving, so the worker's
        query stays cheap however many collections there are.
        """
        ...

    def by_download_token_hash(self, token_hash: str) -> Collection | None:
        """The collection holding a download link (``Collection.download_links``) with this hash."""
        ...

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Collection]:
        """Ended collections whose documents are still kept though they ended at or before
        ``documents_before``, or whose evidence is still kept though they ended at or before
        ``evidence_before``; oldest end first. A database indexes ``ended_at``."""
        ...

    def archives_kept(self) -> list[Collection]:
        """Collections holding a PDF archive-timestamp renewal looks after: completed ones whose
        documents are still kept, and ended ones whose evidence PDF is still kept; oldest first."""
        ...

    def awaiting_evidence(self, *, limit: int = 100) -> list[Collection]:
        """Ended collections (completed, refused, expired, cancelled) without an evidence file yet."""
        ...

    def remove(self, collection: Collection) -> None:
        """Delete a collection and its link hashes (a discarded draft: nothing was sent)."""
        ...

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        """Whether a collection other than ``excluding`` still holds a version with this SHA-256
        (documents are content-addressed: two collections may share the same original)."""
        ...
