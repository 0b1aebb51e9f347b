"""The consent at the provider (CSC oauth2code) on fakes: ``FakePdfSigning`` keeps the signature
half made, ``FakeConsentingQtsp`` signs with a real key. What happens to consents that never come
back (retention), and to the redirect brought back twice at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers

from adapters.memory.pdf_signing import FakePdfSigning
from domain.model.remote_consent import CONSENT_VALIDITY
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from domain.services.retention import CONSENTS_KEPT_AFTER_EXPIRY
from ports.remote_signing import RemoteSigningRoutes
from tests.ceremony.consent_fakes import FakeConsentingQtsp
from tests.ceremony.harness import Ceremony

SIREN = "732829320"  # the harness's cabinet
EMAIL = "juliette.remote@example.fr"
REDIRECT = "http://testserver.local/signature/consentement"


def _remote_signer() -> dict:
    return dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.ADVANCED_QUALIFIED, given_names="Juliette",
                surname="Remote", email=EMAIL, mobile="06 12 34 56 78")


@pytest.fixture
def qtsp() -> FakeConsentingQtsp:
    return FakeConsentingQtsp(EMAIL)


@pytest.fixture
def world(tmp_path, qtsp) -> Ceremony:
    ceremony = Ceremony(tmp_path, real_signing=False)
    ceremony.container.adapters.pdf_signing.override(providers.Object(FakePdfSigning(ceremony.clock)))
    ceremony.container.adapters.remote_signing.override(
        providers.Object(RemoteSigningRoutes(service=qtsp, cabinets={SIREN})))
    return ceremony


def _identity_checked(world: Ceremony) -> str:
    from tests.csc.test_remote_level3 import _identity_checked as checked

    return checked(world, EMAIL)


def test_lapsed_consents_and_their_prepared_pdfs_go_with_the_retention_the_signed_documents_stay(world, qtsp):
    cid = world.collection([_remote_signer()], documents=2)
    token = _identity_checked(world)
    store = world.container.adapters.document_store()
    world.uc.start_remote_consent(token=token, redirect_uri=REDIRECT)  # the signer never comes back
    (abandoned,) = world.store.tables["remote_consents"].values()
    world.clock.advance(CONSENTS_KEPT_AFTER_EXPIRY)
    # Started again later on the same versions: the fake prepares the same bytes, which this
    # consent still names when the first one is forgotten.
    again = world.uc.start_remote_consent(token=token, redirect_uri=REDIRECT)
    world.clock.advance(CONSENT_VALIDITY - timedelta(seconds=1))
    assert world.uc.apply_retention().consents_removed == ()  # the first one lapsed not quite an hour ago
    back = qtsp.consent(again.url)  # the second comes back just in time
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=REDIRECT).status == "completed"
    assert world.get(cid).signers[0].status is SignerStatus.SIGNED
    world.clock.advance(timedelta(seconds=2))
    assert world.uc.apply_retention().consents_removed == (abandoned.id,)
    shared = [d.prepared for d in abandoned.documents]
    (kept,) = world.store.tables["remote_consents"].values()
    assert [d.prepared for d in kept.documents] == shared
    assert all(store.exists(sha) for sha in shared)  # the second consent names them still

    world.clock.advance(CONSENTS_KEPT_AFTER_EXPIRY)
    assert len(world.uc.apply_retention().consents_removed) == 1
    assert world.store.tables["remote_consents"] == {}
    assert not any(store.exists(sha) for sha in shared)  # the prepared PDFs are gone
    for document in world.get(cid).documents:  # every version the collection names stays
        assert all(store.exists(v.after) and store.exists(v.before) for v in document.versions)
        assert store.exists(document.latest.sha256)


def test_the_appearance_states_the_window_the_signature_is_made_in_and_a_later_finish_is_refused(world, qtsp):
    """The box is drawn before the signer leaves for the provider; the value and its timestamp come
    on the return, up to the expiry and the time a finish takes: the box says between when and
    when, and a signature finished after that is not recorded."""
    from domain.model.errors import RemoteConsentUnusable
    from domain.model.remote_consent import FINISHING_ALLOWANCE

    cid = world.collection([_remote_signer()])
    token = _identity_checked(world)
    started_at = world.clock.now()
    started = world.uc.start_remote_consent(token=token, redirect_uri=REDIRECT)
    (consent,) = world.store.tables["remote_consents"].values()
    assert consent.signed_at == started_at
    assert started_at + CONSENT_VALIDITY + FINISHING_ALLOWANCE <= consent.signed_before
    assert consent.signed_before - (started_at + CONSENT_VALIDITY + FINISHING_ALLOWANCE) < timedelta(minutes=1)
    assert consent.signed_before.second == 0 and consent.signed_before.microsecond == 0

    back = qtsp.consent(started.url)
    world.clock.advance(CONSENT_VALIDITY - timedelta(seconds=1))  # back just in time...
    slow = qtsp.sign_digests_consented

    def signing_slowly(*args, **kwargs):
        # ...but the provider takes its time: past the window's end whatever second it started at (the
        # end is rounded up to the minute, so up to 60 s after the consent's expiry and allowance).
        world.clock.advance(FINISHING_ALLOWANCE + timedelta(minutes=2))
        return slow(*args, **kwargs)

    qtsp.sign_digests_consented = signing_slowly
    with pytest.raises(RemoteConsentUnusable):
        world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                       redirect_uri=REDIRECT)
    assert world.get(cid).signers[0].status is not SignerStatus.SIGNED
    assert not [e for e in world.trail(cid) if e.kind == "document_signed"]

    qtsp.sign_digests_consented = slow
    started = world.uc.start_remote_consent(token=token, redirect_uri=REDIRECT)
    back = qtsp.consent(started.url)
    world.clock.advance(CONSENT_VALIDITY - timedelta(seconds=1))
    assert world.uc.finish_remote_consent(token=token, state=back["state"], code=back["code"], error=None,
                                          redirect_uri=REDIRECT).status == "completed"
    signing = world.container.adapters.pdf_signing()
    request = signing.signed[-1]  # what the recorded signature's appearance was drawn from
    second = next(c for c in world.store.tables["remote_consents"].values() if c.used_at is not None
                  and c.id != consent.id)
    assert request.appearance.signed_at == second.signed_at
    assert request.appearance.signed_before == second.signed_before
    assert second.signed_at <= world.clock.now() <= second.signed_before
