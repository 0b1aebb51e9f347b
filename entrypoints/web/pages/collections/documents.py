"""Step 1 of the wizard: the PDFs (upload, remove, page images, the original)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from domain.model.collection import CollectionStatus
from domain.model.errors import DocumentRefused, NoDocument
from entrypoints.composition.use_cases import UseCases
from entrypoints.settings import Settings
from entrypoints.web.deps import Viewer, request_context
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.collections.shared import (
    NO_FILE,
    THUMBNAIL_WIDTH,
    UPLOAD_MAX_BODY,
    MultipartData,
    load_details,
    upload_limit_mb,
    wizard_page,
)
from entrypoints.web.pages.common import (
    error_text,
    flash,
    form_value,
    see_other,
)
from entrypoints.web.upload_limit import UPLOAD, upload_content

SESSION_REFUSALS = "upload_refusals"  # files refused while creating a draft, shown on its page


def _uploads(data: dict[str, Any] | None, name: str = "fichiers") -> list[UploadFile]:
    value = (data or {}).get(name)
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, UploadFile) and (item.filename or "").strip()]


def _default_title(file_name: str) -> str:
    stem = PurePath(file_name.replace("\\", "/")).stem.replace("_", " ").strip()
    return stem[:200] or "Nouvelle collecte"


def _store_files(request: Request, use_cases: UseCases, viewer: Viewer, collection_id: str | None,
                 files: list[UploadFile]) -> tuple[str | None, list[dict[str, str]]]:
    """Check and add each file; refused ones are reported by name, accepted ones kept (nothing lost).

    A new collection is created with the first accepted file, its title taken from the file name.
    """
    assert viewer.current is not None
    refusals: list[dict[str, str]] = []
    for upload in files:
        content = upload_content(upload)
        name = PurePath((upload.filename or "").replace("\\", "/")).name
        try:
            use_cases.check_upload(content=content)
            if collection_id is None:
                collection_id = use_cases.create_collection_draft(
                    context=request_context(request), cabinet_id=viewer.current.cabinet_id,
                    by_person_id=viewer.person_id, title=_default_title(name))
            use_cases.add_collection_document(context=request_context(request),
                                              collection_id=collection_id, by_person_id=viewer.person_id,
                                              name=name, content=content)
        except DocumentRefused as exc:
            refusals.append({"name": name, "message": error_text(request, exc)})
    return collection_id, refusals



# -- step 1: documents ----------------------------------------------------------------------------------


@get("/collectes/nouvelle", name="new_collection", sync_to_thread=False)
def new_collection(request: Request, viewer: NamedDependency[Viewer], settings: NamedDependency[Settings]) -> Template:
    return wizard_page(request, viewer, "documents.html", "documents", None, limit_mb=upload_limit_mb(settings),
                       refusals=[])


@post("/collectes/nouvelle", name="create_collection", sync_to_thread=True, request_max_body_size=UPLOAD_MAX_BODY, opt={UPLOAD: True})
def create_collection(request: Request, data: MultipartData, viewer: NamedDependency[Viewer],
                      use_cases: NamedDependency[UseCases], settings: NamedDependency[Settings]) -> Response:
    files = _uploads(data)
    if not files:
        return wizard_page(request, viewer, "documents.html", "documents", None, status=400,
                           limit_mb=upload_limit_mb(settings), refusals=[], errors={"fichiers": NO_FILE})
    collection_id, refusals = _store_files(request, use_cases, viewer, None, files)
    if refusals and collection_id is None:
        return wizard_page(request, viewer, "documents.html", "documents", None, status=422,
                           limit_mb=upload_limit_mb(settings), refusals=refusals)
    if refusals:
        # The draft exists now: its own address, so a reload or « Précédent » finds it, the
        # refused files listed there once.
        request.session[SESSION_REFUSALS] = refusals
    return see_other(f"/collectes/{collection_id}/documents")


@get("/collectes/{collection_id:str}/documents", name="collection_documents", sync_to_thread=True)
def documents(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
              use_cases: NamedDependency[UseCases], settings: NamedDependency[Settings]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    refusals = request.session.pop(SESSION_REFUSALS, None) or []
    return wizard_page(request, viewer, "documents.html", "documents", details, limit_mb=upload_limit_mb(settings),
                       refusals=refusals)


@post("/collectes/{collection_id:str}/documents", name="add_documents", sync_to_thread=True,
      request_max_body_size=UPLOAD_MAX_BODY, opt={UPLOAD: True})
def add_documents(request: Request, collection_id: FromPath[str], data: MultipartData,
                  viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases],
                  settings: NamedDependency[Settings]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    files = _uploads(data)
    if form_value(data, "action") == "continuer" and not files:
        if not details.documents:
            return wizard_page(request, viewer, "documents.html", "documents", details, status=400,
                               limit_mb=upload_limit_mb(settings), refusals=[],
                               errors={"fichiers": describe(NoDocument()).message})
        return see_other(f"/collectes/{collection_id}/informations")
    if not files:
        return wizard_page(request, viewer, "documents.html", "documents", details, status=400,
                           limit_mb=upload_limit_mb(settings), refusals=[], errors={"fichiers": NO_FILE})
    _collection_id, refusals = _store_files(request, use_cases, viewer, collection_id, files)
    if refusals:
        return wizard_page(request, viewer, "documents.html", "documents",
                           load_details(use_cases, viewer, collection_id),
                           status=422, limit_mb=upload_limit_mb(settings), refusals=refusals)
    if form_value(data, "action") == "continuer":
        return see_other(f"/collectes/{collection_id}/informations")
    flash(request, N_("Documents ajoutés."))
    return see_other(f"/collectes/{collection_id}/documents")


@post("/collectes/{collection_id:str}/documents/{document_id:str}/retirer", name="remove_document",
      sync_to_thread=True)
def remove_document(request: Request, collection_id: FromPath[str], document_id: FromPath[str],
                    viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    use_cases.remove_collection_document(context=request_context(request),
                                         collection_id=collection_id, by_person_id=viewer.person_id,
                                         document_id=document_id)
    flash(request, N_("Document retiré."))
    return see_other(f"/collectes/{collection_id}/documents")


@get("/collectes/{collection_id:str}/documents/{document_id:str}/pages/{page:int}", name="page_image",
     sync_to_thread=True)
def page_image(request: Request, collection_id: FromPath[str], document_id: FromPath[str], page: FromPath[int],
               viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """A page as PNG, for the thumbnails (step 1) and the placement of the signature boxes (step 5)."""
    try:
        width = int(request.query_params.get("largeur", THUMBNAIL_WIDTH))
    except ValueError:
        width = THUMBNAIL_WIDTH
    width = min(1200, max(32, width))
    png = use_cases.render_collection_page(collection_id=collection_id, by_person_id=viewer.person_id,
                                           document_id=document_id, page=page, width_px=width)
    # Private: the page shows a client's document.
    return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@get("/collectes/{collection_id:str}/documents/{document_id:str}/original", name="download_original",
     sync_to_thread=True)
def download_original(request: Request, collection_id: FromPath[str], document_id: FromPath[str],
                      viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    name, content = use_cases.read_collection_original(collection_id=collection_id, by_person_id=viewer.person_id,
                                                       document_id=document_id, downloaded=True,
                                                       context=request_context(request))
    return Response(content=content, media_type="application/pdf", headers={
        "Content-Disposition": _attachment(name), "Cache-Control": "private, no-store"})


def _attachment(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
