"""« Cachet du cabinet »: the seal certificate (requested by a member, approved by the owner,
listed as the cabinet's « Mes certificats ») and « Sceller un document », one PDF or a batch.

Plain forms, POST-redirect-GET; every refusal is a French sentence on the page, never a 500.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.model.errors import DomainError
from domain.model.seals import MAX_DOCUMENTS_PER_SEALING, SealProfile, SealStamp, StampCorner, StampPage
from domain.services.seals import SealUpload
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer, request_context
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.collections.shared import UPLOAD_MAX_BODY, MultipartData
from entrypoints.web.pages.common import (
    FormData,
    error_text,
    flash,
    form_value,
    render,
    see_other,
)
from entrypoints.web.pages.downloads import file_response
from entrypoints.web.upload_limit import UPLOAD, upload_content

PAGE = "/cabinet/cachet"
SEAL_PAGE = PAGE + "/sceller"
NO_FILE = N_("Choisissez au moins un fichier PDF.")
PROFILE_LABELS = {SealProfile.ADVANCED.value: N_("Cachet avancé (politique LCP)"),
                  SealProfile.QUALIFIED.value: N_("Cachet sur le profil qualifié (QCP-l, QcType eseal)")}
# Where the seal's visible stamp goes (the form's choices; the first of each is the default).
STAMP_PAGES = {StampPage.LAST.value: N_("Dernière page"), StampPage.FIRST.value: N_("Première page")}
STAMP_CORNERS = {StampCorner.BLANK_ROOM.value: N_("Dans un espace libre (à défaut en bas à droite)"),
                 StampCorner.BOTTOM_RIGHT.value: N_("En bas à droite"),
                 StampCorner.BOTTOM_LEFT.value: N_("En bas à gauche"),
                 StampCorner.TOP_RIGHT.value: N_("En haut à droite"), StampCorner.TOP_LEFT.value: N_("En haut à gauche")}
STATE_LABELS = {"pending": N_("En attente de l’expert-comptable"), "issued": N_("Émis"),
                "rejected": N_("Refusée"), "cancelled": N_("Annulée"), "revoked": N_("Révoqué")}


def _cabinet_id(viewer: Viewer) -> str:
    if viewer.current is None:
        raise NotFoundException()
    return viewer.current.cabinet_id


def _page(request: Request, viewer: Viewer, use_cases: UseCases, template: str = "seals/seal.html", *,
          status: int = 200, **context: Any) -> Template:
    overview = use_cases.seal_overview(cabinet_id=_cabinet_id(viewer), person_id=viewer.person_id)
    return render(request, template, status=status, viewer=viewer, overview=overview, profile_labels=PROFILE_LABELS,
                  state_labels=STATE_LABELS, max_documents=MAX_DOCUMENTS_PER_SEALING, stamp_pages=STAMP_PAGES,
                  stamp_corners=STAMP_CORNERS, **context)


@get(PAGE, name="cabinet_seal", sync_to_thread=True)
def seal_page(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return _page(request, viewer, use_cases)


def _act(request: Request, viewer: Viewer, use_cases: UseCases, action: str, done: str, **inputs: Any) -> Response:
    try:
        getattr(use_cases, action)(cabinet_id=_cabinet_id(viewer), person_id=viewer.person_id, **inputs)
    except DomainError as exc:
        return _page(request, viewer, use_cases, status=_status(exc), errors={"_form": error_text(request, exc)})
    flash(request, done)
    return see_other(PAGE)


def _status(exc: DomainError) -> int:
    status = describe(exc).status
    return status if 400 <= status < 500 else 400


@post(PAGE + "/demandes", name="request_seal_certificate", sync_to_thread=True)
def request_certificate(request: Request, data: FormData, viewer: NamedDependency[Viewer],
                        use_cases: NamedDependency[UseCases]) -> Response:
    return _act(request, viewer, use_cases, "request_seal_certificate",
                N_("Demande de certificat de cachet envoyée\u00a0: l’expert-comptable titulaire doit l’approuver."),
                profile=form_value(data, "profil") or SealProfile.ADVANCED.value)


@post(PAGE + "/demandes/{request_id:str}/approuver", name="approve_seal_certificate", sync_to_thread=True)
def approve(request: Request, request_id: FromPath[str], viewer: NamedDependency[Viewer],
            use_cases: NamedDependency[UseCases]) -> Response:
    return _act(request, viewer, use_cases, "approve_seal_certificate_request",
                N_("Demande approuvée\u00a0: le certificat de cachet du cabinet est émis."), request_id=request_id)


@post(PAGE + "/demandes/{request_id:str}/refuser", name="reject_seal_certificate", sync_to_thread=True)
def reject(request: Request, request_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[UseCases]) -> Response:
    return _act(request, viewer, use_cases, "reject_seal_certificate_request", N_("Demande refusée."),
                request_id=request_id, reason=form_value(data, "motif") or None)


@post(PAGE + "/demandes/{request_id:str}/annuler", name="cancel_seal_certificate", sync_to_thread=True)
def cancel(request: Request, request_id: FromPath[str], viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[UseCases]) -> Response:
    return _act(request, viewer, use_cases, "cancel_seal_certificate_request", N_("Demande annulée."),
                request_id=request_id)


@post(PAGE + "/demandes/{request_id:str}/revoquer", name="revoke_seal_certificate", sync_to_thread=True)
def revoke(request: Request, request_id: FromPath[str], viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[UseCases]) -> Response:
    return _act(request, viewer, use_cases, "revoke_seal_certificate",
                N_("Certificat de cachet révoqué\u00a0: il est publié comme tel dès maintenant."), request_id=request_id)


@get(SEAL_PAGE, name="seal_form", sync_to_thread=True)
def seal_form(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    return _page(request, viewer, use_cases, "seals/seal_documents.html")


def _uploads(data: dict[str, Any] | None) -> list[UploadFile]:
    value = (data or {}).get("fichiers")
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, UploadFile) and (item.filename or "").strip()]


@post(SEAL_PAGE, name="seal_documents", sync_to_thread=True, request_max_body_size=UPLOAD_MAX_BODY,
      opt={UPLOAD: True})
def seal_documents(request: Request, data: MultipartData, viewer: NamedDependency[Viewer],
                   use_cases: NamedDependency[UseCases]) -> Response:
    cabinet_id = _cabinet_id(viewer)
    files = _uploads(data)
    # The stamp's page and position chosen stay chosen when the files are refused.
    chosen = {"page_cachet": form_value(data, "page_cachet"), "position_cachet": form_value(data, "position_cachet")}
    if not files:
        return _page(request, viewer, use_cases, "seals/seal_documents.html", status=400,
                     errors={"fichiers": NO_FILE}, values=chosen)
    uploads = [SealUpload(name=upload.filename or "document.pdf", content=upload_content(upload)) for upload in files]
    try:
        stamp = SealStamp.parse(form_value(data, "page_cachet"), form_value(data, "position_cachet"))
        sealing = use_cases.seal_documents(cabinet_id=cabinet_id, person_id=viewer.person_id, files=uploads,
                                           via="web", stamp=stamp, context=request_context(request))
    except DomainError as exc:
        return _page(request, viewer, use_cases, "seals/seal_documents.html", status=_status(exc),
                     errors={"fichiers": error_text(request, exc)}, values=chosen)
    flash(request, N_("Documents scellés avec le cachet du cabinet."))
    return see_other(f"{PAGE}/scellements/{sealing.id}")


@get(PAGE + "/scellements/{sealing_id:str}", name="sealing", sync_to_thread=True)
def sealing_page(request: Request, sealing_id: FromPath[str], viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[UseCases]) -> Template:
    sealing = use_cases.sealing_for_member(cabinet_id=_cabinet_id(viewer), person_id=viewer.person_id,
                                           sealing_id=sealing_id)
    return render(request, "seals/sealing.html", viewer=viewer, sealing=sealing, profile_labels=PROFILE_LABELS)


@get(PAGE + "/scellements/{sealing_id:str}/documents/{document_id:str}", name="sealed_document",
     sync_to_thread=True)
def sealed_document(sealing_id: FromPath[str], document_id: FromPath[str], viewer: NamedDependency[Viewer],
                    use_cases: NamedDependency[UseCases]) -> Response:
    name, content = use_cases.sealed_document_for_member(cabinet_id=_cabinet_id(viewer), person_id=viewer.person_id,
                                                         sealing_id=sealing_id, document_id=document_id)
    return file_response(name, content, document_id)


def _evidence(viewer: Viewer, use_cases: UseCases, sealing_id: str, fmt: str) -> Response:
    content = use_cases.sealing_evidence_for_member(cabinet_id=_cabinet_id(viewer), person_id=viewer.person_id,
                                                    sealing_id=sealing_id, item=fmt)
    return file_response(f"dossier-de-preuve-scellement.{fmt}", content, f"evidence.{fmt}")


@get(PAGE + "/scellements/{sealing_id:str}/dossier-de-preuve.pdf", name="sealing_evidence_pdf", sync_to_thread=True)
def sealing_evidence_pdf(sealing_id: FromPath[str], viewer: NamedDependency[Viewer],
                         use_cases: NamedDependency[UseCases]) -> Response:
    return _evidence(viewer, use_cases, sealing_id, "pdf")


@get(PAGE + "/scellements/{sealing_id:str}/dossier-de-preuve.json", name="sealing_evidence_json",
     sync_to_thread=True)
def sealing_evidence_json(sealing_id: FromPath[str], viewer: NamedDependency[Viewer],
                          use_cases: NamedDependency[UseCases]) -> Response:
    return _evidence(viewer, use_cases, sealing_id, "json")


seals_router = Router(path="/", route_handlers=[seal_page, request_certificate, approve, reject, cancel, revoke,
                                                seal_form, seal_documents, sealing_page, sealed_document,
                                                sealing_evidence_pdf, sealing_evidence_json],
                      dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
