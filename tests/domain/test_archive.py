"""Renewal deadlines of kept PDFs: the earliest end of the last document timestamp's proof, less a margin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.model.archive import (
    MIN_RENEWAL_INTERVAL,
    ArchiveState,
    TimestampFacts,
    algorithm_end,
    next_deadline_after_renewal,
    renewal_deadline,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
YEAR = timedelta(days=365)


def _facts(*ends: datetime, algorithms=("sha256", "ec-secp256r1")) -> TimestampFacts:
    return TimestampFacts(stamped_at=T0, certificate_ends=ends, algorithms=algorithms)


def test_the_deadline_is_the_tsa_chain_s_first_end_less_the_margin():
    facts = _facts(T0 + 6 * YEAR, T0 + 20 * YEAR)
    assert renewal_deadline(facts, margin=YEAR, now=T0) == T0 + 5 * YEAR


def test_an_algorithm_that_ends_first_brings_the_deadline_forward():
    facts = _facts(T0 + 20 * YEAR, algorithms=("sha256", "rsa-2048"))
    assert facts.proof_ends == algorithm_end("rsa-2048") == datetime(2030, 12, 31, tzinfo=UTC)
    assert renewal_deadline(facts, margin=YEAR, now=T0) == datetime(2030, 12, 31, tzinfo=UTC) - YEAR


def test_an_unknown_or_broken_algorithm_makes_the_file_due_at_once():
    assert renewal_deadline(_facts(T0 + 6 * YEAR, algorithms=("sha1", "rsa-2048")), margin=YEAR, now=T0) < T0
    assert renewal_deadline(_facts(T0 + 6 * YEAR, algorithms=("gost",)), margin=YEAR, now=T0) < T0


def test_a_pdf_without_a_document_timestamp_is_due_now():
    assert renewal_deadline(None, margin=YEAR, now=T0) == T0


def test_a_tsa_near_its_end_is_not_renewed_every_day():
    facts = _facts(T0 + timedelta(days=100))
    assert next_deadline_after_renewal(facts, margin=YEAR, now=T0) == T0 + MIN_RENEWAL_INTERVAL
    far = _facts(T0 + 6 * YEAR)
    assert next_deadline_after_renewal(far, margin=YEAR, now=T0) == T0 + 5 * YEAR


def test_failures_count_until_a_renewal_succeeds():
    state = ArchiveState(deadline=T0, proof_ends=T0 + YEAR)
    assert state.is_due(T0) and not state.is_due(T0 - timedelta(seconds=1))
    failed = state.failed(at=T0, code="timestamp.unavailable").failed(at=T0 + timedelta(days=1), code="x")
    assert (failed.failures, failed.last_failure, failed.deadline) == (2, "x", T0)
    renewed = failed.renewed(at=T0 + timedelta(days=2), deadline=T0 + 5 * YEAR, proof_ends=T0 + 6 * YEAR)
    assert (renewed.failures, renewed.last_renewed_at) == (0, T0 + timedelta(days=2))


def test_times_without_a_zone_and_negative_margins_are_refused():
    with pytest.raises(ValueError):
        TimestampFacts(stamped_at=T0.replace(tzinfo=None), certificate_ends=[T0 + YEAR], algorithms=["sha256"])
    with pytest.raises(ValueError):
        TimestampFacts(stamped_at=T0, certificate_ends=[], algorithms=["sha256"])
    with pytest.raises(ValueError):
        renewal_deadline(None, margin=-YEAR, now=T0)
