"""What every Pony repository shares: rows in, domain objects out, tracked in the unit of
work's identity map so ``commit`` writes them back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from domain.model.errors import NotFound

if TYPE_CHECKING:
    from adapters.persistence.unit_of_work import PonyUnitOfWork

__all__ = ["PonyRepository"]


class PonyRepository:
    kind: str
    entity_name: str
    key_column = "id"
    not_found: type[NotFound] = NotFound
    to_domain: Callable[[Any], Any]
    columns: Callable[[Any], dict[str, Any]]

    def __init__(self, uow: PonyUnitOfWork) -> None:
        self._uow = uow
        self._rows = uow.entity(self.entity_name)

    def write_back(self, key: str, obj: object) -> None:
        row = self._rows[key]
        values = type(self).columns(obj)
        changed = {name: value for name, value in values.items()
                   if name != self.key_column and getattr(row, name) != value}
        if changed:
            row.set(**changed)
            self.after_save(obj)

    def _domain(self, row: Any) -> Any:
        key = (self.kind, getattr(row, self.key_column))
        known = self._uow.tracked(key)
        if known is not None:
            return known
        obj = type(self).to_domain(row)
        self._uow.track(key, obj, self)
        return obj

    def _add(self, obj: Any) -> None:
        with self._uow.storage_errors_translated():
            values = type(self).columns(obj)
            self._rows(**values)
            self._uow.track((self.kind, values[self.key_column]), obj, self)
            self.after_save(obj)

    def after_save(self, obj: Any) -> None:
        """Keep rows derived from the aggregate (e.g. link hashes) in step with it."""

    def _find(self, key: str) -> Any:
        if not isinstance(key, str) or not key or key != key.strip():
            # Pony strips str keys and then refuses an empty one (ValueError): a blank id
            # would be a crash, and " id" would find "id". Neither exists: not found.
            return None
        known = self._uow.tracked((self.kind, key))
        if known is not None:
            return known
        with self._uow.storage_errors_translated():
            row = self._rows.get(**{self.key_column: key})
        return None if row is None else self._domain(row)

    def _get(self, key: str) -> Any:
        found = self._find(key)
        if found is None:
            raise self.not_found(f"{self.kind} {key} not found")
        return found

    def _select(self, query: Callable[[Any], Any]) -> list[Any]:
        """Run ``query(entity)`` after writing tracked changes back, so it sees them."""
        with self._uow.storage_errors_translated():
            self._uow.flush_tracked()
            return [self._domain(row) for row in query(self._rows)]

    def _first(self, query: Callable[[Any], Any]) -> Any:
        found = self._select(lambda rows: query(rows)[:1])
        return found[0] if found else None
