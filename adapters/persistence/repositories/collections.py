"""Collections (signature requests), stored whole as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pony.orm import desc

from adapters.persistence import mappers
from adapters.persistence.repositories.base import PonyRepository
from domain.model.collection import Collection, CollectionStatus
from domain.model.values import fold

if TYPE_CHECKING:
    from adapters.persistence.unit_of_work import PonyUnitOfWork

__all__ = ["PonyCollectionRepository"]


class PonyCollectionRepository(PonyRepository):
    """Collections are stored whole as JSON; ``collection_links`` maps link hashes to them."""

    kind, entity_name = "collection", "CollectionRow"
    to_domain, columns = staticmethod(mappers.collection_from_row), staticmethod(mappers.collection_columns)

    def __init__(self, uow: PonyUnitOfWork) -> None:
        super().__init__(uow)
        self._links = uow.entity("CollectionLinkRow")

    def add(self, collection: Collection) -> None:
        self._add(collection)

    def get(self, collection_id: str) -> Collection:
        return self._get(collection_id)  # type: ignore[no-any-return]

    def by_token_hash(self, token_hash: str) -> Collection | None:
        # One query, link joined to its collection: the signer's page reads this at every view
        # (Pony's own join costs more to build than the second lookup it saves). Raw SQL does not
        # flush Pony's session as its queries do: flushed first, so links added in this
        # transaction are seen.
        def query(rows: Any) -> Any:
            rows._database_.flush()
            return rows.select_by_sql(
                "SELECT c.* FROM collections c JOIN collection_links l ON l.collection_id = c.id"
                " WHERE l.token_hash = $token_hash LIMIT 1", globals={}, locals={"token_hash": token_hash})

        return self._first(query)

    def search(self, cabinet_id: str, *, statuses: frozenset[CollectionStatus] | None = None, text: str = "",
               offset: int = 0, limit: int = 20) -> tuple[list[Collection], int]:
        wanted = None if statuses is None else [s.value for s in statuses]

        def query(rows: Any) -> Any:
            found = rows.select(lambda c: c.cabinet_id == cabinet_id)
            if wanted is not None:
                found = found.filter(lambda c: c.status in wanted)
            return found.order_by(lambda c: (desc(c.created_at), desc(c.id)))

        if not fold(text):
            # No text: the page and the count come from the database, nothing else is loaded.
            with self._uow.storage_errors_translated():
                self._uow.flush_tracked()
                total = query(self._rows).count()
            return self._select(lambda rows: query(rows)[offset:offset + limit]), total
        # Matching names and emails ignoring accents is the domain's rule (Collection.matches):
        # the database narrows to the cabinet and statuses, the aggregate decides the rest.
        matching = [c for c in self._select(query) if c.matches(text)]
        return matching[offset:offset + limit], len(matching)

    def due(self, now: datetime, *, limit: int = 100) -> list[Collection]:
        at = mappers.to_column(now)
        return self._select(lambda rows: rows.select(lambda c: c.next_due_at is not None and c.next_due_at <= at)
                            .order_by(lambda c: (c.next_due_at, c.id))[:limit])

    def after_save(self, collection: Collection) -> None:
        wanted = set(collection.token_hashes())
        current = {link.token_hash: link for link in self._links.select(lambda l: l.collection_id == collection.id)}
        for token_hash in current.keys() - wanted:
            current[token_hash].delete()
        for token_hash in wanted - current.keys():
            self._links(token_hash=token_hash, collection_id=collection.id)

    def remove(self, collection: Collection) -> None:
        with self._uow.storage_errors_translated():
            self._uow.forget((self.kind, collection.id))
            for link in self._links.select(lambda l: l.collection_id == collection.id)[:]:
                link.delete()
            row = self._rows.get(id=collection.id)
            if row is not None:
                row.delete()

    def by_download_token_hash(self, token_hash: str) -> Collection | None:
        # The JSON holds the links' hashes: the database narrows, the aggregate confirms.
        return next((found for found in self._select(lambda rows: rows.select(lambda c: token_hash in c.data))
                     if any(link.token_hash == token_hash for link in found.download_links)), None)

    def retention_due(self, *, documents_before: datetime, evidence_before: datetime,
                      limit: int = 100) -> list[Collection]:
        ended = ["completed", "refused", "expired", "cancelled"]
        found = [e for e in self._select(lambda rows: rows.select(lambda c: c.status in ended))
                 if e.ended_at is not None and (
                     (e.ended_at <= documents_before and e.documents_purged_at is None)
                     or (e.ended_at <= evidence_before and e.evidence is not None and e.evidence.purged_at is None))]
        return sorted(found, key=lambda c: (c.ended_at, c.id))[:limit]

    def references_document(self, sha256: str, *, excluding: str) -> bool:
        # The aggregate's JSON names every version's digest: the database narrows, the
        # aggregate confirms (a digest could appear in a timeline detail too).
        candidates = self._select(lambda rows: rows.select(lambda c: c.id != excluding and sha256 in c.data))
        return any(c.documents_purged_at is None and any(
            sha256 == d.ref.sha256 or any(sha256 in (v.before, v.after) for v in d.versions) for d in c.documents)
            for c in candidates)

    def archives_kept(self) -> list[Collection]:
        # The kept flags live in the JSON: the database narrows to ended collections.
        ended = ["completed", "refused", "expired", "cancelled"]
        found = [e for e in self._select(lambda rows: rows.select(lambda c: c.status in ended))
                 if e.ended_at is not None and (
                     (e.status is CollectionStatus.COMPLETED and e.documents_purged_at is None)
                     or (e.evidence is not None and e.evidence.purged_at is None))]
        return sorted(found, key=lambda c: (c.ended_at, c.id))

    def awaiting_evidence(self, *, limit: int = 100) -> list[Collection]:
        ended = ["completed", "refused", "expired", "cancelled"]
        found = [e for e in self._select(lambda rows: rows.select(lambda c: c.status in ended))
                 if e.evidence is None]
        return sorted(found, key=lambda c: (c.ended_at or c.created_at, c.id))[:limit]
