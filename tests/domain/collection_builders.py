"""Small builders for the collection tests: members, identities, documents, a token source."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

from domain.model.cabinet import Delegation, Member, Role
from domain.model.collection import Collection, InvitationMode, ReminderPolicy
from domain.model.document import Document, DocumentRef, PageSize
from domain.model.signer import Identity, SignatureLevel, SignerKind
from domain.model.tokens import hash_token
from domain.model.values import Email, Mobile, PersonName

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CABINET = "cab-1"
A4 = PageSize(595, 842)


def member(n: int, *delegations: Delegation, cabinet_id: str = CABINET) -> Member:
    return Member(id=f"mem-{n}", cabinet_id=cabinet_id, person_id=f"per-{n}", role=Role.COLLABORATOR,
                  delegations=frozenset(delegations), joined_at=T0)


PREPARER = member(1, Delegation.PREPARE, Delegation.SIGN)


def identity(n: int, *, mobile: bool = True, email: str | None = None) -> Identity:
    return Identity(name=PersonName(f"Prénom{chr(64 + n)}", f"Nom{chr(64 + n)}"),
                    email=Email(email or f"person{n}@example.org"),
                    mobile=Mobile(f"06 12 34 56 {n:02d}") if mobile else None)


def document(n: int = 1, *, pages: int = 2, size: PageSize = A4) -> Document:
    sha = hashlib.sha256(f"doc-{n}".encode()).hexdigest()
    return Document(id=f"doc-{n}", name=f"lettre-{n}.pdf", ref=DocumentRef(sha256=sha, size=1000 + n),
                    page_sizes=[size] * pages, added_at=T0)


class Tokens:
    """Stands in for IdGenerator.new_token and remembers what it issued."""

    def __init__(self) -> None:
        self._n = itertools.count(1)
        self.issued: list[str] = []

    def __call__(self) -> str:
        token = f"token-{next(self._n):04d}"
        self.issued.append(token)
        return token

    @staticmethod
    def hash(token: str) -> str:
        return hash_token(token)


def draft(*, mode: InvitationMode = InvitationMode.SEQUENTIAL, reminders: ReminderPolicy | None = None,
          deadline: datetime | None = None, by: Member = PREPARER) -> Collection:
    return Collection.draft(id="col-1", by=by, preparer=identity(1), cabinet_name="Cabinet Poussart",
                            title="Lettre de mission 2027", message="Merci de signer.", now=T0,
                            deadline=deadline, mode=mode, reminders=reminders)


def ready(n_signers: int = 3, *, mode: InvitationMode = InvitationMode.SEQUENTIAL,
          reminders: ReminderPolicy | None = None) -> Collection:
    """A draft with one document and ``n_signers`` external signers at level 1 (ids sig-2, sig-3...)."""
    collection = draft(mode=mode, reminders=reminders)
    collection.add_document(by=PREPARER, document=document(), now=T0)
    for n in range(2, n_signers + 2):
        collection.add_signer(by=PREPARER, signer_id=f"sig-{n}", kind=SignerKind.EXTERNAL, identity=identity(n),
                              level=SignatureLevel.SIMPLE, now=T0)
    return collection


def later(**kwargs: float) -> datetime:
    return T0 + timedelta(**kwargs)
