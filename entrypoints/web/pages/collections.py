"""« Collectes »: the preparation wizard (six steps), the dashboard and the collection page.

Every step saves the draft as soon as it is submitted, so a draft can be left and resumed
from the dashboard. Every form works without JavaScript; collectes.js adds drag and drop
(documents, order of the signers) and placing a signature box with a click on the page.
Only members holding the PREPARE delegation get here: the use cases refuse everyone else,
and the pages say why in French before anything is attempted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import PurePath
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Template

from domain.model.cabinet import Delegation
from domain.model.collection import CollectionStatus, EventKind, InvitationMode, ReminderPolicy, allowed_levels
from domain.model.document import FIELD_HEIGHT, FIELD_MARGIN, FIELD_WIDTH, MIN_FIELD_SIZE
from domain.model.errors import DocumentRefused, DomainError, NoDocument, NoSigner, NotFound
from domain.model.intake import CEILING_MAX_BYTES, MB
from domain.model.signer import SignatureLevel, SignerKind, SignerStatus
from domain.services.collections import MAX_PAGE
from entrypoints import french
from entrypoints.web import collection_labels as labels
from entrypoints.web.deps import Viewer, provide_viewer, request_context
from entrypoints.web.errors import describe
from entrypoints.web.i18n import DISPLAY_TZ, N_
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    flash,
    form_error_status,
    form_value,
    render,
    see_other,
)
from entrypoints.web.upload_limit import UPLOAD

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

# Several PDFs in one request, each up to the configured limit (at most 200 MB): a bigger
# body is refused by Litestar with a 413 page before anything is read.
UPLOAD_MAX_BODY = CEILING_MAX_BYTES + MB
THUMBNAIL_WIDTH = 160
PAGE_WIDTH = 600
MAX_PLACEMENT_PAGES = 30

NO_PREPARE = N_("Préparer et suivre des collectes demande la délégation « Préparer » dans ce cabinet. "
                "Demandez-la à l’expert-comptable titulaire du cabinet.")
NO_CABINET = N_("Vous n’êtes membre d’aucun cabinet pour l’instant.")
NO_FILE = N_("Choisissez au moins un fichier PDF.")
TITLE_REQUIRED = N_("Indiquez le titre de la collecte.")
DATE_INVALID = N_("Indiquez une date valide (jj/mm/aaaa).")
NUMBER_INVALID = N_("Indiquez un nombre entier.")
GIVEN_NAMES_REQUIRED = N_("Indiquez le prénom.")
SURNAME_REQUIRED = N_("Indiquez le nom.")
EMAIL_REQUIRED = N_("Indiquez l’adresse e-mail.")
MEMBER_REQUIRED = N_("Choisissez un membre du cabinet.")
LEVEL_INVALID = N_("Choisissez un niveau de signature.")
PLACEMENT_INVALID = N_("Indiquez une page et une position valides.")
CANCEL_NOT_CONFIRMED = N_("Cochez la case pour confirmer l’annulation.")


# -- helpers ----------------------------------------------------------------------------------------


def _can_prepare(viewer: Viewer) -> bool:
    return viewer.current is not None and Delegation.PREPARE in viewer.current.delegations


class _CannotPrepare(Exception):
    def __init__(self, viewer: Viewer, message: str) -> None:
        super().__init__(message)
        self.viewer = viewer
        self.message = message


def provide_preparer(request: Request, use_cases: NamedDependency[Any]) -> Viewer:
    """The viewer of every collections page: a member of the current cabinet holding PREPARE."""
    viewer = provide_viewer(request, use_cases)
    if viewer.current is None:
        raise _CannotPrepare(viewer, NO_CABINET)
    if not _can_prepare(viewer):
        raise _CannotPrepare(viewer, NO_PREPARE)
    return viewer


def _on_cannot_prepare(request: Request, exc: _CannotPrepare) -> Response:
    """The French refusal page for someone who may not prepare collections here (403)."""
    return render(request, "collections/refused.html", status=403, viewer=exc.viewer, message=exc.message)


def _details(use_cases: Any, viewer: Viewer, collection_id: str) -> Any:
    return use_cases.collection_details(collection_id=collection_id, by_person_id=viewer.person_id)


def _paris_date(moment: datetime) -> date:
    return moment.astimezone(DISPLAY_TZ).date()


def _end_of_day(day: date) -> datetime:
    """A deadline chosen as a day runs to the end of that day in Paris."""
    return datetime.combine(day, time(23, 59), tzinfo=DISPLAY_TZ).astimezone(UTC)


def _uploads(data: dict[str, Any] | None, name: str = "fichiers") -> list[UploadFile]:
    value = (data or {}).get(name)
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, UploadFile) and (item.filename or "").strip()]


def _read(upload: UploadFile) -> bytes:
    upload.file.seek(0)
    return upload.file.read()


def _default_title(file_name: str) -> str:
    stem = PurePath(file_name.replace("\\", "/")).stem.replace("_", " ").strip()
    return stem[:200] or "Nouvelle collecte"


def _store_files(request: Request, use_cases: Any, viewer: Viewer, collection_id: str | None,
                 files: list[UploadFile]) -> tuple[str | None, list[dict[str, str]]]:
    """Check and add each file; refused ones are reported by name, accepted ones kept (nothing lost).

    A new collection is created with the first accepted file, its title taken from the file name.
    """
    assert viewer.current is not None
    refusals: list[dict[str, str]] = []
    for upload in files:
        content = _read(upload)
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


def _step_of(details: Any) -> str:
    """Where a resumed draft continues: the first step that still needs something."""
    if not details.documents:
        return "documents"
    if not details.signers:
        return "signataires"
    return "recapitulatif"


def _wizard(request: Request, viewer: Viewer, template: str, step: str, details: Any, *, status: int = 200,
            **context: Any) -> Template:
    return render(request, f"collections/{template}", status=status, viewer=viewer, details=details,
                  step=step, STEPS=labels.STEPS, labels=labels, **context)


def _upload_limit_mb(settings: Any) -> int:
    return int(getattr(settings, "max_upload_mb", 25))


def _level(value: str) -> SignatureLevel | None:
    try:
        return SignatureLevel(int(value))
    except (TypeError, ValueError):
        return None


def _choices(use_cases: Any, viewer: Viewer) -> list[Any]:
    assert viewer.current is not None
    return list(use_cases.signer_choices(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id))


def _levels_by_signer(details: Any, choices: list[Any]) -> dict[str, list[SignatureLevel]]:
    """The levels each row's dropdown offers (level 3 only where it is possible)."""
    by_member = {c.member_id: list(c.levels) for c in choices}
    offered: dict[str, list[SignatureLevel]] = {}
    for signer in details.signers:
        if signer.member_id is not None and signer.member_id in by_member:
            levels = by_member[signer.member_id]
            if signer.masked_mobile and SignatureLevel.ADVANCED not in levels:
                # A mobile given in the wizard for a member without one on file.
                levels = allowed_levels(kind=SignerKind.MEMBER, has_mobile=True, has_active_qcp=False)
        else:
            levels = allowed_levels(kind=signer.kind, has_mobile=signer.masked_mobile is not None,
                                    has_active_qcp=False)
        if signer.level not in levels:
            levels = sorted({*levels, signer.level})
        offered[signer.signer_id] = levels
    return offered


def _default_level(has_mobile: bool) -> SignatureLevel:
    return SignatureLevel.ADVANCED if has_mobile else SignatureLevel.SIMPLE


def _page_sizes(details: Any, use_cases: Any, container: Any, viewer: Viewer) -> dict[str, list[tuple[float, float]]]:
    """Page sizes in points per document, read from the stored original (for the placement step)."""
    inspector = container.adapters.pdf_inspector()
    sizes: dict[str, list[tuple[float, float]]] = {}
    for document in details.documents:
        _name, content = use_cases.read_collection_original(collection_id=details.summary.collection_id,
                                                            by_person_id=viewer.person_id,
                                                            document_id=document.document_id)
        info = inspector.inspect(content)
        sizes[document.document_id] = [(s.width, s.height) for s in info.page_sizes]
    return sizes


# -- dashboard ----------------------------------------------------------------------------------------


@get("/collectes", name="collections", sync_to_thread=True)
def dashboard(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Template:
    assert viewer.current is not None
    wanted = request.query_params.get("statut", "")
    status = labels.STATUS_FILTERS.get(wanted)
    search = (request.query_params.get("q") or "").strip()[:200]
    try:
        page_number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_number = 1
    if page_number > MAX_PAGE:
        raise NotFoundException()
    page = use_cases.list_collections(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id,
                                      statuses=[status] if status else None, search=search, page=page_number,
                                      per_page=20)
    return render(request, "collections/dashboard.html", viewer=viewer, page=page, statut=wanted if status else "",
                  q=search, labels=labels)


# -- step 1: documents ----------------------------------------------------------------------------------


@get("/collectes/nouvelle", name="new_collection", sync_to_thread=False)
def new_collection(request: Request, viewer: NamedDependency[Viewer], settings: NamedDependency[Any]) -> Template:
    return _wizard(request, viewer, "documents.html", "documents", None, limit_mb=_upload_limit_mb(settings),
                   refusals=[])


@post("/collectes/nouvelle", name="create_collection", sync_to_thread=True, request_max_body_size=UPLOAD_MAX_BODY, opt={UPLOAD: True})
def create_collection(request: Request, data: MultipartData, viewer: NamedDependency[Viewer],
                      use_cases: NamedDependency[Any], settings: NamedDependency[Any]) -> Response:
    files = _uploads(data)
    if not files:
        return _wizard(request, viewer, "documents.html", "documents", None, status=400,
                       limit_mb=_upload_limit_mb(settings), refusals=[], errors={"fichiers": NO_FILE})
    collection_id, refusals = _store_files(request, use_cases, viewer, None, files)
    if refusals:
        details = _details(use_cases, viewer, collection_id) if collection_id else None
        return _wizard(request, viewer, "documents.html", "documents", details, status=422,
                       limit_mb=_upload_limit_mb(settings), refusals=refusals)
    return see_other(f"/collectes/{collection_id}/documents")


@get("/collectes/{collection_id:str}/documents", name="collection_documents", sync_to_thread=True)
def documents(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
              use_cases: NamedDependency[Any], settings: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _wizard(request, viewer, "documents.html", "documents", details, limit_mb=_upload_limit_mb(settings),
                   refusals=[])


@post("/collectes/{collection_id:str}/documents", name="add_documents", sync_to_thread=True,
      request_max_body_size=UPLOAD_MAX_BODY, opt={UPLOAD: True})
def add_documents(request: Request, collection_id: FromPath[str], data: MultipartData,
                  viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any],
                  settings: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    files = _uploads(data)
    if form_value(data, "action") == "continuer" and not files:
        if not details.documents:
            return _wizard(request, viewer, "documents.html", "documents", details, status=400,
                           limit_mb=_upload_limit_mb(settings), refusals=[],
                           errors={"fichiers": describe(NoDocument()).message})
        return see_other(f"/collectes/{collection_id}/informations")
    if not files:
        return _wizard(request, viewer, "documents.html", "documents", details, status=400,
                       limit_mb=_upload_limit_mb(settings), refusals=[], errors={"fichiers": NO_FILE})
    _collection_id, refusals = _store_files(request, use_cases, viewer, collection_id, files)
    if refusals:
        return _wizard(request, viewer, "documents.html", "documents", _details(use_cases, viewer, collection_id),
                       status=422, limit_mb=_upload_limit_mb(settings), refusals=refusals)
    if form_value(data, "action") == "continuer":
        return see_other(f"/collectes/{collection_id}/informations")
    flash(request, N_("Documents ajoutés."))
    return see_other(f"/collectes/{collection_id}/documents")


@post("/collectes/{collection_id:str}/documents/{document_id:str}/retirer", name="remove_document",
      sync_to_thread=True)
def remove_document(request: Request, collection_id: FromPath[str], document_id: FromPath[str],
                    viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    use_cases.remove_collection_document(context=request_context(request),
                                         collection_id=collection_id, by_person_id=viewer.person_id,
                                         document_id=document_id)
    flash(request, N_("Document retiré."))
    return see_other(f"/collectes/{collection_id}/documents")


@get("/collectes/{collection_id:str}/documents/{document_id:str}/pages/{page:int}", name="page_image",
     sync_to_thread=True)
def page_image(request: Request, collection_id: FromPath[str], document_id: FromPath[str], page: FromPath[int],
               viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any],
               container: NamedDependency[Any]) -> Response:
    """A page as PNG, for the thumbnails (step 1) and the placement of the signature boxes (step 5)."""
    try:
        width = int(request.query_params.get("largeur", THUMBNAIL_WIDTH))
    except ValueError:
        width = THUMBNAIL_WIDTH
    width = min(1200, max(32, width))
    _name, content = use_cases.read_collection_original(collection_id=collection_id, by_person_id=viewer.person_id,
                                                        document_id=document_id)
    png = container.adapters.page_renderer().render_png(content, page=page, width_px=width)
    # Private: the page shows a client's document.
    return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@get("/collectes/{collection_id:str}/documents/{document_id:str}/original", name="download_original",
     sync_to_thread=True)
def download_original(request: Request, collection_id: FromPath[str], document_id: FromPath[str],
                      viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    name, content = use_cases.read_collection_original(collection_id=collection_id, by_person_id=viewer.person_id,
                                                       document_id=document_id, downloaded=True,
                                                       context=request_context(request))
    return Response(content=content, media_type="application/pdf", headers={
        "Content-Disposition": _attachment(name), "Cache-Control": "private, no-store"})


def _attachment(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# -- step 2: informations ---------------------------------------------------------------------------------


@get("/collectes/{collection_id:str}/informations", name="collection_info", sync_to_thread=True)
def informations(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _wizard(request, viewer, "informations.html", "informations", details,
                   values={"title": details.summary.title, "message": details.message})


@post("/collectes/{collection_id:str}/informations", name="save_collection_info", sync_to_thread=True)
def save_informations(request: Request, collection_id: FromPath[str], data: FormData,
                      viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    values = {"title": form_value(data, "title"), "message": str((data or {}).get("message", "")).strip()}
    errors: dict[str, str] = {}
    status = 400
    if not values["title"]:
        errors["title"] = TITLE_REQUIRED
    else:
        status = 422
        try:
            use_cases.update_collection_info(context=request_context(request),
                                             collection_id=collection_id, by_person_id=viewer.person_id,
                                             title=values["title"], message=values["message"])
        except DomainError as exc:
            info = describe(exc)
            errors[str(info.params.get("field") or info.field or "title")] = error_text(request, exc)
    if errors:
        return _wizard(request, viewer, "informations.html", "informations",
                       _details(use_cases, viewer, collection_id), status=status,
                       values=values, errors=errors)
    return see_other(f"/collectes/{collection_id}/options")


# -- step 3: options ------------------------------------------------------------------------------------


def _options_values(details: Any) -> dict[str, str]:
    return {"deadline": _paris_date(details.summary.deadline).isoformat(),
            "reminders": "on" if details.reminders.enabled else "",
            "every_days": str(details.reminders.every_days), "max_count": str(details.reminders.max_count)}


def _options_page(request: Request, viewer: Viewer, details: Any, *, status: int = 200,
                  **context: Any) -> Template:
    context.setdefault("values", _options_values(details))
    context.setdefault("observer_values", {})
    return _wizard(request, viewer, "options.html", "options", details, status=status, **context)


@get("/collectes/{collection_id:str}/options", name="collection_options", sync_to_thread=True)
def options(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
            use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _options_page(request, viewer, details)


@post("/collectes/{collection_id:str}/options", name="save_collection_options", sync_to_thread=True)
def save_options(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[Any]) -> Response:
    values = {"deadline": form_value(data, "deadline"), "reminders": "on" if checked(data, "reminders") else "",
              "every_days": form_value(data, "every_days") or "3", "max_count": form_value(data, "max_count") or "3"}
    errors: dict[str, str] = {}
    deadline = None
    try:
        deadline = _end_of_day(date.fromisoformat(values["deadline"]))
    except ValueError:
        errors["deadline"] = DATE_INVALID
    numbers: dict[str, int] = {}
    for name in ("every_days", "max_count"):
        try:
            numbers[name] = int(values[name])
        except ValueError:
            errors[name] = NUMBER_INVALID
    if not errors:
        try:
            reminders = (ReminderPolicy(enabled=True, every_days=numbers["every_days"], max_count=numbers["max_count"])
                         if values["reminders"] else ReminderPolicy.off())
            use_cases.update_collection_options(context=request_context(request),
                                                collection_id=collection_id, by_person_id=viewer.person_id,
                                                deadline=deadline, reminders=reminders)
        except DomainError as exc:
            code = getattr(exc, "code", "")
            errors["deadline" if code.startswith("collection.deadline") else "every_days"] = error_text(request, exc)
    if errors:
        return _options_page(request, viewer, _details(use_cases, viewer, collection_id), status=422,
                             values=values, errors=errors, observer_values=_observer_values(data))
    # The observers are part of the same form, so what was typed above is saved with them.
    action = form_value(data, "action") or "continuer"
    observer = _observer_values(data)
    if action == "ajouter-destinataire" or any(observer.values()):
        status, observer_errors = _add_observer(request, use_cases, viewer, collection_id, observer)
        if observer_errors:
            return _options_page(request, viewer, _details(use_cases, viewer, collection_id), status=status,
                                 values=values, observer_values=observer, errors=observer_errors,
                                 observers_open=True)
        flash(request, N_("Destinataire en copie ajouté."))
        if action != "continuer":
            return see_other(f"/collectes/{collection_id}/options#destinataires")
    verb, _, target = action.partition(":")
    if verb == "retirer-destinataire":
        use_cases.remove_observer(context=request_context(request),
                                  collection_id=collection_id, by_person_id=viewer.person_id, observer_id=target)
        flash(request, N_("Destinataire en copie retiré."))
        return see_other(f"/collectes/{collection_id}/options#destinataires")
    return see_other(f"/collectes/{collection_id}/signataires")


_OBSERVER_FIELDS = ("observer_given_names", "observer_surname", "observer_email")


def _observer_values(data: dict[str, Any] | None) -> dict[str, str]:
    return {name: form_value(data, name) for name in _OBSERVER_FIELDS}


def _add_observer(request: Request, use_cases: Any, viewer: Viewer, collection_id: str,
                  values: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Add a « destinataire en copie »; the status and field errors when refused."""
    errors: dict[str, str] = {}
    for name, message in (("observer_given_names", GIVEN_NAMES_REQUIRED), ("observer_surname", SURNAME_REQUIRED),
                          ("observer_email", EMAIL_REQUIRED)):
        if not values[name]:
            errors[name] = message
    if errors:
        return 400, errors
    try:
        use_cases.add_observer(context=request_context(request),
                               collection_id=collection_id, by_person_id=viewer.person_id,
                               given_names=values["observer_given_names"], surname=values["observer_surname"],
                               email=values["observer_email"])
    except DomainError as exc:
        field = getattr(exc, "field", None)
        key = f"observer_{field}" if field in ("given_names", "surname", "email") else "_observers"
        return form_error_status(describe(exc).status), {key: error_text(request, exc)}
    return 200, {}


@post("/collectes/{collection_id:str}/destinataires", name="add_observer", sync_to_thread=True)
def add_observer(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[Any]) -> Response:
    """Adding an observer alone (the options form does it too, saving the options with it)."""
    values = _observer_values(data)
    status, errors = _add_observer(request, use_cases, viewer, collection_id, values)
    if errors:
        return _options_page(request, viewer, _details(use_cases, viewer, collection_id), status=status,
                             observer_values=values, errors=errors, observers_open=True)
    flash(request, N_("Destinataire en copie ajouté."))
    return see_other(f"/collectes/{collection_id}/options#destinataires")


@post("/collectes/{collection_id:str}/destinataires/{observer_id:str}/retirer", name="remove_observer",
      sync_to_thread=True)
def remove_observer(request: Request, collection_id: FromPath[str], observer_id: FromPath[str],
                    viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    use_cases.remove_observer(context=request_context(request),
                              collection_id=collection_id, by_person_id=viewer.person_id, observer_id=observer_id)
    flash(request, N_("Destinataire en copie retiré."))
    return see_other(f"/collectes/{collection_id}/options#destinataires")


# -- step 4: signataires ------------------------------------------------------------------------------------


def _signers_page(request: Request, viewer: Viewer, use_cases: Any, details: Any, *, status: int = 200,
                  **context: Any) -> Template:
    choices = _choices(use_cases, viewer)
    assert viewer.current is not None
    mine = next((c for c in choices if c.member_id == viewer.current.member_id), None)
    taken = {s.member_id for s in details.signers if s.member_id}
    context.setdefault("values", {})
    return _wizard(request, viewer, "signers.html", "signataires", details, status=status,
                   offered=_levels_by_signer(details, choices),
                   members=[c for c in choices if c.member_id not in taken and c.member_id != viewer.current.member_id],
                   can_add_myself=mine is not None and viewer.current.member_id not in taken,
                   i_can_sign=mine is not None, **context)


@get("/collectes/{collection_id:str}/signataires", name="collection_signers", sync_to_thread=True)
def signers(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
            use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _signers_page(request, viewer, use_cases, details)


def _moved(order: list[str], signer_id: str, step: int) -> list[str]:
    if signer_id not in order:
        return order
    index = order.index(signer_id)
    target = index + step
    if not 0 <= target < len(order):
        return order
    order = list(order)
    order[index], order[target] = order[target], order[index]
    return order


def _listed(data: dict[str, Any] | None, name: str) -> list[str]:
    value = (data or {}).get(name, [])
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if str(v)]


@post("/collectes/{collection_id:str}/signataires", name="save_collection_signers", sync_to_thread=True)
def save_signers(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[Any]) -> Response:
    """The signers' form: levels, order (drag and drop or up/down buttons), mode, remove, « Valider »."""
    details = _details(use_cases, viewer, collection_id)
    current = [s.signer_id for s in details.signers]
    action = form_value(data, "action") or "enregistrer"
    errors: dict[str, str] = {}
    # Levels first: a change made in a dropdown is not lost when another button is pressed.
    for signer in details.signers:
        wanted = form_value(data, f"level-{signer.signer_id}")
        if not wanted:
            continue
        level = _level(wanted)
        if level is None:
            errors[f"level-{signer.signer_id}"] = LEVEL_INVALID
        elif level is not signer.level:
            try:
                use_cases.set_signer_level(context=request_context(request),
                                           collection_id=collection_id, by_person_id=viewer.person_id,
                                           signer_id=signer.signer_id, level=level)
            except DomainError as exc:
                errors[f"level-{signer.signer_id}"] = error_text(request, exc)
    order = [i for i in _listed(data, "order") if i in current]
    if sorted(order) != sorted(current):
        order = current
    verb, _, target = action.partition(":")
    if verb == "monter":
        order = _moved(order, target, -1)
    elif verb == "descendre":
        order = _moved(order, target, +1)
    try:
        if order != current:
            use_cases.reorder_signers(context=request_context(request),
                                      collection_id=collection_id, by_person_id=viewer.person_id, signer_ids=order)
        mode = form_value(data, "mode")
        if mode in (m.value for m in InvitationMode) and InvitationMode(mode) is not details.mode:
            use_cases.update_collection_options(context=request_context(request),
                                                collection_id=collection_id, by_person_id=viewer.person_id,
                                                mode=InvitationMode(mode))
        if verb == "retirer" and target in current:
            use_cases.remove_signer(context=request_context(request),
                                    collection_id=collection_id, by_person_id=viewer.person_id, signer_id=target)
            flash(request, N_("Signataire retiré."))
    except DomainError as exc:
        errors["_signers"] = error_text(request, exc)
    if not errors and verb == "valider" and not current:
        errors["_signers"] = describe(NoSigner()).message
    if errors:
        return _signers_page(request, viewer, use_cases, _details(use_cases, viewer, collection_id),
                             status=form_error_status(422), errors=errors)
    if verb == "valider":
        return see_other(f"/collectes/{collection_id}/placement")
    anchor = f"#signataire-{target}" if verb in ("monter", "descendre") and target else "#signataires"
    return see_other(f"/collectes/{collection_id}/signataires{anchor}")


@post("/collectes/{collection_id:str}/signataires/ajouter", name="add_collection_signer", sync_to_thread=True)
def add_signer(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
               use_cases: NamedDependency[Any]) -> Response:
    """« M’ajouter », « Membres du cabinet » and « Autre »."""
    assert viewer.current is not None
    kind_value = form_value(data, "kind")
    values = {name: form_value(data, name) for name in ("given_names", "surname", "email", "mobile", "member_id")}
    errors: dict[str, str] = {}
    form_key = {"myself": "_myself", "member": "_member"}.get(kind_value, "_other")
    try:
        kind = SignerKind(kind_value)
    except ValueError:
        kind = SignerKind.EXTERNAL
    arguments: dict[str, Any] = {}
    if kind is SignerKind.MYSELF:
        has_mobile = viewer.profile.mobile is not None
    elif kind is SignerKind.MEMBER:
        choice = next((c for c in _choices(use_cases, viewer) if c.member_id == values["member_id"]), None)
        if choice is None:
            errors["member_id"] = MEMBER_REQUIRED
            has_mobile = False
        else:
            has_mobile = choice.masked_mobile is not None
            arguments["member_id"] = choice.member_id
    else:
        for name, message in (("given_names", GIVEN_NAMES_REQUIRED), ("surname", SURNAME_REQUIRED),
                              ("email", EMAIL_REQUIRED)):
            if not values[name]:
                errors[name] = message
        has_mobile = bool(values["mobile"])
        arguments.update(given_names=values["given_names"], surname=values["surname"], email=values["email"],
                         mobile=values["mobile"] or None)
    level = _level(form_value(data, "level")) or _default_level(has_mobile)
    if not errors:
        try:
            use_cases.add_signer(context=request_context(request),
                                 collection_id=collection_id, by_person_id=viewer.person_id, kind=kind, level=level,
                                 **arguments)
        except DomainError as exc:
            field = getattr(exc, "field", None) or describe(exc).field
            if exc.code == "collection.mobile_required":
                field = "mobile"
            key = field if kind is SignerKind.EXTERNAL and field in ("given_names", "surname", "email", "mobile") \
                else form_key
            errors[key] = error_text(request, exc)
    if errors:
        details = _details(use_cases, viewer, collection_id)
        return _signers_page(request, viewer, use_cases, details, status=422 if form_key != "_other" or any(
            k in errors for k in ("_other", "email", "mobile", "given_names", "surname")) else 400,
            values=values, errors=errors, open_form=kind.value)
    flash(request, N_("Signataire ajouté."))
    return see_other(f"/collectes/{collection_id}/signataires#signataires")


# -- step 5: placement des signatures ---------------------------------------------------------------------------


def _preset(position: str, size: tuple[float, float]) -> tuple[float, float] | None:
    width, height = size
    box_w = min(FIELD_WIDTH, max(MIN_FIELD_SIZE, width - 2 * FIELD_MARGIN))
    box_h = min(FIELD_HEIGHT, max(MIN_FIELD_SIZE, height - 2 * FIELD_MARGIN))
    left, right = FIELD_MARGIN, width - FIELD_MARGIN - box_w
    bottom, top = FIELD_MARGIN, height - FIELD_MARGIN - box_h
    return {"bas-gauche": (left, bottom), "bas-droite": (right, bottom), "haut-gauche": (left, top),
            "haut-droite": (right, top)}.get(position)


@get("/collectes/{collection_id:str}/placement", name="collection_placement", sync_to_thread=True)
def placement(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
              use_cases: NamedDependency[Any], container: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _placement_page(request, viewer, use_cases, container, details)


def _placement_page(request: Request, viewer: Viewer, use_cases: Any, container: Any, details: Any, *,
                    status: int = 200, **context: Any) -> Template:
    return _wizard(request, viewer, "placement.html", "placement", details, status=status,
                   sizes=_page_sizes(details, use_cases, container, viewer), max_pages=MAX_PLACEMENT_PAGES,
                   page_width=PAGE_WIDTH, box=(FIELD_WIDTH, FIELD_HEIGHT),
                   names={s.signer_id: s.display_name for s in details.signers},
                   chosen_signer=request.query_params.get("signataire", ""), **context)


@post("/collectes/{collection_id:str}/placement", name="place_field", sync_to_thread=True)
def place(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
          use_cases: NamedDependency[Any], container: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    document_id = form_value(data, "document_id")
    signer_id = form_value(data, "signer_id")
    error_key = f"_placement-{document_id}"
    try:
        page = int(form_value(data, "page"))
        sizes = _page_sizes(details, use_cases, container, viewer).get(document_id) or []
        size = sizes[page - 1] if 1 <= page <= len(sizes) else None
        if size is None:
            raise ValueError("no such page")
        position = form_value(data, "position")
        if position and position != "clic":
            corner = _preset(position, size)
            if corner is None:
                raise ValueError("unknown position")
            x, y = corner
        else:
            x, y = float(form_value(data, "x")), float(form_value(data, "y"))
        width = min(FIELD_WIDTH, max(MIN_FIELD_SIZE, size[0] - 2 * FIELD_MARGIN))
        height = min(FIELD_HEIGHT, max(MIN_FIELD_SIZE, size[1] - 2 * FIELD_MARGIN))
        # A click near an edge still gives a box that fits on the page.
        x = min(max(0.0, x), size[0] - width)
        y = min(max(0.0, y), size[1] - height)
    except (ValueError, TypeError):
        return _placement_page(request, viewer, use_cases, container, details, status=400,
                               errors={error_key: PLACEMENT_INVALID})
    try:
        use_cases.place_signature_field(context=request_context(request),
                                        collection_id=collection_id, by_person_id=viewer.person_id,
                                        document_id=document_id, signer_id=signer_id, page=page, x=x, y=y,
                                        width=width, height=height)
    except DomainError as exc:
        return _placement_page(request, viewer, use_cases, container, details,
                               status=form_error_status(describe(exc).status),
                               errors={error_key: error_text(request, exc)})
    flash(request, N_("Emplacement de signature enregistré."))
    return see_other(f"/collectes/{collection_id}/placement?signataire={signer_id}#document-{document_id}")


# -- step 6: récapitulatif -------------------------------------------------------------------------------------


@get("/collectes/{collection_id:str}/recapitulatif", name="collection_recap", sync_to_thread=True)
def recap(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
          use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _wizard(request, viewer, "recap.html", "recapitulatif", details,
                   names={s.signer_id: s.display_name for s in details.signers})


@post("/collectes/{collection_id:str}/envoyer", name="send_collection", sync_to_thread=True)
def send(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
         use_cases: NamedDependency[Any]) -> Response:
    try:
        use_cases.send_collection(context=request_context(request),
                                  collection_id=collection_id, by_person_id=viewer.person_id)
    except DomainError as exc:
        details = _details(use_cases, viewer, collection_id)
        if details.summary.status is not CollectionStatus.DRAFT:
            raise
        return _wizard(request, viewer, "recap.html", "recapitulatif", details,
                       status=form_error_status(describe(exc).status),
                       names={s.signer_id: s.display_name for s in details.signers},
                       errors={"_form": error_text(request, exc)})
    flash(request, N_("Collecte envoyée : les invitations partent par e-mail."))
    return see_other(f"/collectes/{collection_id}")


# -- the collection page (management) -----------------------------------------------------------------------------


def _timeline(details: Any) -> list[dict[str, Any]]:
    names = {s.signer_id: s.display_name for s in details.signers}
    for entry in details.timeline:
        if entry.signer_id and entry.detail.get("name"):
            names.setdefault(entry.signer_id, entry.detail["name"])
    lines = []
    for entry in reversed(details.timeline):
        params = dict(entry.detail)
        params.setdefault("name", names.get(entry.signer_id or "", ""))
        params.setdefault("old_name", "")
        params.setdefault("de", french.preposition(params["name"]))  # « Tour d’Irina reporté »
        message = labels.EVENT_LABELS.get(entry.kind, N_("Événement"))
        if entry.kind is EventKind.DELIVERY_FAILED:
            message = labels.DELIVERY_FAILURE_LABELS.get((params.get("channel", ""), params.get("reason", "")), message)
        lines.append({"at": entry.at, "message": message,
                      "params": params, "automatic": entry.detail.get("automatic") == "yes"})
    return lines


def _collection_page(request: Request, viewer: Viewer, use_cases: Any, details: Any, *, status: int = 200,
                     **context: Any) -> Template:
    running = details.summary.status is CollectionStatus.IN_PROGRESS
    movable = [s.signer_id for s in details.signers if s.status is not SignerStatus.SIGNED]
    return render(request, "collections/collection.html", status=status, viewer=viewer, details=details,
                  labels=labels, timeline=_timeline(details), running=running, movable=movable,
                  **context)


@get("/collectes/{collection_id:str}", name="collection", sync_to_thread=True)
def collection(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
               use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if details.summary.status is CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}/{_step_of(details)}")
    return _collection_page(request, viewer, use_cases, details)


@post("/collectes/{collection_id:str}/signataires/{signer_id:str}/relancer", name="remind_signer",
      sync_to_thread=True)
def remind(request: Request, collection_id: FromPath[str], signer_id: FromPath[str],
           viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    try:
        use_cases.remind_signer_now(context=request_context(request),
                                    collection_id=collection_id, by_person_id=viewer.person_id, signer_id=signer_id)
    except DomainError as exc:
        return _collection_page(request, viewer, use_cases, _details(use_cases, viewer, collection_id),
                                status=form_error_status(describe(exc).status),
                                errors={f"_signer-{signer_id}": error_text(request, exc)})
    flash(request, N_("Relance envoyée."))
    return see_other(f"/collectes/{collection_id}#signataire-{signer_id}")


@post("/collectes/{collection_id:str}/ordre", name="reorder_running", sync_to_thread=True)
def reorder_running(request: Request, collection_id: FromPath[str], data: FormData,
                    viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    """Move a signer who has not signed up or down while the collection runs."""
    details = _details(use_cases, viewer, collection_id)
    order = [s.signer_id for s in details.signers]
    verb, _, target = form_value(data, "action").partition(":")
    new_order = _moved(order, target, -1 if verb == "monter" else +1) if verb in ("monter", "descendre") else order
    try:
        use_cases.reorder_signers(context=request_context(request),
                                  collection_id=collection_id, by_person_id=viewer.person_id, signer_ids=new_order)
    except DomainError as exc:
        return _collection_page(request, viewer, use_cases, details, status=form_error_status(describe(exc).status),
                                errors={"_order": error_text(request, exc)})
    flash(request, N_("Ordre des signataires modifié."))
    return see_other(f"/collectes/{collection_id}#signataire-{target}")


def _replace_page(request: Request, viewer: Viewer, use_cases: Any, details: Any, signer: Any, *,
                  status: int = 200, **context: Any) -> Template:
    assert viewer.current is not None
    taken = {s.member_id for s in details.signers if s.member_id}
    choices = [c for c in _choices(use_cases, viewer) if c.member_id not in taken]
    context.setdefault("values", {})
    return render(request, "collections/replace.html", status=status, viewer=viewer, details=details,
                  signer=signer, members=choices, labels=labels, **context)


def _signer_of(details: Any, signer_id: str) -> Any:
    signer = next((s for s in details.signers if s.signer_id == signer_id), None)
    if signer is None:
        raise NotFound("signer not found")
    return signer


@get("/collectes/{collection_id:str}/signataires/{signer_id:str}/remplacer", name="replace_signer_form",
     sync_to_thread=True)
def replace_form(request: Request, collection_id: FromPath[str], signer_id: FromPath[str],
                 viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    signer = _signer_of(details, signer_id)
    return _replace_page(request, viewer, use_cases, details, signer,
                         values={"level": str(int(signer.level))})


@post("/collectes/{collection_id:str}/signataires/{signer_id:str}/remplacer", name="replace_signer",
      sync_to_thread=True)
def replace(request: Request, collection_id: FromPath[str], signer_id: FromPath[str], data: FormData,
            viewer: NamedDependency[Viewer], use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    signer = _signer_of(details, signer_id)
    values = {name: form_value(data, name)
              for name in ("kind", "member_id", "given_names", "surname", "email", "mobile", "level")}
    errors: dict[str, str] = {}
    level = _level(values["level"])
    if level is None:
        errors["level"] = LEVEL_INVALID
    arguments: dict[str, Any] = {}
    if values["kind"] == "member":
        kind = SignerKind.MEMBER
        if not values["member_id"]:
            errors["member_id"] = MEMBER_REQUIRED
        arguments["member_id"] = values["member_id"]
    else:
        kind = SignerKind.EXTERNAL
        for name, message in (("given_names", GIVEN_NAMES_REQUIRED), ("surname", SURNAME_REQUIRED),
                              ("email", EMAIL_REQUIRED)):
            if not values[name]:
                errors[name] = message
        arguments.update(given_names=values["given_names"], surname=values["surname"], email=values["email"],
                         mobile=values["mobile"] or None)
    if not errors:
        try:
            use_cases.replace_signer(context=request_context(request),
                                     collection_id=collection_id, by_person_id=viewer.person_id, signer_id=signer_id,
                                     kind=kind, level=level, **arguments)
        except DomainError as exc:
            field = getattr(exc, "field", None)
            errors[field if field in ("given_names", "surname", "email", "mobile") else "_form"] = \
                error_text(request, exc)
    if errors:
        return _replace_page(request, viewer, use_cases, details, signer, status=422, values=values, errors=errors)
    flash(request, N_("Signataire remplacé : l’ancien lien ne fonctionne plus."))
    return see_other(f"/collectes/{collection_id}")


@get("/collectes/{collection_id:str}/annuler", name="cancel_collection_form", sync_to_thread=True)
def cancel_form(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
                use_cases: NamedDependency[Any]) -> Response:
    return render(request, "collections/cancel.html", viewer=viewer, details=_details(use_cases, viewer, collection_id))


@post("/collectes/{collection_id:str}/annuler", name="cancel_collection", sync_to_thread=True)
def cancel(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[Any]) -> Response:
    details = _details(use_cases, viewer, collection_id)
    if not checked(data, "confirmation"):
        return render(request, "collections/cancel.html", status=400, viewer=viewer, details=details,
                      errors={"confirmation": CANCEL_NOT_CONFIRMED})
    try:
        use_cases.cancel_collection(context=request_context(request),
                                    collection_id=collection_id, by_person_id=viewer.person_id)
    except DomainError as exc:
        return render(request, "collections/cancel.html", status=form_error_status(describe(exc).status),
                      viewer=viewer, details=details, errors={"_form": error_text(request, exc)})
    flash(request, N_("Collecte annulée : les signataires invités en sont informés."))
    return see_other(f"/collectes/{collection_id}" if details.summary.status is not CollectionStatus.DRAFT
                     else "/collectes")


collections_router = Router(path="/", route_handlers=[
    dashboard, new_collection, create_collection, documents, add_documents, remove_document, page_image,
    download_original, informations, save_informations, options, save_options, add_observer, remove_observer,
    signers, save_signers, add_signer, placement, place, recap, send, collection, remind, reorder_running,
    replace_form, replace, cancel_form, cancel,
], dependencies={"viewer": Provide(provide_preparer, sync_to_thread=True)},
    exception_handlers={_CannotPrepare: _on_cannot_prepare}, include_in_schema=False)

__all__ = ["collections_router"]
