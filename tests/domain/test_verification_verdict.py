"""The verdict of a verification when a file carries someone else's signature beside ours."""

from __future__ import annotations

import attrs

from domain.model.verification import SignatureCheck, Verdict, VerificationReport, verdict_of

OURS = SignatureCheck(field_name="Signature_s1", kind="signature", signer_name="Claire Petit",
                      certificate_subject="CN=Claire Petit", certificate_serial="1a", certificate_issuer="CN=Seing LCP",
                      certificate_policies=("0.4.0.2042.1.3",), qc_compliance=False, level=2, signing_time=None,
                      timestamped=True, intact=True, valid=True, trusted=True, certificate_status="good",
                      coverage="entire_file", modifications_after="none", pades_level="B-LTA", qualified=False,
                      trust_source=None)
FOREIGN = attrs.evolve(OURS, field_name="Signature1", signer_name="Throwaway", certificate_issuer="CN=Throwaway",
                       level=None, trusted=False, certificate_status="unknown", known_authority=False,
                       coverage="entire_revision", modifications_after="form_filling")


def _report(*checks: SignatureCheck) -> VerificationReport:
    return VerificationReport(file_sha256="0" * 64, signatures=checks, whole_document_covered=True)


def test_an_intact_foreign_signature_is_valid_from_an_unknown_authority_and_ours_stay_valid():
    assert FOREIGN.valid_unknown_authority and not FOREIGN.ok
    report = _report(FOREIGN, OURS)
    assert report.all_ok and report.foreign_signatures == (FOREIGN,)
    assert verdict_of(report) is Verdict.VALID


def test_a_file_with_only_foreign_signatures_is_nothing_seing_can_vouch_for():
    assert verdict_of(_report(FOREIGN)) is Verdict.UNDETERMINED
    assert not _report(FOREIGN).all_ok


def test_a_broken_or_revoked_foreign_signature_is_still_a_failure():
    assert verdict_of(_report(attrs.evolve(FOREIGN, intact=False), OURS)) is Verdict.INVALID
    assert verdict_of(_report(attrs.evolve(FOREIGN, certificate_status="revoked"), OURS)) is Verdict.INVALID


def test_an_untrusted_signature_from_an_authority_we_know_is_not_excused_as_foreign():
    ours_untrusted = attrs.evolve(OURS, trusted=False, certificate_status="unknown")
    assert not ours_untrusted.valid_unknown_authority
    assert verdict_of(_report(FOREIGN, ours_untrusted)) is Verdict.UNDETERMINED
