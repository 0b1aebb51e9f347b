"""Archive-timestamp renewal (PAdES-LTA, ETSI EN 319 142-1 §5.5): when a kept PDF's last
document timestamp must be covered by a new one.

A document timestamp proves the file existed as it is, for as long as its TSA's chain is valid
and its algorithms are not broken. Before the first of those ends, a new document timestamp over
the file (with the old one's validation data) carries the proof on. The deadline is that end,
less a margin that leaves time to retry when the TSA is down.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from attrs import field, frozen

__all__ = ["ALGORITHM_ENDS", "DEFAULT_RENEWAL_MARGIN", "ArchiveState", "TimestampFacts", "algorithm_end",
           "next_deadline_after_renewal", "renewal_deadline"]

DEFAULT_RENEWAL_MARGIN = timedelta(days=365)

# The end of the period in which ETSI TS 119 312 (v1.4.3, with the SOG-IS agreed mechanisms it
# follows) considers each mechanism suitable for new signatures and timestamps. A timestamp made
# with a mechanism must be covered before that mechanism's end. Names are those the signing
# adapter reports: digest names, and "<key algorithm>-<size or curve>" for the TSA's key.
# No end foreseen is written as the horizon the standard looks to (2030 for 2048-bit RSA, later
# for the stronger ones); unknown mechanisms count as ended, so they are renewed at once.
ALGORITHM_ENDS: dict[str, datetime] = {
    "md5": datetime(2004, 12, 31, tzinfo=UTC),
    "sha1": datetime(2009, 12, 31, tzinfo=UTC),
    "sha224": datetime(2025, 12, 31, tzinfo=UTC),
    "sha256": datetime(2035, 12, 31, tzinfo=UTC),
    "sha384": datetime(2040, 12, 31, tzinfo=UTC),
    "sha512": datetime(2040, 12, 31, tzinfo=UTC),
    "sha3_256": datetime(2040, 12, 31, tzinfo=UTC),
    "sha3_384": datetime(2040, 12, 31, tzinfo=UTC),
    "sha3_512": datetime(2040, 12, 31, tzinfo=UTC),
    "rsa-1024": datetime(2010, 12, 31, tzinfo=UTC),
    "rsa-2048": datetime(2030, 12, 31, tzinfo=UTC),
    "rsa-3072": datetime(2035, 12, 31, tzinfo=UTC),
    "rsa-4096": datetime(2035, 12, 31, tzinfo=UTC),
    "ec-secp256r1": datetime(2035, 12, 31, tzinfo=UTC),
    "ec-secp384r1": datetime(2040, 12, 31, tzinfo=UTC),
    "ec-secp521r1": datetime(2040, 12, 31, tzinfo=UTC),
    "ed25519": datetime(2035, 12, 31, tzinfo=UTC),
    "ed448": datetime(2040, 12, 31, tzinfo=UTC),
}


def algorithm_end(name: str) -> datetime:
    """When ``name`` stops being suitable; the distant past for a mechanism we do not know."""
    return ALGORITHM_ENDS.get(name.lower(), datetime(1970, 1, 1, tzinfo=UTC))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("archive times must carry a time zone")
    return value


@frozen
class TimestampFacts:
    """What the last document timestamp of a PDF rests on, as the signing adapter read it."""

    stamped_at: datetime = field(validator=lambda _i, _a, v: _aware(v))
    # notAfter of each certificate of the TSA's chain (the TSA's own first), root included.
    certificate_ends: tuple[datetime, ...] = field(converter=tuple)
    # The mechanisms it relies on: its message imprint's and signature's digests, the TSA's key.
    algorithms: tuple[str, ...] = field(converter=tuple)

    def __attrs_post_init__(self) -> None:
        if not self.certificate_ends:
            raise ValueError("a document timestamp rests on at least its TSA's certificate")
        for end in self.certificate_ends:
            _aware(end)

    @property
    def proof_ends(self) -> datetime:
        """The first moment the timestamp no longer proves anything by itself."""
        return min([*self.certificate_ends, *(algorithm_end(a) for a in self.algorithms)])


def renewal_deadline(facts: TimestampFacts | None, *, margin: timedelta, now: datetime) -> datetime:
    """When the PDF must be renewed at the latest: its proof's end less ``margin``; ``now`` for a
    PDF without a document timestamp (an evidence file sealed at B-LT gets its first one)."""
    if margin < timedelta(0):
        raise ValueError("the renewal margin cannot be negative")
    if facts is None:
        return now
    return facts.proof_ends - margin


# When the TSA's own certificate ends within the margin, a fresh timestamp is due again at once:
# renewing daily would pile up a revision a day without proving longer. Such a file is looked at
# again after this interval (fresh revocation data each time) while the operator rolls the TSA over.
MIN_RENEWAL_INTERVAL = timedelta(days=30)


def next_deadline_after_renewal(facts: TimestampFacts, *, margin: timedelta, now: datetime) -> datetime:
    """The deadline of a file just renewed: as ``renewal_deadline``, never sooner than
    ``MIN_RENEWAL_INTERVAL`` from now."""
    return max(renewal_deadline(facts, margin=margin, now=now), now + MIN_RENEWAL_INTERVAL)


@frozen
class ArchiveState:
    """Renewal bookkeeping of one kept PDF (a signed document, an evidence file)."""

    deadline: datetime
    proof_ends: datetime | None = None  # None: no document timestamp yet
    last_renewed_at: datetime | None = None
    failures: int = 0  # consecutive failed renewals since the last success
    last_failure_at: datetime | None = None
    last_failure: str | None = None  # the error code of the last failure

    def is_due(self, now: datetime) -> bool:
        return now >= self.deadline

    def renewed(self, *, at: datetime, deadline: datetime, proof_ends: datetime) -> ArchiveState:
        return ArchiveState(deadline=deadline, proof_ends=proof_ends, last_renewed_at=at)

    def failed(self, *, at: datetime, code: str) -> ArchiveState:
        return ArchiveState(deadline=self.deadline, proof_ends=self.proof_ends, last_renewed_at=self.last_renewed_at,
                            failures=self.failures + 1, last_failure_at=at, last_failure=code)
