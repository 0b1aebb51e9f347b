"""Documents of a collection and where each signer's field goes on them."""

from __future__ import annotations

import re
from datetime import datetime

from attrs import define, field, frozen

from domain.model.archive import ArchiveState
from domain.model.errors import DocumentNotPrepared, DocumentVersionConflict, FieldOutOfPage, InvalidValue


def outcome_file_name(name: str, outcome: str = "signé") -> str:
    """The name a signed (or sealed) copy is downloaded under: « contrat.pdf » → « contrat-signé.pdf »,
    so it never overwrites the original beside it. Idempotent: a name already marked keeps its mark."""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem or "document"
    return f"{stem}.pdf" if stem.endswith(f"-{outcome}") else f"{stem}-{outcome}.pdf"


# PDF user-space units (1/72 inch). A4 is 595 x 842.
FIELD_WIDTH = 180.0
FIELD_HEIGHT = 60.0
FIELD_MARGIN = 36.0
FIELD_GAP = 8.0
MIN_FIELD_SIZE = 20.0


@frozen
class DocumentRef:
    """Where a document's bytes are: content-addressed by their SHA-256."""

    sha256: str = field()
    size: int = field()

    @sha256.validator
    def _check(self, _attribute: object, value: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise InvalidValue("sha256", "a SHA-256 is 64 lower-case hex digits")


@frozen
class PageSize:
    width: float
    height: float


@frozen
class FieldPlacement:
    """A signer's box: ``page`` counts from 1, ``x``/``y`` is the lower-left corner, in points."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def fits(self, size: PageSize) -> bool:
        return (self.width >= MIN_FIELD_SIZE and self.height >= MIN_FIELD_SIZE and self.x >= 0 and self.y >= 0
                and self.x + self.width <= size.width + 0.01 and self.y + self.height <= size.height + 0.01)


def _frozen_sizes(values: object) -> tuple[PageSize, ...]:
    return tuple(v if isinstance(v, PageSize) else PageSize(*v) for v in values)  # type: ignore[attr-defined]


@frozen
class DocumentVersion:
    """One change of a document after it was sent: fields created, a signature, a document timestamp."""

    kind: str  # "fields", "signature", "timestamp"
    before: str  # SHA-256 of the version changed
    after: str
    at: datetime
    signer_id: str | None = None
    size: int = 0


def field_name_for(signer_id: str) -> str:
    """The PDF field of a signer: stable, ASCII, no characters PDF names would escape."""
    return "Signature_" + re.sub(r"[^A-Za-z0-9_-]", "_", signer_id)


@define(eq=False)
class Document:
    """An original PDF as uploaded; its bytes are in the DocumentStore under ``ref``."""

    id: str
    name: str
    ref: DocumentRef
    page_sizes: tuple[PageSize, ...] = field(converter=_frozen_sizes)
    added_at: datetime
    fields: dict[str, FieldPlacement] = field(factory=dict)  # signer id -> placement chosen by the preparer
    # The signing ceremony: ``prepared`` is the original plus every signer's empty field (what
    # signers approve and their codes are bound to); ``current`` is the latest signed version;
    # ``versions`` lists every change, with the digests before and after (the evidence file).
    prepared: DocumentRef | None = None
    current: DocumentRef | None = None
    versions: list[DocumentVersion] = field(factory=list)
    purged_at: datetime | None = None
    archive: ArchiveState | None = None  # archive-timestamp renewal, once the document is complete

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)

    @property
    def sha256(self) -> str:
        return self.ref.sha256

    @property
    def size(self) -> int:
        return self.ref.size

    def place(self, signer_id: str, placement: FieldPlacement) -> None:
        if not 1 <= placement.page <= self.page_count:
            raise FieldOutOfPage("no such page", page=placement.page, page_count=self.page_count)
        if not placement.fits(self.page_sizes[placement.page - 1]):
            raise FieldOutOfPage("the field does not fit on the page", page=placement.page)
        self.fields[signer_id] = placement

    def default_placement(self, index: int) -> FieldPlacement:
        """Boxes stacked upwards from the bottom of the last page, a new column when one is full."""
        size = self.page_sizes[-1]
        width = min(FIELD_WIDTH, max(MIN_FIELD_SIZE, size.width - 2 * FIELD_MARGIN))
        height = min(FIELD_HEIGHT, max(MIN_FIELD_SIZE, size.height - 2 * FIELD_MARGIN))
        per_column = max(1, int((size.height - 2 * FIELD_MARGIN + FIELD_GAP) // (height + FIELD_GAP)))
        columns = max(1, int((size.width - 2 * FIELD_MARGIN + FIELD_GAP) // (width + FIELD_GAP)))
        column = (index // per_column) % columns
        row = index % per_column
        return FieldPlacement(page=self.page_count, x=FIELD_MARGIN + column * (width + FIELD_GAP),
                              y=FIELD_MARGIN + row * (height + FIELD_GAP), width=width, height=height)

    def placement_for(self, signer_id: str, index: int) -> FieldPlacement:
        """The preparer's choice, else the default slot of the signer at ``index`` in the order."""
        return self.fields.get(signer_id) or self.default_placement(index)

    # -- signing ceremony -----------------------------------------------------------------------

    @property
    def latest(self) -> DocumentRef:
        """The version the next signature goes on."""
        return self.current or self.prepared or self.ref

    @property
    def approved(self) -> DocumentRef:
        """The version signers read and approve: the prepared one once fields exist."""
        return self.prepared or self.ref

    def set_prepared(self, ref: DocumentRef, at: datetime) -> None:
        if self.prepared is not None:
            raise DocumentVersionConflict("the document was already prepared", document_id=self.id)
        self.versions.append(DocumentVersion("fields", self.ref.sha256, ref.sha256, at, size=ref.size))
        self.prepared = ref

    def advance(self, *, base: str, ref: DocumentRef, kind: str, at: datetime, signer_id: str | None = None) -> None:
        """Record a new version made from ``base``; refused when ``base`` is no longer the latest
        (another signature came first: the new version would lose it)."""
        if self.prepared is None:
            raise DocumentNotPrepared("the document has no signature fields yet", document_id=self.id)
        if self.latest.sha256 != base:
            raise DocumentVersionConflict("the document changed since it was read", document_id=self.id)
        self.versions.append(DocumentVersion(kind, base, ref.sha256, at, signer_id=signer_id, size=ref.size))
        self.current = ref
