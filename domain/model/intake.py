"""Which uploaded files become documents of a collection.

The PDF inspection adapter only reports what it read (``PdfInfo``); this module decides.
Cheap checks come first (size, magic) so a large or foreign file is refused before parsing.
"""

from __future__ import annotations

from attrs import field, frozen

from domain.model.document import PageSize
from domain.model.errors import (
    DocumentActiveContent,
    DocumentBroken,
    DocumentEmpty,
    DocumentEncrypted,
    DocumentTooComplex,
    DocumentTooLarge,
    InvalidValue,
    NotPdf,
)

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 25 * MB
CEILING_MAX_BYTES = 200 * MB
# Readers (Acrobat among them) accept the header anywhere in the first kilobyte.
MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024


def _frozen_sizes(values: object) -> tuple[PageSize, ...]:
    return tuple(v if isinstance(v, PageSize) else PageSize(*v) for v in values)  # type: ignore[attr-defined]


@frozen
class PdfInfo:
    """What a PDF reader found. ``readable`` False: it could not be parsed (truncated, damaged)."""

    readable: bool
    encrypted: bool = False
    page_sizes: tuple[PageSize, ...] = field(converter=_frozen_sizes, factory=tuple)
    has_signatures: bool = False
    problem: str = ""  # the reader's own words, for logs; never shown to users
    # Reading it exhausted the memory or time a document may take (a decompression bomb, ...).
    too_demanding: bool = False
    # Kinds of active content found: "javascript", "launch".
    active_content: tuple[str, ...] = field(converter=tuple, factory=tuple)

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)


@frozen
class IntakePolicy:
    max_bytes: int = field(default=DEFAULT_MAX_BYTES)

    @max_bytes.validator
    def _check(self, _attribute: object, value: int) -> None:
        if not 1 <= value <= CEILING_MAX_BYTES:
            raise InvalidValue("max_bytes", f"the upload limit is between 1 byte and {CEILING_MAX_BYTES} bytes")

    @classmethod
    def megabytes(cls, mb: int) -> IntakePolicy:
        return cls(max_bytes=mb * MB)

    def check_size(self, size: int) -> None:
        if size == 0:
            raise DocumentEmpty("the file is empty")
        if size > self.max_bytes:
            raise DocumentTooLarge("the file is over the size limit", limit_bytes=self.max_bytes,
                                   limit_mb=self.max_bytes // MB, size_bytes=size)

    def check_head(self, head: bytes) -> None:
        """``head``: at least the first kilobyte of the file (all of it if shorter)."""
        if MAGIC not in head[:MAGIC_WINDOW]:
            raise NotPdf("the file is not a PDF")

    def check_content(self, info: PdfInfo) -> None:
        # Encryption first: an encrypted file may well be unreadable without its password.
        if info.encrypted:
            raise DocumentEncrypted("the PDF is password-protected or encrypted")
        if info.too_demanding:
            raise DocumentTooComplex("reading the PDF exceeded its limits", problem=info.problem)
        if not info.readable:
            raise DocumentBroken("the PDF cannot be read", problem=info.problem)
        if info.page_count < 1:
            raise DocumentEmpty("the PDF has no page")
        if info.active_content:
            raise DocumentActiveContent("the PDF carries active content", kinds=", ".join(info.active_content))

    def accept(self, *, size: int, head: bytes, info: PdfInfo | None = None) -> None:
        """All the checks in order; ``info`` None checks only what needs no parsing."""
        self.check_size(size)
        self.check_head(head)
        if info is not None:
            self.check_content(info)
