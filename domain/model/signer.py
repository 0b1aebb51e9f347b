"""Signers and observers of a collection."""

from __future__ import annotations

import enum
from datetime import datetime

from attrs import define, field, frozen

from domain.model.errors import InvalidValue, SignerStateRefused
from domain.model.values import Email, Mobile, PersonName


class SignatureLevel(enum.IntEnum):
    SIMPLE = 1  # Niv 1 : simple
    ADVANCED = 2  # Niv 2 : avancée
    ADVANCED_QUALIFIED = 3  # Niv 3 : avancée basée sur un certificat qualifié

    @property
    def needs_mobile(self) -> bool:
        # Levels 2 and 3 authorise the signature with an SMS code.
        return self >= SignatureLevel.ADVANCED


class SignerKind(enum.Enum):
    MYSELF = "myself"  # the preparer ("M'ajouter")
    MEMBER = "member"  # another member of the cabinet ("Membres du cabinet")
    EXTERNAL = "external"  # anyone else ("Autre")


class SignerStatus(enum.Enum):
    PENDING = "pending"  # not invited yet (draft, or waiting for their turn)
    INVITED = "invited"
    OPENED = "opened"
    SIGNED = "signed"
    REFUSED = "refused"


WAITING_FOR_SIGNATURE = frozenset({SignerStatus.INVITED, SignerStatus.OPENED})


@frozen
class Identity:
    name: PersonName
    email: Email
    mobile: Mobile | None = None

    @property
    def display_name(self) -> str:
        return f"{self.name.given_names} {self.name.surname}"


@frozen
class SignatureCertificate:
    """The certificate a signer's signatures were made with, for the evidence file."""

    serial: str
    policy: str  # OID, or "platform-seal" for level 1
    issuer: str
    subject: str
    one_time: bool = False


@define(eq=False)
class Signer:
    id: str
    kind: SignerKind
    identity: Identity
    level: SignatureLevel
    member_id: str | None = None  # set for MYSELF and MEMBER
    status: SignerStatus = SignerStatus.PENDING
    # Every link sent to this signer stays valid until the deadline: a reminder sends a new
    # link without killing the one in the first email. Only hashes are kept.
    token_hashes: tuple[str, ...] = ()
    invited_at: datetime | None = None
    opened_at: datetime | None = None
    signed_at: datetime | None = None
    refused_at: datetime | None = None
    refusal_reason: str | None = None
    reminders_sent: int = 0  # automatic ones, counted against the reminder policy
    last_reminded_at: datetime | None = None
    # Signing ceremony
    identity_verified_at: datetime | None = None  # external level 3: the identity check was approved
    identity_check_reference: str | None = None
    finalising_since: datetime | None = None  # signed with a valid code, waiting for trusted time
    certificate: SignatureCertificate | None = None  # what the signature was made with

    def __attrs_post_init__(self) -> None:
        if self.kind is SignerKind.EXTERNAL and self.member_id is not None:
            raise InvalidValue("member_id", "an external signer is not a member")
        if self.kind is not SignerKind.EXTERNAL and self.member_id is None:
            raise InvalidValue("member_id", "a member signer needs a member id")

    @property
    def email(self) -> Email:
        return self.identity.email

    @property
    def display_name(self) -> str:
        return self.identity.display_name

    @property
    def waiting(self) -> bool:
        return self.status in WAITING_FOR_SIGNATURE

    @property
    def has_signed(self) -> bool:
        return self.status is SignerStatus.SIGNED

    def invite(self, token_hash: str, now: datetime) -> None:
        if self.status is not SignerStatus.PENDING:
            raise SignerStateRefused("only a signer not yet invited can be invited", status=self.status.value)
        self.status = SignerStatus.INVITED
        self.token_hashes = (token_hash,)
        self.invited_at = now

    def add_link(self, token_hash: str) -> None:
        self.token_hashes = (*self.token_hashes, token_hash)

    def holds(self, token_hash: str) -> bool:
        return token_hash in self.token_hashes

    def uninvite(self) -> None:
        """Back to waiting for their turn: their links die, a fresh one comes with their turn."""
        if not self.waiting:
            raise SignerStateRefused("only an invited signer can wait again", status=self.status.value)
        self.status = SignerStatus.PENDING
        self.token_hashes = ()

    def open(self, now: datetime) -> bool:
        """Record the first opening of the invitation; True when this call was the first."""
        if self.status is SignerStatus.INVITED:
            self.status = SignerStatus.OPENED
            self.opened_at = now
            return True
        if self.status is SignerStatus.OPENED:
            return False
        raise SignerStateRefused("this signer cannot open the invitation", status=self.status.value)

    def sign(self, now: datetime) -> None:
        if not self.waiting:
            raise SignerStateRefused("this signer cannot sign now", status=self.status.value)
        self.status = SignerStatus.SIGNED
        self.signed_at = now

    def refuse(self, reason: str, now: datetime) -> None:
        if not self.waiting:
            raise SignerStateRefused("this signer cannot refuse now", status=self.status.value)
        reason = " ".join(str(reason).split())
        if len(reason) > 1000:
            raise InvalidValue("reason", "a refusal reason holds at most 1000 characters")
        self.status = SignerStatus.REFUSED
        self.refused_at = now
        self.refusal_reason = reason or None

    def reminded(self, token_hash: str, now: datetime, *, automatic: bool) -> None:
        if not self.waiting:
            raise SignerStateRefused("only a signer who has not signed yet is reminded", status=self.status.value)
        self.add_link(token_hash)
        self.last_reminded_at = now
        if automatic:
            self.reminders_sent += 1


@define(eq=False)
class Observer:
    """A "destinataire en copie": told at the end, receives the result, never signs."""

    id: str
    identity: Identity = field()

    @property
    def email(self) -> Email:
        return self.identity.email
