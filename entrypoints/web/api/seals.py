"""The cabinet's electronic seal in the API: the certificate request flow and « Sceller un document »
(``POST /cabinets/{id}/sealings``, one PDF or a batch, open to API keys with the ``seal`` scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from domain.model.api_keys import ApiScope
from domain.model.seals import SealCertificateRequest, Sealing, SealStamp
from domain.services.seals import SealOverview, SealUpload
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import IDEMPOTENT, KEY_SCOPE, key_principal
from entrypoints.web.api.collections import UPLOAD_MAX_BODY, MultipartData, _checked_files
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.deps import request_context
from entrypoints.web.pages.downloads import file_response
from entrypoints.web.problems import problem_responses
from entrypoints.web.upload_limit import UPLOAD

_REQUEST = "/seal/certificate-requests/{request_id:str}"
_SEALING = "/sealings/{sealing_id:str}"


@dataclass
class SealCertificateRequestInput:
    """``profile``: ``advanced`` (LCP) or ``qualified`` (QCP-l profile with QcType eseal)."""

    profile: str = "advanced"


@dataclass
class RejectionInput:
    reason: str | None = None


@dataclass
class SealCertificateView:
    serial: str
    issuer: str
    subject: str
    not_before: datetime
    not_after: datetime


@dataclass
class SealCertificateRequestView:
    request_id: str
    profile: str
    state: str  # pending, issued, rejected, cancelled, revoked
    requested_at: datetime
    decided_at: datetime | None
    reason: str | None
    certificate: SealCertificateView | None

    @classmethod
    def of(cls, r: SealCertificateRequest) -> SealCertificateRequestView:
        c = r.certificate
        return cls(request_id=r.id, profile=r.profile.value, state=r.state.value, requested_at=r.requested_at,
                   decided_at=r.decided_at, reason=r.reason,
                   certificate=None if c is None else SealCertificateView(
                       serial=c.serial, issuer=c.issuer, subject=c.subject, not_before=c.not_before,
                       not_after=c.not_after))


@dataclass
class SealState:
    current_request_id: str | None  # the request whose certificate a sealing uses now
    requests: list[SealCertificateRequestView]  # newest first

    @classmethod
    def of(cls, overview: SealOverview) -> SealState:
        return cls(current_request_id=overview.current.id if overview.current else None,
                   requests=[SealCertificateRequestView.of(r) for r in overview.requests])


@dataclass
class SealedDocumentView:
    document_id: str
    name: str
    original_sha256: str
    sealed_sha256: str
    url: str


@dataclass
class SealingView:
    sealing_id: str
    cabinet_id: str
    sealed_at: datetime
    sealed_by: str
    certificate_serial: str
    profile: str
    documents: list[SealedDocumentView]
    evidence_pdf_url: str
    evidence_json_url: str

    @classmethod
    def of(cls, s: Sealing) -> SealingView:
        base = f"/api/v1/cabinets/{s.cabinet_id}/sealings/{s.id}"
        return cls(sealing_id=s.id, cabinet_id=s.cabinet_id, sealed_at=s.sealed_at, sealed_by=s.sealed_by_name,
                   certificate_serial=s.certificate_serial, profile=s.profile.value,
                   documents=[SealedDocumentView(document_id=d.id, name=d.name, original_sha256=d.original_sha256,
                                                 sealed_sha256=d.sealed_sha256, url=f"{base}/documents/{d.id}")
                              for d in s.documents],
                   evidence_pdf_url=f"{base}/evidence.pdf", evidence_json_url=f"{base}/evidence.json")


class SealsController(Controller):
    path = "/cabinets/{cabinet_id:str}"
    tags = ["Cachet du cabinet"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    # Sealing and asking for the certificate: a seal key; deciding on a request: an admin key (it
    # acts for the owner who created it); reading: a read key.
    opt = {KEY_SCOPE: ApiScope.SEAL}

    @get("/seal", operation_id="getCabinetSeal", summary="Cachet du cabinet et ses certificats",
         sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def state(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
              use_cases: NamedDependency[UseCases]) -> SealState:
        """The cabinet's seal certificate requests, newest first, and which certificate seals now."""
        return SealState.of(use_cases.seal_overview(cabinet_id=cabinet_id, person_id=person_id))

    @post("/seal/certificate-requests", operation_id="requestSealCertificate",
          summary="Demander le certificat de cachet", status_code=HTTP_201_CREATED,
          dto=CattrsDTO[SealCertificateRequestInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def request_certificate(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                            data: JSONBody[SealCertificateRequestInput],
                            use_cases: NamedDependency[UseCases]) -> SealCertificateRequestView:
        """A member with the SEAL delegation asks; the cabinet's owner approves (one pending at a time)."""
        return SealCertificateRequestView.of(use_cases.request_seal_certificate(
            cabinet_id=cabinet_id, person_id=person_id, profile=data.profile))

    @post(_REQUEST + "/approval", operation_id="approveSealCertificateRequest",
          summary="Approuver la demande (expert-comptable)", status_code=HTTP_200_OK, sync_to_thread=True,
          opt={KEY_SCOPE: ApiScope.ADMIN}, responses=problem_responses(401, 403, 404, 409))
    def approve(self, cabinet_id: FromPath[str], request_id: FromPath[str], person_id: NamedDependency[str],
                use_cases: NamedDependency[UseCases]) -> SealCertificateRequestView:
        """The owner approves: the CA issues the seal certificate (organisation, NTRFR-<SIREN>)."""
        return SealCertificateRequestView.of(use_cases.approve_seal_certificate_request(
            cabinet_id=cabinet_id, person_id=person_id, request_id=request_id))

    @post(_REQUEST + "/rejection", operation_id="rejectSealCertificateRequest",
          summary="Refuser la demande (expert-comptable)", status_code=HTTP_200_OK,
          dto=CattrsDTO[RejectionInput], return_dto=None, sync_to_thread=True,
          opt={KEY_SCOPE: ApiScope.ADMIN}, responses=problem_responses(401, 403, 404, 409, 422))
    def reject(self, cabinet_id: FromPath[str], request_id: FromPath[str], person_id: NamedDependency[str],
               data: JSONBody[RejectionInput], use_cases: NamedDependency[UseCases]) -> SealCertificateRequestView:
        """The owner refuses, with an optional reason; another member may then ask again."""
        return SealCertificateRequestView.of(use_cases.reject_seal_certificate_request(
            cabinet_id=cabinet_id, person_id=person_id, request_id=request_id, reason=data.reason))

    @post("/sealings", operation_id="sealDocuments", summary="Sceller des documents",
          status_code=HTTP_201_CREATED, sync_to_thread=True, request_max_body_size=UPLOAD_MAX_BODY,
          opt={UPLOAD: True, IDEMPOTENT: True, "body_media_type": "multipart/form-data"},
          responses=problem_responses(401, 403, 404, 409, 413, 415, 422))
    def seal(self, request: Request[Any, Any, Any], cabinet_id: FromPath[str], person_id: NamedDependency[str],
             data: MultipartData, use_cases: NamedDependency[UseCases]) -> Response[Any]:
        """Seal one or more PDF ``files`` (``multipart/form-data``) with the cabinet's seal: PAdES B-LT,
        then a document timestamp (B-LTA); the answer links each sealed PDF and the evidence file.
        Optional fields ``stamp_page`` (``last``, default, or ``first``) and ``stamp_corner``
        (``blank_room``, default: right-aligned where the page is blank, bottom right when it has no
        room; ``bottom_right``, ``bottom_left``, ``top_right``, ``top_left``): where the visible
        stamp goes."""
        files = _checked_files(request, use_cases, data)
        if isinstance(files, Response):
            return files
        principal = key_principal(request)
        sealing = use_cases.seal_documents(
            cabinet_id=cabinet_id, person_id=person_id, context=request_context(request),
            via=f"api_key:{principal.key_id}" if principal else "api",
            stamp=SealStamp.parse(_text(data, "stamp_page"), _text(data, "stamp_corner")),
            files=[SealUpload(name=name, content=content) for name, content in files])
        return Response(SealingView.of(sealing), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/cabinets/{cabinet_id}/sealings/{sealing.id}"})

    @get(_SEALING, operation_id="getSealing", summary="Un scellement", sync_to_thread=True,
         responses=problem_responses(401, 403, 404))
    def sealing(self, cabinet_id: FromPath[str], sealing_id: FromPath[str], person_id: NamedDependency[str],
                use_cases: NamedDependency[UseCases]) -> SealingView:
        """Who sealed what, with which certificate, and where to download it."""
        return SealingView.of(use_cases.sealing_for_member(cabinet_id=cabinet_id, person_id=person_id,
                                                           sealing_id=sealing_id))

    @get(_SEALING + "/documents/{document_id:str}", operation_id="getSealedDocument",
         summary="Télécharger un document scellé", sync_to_thread=True, media_type="application/pdf",
         responses=problem_responses(401, 403, 404))
    def document(self, cabinet_id: FromPath[str], sealing_id: FromPath[str], document_id: FromPath[str],
                 person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> Response[bytes]:
        """One sealed PDF, as the sealing made it (B-LTA)."""
        name, content = use_cases.sealed_document_for_member(cabinet_id=cabinet_id, person_id=person_id,
                                                             sealing_id=sealing_id, document_id=document_id)
        return file_response(name, content, document_id)

    @get(_SEALING + "/evidence.pdf", operation_id="getSealingEvidencePdf", summary="Dossier de preuve (PDF)",
         sync_to_thread=True, media_type="application/pdf", responses=problem_responses(401, 403, 404))
    def evidence_pdf(self, cabinet_id: FromPath[str], sealing_id: FromPath[str], person_id: NamedDependency[str],
                     use_cases: NamedDependency[UseCases]) -> Response[bytes]:
        """The sealing's evidence file, sealed with the platform seal and timestamped."""
        content = use_cases.sealing_evidence_for_member(cabinet_id=cabinet_id, person_id=person_id,
                                                        sealing_id=sealing_id, item="pdf")
        return file_response("dossier-de-preuve-scellement.pdf", content, "evidence.pdf")

    @get(_SEALING + "/evidence.json", operation_id="getSealingEvidenceJson", summary="Dossier de preuve (JSON)",
         sync_to_thread=True, media_type="application/json", responses=problem_responses(401, 403, 404))
    def evidence_json(self, cabinet_id: FromPath[str], sealing_id: FromPath[str], person_id: NamedDependency[str],
                      use_cases: NamedDependency[UseCases]) -> Response[bytes]:
        """Its JSON twin, whose SHA-256 the sealed PDF binds."""
        content = use_cases.sealing_evidence_for_member(cabinet_id=cabinet_id, person_id=person_id,
                                                        sealing_id=sealing_id, item="json")
        return file_response("dossier-de-preuve-scellement.json", content, "evidence.json")


def _text(data: Any, name: str) -> str | None:
    """A plain (non-file) multipart field, or None."""
    value = (data or {}).get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None
