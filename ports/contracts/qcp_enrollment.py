"""Contract suite for the QCP enrollment storage (``QcpEnrollmentRepository`` and
``CaptureLinkRepository`` inside a unit of work).

Subclass once per storage and implement ``make_uow()``: a factory of units of work on one
fresh, empty store that exposes ``qcp_enrollments`` and ``capture_links``. The suite
checks the round trip of every field the use cases rely on, the queries, tracking
(changes to a fetched enrollment are saved by commit) and rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.model.errors import NotFound
from domain.model.identity import CaptureStep, DocumentType, ExtractedIdentity, IdentityCheckResult, ImageDigest
from domain.model.qcp_enrollment import CaptureLink, ConsentKind, LcpHolding, QcpEnrollment, QcpState
from domain.model.values import Email, Mobile, PersonName

__all__ = ["QcpEnrollmentStorageContract"]

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _enrollment(id: str = "e1", person_id: str = "p1", cabinet_id: str = "c1", now: datetime = T0) -> QcpEnrollment:
    lcp = LcpHolding(certificate_serial="0a1b2c", key_id="key-1", person_id=person_id, cabinet_id=cabinet_id,
                     cabinet_name="Cabinet Poussart", siren="732829320", name=PersonName("Jessica", "Poussart"),
                     email=Email("jessica@poussart.fr"), mobile=Mobile("0624000013"), birth_date=date(1988, 3, 14))
    return QcpEnrollment.start(id=id, lcp=lcp, person_id=person_id, cabinet_id=cabinet_id, name=lcp.name,
                               email=lcp.email, mobile=lcp.mobile, now=now)


def _through_approval(e: QcpEnrollment, session_ref: str = "sess-1") -> None:
    e.verify_email(T0)
    e.confirm_identity(T0)
    e.confirm_prerequisites(has_valid_id_document=True, mobile_is_theirs=True, now=T0)
    e.consent(id_data_and_terms=True, privacy_policy=True, terms_version="cgu-1", privacy_version="ppdp-1", now=T0)
    e.begin_identity_check(session_ref, T0)
    e.identity_check_submitted(T0)
    extracted = ExtractedIdentity(name=PersonName("JESSICA", "POUSSART"), birth_date=date(1988, 3, 14),
                                  document_type=DocumentType.ID_CARD, document_number="X4RTBPFW4",
                                  document_expiry=date(2031, 1, 1))
    e.record_identity_result(IdentityCheckResult.approve(
        session_ref=session_ref, extracted=extracted, decided_at=T0, evidence_ref="ev-1",
        image_digests=(ImageDigest(CaptureStep.DOCUMENT_CENTRE, "c" * 64),)), T0)


class QcpEnrollmentStorageContract:
    def make_uow(self) -> Callable[[], Any]:
        raise NotImplementedError

    def test_an_enrollment_comes_back_with_everything_it_holds(self) -> None:
        uow = self.make_uow()
        original = _enrollment()
        _through_approval(original)
        original.validate_identity(confirmed=True, now=T0)
        original.accept_request(document_digest="a" * 64, document_ref="doc-1", now=T0)
        with uow() as tx:
            tx.qcp_enrollments.add(original)
            tx.commit()
        with uow() as tx:
            back = tx.qcp_enrollments.get("e1")
        assert back.state is QcpState.REQUEST_ACCEPTED
        assert back.lcp == original.lcp
        assert back.consents == original.consents
        assert back.consent_of(ConsentKind.PRIVACY_POLICY).text_version == "ppdp-1"
        assert [(a.session_ref, a.result) for a in back.attempts] == [
            (a.session_ref, a.result) for a in original.attempts]
        assert back.validated_identity == original.validated_identity
        assert (back.request_digest, back.request_ref) == ("a" * 64, "doc-1")
        assert back.expires_at == original.expires_at
        assert [(h.action, h.to_state) for h in back.history] == [(h.action, h.to_state) for h in original.history]
        assert back.next_step is original.next_step

    def test_an_unknown_enrollment_is_not_found(self) -> None:
        uow = self.make_uow()
        with uow() as tx:
            try:
                tx.qcp_enrollments.get("nope")
            except NotFound:
                return
        raise AssertionError("NotFound not raised")

    def test_changes_to_a_fetched_enrollment_are_saved_by_commit_only(self) -> None:
        uow = self.make_uow()
        with uow() as tx:
            tx.qcp_enrollments.add(_enrollment())
            tx.commit()
        with uow() as tx:
            tx.qcp_enrollments.get("e1").verify_email(T0)
            tx.rollback()
        with uow() as tx:
            assert tx.qcp_enrollments.get("e1").state is QcpState.STARTED
            tx.qcp_enrollments.get("e1").verify_email(T0)
            tx.commit()
        with uow() as tx:
            assert tx.qcp_enrollments.get("e1").state is QcpState.EMAIL_VERIFIED

    def test_open_for_finds_the_enrollment_in_progress_only(self) -> None:
        uow = self.make_uow()
        closed = _enrollment("e1")
        closed.cancel(T0)
        with uow() as tx:
            tx.qcp_enrollments.add(closed)
            tx.qcp_enrollments.add(_enrollment("e2", now=T0 + timedelta(minutes=1)))
            tx.qcp_enrollments.add(_enrollment("e3", cabinet_id="c2"))
            tx.commit()
        with uow() as tx:
            assert tx.qcp_enrollments.open_for("p1", "c1").id == "e2"
            assert tx.qcp_enrollments.open_for("p1", "c9") is None
            assert [e.id for e in tx.qcp_enrollments.of_person("p1")][0] == "e2"
            assert {e.id for e in tx.qcp_enrollments.of_person("p1")} == {"e1", "e2", "e3"}

    def test_an_enrollment_is_found_by_any_of_its_sessions(self) -> None:
        uow = self.make_uow()
        e = _enrollment()
        _through_approval(e, "sess-1")
        with uow() as tx:
            tx.qcp_enrollments.add(e)
            tx.commit()
        with uow() as tx:
            assert tx.qcp_enrollments.by_session_ref("sess-1").id == "e1"
            assert tx.qcp_enrollments.by_session_ref("sess-2") is None

    def test_in_states_lists_oldest_first(self) -> None:
        uow = self.make_uow()
        first, second, other = _enrollment("e1"), _enrollment("e2", person_id="p2"), _enrollment("e3", person_id="p3")
        other.verify_email(T0)
        first.updated_at = T0 - timedelta(minutes=5)
        with uow() as tx:
            for e in (second, first, other):
                tx.qcp_enrollments.add(e)
            tx.commit()
        with uow() as tx:
            assert [e.id for e in tx.qcp_enrollments.in_states(frozenset({QcpState.STARTED}))] == ["e1", "e2"]

    def test_capture_links_are_found_by_token_hash_and_by_session(self) -> None:
        uow = self.make_uow()
        old = CaptureLink.issue(token_hash="h1", enrollment_id="e1", session_ref="s1", phone_url="p", browser_url="b",
                                now=T0)
        new = CaptureLink.issue(token_hash="h2", enrollment_id="e1", session_ref="s1", phone_url="p", browser_url="b",
                                now=T0 + timedelta(minutes=11))
        with uow() as tx:
            tx.capture_links.add(old)
            tx.capture_links.add(new)
            tx.commit()
        with uow() as tx:
            link = tx.capture_links.by_token_hash("h1")
            assert (link.session_ref, link.expires_at) == ("s1", T0 + timedelta(minutes=10))
            link.use(T0)
            tx.commit()
        with uow() as tx:
            assert tx.capture_links.by_token_hash("h1").used_at == T0
            assert tx.capture_links.by_token_hash("zz") is None
            assert tx.capture_links.latest_for_session("s1").token_hash == "h2"
            assert tx.capture_links.latest_for_session("s9") is None
