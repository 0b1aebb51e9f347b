from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.model.errors import RemoteConsentUnusable
from domain.model.remote_consent import CONSENT_VALIDITY, ConsentedDocument, RemoteConsent

T0 = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)


def _consent() -> RemoteConsent:
    document = ConsentedDocument(document_id="d", base="a" * 64, prepared="b" * 64, document_digest=bytes(32),
                                 reserved_start=10, reserved_end=20, digest=b"\x01" * 32, hash_algorithm="sha256")
    return RemoteConsent.start(id="rc", state_hash="h", collection_id="c", signer_id="s", credential_id="cr",
                               code_verifier="v", signed_at=T0, documents=[document], now=T0)


def test_a_consent_serves_once():
    used = _consent().use(T0 + timedelta(minutes=1))
    assert used.used_at == T0 + timedelta(minutes=1)
    with pytest.raises(RemoteConsentUnusable):
        used.use(T0 + timedelta(minutes=2))


def test_a_consent_lapses_after_its_validity():
    consent = _consent()
    assert consent.usable(T0 + CONSENT_VALIDITY - timedelta(seconds=1))
    with pytest.raises(RemoteConsentUnusable):
        consent.use(T0 + CONSENT_VALIDITY)


def test_a_consent_names_documents_and_aware_times():
    with pytest.raises(ValueError):
        RemoteConsent.start(id="rc", state_hash="h", collection_id="c", signer_id="s", credential_id="cr",
                            code_verifier="v", signed_at=T0, documents=[], now=T0)


def test_the_signing_window_ends_on_the_whole_minute_after_the_expiry_and_the_finishing_allowance():
    from domain.model.remote_consent import FINISHING_ALLOWANCE, signed_before

    on_the_minute = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
    assert signed_before(on_the_minute) == on_the_minute + CONSENT_VALIDITY + FINISHING_ALLOWANCE
    assert signed_before(on_the_minute + timedelta(microseconds=1)) == (
        on_the_minute + CONSENT_VALIDITY + FINISHING_ALLOWANCE + timedelta(minutes=1))
