"""A remote signature kept half made across the signer's consent at the QTSP (oauth2code, SCAL2:
the consent names the digests): ``PausedPdfSigning`` prepares each document (the PDF with its
placeholder is stored, its digest fixed), the consent covers exactly those digests, and the values
signHash gives are put in the prepared PDFs later, in another adapter instance (another request
or process). The result validates in pyHanko with the signature timestamp and B-LT data."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import secrets
from datetime import timedelta

import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader

from adapters.csc import CscRemoteSigning
from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.fallback_revocation import FallbackRevocationSource
from adapters.signing.http_revocation import HttpRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import BuiltinTsa
from domain.model.errors import SigningFailed
from domain.model.signer import SignatureLevel, SignerKind
from ports.pdf_signing import (
    Box,
    PadesLevel,
    PausedPdfSigning,
    SignatureRequest,
    SigningIdentity,
    VisibleSignature,
)
from tests.ceremony.harness import Ceremony
from tests.csc.server import SIGNER_EMAIL
from tests.signing.pki_server import PkiHttpServer


@pytest.fixture(scope="module")
def pki_server():
    server = PkiHttpServer().start()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path, pki_server, csc_server) -> Ceremony:
    ceremony = Ceremony(tmp_path, public_url=pki_server.base_url)
    pki_server.pki = ceremony
    return ceremony


def _adapter(world: Ceremony, pooled: bool = False):
    """A fresh adapter each time: nothing of the first phase survives in memory. ``pooled``: the
    production wrapper, which keeps both phases in the calling process (the pool never starts)."""
    revocation = FallbackRevocationSource(CaRevocationSource(world.ca), HttpRevocationSource())
    adapter = PyHankoPdfSigning(vault=world.vault, timestamp_authority=BuiltinTsa(world.vault, world.ca, world.clock),
                                revocation_source=revocation, clock=world.clock)
    if not pooled:
        return adapter
    from adapters.signing.process_pool import ProcessPoolPdfSigning

    return ProcessPoolPdfSigning(factory=lambda: adapter, local=adapter, workers=1, start_method="fork")


def _consent(service: CscRemoteSigning, credential, digests: list[bytes]) -> str:
    """The signer's browser at the QTSP's page and back: the credential token for these digests."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    redirect = "http://127.0.0.1:9/signature/tok/consentement"
    back = httpx.get(service.consent_url(credential, digests, "sha256", redirect_uri=redirect, state="s",
                                         code_challenge=challenge), follow_redirects=False)
    code = httpx.URL(back.headers["location"]).params["code"]
    return service.exchange_consent(code, redirect_uri=redirect, code_verifier=verifier)


def _requests(world: Ceremony, credential, count: int) -> list[tuple[str, SignatureRequest]]:
    cid = world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire",
                                 surname="Petit", email="claire@exemple.fr")], documents=count)
    identity = SigningIdentity(key_ref=None, certificate=credential.certificate, chain=credential.chain)
    at = world.clock.now()
    return [(document.latest.sha256, SignatureRequest(
        identity=identity, level=PadesLevel.B_LT, field_name=f"Signature_remote{n}",
        appearance=VisibleSignature(box=Box(page=0, x=72, y=72, width=180, height=60),
                                    signer_name="Juliette Remote", signed_at=at,
                                    level_label="Niveau 3 : avancée, certificat qualifié")))
        for n, document in enumerate(world.get(cid).documents)]


def _validates(roots: list[bytes], sig) -> None:
    from pyhanko.sign.validation.ades import _dss_to_local_knowledge, ades_with_time_validation
    from pyhanko.sign.validation.policy_decl import (
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[asn1_x509.Certificate.load(r) for r in roots]),
            revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY),
        local_knowledge=_dss_to_local_knowledge(sig.reader))
    sig.compute_integrity_info()
    result = asyncio.run(ades_with_time_validation(sig.signed_data, spec, raw_digest=sig.compute_digest(),
                                                   extra_status_kwargs=sig.summarise_integrity_info(),
                                                   status_cls=PdfSignatureStatus))
    assert result.api_status.bottom_line, result.api_status.pretty_print_details()


@pytest.mark.parametrize("pooled", [False, True], ids=["adapter", "process-pool"])
def test_documents_prepared_before_the_consent_are_finished_after_it_with_exactly_the_consented_digests(
        world, csc_server, strict, pooled):
    strict.oauth2code = True
    service = CscRemoteSigning(base_url=csc_server.url, client_id="seing", client_secret="s3cret")
    credential = service.credential_for(SIGNER_EMAIL)
    items = _requests(world, credential, 2)
    first = _adapter(world, pooled)
    assert isinstance(first, PausedPdfSigning)
    prepared = first.prepare_documents(world.container.adapters.document_store(), items)
    assert [p.base for p in prepared] == [sha for sha, _request in items]
    assert len({p.digest for p in prepared}) == 2 and all(len(p.digest) == 32 for p in prepared)

    token = _consent(service, credential, [p.digest for p in prepared])
    (consent,) = strict.credential_tokens.values()
    assert consent["hashes"] == [p.digest for p in prepared]  # the QTSP was shown these digests
    values = service.sign_digests_consented(credential, token, [p.digest for p in prepared], "sha256")

    world.clock.advance(timedelta(minutes=3))  # the signer took a while on the QTSP's page
    refs = _adapter(world, pooled).finish_documents(world.container.adapters.document_store(), list(zip(prepared, [r for _s, r in items], strict=True)),
                                            values)
    roots = [world.root_der(), csc_server.root_der()]
    for ref, (base, _request) in zip(refs, items, strict=True):
        pdf = world.container.adapters.document_store().read(ref.sha256)
        assert pdf.startswith(world.container.adapters.document_store().read(base))  # an incremental update of the version prepared
        (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
        assert signature.signer_cert.dump() == csc_server.certificate_der("signer")
        (signer_info,) = signature.signed_data["signer_infos"]
        unsigned = [a["type"].native for a in signer_info["unsigned_attrs"]]
        assert unsigned == ["signature_time_stamp_token"]  # B-T
        assert "/DSS" in PdfFileReader(io.BytesIO(pdf)).root  # the validation data, B-LT
        _validates(roots, signature)
        report = world.uc.verify_pdf(content=pdf)
        (checked,) = [s for s in report.signatures if s.kind == "signature"]
        assert checked.intact and checked.valid


def test_a_value_that_is_not_for_the_prepared_digest_is_refused(world, csc_server, strict):
    strict.oauth2code = True
    service = CscRemoteSigning(base_url=csc_server.url, client_id="seing", client_secret="s3cret")
    credential = service.credential_for(SIGNER_EMAIL)
    items = _requests(world, credential, 2)
    prepared = _adapter(world).prepare_documents(world.container.adapters.document_store(), items)
    token = _consent(service, credential, [p.digest for p in prepared])
    values = service.sign_digests_consented(credential, token, [p.digest for p in prepared], "sha256")
    with pytest.raises(SigningFailed):  # swapped: each value is the other document's
        _adapter(world).finish_documents(world.container.adapters.document_store(), list(zip(prepared, [r for _s, r in items], strict=True)),
                                         list(reversed(values)))
