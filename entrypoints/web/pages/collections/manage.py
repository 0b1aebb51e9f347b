"""The dashboard and the page of a sent collection: reminders, order, replacement, cancellation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.model.collection import CollectionStatus, EventKind
from domain.model.errors import DomainError, NotFound
from domain.model.signer import SignerKind
from domain.services.collections import MAX_PAGE
from entrypoints import french
from entrypoints.composition.use_cases import UseCases
from entrypoints.web import collection_labels as labels
from entrypoints.web.deps import Viewer, request_context
from entrypoints.web.i18n import N_, format_on_moment, request_locale
from entrypoints.web.pages.collections.shared import (
    CANCEL_NOT_CONFIRMED,
    CANCEL_REASON_REQUIRED,
    LEVEL_INVALID,
    MEMBER_REQUIRED,
    load_details,
    missing_identity,
    moved,
    parse_level,
    signer_choices_of,
    step_of,
)
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    flash,
    form_value,
    gettext_for,
    redirect_after,
    refusal,
    render,
    see_other,
)

# -- dashboard ----------------------------------------------------------------------------------------


@get("/collectes", name="collections", sync_to_thread=True)
def dashboard(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
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


def _collection_page(request: Request, viewer: Viewer, use_cases: UseCases, details: Any, *, status: int = 200,
                     **context: Any) -> Template:
    running = details.summary.status is CollectionStatus.IN_PROGRESS
    now = use_cases.clock().now()
    # « Relancer » waits until the domain's time; the button says until when, disabled meanwhile.
    reminders_wait = {s.signer_id: s.reminder_possible_at for s in details.signers
                      if s.reminder_possible_at is not None and s.reminder_possible_at > now}
    reminded = {e.signer_id for e in details.timeline if e.kind is EventKind.REMINDED and e.signer_id}
    return render(request, "collections/collection.html", status=status, viewer=viewer, details=details,
                  labels=labels, timeline=_timeline(details), running=running,
                  movable=list(details.movable_signer_ids), reminders_wait=reminders_wait,
                  signer_reminded={signer_id: True for signer_id in reminded}, **context)


@get("/collectes/{collection_id:str}", name="collection", sync_to_thread=True)
def collection(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
               use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}/{step_of(details)}")
    return _collection_page(request, viewer, use_cases, details)


@post("/collectes/{collection_id:str}/signataires/{signer_id:str}/relancer", name="remind_signer",
      sync_to_thread=True)
def remind(request: Request, collection_id: FromPath[str], signer_id: FromPath[str],
           viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    return redirect_after(
        request, lambda: use_cases.remind_signer_now(context=request_context(request), collection_id=collection_id,
                                                     by_person_id=viewer.person_id, signer_id=signer_id),
        f"/collectes/{collection_id}#signataire-{signer_id}", message=N_("Relance envoyée."),
        refused=lambda exc: _reminder_refused(request, viewer, use_cases, collection_id, signer_id, exc))


def _reminder_refused(request: Request, viewer: Viewer, use_cases: UseCases, collection_id: str, signer_id: str,
                      exc: DomainError) -> Template:
    """The refusal beside the signer's row; too soon, it says when (the domain's moment, in French)."""
    context = refusal(request, exc, f"_signer-{signer_id}")
    possible_at = getattr(exc, "possible_at", None)
    if possible_at:
        when = gettext_for(request)(N_("Relance possible %(on)s.")) % {
            "on": format_on_moment(datetime.fromisoformat(possible_at), request_locale(request))}
        context["errors"][f"_signer-{signer_id}"] += " " + when
    return _collection_page(request, viewer, use_cases, load_details(use_cases, viewer, collection_id), **context)


@post("/collectes/{collection_id:str}/ordre", name="reorder_running", sync_to_thread=True)
def reorder_running(request: Request, collection_id: FromPath[str], data: FormData,
                    viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """Move a signer who has not signed up or down while the collection runs."""
    details = load_details(use_cases, viewer, collection_id)
    order = [s.signer_id for s in details.signers]
    verb, _, target = form_value(data, "action").partition(":")
    new_order = moved(order, target, -1 if verb == "monter" else +1) if verb in ("monter", "descendre") else order
    try:
        use_cases.reorder_signers(context=request_context(request), collection_id=collection_id,
                                  by_person_id=viewer.person_id, signer_ids=new_order)
    except DomainError as exc:
        return _collection_page(request, viewer, use_cases, details, **refusal(request, exc, "_order"))
    after = load_details(use_cases, viewer, collection_id)
    moved_signer = next((s for s in after.signers if s.signer_id == target), None)
    message, params = N_("Ordre des signataires modifié."), {}
    if moved_signer is not None:
        message = N_("Ordre des signataires modifié\u00a0: %(name)s est maintenant en position %(position)s sur "
                     "%(total)s.")
        params = {"name": moved_signer.display_name, "position": str(moved_signer.position),
                  "total": str(len(after.signers))}
    if request.headers.get("HX-Request") == "true":
        # Answered in place: the table is swapped and the live region, kept outside it, is filled
        # with the new position (screen readers announce a change of a live region's content).
        text = gettext_for(request)(message)
        return _collection_page(request, viewer, use_cases, after, announcement=text % params if params else text)
    flash(request, message, **params)
    return see_other(f"/collectes/{collection_id}#signataire-{target}")


def _replace_page(request: Request, viewer: Viewer, use_cases: UseCases, details: Any, signer: Any, *,
                  status: int = 200, **context: Any) -> Template:
    assert viewer.current is not None
    taken = {s.member_id for s in details.signers if s.member_id}
    choices = [c for c in signer_choices_of(use_cases, viewer) if c.member_id not in taken]
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
                 viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    signer = _signer_of(details, signer_id)
    return _replace_page(request, viewer, use_cases, details, signer,
                         values={"level": str(int(signer.level))})


@post("/collectes/{collection_id:str}/signataires/{signer_id:str}/remplacer", name="replace_signer",
      sync_to_thread=True)
def replace(request: Request, collection_id: FromPath[str], signer_id: FromPath[str], data: FormData,
            viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    signer = _signer_of(details, signer_id)
    values = {name: form_value(data, name)
              for name in ("kind", "member_id", "given_names", "surname", "email", "mobile", "level")}
    errors: dict[str, str] = {}
    level = parse_level(values["level"])
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
        errors.update(missing_identity(values))
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
                use_cases: NamedDependency[UseCases]) -> Response:
    return render(request, "collections/cancel.html", viewer=viewer, values={},
                  details=load_details(use_cases, viewer, collection_id))


@post("/collectes/{collection_id:str}/annuler", name="cancel_collection", sync_to_thread=True)
def cancel(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
           use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    reason = form_value(data, "reason")
    values = {"reason": reason}
    errors: dict[str, str] = {}
    if not reason.strip() and details.summary.status is not CollectionStatus.DRAFT:
        errors["reason"] = CANCEL_REASON_REQUIRED
    if not checked(data, "confirmation"):
        errors["confirmation"] = CANCEL_NOT_CONFIRMED
    if errors:
        return render(request, "collections/cancel.html", status=400, viewer=viewer, details=details,
                      values=values, errors=errors)
    return redirect_after(
        request, lambda: use_cases.cancel_collection(context=request_context(request), collection_id=collection_id,
                                                     by_person_id=viewer.person_id, reason=reason),
        f"/collectes/{collection_id}" if details.summary.status is not CollectionStatus.DRAFT else "/collectes",
        message=N_("Collecte annulée : les signataires invités en sont informés."),
        refused=lambda exc: render(request, "collections/cancel.html", viewer=viewer, details=details,
                                   values=values, **refusal(request, exc, getattr(exc, "field", None) or "_form")))
