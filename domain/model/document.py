"""Documents of a collection and where each signer's field goes on them."""

from __future__ import annotations

import re
from collections.abc import Sequence
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
# Default boxes go where the page is blank: on upload, the last FREE_SLOT_PAGES pages are searched
# (the last one first) for up to FREE_SLOTS_KEPT boxes with FREE_SLOT_PADDING points of blank
# around them, so a signed box never covers the text.
FREE_SLOT_PAGES = 3
FREE_SLOTS_KEPT = 6
FREE_SLOT_PADDING = 12.0
# When the blank room cannot hold every signer's default box (none found, or more signers than
# room), a signature page is appended (same size as the last page) and every default box goes on
# it, the signatures together as on a paper signature page: its top SIGNATURE_PAGE_HEADER points
# carry the title and the document's name, the boxes go below in a grid.
SIGNATURE_PAGE_HEADER = 96.0


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

    def overlaps(self, other: FieldPlacement) -> bool:
        return (self.page == other.page and self.x < other.x + other.width and other.x < self.x + self.width
                and self.y < other.y + other.height and other.y < self.y + self.height)

    def fits(self, size: PageSize) -> bool:
        return (self.width >= MIN_FIELD_SIZE and self.height >= MIN_FIELD_SIZE and self.x >= 0 and self.y >= 0
                and self.x + self.width <= size.width + 0.01 and self.y + self.height <= size.height + 0.01)


def field_size(size: PageSize) -> tuple[float, float]:
    """The size of a signature box on a page of ``size``: the standard one, smaller on a tiny page."""
    return (min(FIELD_WIDTH, max(MIN_FIELD_SIZE, size.width - 2 * FIELD_MARGIN)),
            min(FIELD_HEIGHT, max(MIN_FIELD_SIZE, size.height - 2 * FIELD_MARGIN)))


def signature_page_slots(size: PageSize, page: int) -> tuple[FieldPlacement, ...]:
    """The boxes of an added signature page, left to right then top to bottom, under its header."""
    width, height = field_size(size)
    columns = max(1, int((size.width - 2 * FIELD_MARGIN + FIELD_GAP) // (width + FIELD_GAP)))
    top = size.height - SIGNATURE_PAGE_HEADER - FIELD_MARGIN
    rows = max(1, int((top - FIELD_MARGIN + FIELD_GAP) // (height + FIELD_GAP)))
    return tuple(FieldPlacement(page=page, x=FIELD_MARGIN + column * (width + FIELD_GAP),
                                y=max(FIELD_MARGIN, top - height - row * (height + FIELD_GAP)),
                                width=width, height=height)
                 for row in range(rows) for column in range(columns))


def _frozen_slots(values: object) -> tuple[FieldPlacement, ...]:
    return tuple(v if isinstance(v, FieldPlacement) else FieldPlacement(**v)  # type: ignore[arg-type]
                 for v in values)  # type: ignore[attr-defined]


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
    # Blank room measured on upload (see FREE_SLOT_PAGES), in the order the default boxes take it.
    free_slots: tuple[FieldPlacement, ...] = field(factory=tuple, converter=_frozen_slots)
    # Set when a signature page was appended on upload: the SHA-256 of the file as received
    # (``ref`` is then that file plus the page, in an incremental update).
    uploaded_sha256: str | None = None
    # Whether the file received carries signatures, which an added page would break; None for a
    # document added before this was recorded (then the file is read again to know).
    carries_signatures: bool | None = None

    @property
    def has_signature_page(self) -> bool:
        return self.uploaded_sha256 is not None

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)

    @property
    def sha256(self) -> str:
        return self.ref.sha256

    @property
    def size(self) -> int:
        return self.ref.size

    def lacks_room(self, signer_ids: Sequence[str]) -> bool:
        """Some signer (``signer_ids`` in the order) would get no blank-room box: their default
        would be stacked over the body text. Never once a signature page holds the defaults."""
        if self.has_signature_page:
            return False
        return any(signer_id not in self.fields for signer_id in signer_ids[len(self.free_slots):])

    def add_signature_page(self, ref: DocumentRef, size: PageSize) -> None:
        """``ref`` is this document plus a signature page of ``size`` (an incremental update): every
        default box moves onto it; the boxes the preparer placed stay (no page before it moved)."""
        if self.has_signature_page:
            raise DocumentVersionConflict("the document already has a signature page", document_id=self.id)
        self.uploaded_sha256 = self.ref.sha256
        self.ref = ref
        self.page_sizes = (*self.page_sizes, size)
        self.free_slots = signature_page_slots(size, self.page_count)

    def place(self, signer_id: str, placement: FieldPlacement) -> None:
        if not 1 <= placement.page <= self.page_count:
            raise FieldOutOfPage("no such page", page=placement.page, page_count=self.page_count)
        if not placement.fits(self.page_sizes[placement.page - 1]):
            raise FieldOutOfPage("the field does not fit on the page", page=placement.page)
        self.fields[signer_id] = placement

    def default_placement(self, index: int) -> FieldPlacement:
        """The ``index``-th blank room found on upload; past those (a page full of text, more signers
        than room), boxes stacked upwards from the bottom of the last page, a new column when one is
        full (their background is opaque once signed, so they stay legible)."""
        if index < len(self.free_slots):
            return self.free_slots[index]
        index -= len(self.free_slots)
        size = self.page_sizes[-1]
        width, height = field_size(size)
        per_column = max(1, int((size.height - 2 * FIELD_MARGIN + FIELD_GAP) // (height + FIELD_GAP)))
        columns = max(1, int((size.width - 2 * FIELD_MARGIN + FIELD_GAP) // (width + FIELD_GAP)))
        stacked = (FieldPlacement(page=self.page_count, x=FIELD_MARGIN + (k // per_column % columns) * (width + FIELD_GAP),
                                  y=FIELD_MARGIN + (k % per_column) * (height + FIELD_GAP), width=width, height=height)
                   for k in range(per_column * columns))
        # The stacked places a blank-room box already takes are skipped: two boxes never overlap.
        free = [p for p in stacked if not any(p.overlaps(slot) for slot in self.free_slots)]
        return free[index % len(free)] if free else self.free_slots[index % len(self.free_slots)]

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
