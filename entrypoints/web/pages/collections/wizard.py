"""Steps 2 to 6 of the wizard: informations, options and observers, signers, placement, recap and sending."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from domain.model.collection import CollectionStatus, EventKind, InvitationMode, ReminderPolicy
from domain.model.document import FIELD_HEIGHT, FIELD_MARGIN, FIELD_WIDTH, MIN_FIELD_SIZE
from domain.model.errors import DomainError, NoSigner
from domain.model.signer import SignerKind
from domain.services.signer_levels import default_level, levels_offered
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.collection_labels import STEPS
from entrypoints.web.deps import Viewer, request_context
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.collections.shared import (
    DATE_INVALID,
    EMAIL_REQUIRED,
    GIVEN_NAMES_REQUIRED,
    LEVEL_INVALID,
    MEMBER_REQUIRED,
    NUMBER_INVALID,
    PAGE_WIDTH,
    PLACEMENT_INVALID,
    SURNAME_REQUIRED,
    TITLE_REQUIRED,
    end_of_day,
    listed,
    load_details,
    missing_identity,
    moved,
    page_sizes,
    paris_date,
    parse_level,
    signer_choices_of,
    wizard_page,
)
from entrypoints.web.pages.common import (
    FormData,
    checked,
    error_text,
    flash,
    form_error_status,
    form_value,
    redirect_after,
    refusal,
    see_other,
)

# -- step 2: informations ---------------------------------------------------------------------------------


@get("/collectes/{collection_id:str}/informations", name="collection_info", sync_to_thread=True)
def informations(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return wizard_page(request, viewer, "informations.html", "informations", details,
                       values={"title": details.summary.title, "message": details.message})


@post("/collectes/{collection_id:str}/informations", name="save_collection_info", sync_to_thread=True)
def save_informations(request: Request, collection_id: FromPath[str], data: FormData,
                      viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
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
        return wizard_page(request, viewer, "informations.html", "informations",
                           load_details(use_cases, viewer, collection_id), status=status,
                           values=values, errors=errors)
    return see_other(f"/collectes/{collection_id}/options")


# -- step 3: options ------------------------------------------------------------------------------------


def _options_values(details: Any) -> dict[str, str]:
    return {"deadline": paris_date(details.summary.deadline).isoformat(),
            "reminders": "on" if details.reminders.enabled else "",
            "every_days": str(details.reminders.every_days), "max_count": str(details.reminders.max_count)}


def _options_page(request: Request, viewer: Viewer, details: Any, *, status: int = 200,
                  **context: Any) -> Template:
    context.setdefault("values", _options_values(details))
    context.setdefault("observer_values", {})
    return wizard_page(request, viewer, "options.html", "options", details, status=status, **context)


@get("/collectes/{collection_id:str}/options", name="collection_options", sync_to_thread=True)
def options(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
            use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _options_page(request, viewer, details)


@post("/collectes/{collection_id:str}/options", name="save_collection_options", sync_to_thread=True)
def save_options(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[UseCases]) -> Response:
    values = {"deadline": form_value(data, "deadline"), "reminders": "on" if checked(data, "reminders") else "",
              "every_days": form_value(data, "every_days") or "3", "max_count": form_value(data, "max_count") or "3"}
    errors: dict[str, str] = {}
    deadline = None
    try:
        deadline = end_of_day(date.fromisoformat(values["deadline"]))
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
        return _options_page(request, viewer, load_details(use_cases, viewer, collection_id), status=422,
                             values=values, errors=errors, observer_values=_observer_values(data))
    # The observers are part of the same form, so what was typed above is saved with them.
    action = form_value(data, "action") or "continuer"
    observer = _observer_values(data)
    if action == "ajouter-destinataire" or any(observer.values()):
        status, observer_errors = _add_observer(request, use_cases, viewer, collection_id, observer)
        if observer_errors:
            return _options_page(request, viewer, load_details(use_cases, viewer, collection_id), status=status,
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


def _add_observer(request: Request, use_cases: UseCases, viewer: Viewer, collection_id: str,
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
                 use_cases: NamedDependency[UseCases]) -> Response:
    """Adding an observer alone (the options form does it too, saving the options with it)."""
    values = _observer_values(data)
    status, errors = _add_observer(request, use_cases, viewer, collection_id, values)
    if errors:
        return _options_page(request, viewer, load_details(use_cases, viewer, collection_id), status=status,
                             observer_values=values, errors=errors, observers_open=True)
    flash(request, N_("Destinataire en copie ajouté."))
    return see_other(f"/collectes/{collection_id}/options#destinataires")


@post("/collectes/{collection_id:str}/destinataires/{observer_id:str}/retirer", name="remove_observer",
      sync_to_thread=True)
def remove_observer(request: Request, collection_id: FromPath[str], observer_id: FromPath[str],
                    viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    use_cases.remove_observer(context=request_context(request),
                              collection_id=collection_id, by_person_id=viewer.person_id, observer_id=observer_id)
    flash(request, N_("Destinataire en copie retiré."))
    return see_other(f"/collectes/{collection_id}/options#destinataires")


# -- step 4: signataires ------------------------------------------------------------------------------------


def _signers_page(request: Request, viewer: Viewer, use_cases: UseCases, details: Any, *, status: int = 200,
                  **context: Any) -> Template:
    choices = signer_choices_of(use_cases, viewer)
    assert viewer.current is not None
    mine = next((c for c in choices if c.member_id == viewer.current.member_id), None)
    taken = {s.member_id for s in details.signers if s.member_id}
    context.setdefault("values", {})
    return wizard_page(request, viewer, "signers.html", "signataires", details, status=status,
                       offered=levels_offered(details.signers, choices),
                       members=[c for c in choices
                                if c.member_id not in taken and c.member_id != viewer.current.member_id],
                       can_add_myself=mine is not None and viewer.current.member_id not in taken,
                       i_can_sign=mine is not None, **context)


@get("/collectes/{collection_id:str}/signataires", name="collection_signers", sync_to_thread=True)
def signers(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
            use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _signers_page(request, viewer, use_cases, details)


def _save_levels(request: Request, use_cases: UseCases, viewer: Viewer, details: Any,
                 data: dict[str, Any] | None) -> dict[str, str]:
    """Each row's level dropdown; the refusals by row. Levels come first, so a change made in a
    dropdown is not lost when another button of the form is pressed."""
    errors: dict[str, str] = {}
    for signer in details.signers:
        wanted = form_value(data, f"level-{signer.signer_id}")
        level = parse_level(wanted) if wanted else signer.level
        if level is None:
            errors[f"level-{signer.signer_id}"] = LEVEL_INVALID
        elif level is not signer.level:
            try:
                use_cases.set_signer_level(context=request_context(request),
                                           collection_id=details.summary.collection_id,
                                           by_person_id=viewer.person_id, signer_id=signer.signer_id, level=level)
            except DomainError as exc:
                errors[f"level-{signer.signer_id}"] = error_text(request, exc)
    return errors


def _wanted_order(current: list[str], data: dict[str, Any] | None, verb: str, target: str) -> list[str]:
    """The order dragged (the ``order`` fields, when they name every signer) or moved by one button."""
    order = [i for i in listed(data, "order") if i in current]
    if sorted(order) != sorted(current):
        order = current
    steps = {"monter": -1, "descendre": +1}
    return moved(order, target, steps[verb]) if verb in steps else order


def _save_order_mode_removal(request: Request, use_cases: UseCases, viewer: Viewer, details: Any,
                             data: dict[str, Any] | None, verb: str, target: str) -> None:
    collection_id = details.summary.collection_id
    current = [s.signer_id for s in details.signers]
    order = _wanted_order(current, data, verb, target)
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


@post("/collectes/{collection_id:str}/signataires", name="save_collection_signers", sync_to_thread=True)
def save_signers(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[UseCases]) -> Response:
    """The signers' form: levels, order (drag and drop or up/down buttons), mode, remove, « Valider »."""
    details = load_details(use_cases, viewer, collection_id)
    verb, _, target = (form_value(data, "action") or "enregistrer").partition(":")
    errors = _save_levels(request, use_cases, viewer, details, data)
    try:
        _save_order_mode_removal(request, use_cases, viewer, details, data, verb, target)
    except DomainError as exc:
        errors["_signers"] = error_text(request, exc)
    if not errors and verb == "valider" and not details.signers:
        errors["_signers"] = describe(NoSigner()).message
    if errors:
        # The levels and the mode chosen stay as chosen, not as saved, so re-submitting keeps them.
        chosen = {f"level-{s.signer_id}": form_value(data, f"level-{s.signer_id}") for s in details.signers}
        return _signers_page(request, viewer, use_cases, load_details(use_cases, viewer, collection_id),
                             status=form_error_status(422), errors=errors,
                             values={**{k: v for k, v in chosen.items() if v}, "mode": form_value(data, "mode")})
    if verb == "valider":
        return see_other(f"/collectes/{collection_id}/placement")
    if verb in ("monter", "descendre", "ordre"):
        flash(request, N_("Ordre des signataires enregistré."))
    anchor = f"#signataire-{target}" if verb in ("monter", "descendre") and target else "#signataires"
    return see_other(f"/collectes/{collection_id}/signataires{anchor}")


_IDENTITY_FIELDS = ("given_names", "surname", "email", "mobile")


def _new_signer(use_cases: UseCases, viewer: Viewer, kind: SignerKind,
                values: dict[str, str]) -> tuple[dict[str, Any], bool, dict[str, str]]:
    """The use case's arguments for the signer to add, whether they have a mobile, the missing fields."""
    if kind is SignerKind.MYSELF:
        return {}, viewer.profile.mobile is not None, {}
    if kind is SignerKind.MEMBER:
        choice = next((c for c in signer_choices_of(use_cases, viewer) if c.member_id == values["member_id"]), None)
        if choice is None:
            return {}, False, {"member_id": MEMBER_REQUIRED}
        return {"member_id": choice.member_id}, choice.masked_mobile is not None, {}
    arguments = {name: values[name] for name in ("given_names", "surname", "email")}
    return {**arguments, "mobile": values["mobile"] or None}, bool(values["mobile"]), missing_identity(values)


def _refused_signer_key(exc: DomainError, kind: SignerKind, form_key: str) -> str:
    """Where the refusal shows: beside the field of « Autre » it is about, else above the form used."""
    field = getattr(exc, "field", None) or describe(exc).field
    if exc.code == "collection.mobile_required":
        field = "mobile"
    return field if kind is SignerKind.EXTERNAL and field in _IDENTITY_FIELDS else form_key


@post("/collectes/{collection_id:str}/signataires/ajouter", name="add_collection_signer", sync_to_thread=True)
def add_signer(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
               use_cases: NamedDependency[UseCases]) -> Response:
    """« M’ajouter », « Membres du cabinet » and « Autre »."""
    kind_value = form_value(data, "kind")
    # Every value typed or chosen is shown again after a refusal, the level too.
    values = {name: form_value(data, name) for name in (*_IDENTITY_FIELDS, "member_id", "level")}
    form_key = {"myself": "_myself", "member": "_member"}.get(kind_value, "_other")
    kind = SignerKind(kind_value) if kind_value in (k.value for k in SignerKind) else SignerKind.EXTERNAL
    arguments, has_mobile, errors = _new_signer(use_cases, viewer, kind, values)
    level = parse_level(form_value(data, "level")) or default_level(has_mobile=has_mobile)
    if not errors:
        try:
            use_cases.add_signer(context=request_context(request), collection_id=collection_id,
                                 by_person_id=viewer.person_id, kind=kind, level=level, **arguments)
        except DomainError as exc:
            errors[_refused_signer_key(exc, kind, form_key)] = error_text(request, exc)
    if errors:
        return _signers_page(request, viewer, use_cases, load_details(use_cases, viewer, collection_id),
                             status=422, values=values, errors=errors, open_form=kind.value)
    flash(request, N_("Signataire ajouté."))
    for name in _signature_pages_just_added(load_details(use_cases, viewer, collection_id).timeline):
        # The boxes moved to a new last page: said now, not discovered at the placement step.
        flash(request, N_("L’espace libre de «\u00a0%(name)s\u00a0» ne suffit plus pour tous les signataires\u00a0: "
                          "une page de signatures y a été ajoutée, où sont placés tous les cadres par défaut."),
              category="warning", name=name)
    return see_other(f"/collectes/{collection_id}/signataires#signataires")


def _signature_pages_just_added(timeline: Any) -> list[str]:
    """The documents given a signature page by the signer just added: the timeline's last entries."""
    names = []
    for entry in reversed(timeline):
        if entry.kind is not EventKind.SIGNATURE_PAGE_ADDED:
            break
        names.append(entry.detail.get("name", ""))
    return names[::-1]


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
              use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return _placement_page(request, viewer, details)


def _placement_page(request: Request, viewer: Viewer, details: Any, *,
                    status: int = 200, **context: Any) -> Template:
    return wizard_page(request, viewer, "placement.html", "placement", details, status=status,
                       sizes=page_sizes(details),
                       page_width=PAGE_WIDTH, box=(FIELD_WIDTH, FIELD_HEIGHT),
                       names={s.signer_id: s.display_name for s in details.signers},
                       chosen_signer=request.query_params.get("signataire", ""), **context)


@post("/collectes/{collection_id:str}/placement", name="place_field", sync_to_thread=True)
def place(request: Request, collection_id: FromPath[str], data: FormData, viewer: NamedDependency[Viewer],
          use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    document_id = form_value(data, "document_id")
    signer_id = form_value(data, "signer_id")
    error_key = f"_placement-{document_id}"
    try:
        page = int(form_value(data, "page"))
        sizes = page_sizes(details).get(document_id) or []
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
        return _placement_page(request, viewer, details, status=400,
                               errors={error_key: PLACEMENT_INVALID})
    return redirect_after(
        request, lambda: use_cases.place_signature_field(
            context=request_context(request), collection_id=collection_id, by_person_id=viewer.person_id,
            document_id=document_id, signer_id=signer_id, page=page, x=x, y=y, width=width, height=height),
        f"/collectes/{collection_id}/placement?signataire={signer_id}#document-{document_id}",
        message=N_("Emplacement de signature enregistré."),
        refused=lambda exc: _placement_page(request, viewer, details, **refusal(request, exc, error_key)))


# -- « Supprimer le brouillon » ------------------------------------------------------------------------------


@get("/collectes/{collection_id:str}/supprimer", name="discard_draft_form", sync_to_thread=True)
def discard_form(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
                 use_cases: NamedDependency[UseCases]) -> Response:
    """The confirmation: a draft goes only on a deliberate POST."""
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    back = request.query_params.get("depuis", "")
    return wizard_page(request, viewer, "discard.html", "supprimer", details,
                       back=back if back in {key for key, _label in STEPS} else "recapitulatif")


@post("/collectes/{collection_id:str}/supprimer", name="discard_draft", sync_to_thread=True)
def discard(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
            use_cases: NamedDependency[UseCases]) -> Response:
    use_cases.discard_collection_draft(context=request_context(request), collection_id=collection_id,
                                       by_person_id=viewer.person_id)
    flash(request, N_("Brouillon supprimé."))
    return see_other("/collectes")


# -- step 6: récapitulatif -------------------------------------------------------------------------------------


@get("/collectes/{collection_id:str}/recapitulatif", name="collection_recap", sync_to_thread=True)
def recap(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
          use_cases: NamedDependency[UseCases]) -> Response:
    details = load_details(use_cases, viewer, collection_id)
    if details.summary.status is not CollectionStatus.DRAFT:
        return see_other(f"/collectes/{collection_id}")
    return wizard_page(request, viewer, "recap.html", "recapitulatif", details,
                       names={s.signer_id: s.display_name for s in details.signers})


@post("/collectes/{collection_id:str}/envoyer", name="send_collection", sync_to_thread=True)
def send(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
         use_cases: NamedDependency[UseCases]) -> Response:

    def refused(exc: DomainError) -> Response:
        details = load_details(use_cases, viewer, collection_id)
        if details.summary.status is not CollectionStatus.DRAFT:
            raise exc  # sent meanwhile (a double click): the error page, not the recap
        return wizard_page(request, viewer, "recap.html", "recapitulatif", details,
                           names={s.signer_id: s.display_name for s in details.signers}, **refusal(request, exc))

    return redirect_after(request, lambda: use_cases.send_collection(
        context=request_context(request), collection_id=collection_id, by_person_id=viewer.person_id),
        f"/collectes/{collection_id}", refused=refused,
        message=N_("Collecte envoyée : les invitations partent par e-mail."))
