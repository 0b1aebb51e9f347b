"""The SignatureVerifier port on pyHanko's validation.

Trust comes from the roots we are given (our CA's root by default) and, for the word
"qualified", only from a configured EU trusted list. Revocation data comes from the file's
DSS and from a RevocationSource (our CA's OCSP/CRL): nothing is fetched from the network.
A certificate revoked after the signature's trusted time is reported "good" (it was good
when it signed); revoked before or without trusted time, "revoked".
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import hashlib
import io
import logging
import re
from copy import copy
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Sequence

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import ades as pyhanko_ades
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.ades import (
    ades_basic_validation,
    ades_lta_validation,
    ades_with_time_validation,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    NO_REVOCATION,
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from adapters.shared import pdf_tokens, signature_checks
from adapters.signing.trusted_list import TrustedList
from domain.model.errors import NotVerifiable
from domain.model.verification import SignatureCheck, VerificationReport, level_of, seal_holder
from ports.clock import Clock
from ports.evidence import EVIDENCE_JSON_DIGEST_KEY
from ports.pdf_signing import RevocationSource

pdf_tokens.apply()  # pyHanko's parser without a Python loop per byte (adapters/shared/pdf_tokens.py)
signature_checks.apply()  # a signature verified once is not verified again (adapters/shared/signature_checks.py)

__all__ = ["PyHankoSignatureVerifier"]

_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
_QC_COMPLIANCE_DER = bytes.fromhex("06060400 8e460101".replace(" ", ""))  # OID 0.4.0.1862.1.1
_log = logging.getLogger(__name__)
# Evidence files sealed before the digest had its own key print it, wrapped onto the next line.
_PRINTED_JSON_DIGEST = re.compile(rb"JSON jumeau :\s*(?:\)\s*'\s*/F\d+ \d+ Tf \()?([0-9a-f]{64})\)")
# pyHanko logs every failed path validation with a traceback; the report says it already.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.CRITICAL)


def _policies(cert: x509.Certificate) -> tuple[str, ...]:
    value = cert.certificate_policies_value
    if value is None:
        return ()
    return tuple(p["policy_identifier"].dotted for p in value)


def _qc_compliance(cert: x509.Certificate) -> bool:
    for extension in cert["tbs_certificate"]["extensions"]:
        if extension["extn_id"].dotted == _QC_STATEMENTS:
            return _QC_COMPLIANCE_DER in extension["extn_value"].contents
    return False


def _timestamp_ok(status: Any) -> bool:
    ts = getattr(status, "timestamp_validity", None)
    return ts is not None and bool(ts.intact and ts.valid and ts.trusted)


def _text(value: object) -> str | None:
    """An X.520 attribute as text (a multi-valued one as its first value)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return None if value is None else str(value)


def _common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)


_REVOCATION_REQUIRED = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
)


def _review_integrity_once(embedded: Any) -> None:
    """Make the signature's integrity review (digest, coverage, and the diff analysis of every
    revision after it) run once per policy instead of once per caller.

    pyHanko's long-term validation of *one* signature reviews the integrity of *every* signature
    of the file (to index the document timestamps' proofs of existence) and does not keep the
    result, so a file of N signatures had N² diff analyses. The review depends only on the file
    and the diff policy, and the reader (hence these objects) lives for one verification, so
    reusing it changes no result. Set on the instance: pyHanko's class is left as it is.
    """
    compute = embedded.compute_integrity_info
    reviewed: list[Any] = []  # diff policies fully reviewed (diff included)
    skipped = False  # reviewed without the diff analysis

    def once(diff_policy: Any = None, skip_diff: bool = False) -> None:
        nonlocal skipped
        policy = diff_policy or DEFAULT_DIFF_POLICY
        if any(policy is done for done in reviewed) or (skip_diff and (skipped or reviewed)):
            return  # a skipped diff leaves the earlier review's result in place, as pyHanko does
        compute(diff_policy, skip_diff=skip_diff)
        if skip_diff:
            skipped = True
        else:
            reviewed.append(policy)

    embedded.compute_integrity_info = once


# What one verification shares between its signatures' long-term validations (see
# _share_the_timestamp_chain); None outside a verification, where pyHanko runs unchanged.
_VERIFICATION_SCOPE: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "seing_verification_scope", default=None)


def _share_the_timestamp_chain() -> None:
    """Make the proofs of existence the file's timestamps give be established once per
    verification instead of once per signature.

    pyHanko's long-term validation of *one* signature first indexes the file's document
    timestamps (and content timestamps), then validates that whole chain, then reads the DSS: all
    of it depends on the file, the validation policy and the validation time only, never on the
    signature being validated. So a file of N signatures validated its chain N times (a
    three-signer file: 3 validations of its document timestamp instead of 1; at ten signers this
    was 13 % of a verification's CPU). Within one verification (same reader, same policy objects, same timing),
    the first result is kept and each later signature gets a copy (pyHanko adds to it). A chain
    that fails to validate is not kept: it is validated again, as before. Patched on pyHanko's
    module, where its long-term validation looks these up; outside a verification (no scope set)
    the originals run.
    """
    if getattr(pyhanko_ades._validate_prima_facie_poe, "seing_shared", False):
        return
    index, validate, read_dss = (pyhanko_ades._build_prima_facie_poe_index_from_pdf_timestamps,
                                 pyhanko_ades._validate_prima_facie_poe, pyhanko_ades._dss_to_local_knowledge)

    def shared_index(r: Any, include_content_ts: bool, diff_policy: Any) -> Any:
        scope = _VERIFICATION_SCOPE.get()
        if scope is None:
            return index(r, include_content_ts, diff_policy)
        key = ("index", id(r), include_content_ts, id(diff_policy))
        if key not in scope:
            scope[key] = (r, diff_policy, index(r, include_content_ts, diff_policy))
        return scope[key][-1]

    def shared_dss(reader: Any) -> Any:
        scope = _VERIFICATION_SCOPE.get()
        if scope is None:
            return read_dss(reader)
        key = ("dss", id(reader))
        if key not in scope:
            scope[key] = (reader, read_dss(reader))
        return scope[key][-1]

    async def shared_validate(prima_facie_poe_sets: Any, validation_spec: Any, cur_timing_info: Any = None) -> Any:
        scope = _VERIFICATION_SCOPE.get()
        knowledge, gathering = validation_spec.local_knowledge, validation_spec.revinfo_gathering_policy
        if (scope is None or cur_timing_info is None or knowledge.known_poes or knowledge.nonrevoked_assertions
                or gathering.online_fetching_rule is not RevinfoOnlineFetchingRule.LOCAL_ONLY):
            return await validate(prima_facie_poe_sets, validation_spec, cur_timing_info)
        # Same objects, same inputs: the index and the DSS's facts are shared above, and the
        # spec's other fields are the caller's. Revocation data a signature carries itself
        # (Adobe's archival attribute) is new objects, hence another key. pyHanko gives each
        # operation a fetcher of its own, unused when nothing may be fetched: left out.
        key = ("chain", id(prima_facie_poe_sets), cur_timing_info, gathering.certificate_fetching_rule,
               tuple(id(getattr(validation_spec, f.name)) for f in dataclasses.fields(validation_spec)
                     if f.name not in ("local_knowledge", "revinfo_gathering_policy")),
               tuple(map(id, knowledge.known_ocsps)), tuple(map(id, knowledge.known_crls)),
               tuple(map(id, knowledge.known_certs)))
        if key not in scope:
            manager = await validate(prima_facie_poe_sets, validation_spec, cur_timing_info)
            scope[key] = (prima_facie_poe_sets, validation_spec, manager)  # the objects the key's ids name
        return copy(scope[key][-1])

    shared_validate.seing_shared = True  # type: ignore[attr-defined]
    pyhanko_ades._build_prima_facie_poe_index_from_pdf_timestamps = shared_index
    pyhanko_ades._validate_prima_facie_poe = shared_validate
    pyhanko_ades._dss_to_local_knowledge = shared_dss


_share_the_timestamp_chain()


class _FileRevinfo:
    """The file's DSS, parsed once per verification and shared by every signature's checks
    (parsing it for each signature made verification quadratic in the number of signers)."""

    def __init__(self, reader: PdfFileReader, dss: DocumentSecurityStore | None) -> None:
        self._reader = reader
        self._knowledge: Any = None
        self.present = dss is not None
        self.certs: list[x509.Certificate] = list(dss.load_certs()) if dss is not None else []
        # (serial of the certificate it speaks about, response); unreadable responses are left out.
        self.ocsps: list[tuple[int, Any]] = []
        self.crls: list[Any] = []
        if dss is None:
            return
        for ocsp_ref in dss.ocsps:
            response = asn1_ocsp.OCSPResponse.load(ocsp_ref.get_object().data)
            try:
                single = response["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]
                self.ocsps.append((single[0]["cert_id"]["serial_number"].native, response))
            except Exception:
                continue
        self.crls = [asn1_crl.CertificateList.load(crl_ref.get_object().data) for crl_ref in dss.crls]

    @classmethod
    def read(cls, reader: PdfFileReader) -> _FileRevinfo:
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except Exception:
            dss = None
        return cls(reader, dss)

    def local_knowledge(self) -> Any:
        """The DSS as the AdES engine's local knowledge (what the file alone brings)."""
        if self._knowledge is None:
            # Private in pyHanko, but its one reader of a PDF's DSS into the AdES engine's knowledge.
            self._knowledge = pyhanko_ades._dss_to_local_knowledge(self._reader)
        return self._knowledge


class PyHankoSignatureVerifier:
    """Besides the report's checks (which may use our CA's live revocation data), each
    signature gets the PAdES level it proves *from the file alone* (EN 319 102-1 through
    pyHanko's AdES engine, nothing fetched, revocation data required for B-LT and above) and
    the time it is proven at, validated at the Clock's time."""

    def __init__(self, *, trust_roots: Sequence[bytes], clock: Clock, revocation_source: RevocationSource | None = None,
                 ca_certificates: Sequence[bytes] = (), platform_seal_certificates: Sequence[bytes] = (),
                 trusted_list: TrustedList | None = None) -> None:
        self._clock = clock
        self._roots = [x509.Certificate.load(der) for der in trust_roots]
        self._cas = [x509.Certificate.load(der) for der in ca_certificates]
        self._revocation = revocation_source
        self._seals = {bytes(der) for der in platform_seal_certificates}
        self._trusted_list = trusted_list

    def verify(self, pdf: bytes) -> VerificationReport:
        return self._verify(io.BytesIO(pdf), hashlib.sha256(pdf).hexdigest())

    def verify_file(self, path: Path) -> VerificationReport:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
            handle.seek(0)
            # pyHanko reads objects lazily and hashes signed byte ranges in chunks from the stream.
            return self._verify(handle, digest.hexdigest())

    def _verify(self, stream: BinaryIO, file_sha256: str) -> VerificationReport:
        try:
            reader = PdfFileReader(stream, strict=False)
            signatures = list(reader.embedded_signatures)
            for embedded in signatures:
                _review_integrity_once(embedded)
        except Exception as exc:  # any parse failure: the file cannot be verified
            raise NotVerifiable(f"unreadable PDF: {type(exc).__name__}") from exc
        if not signatures:
            raise NotVerifiable("the PDF holds no signature")
        scope = _VERIFICATION_SCOPE.set({})
        try:
            dss = _FileRevinfo.read(reader)
            timestamp_revisions = [s.signed_revision for s in signatures if s.sig_object_type == "/DocTimeStamp"]
            # One validation time and one long-term policy for every signature: what lets them
            # share the timestamp chain's proofs (_share_the_timestamp_chain).
            now = self._clock.now()
            timing = ValidationTimingInfo(validation_time=now, best_signature_time=now, point_in_time_validation=False)
            long_term = PdfSignatureValidationSpec(self._offline_spec(_REVOCATION_REQUIRED))
            checks = [self._check(embedded, dss, timestamp_revisions, timing, long_term) for embedded in signatures]
        finally:
            _VERIFICATION_SCOPE.reset(scope)
        last = max(zip(signatures, checks, strict=True), key=lambda pair: pair[0].signed_revision)[1]
        # Only validation data (DSS) may follow the last signature: PAdES B-LT adds it after.
        whole = last.coverage == "entire_file" or last.modifications_after == "lta_updates"
        return VerificationReport(file_sha256=file_sha256, signatures=tuple(checks),
                                  trusted_list=self._trusted_list.source if self._trusted_list else None,
                                  whole_document_covered=whole)

    def bound_evidence_digest(self, pdf: bytes) -> str | None:
        """The evidence JSON's SHA-256 in the revision the first signature (the seal) covers.

        Read from that revision, not from the latest one: an update appended after the seal could
        say anything. None when the sealed revision binds no digest.
        """
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            signatures = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
        except Exception as exc:
            raise NotVerifiable(f"unreadable PDF: {type(exc).__name__}") from exc
        if not signatures:
            raise NotVerifiable("the PDF holds no signature")
        seal = min(signatures, key=lambda s: s.signed_revision)
        try:
            sealed = reader.get_historical_resolver(seal.signed_revision)
            # Resolved through the historical resolver: the trailer's reference alone would
            # resolve to the latest version of the object.
            info = sealed.get_object(sealed.trailer_view.raw_get("/Info"))
            value = info.get("/" + EVIDENCE_JSON_DIGEST_KEY)
        except Exception:  # no /Info in that revision
            value = None
        if value is not None:
            return str(value).strip().lower()
        try:
            _, first_length, second_start, second_length = (int(v) for v in seal.byte_range)
        except Exception:
            return None
        covered = pdf[:first_length] + pdf[second_start:second_start + second_length]
        printed = _PRINTED_JSON_DIGEST.search(covered)
        return printed.group(1).decode("ascii") if printed else None

    def _context(self, cert: x509.Certificate, dss: _FileRevinfo, moment: datetime | None,
                 chain: list[x509.Certificate]) -> ValidationContext:
        ocsps: list[bytes] = []
        crls: list[bytes] = []
        if self._revocation is not None:
            ours = {c.dump() for c in self._cas + self._roots}
            issuers = self._cas + self._roots
            for candidate in [cert, *chain, *self._cas]:
                # Only our CA can speak for its certificates: another CA may bear the same name
                # (another Seing instance), so the issuer must match by key identifier too.
                issuer = next((c for c in issuers if c.subject == candidate.issuer
                               and c.key_identifier == candidate.authority_key_identifier), None)
                if issuer is None or candidate.self_signed in ("yes", "maybe") or issuer.dump() not in ours:
                    continue
                try:
                    data = self._revocation.revocation_data(candidate.dump(), issuer.dump())
                except Exception:  # the CA does not know it: the DSS may
                    continue
                ocsps += data.ocsp_responses
                crls += data.crls
        kwargs = dict(trust_roots=self._roots, other_certs=self._cas + chain,
                      ocsps=[asn1_ocsp.OCSPResponse.load(o) for o in dict.fromkeys(ocsps)],
                      crls=[asn1_crl.CertificateList.load(c) for c in dict.fromkeys(crls)],
                      allow_fetching=False, revocation_mode="soft-fail", retroactive_revinfo=True)
        if moment is not None:
            kwargs["moment"] = moment
        if dss.present:
            # The DSS holds OCSP responses for every signer of the file; pyHanko refuses a path
            # when it is offered a response about another certificate of the same CA.
            serials = {c.serial_number for c in [cert, *chain, *dss.certs]} if cert else set()
            mine = {cert.serial_number, *(c.serial_number for c in chain)}
            for serial, response in dss.ocsps:
                if serial in mine or serial not in serials:
                    kwargs["ocsps"].append(response)
            kwargs["crls"] += dss.crls
            kwargs["other_certs"] = list(kwargs["other_certs"]) + dss.certs
        return ValidationContext(**kwargs)

    def _check(self, embedded, dss, timestamp_revisions, timing, long_term) -> SignatureCheck:  # type: ignore[no-untyped-def]
        is_timestamp = embedded.sig_object_type == "/DocTimeStamp"
        cert = embedded.signer_cert
        chain = [c for c in embedded.other_embedded_certs]
        ts_status = None
        # A document timestamp is checked at the clock's time: after an archive-timestamp renewal
        # under a rolled-over TSA, the newest one rests on a certificate the wall clock may not
        # have reached yet (tests move the clock), and an old one's TSA may have ended (its proof
        # then rests on the timestamp after it).
        context = self._context(cert, dss, self._clock.now() if is_timestamp else None, chain)
        try:
            if is_timestamp:
                status = validate_pdf_timestamp(embedded, validation_context=context)
            else:
                status = validate_pdf_signature(embedded, signer_validation_context=context,
                                                ts_validation_context=context)
                ts_status = status.timestamp_validity
        except Exception as exc:
            _log.info("validation failed: %s", exc)
            return self._broken(embedded, cert, is_timestamp)
        revoked_since_signing = False
        if not is_timestamp and ts_status is not None and getattr(status, "revoked", False) and status.intact:
            # Revoked now: was it already at the trusted time of the signature? Validate again
            # at that moment; a revocation dated later leaves the signature good.
            try:
                at_signing = validate_pdf_signature(
                    embedded, signer_validation_context=self._context(cert, dss, ts_status.timestamp, chain),
                    ts_validation_context=context)
                if not at_signing.revoked and at_signing.trusted:
                    status, revoked_since_signing = at_signing, True
            except Exception as exc:
                _log.info("validation at signing time failed: %s", exc)
        signing_time = None
        if is_timestamp:
            signing_time = getattr(status, "timestamp", None)
        elif ts_status is not None:
            signing_time = ts_status.timestamp
        revoked = bool(getattr(status, "revoked", False))
        certificate_status = "revoked" if revoked else ("good" if status.trusted else "unknown")
        policies = _policies(cert)
        qc = _qc_compliance(cert)
        # A seal (a legal person's certificate, no given name nor surname) signing for a person
        # is level 1 — ours by configuration, or any Seing instance's seal (demo files).
        subject = cert.subject.native
        person_named = "given_name" in subject or "surname" in subject
        seal = cert.dump() in self._seals or (not person_named and "organization_name" in subject)
        name = None if is_timestamp else (embedded.sig_object.get("/Name") or None)
        seal_of = None if is_timestamp else seal_holder(
            organization=_text(subject.get("organization_name")), common_name=_text(subject.get("common_name")),
            person_named=person_named, signature_name=str(name) if name else None)
        coverage = embedded.coverage.name.lower() if embedded.coverage is not None else "partial"
        modification = getattr(status, "modification_level", None)
        pades = self._pades(embedded, ts_status is not None, dss.certs, cert, timestamp_revisions, is_timestamp)
        proven_level, proven_at = (None, None) if is_timestamp else self._proven(embedded, timestamp_revisions, dss,
                                                                                           timing, long_term)
        issuers = [c for c in chain + self._cas if c.subject == cert.issuer]
        qualified = bool(self._trusted_list and qc and not is_timestamp
                         and any(self._trusted_list.grants(c.dump()) for c in issuers))
        return SignatureCheck(
            field_name=str(embedded.field_name), kind="document_timestamp" if is_timestamp else "signature",
            signer_name=str(name) if name else _common_name(cert), certificate_subject=cert.subject.human_friendly,
            certificate_serial=format(cert.serial_number, "x"), certificate_issuer=cert.issuer.human_friendly,
            certificate_policies=policies, qc_compliance=qc,
            # A seal in its own name has no person's level: reports say « Cachet de … » instead.
            level=None if is_timestamp or seal_of else level_of(policies=frozenset(policies), qc_compliance=qc,
                                                                platform_seal=seal),
            signing_time=signing_time, timestamped=is_timestamp or ts_status is not None,
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            certificate_status=certificate_status, coverage=coverage,
            modifications_after=modification.name.lower() if modification is not None else "none",
            pades_level=pades, qualified=qualified,
            trust_source=(self._trusted_list.source if qualified and self._trusted_list else None),
            revoked_since_signing=revoked_since_signing, proven_level=proven_level, proven_at=proven_at,
            known_authority=bool(status.trusted) or self._known_authority(cert, chain), seal_of=seal_of)

    def _offline_spec(self, revocation: RevocationCheckingPolicy, local_knowledge: Any = None) -> SignatureValidationSpec:
        policy = CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=self._roots),
                                          revinfo_policy=CertRevTrustPolicy(revocation))
        extra = {"local_knowledge": local_knowledge} if local_knowledge is not None else {}
        return SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
            **extra)

    def _proven(self, embedded, timestamp_revisions, dss, timing,  # type: ignore[no-untyped-def]
                long_term) -> tuple[str | None, datetime | None]:
        """The PAdES level the file alone proves for this signature, and the time it is proven at
        (the signature timestamp's time from B-T up; the validation time for B-B).

        B-LT/B-LTA: AdES long-term validation with revocation data required for every
        certificate of the signer's and the TSA's chains, from the file's DSS only. B-T/B-B:
        the same without revocation data (the file does not prove the certificate was not
        revoked). None: not even that."""
        now = timing.validation_time
        if any(r > embedded.signed_revision for r in timestamp_revisions):
            try:
                lta = asyncio.run(ades_lta_validation(embedded, long_term, timing_info=timing))
                if lta.ades_subindic is AdESPassed.OK and _timestamp_ok(lta.api_status):
                    return "B-LTA", lta.best_signature_time
            except Exception as exc:  # a broken structure: try the lower levels
                _log.info("long-term validation failed: %s", exc)
        for revocation in (_REVOCATION_REQUIRED, NO_REVOCATION):
            try:
                embedded.compute_integrity_info()
                result = asyncio.run(ades_with_time_validation(
                    embedded.signed_data, self._offline_spec(revocation, dss.local_knowledge()),
                    timing_info=timing, raw_digest=embedded.compute_digest(),
                    extra_status_kwargs=embedded.summarise_integrity_info(), status_cls=PdfSignatureStatus))
            except Exception as exc:
                _log.info("validation with time failed: %s", exc)
                continue
            if result.ades_subindic is not AdESPassed.OK:
                continue
            if not _timestamp_ok(result.api_status):
                return "B-B", now
            return ("B-LT" if revocation is _REVOCATION_REQUIRED else "B-T"), result.best_signature_time
        try:  # no signature timestamp: the signature holds, but only now
            # (pyHanko 0.38's basic validation drops status_cls, so no PDF integrity kwargs here:
            # the raw digest is the byte range's, and the report checks coverage anyway.)
            basic = asyncio.run(ades_basic_validation(
                embedded.signed_data, self._offline_spec(NO_REVOCATION, dss.local_knowledge()),
                timing_info=timing, raw_digest=embedded.compute_digest()))
        except Exception as exc:
            _log.info("basic validation failed: %s", exc)
            return None, None
        return ("B-B", now) if basic.ades_subindic is AdESPassed.OK else (None, None)

    def _known_authority(self, cert: x509.Certificate, chain: list[x509.Certificate]) -> bool:
        """Whether the certificate or its embedded chain comes from an authority we were given
        (a trust anchor or one of our CAs), by name and key identifier: an untrusted signature
        from such an authority is a failure of ours, not someone else's signature."""
        known = self._roots + self._cas
        for candidate in [cert, *chain]:
            for authority in known:
                if candidate.dump() == authority.dump():
                    return True
                if candidate.issuer == authority.subject and (
                        candidate.authority_key_identifier is None
                        or candidate.authority_key_identifier == authority.key_identifier):
                    return True
        return False

    @staticmethod
    def _pades(embedded, timestamped, dss_certs, cert, timestamp_revisions, is_timestamp) -> str | None:  # type: ignore[no-untyped-def]
        if is_timestamp:
            return None
        level = "B-T" if timestamped else "B-B"
        if timestamped and any(c.dump() == cert.dump() for c in dss_certs):
            level = "B-LT"
            if any(r > embedded.signed_revision for r in timestamp_revisions):
                level = "B-LTA"
        return level

    def _broken(self, embedded, cert, is_timestamp) -> SignatureCheck:  # type: ignore[no-untyped-def]
        return SignatureCheck(
            field_name=str(embedded.field_name), kind="document_timestamp" if is_timestamp else "signature",
            signer_name=_common_name(cert), certificate_subject=cert.subject.human_friendly,
            certificate_serial=format(cert.serial_number, "x"), certificate_issuer=cert.issuer.human_friendly,
            certificate_policies=_policies(cert), qc_compliance=_qc_compliance(cert), level=None, signing_time=None,
            timestamped=False, intact=False, valid=False, trusted=False, certificate_status="unknown",
            coverage="partial", modifications_after="unknown", pades_level=None, qualified=False, trust_source=None,
            known_authority=self._known_authority(cert, [c for c in embedded.other_embedded_certs]))
