"""What every collections page shares: the preparer check, the wizard frame, the constants and small parsers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from domain.model.cabinet import Delegation
from domain.model.collection import deadline_on
from domain.model.intake import CEILING_MAX_BYTES, MB
from domain.model.signer import SignatureLevel
from entrypoints.composition.use_cases import UseCases
from entrypoints.web import collection_labels as labels
from entrypoints.web.deps import Viewer, provide_viewer
from entrypoints.web.i18n import DISPLAY_TZ, N_
from entrypoints.web.pages.common import render

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

# Several PDFs in one request, each up to the configured limit (at most 200 MB): a bigger
# body is refused by Litestar with a 413 page before anything is read.
UPLOAD_MAX_BODY = CEILING_MAX_BYTES + MB
THUMBNAIL_WIDTH = 160
PAGE_WIDTH = 600

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
CANCEL_REASON_REQUIRED = N_("Indiquez le motif de l’annulation\u00a0: il est transmis aux signataires.")


# -- helpers ----------------------------------------------------------------------------------------


def _can_prepare(viewer: Viewer) -> bool:
    return viewer.current is not None and Delegation.PREPARE in viewer.current.delegations


class CannotPrepare(Exception):
    def __init__(self, viewer: Viewer, message: str) -> None:
        super().__init__(message)
        self.viewer = viewer
        self.message = message


def provide_preparer(request: Request, use_cases: NamedDependency[UseCases]) -> Viewer:
    """The viewer of every collections page: a member of the current cabinet holding PREPARE."""
    viewer = provide_viewer(request, use_cases)
    if viewer.current is None:
        raise CannotPrepare(viewer, NO_CABINET)
    if not _can_prepare(viewer):
        raise CannotPrepare(viewer, NO_PREPARE)
    return viewer


def on_cannot_prepare(request: Request, exc: CannotPrepare) -> Response:
    """The French refusal page for someone who may not prepare collections here (403)."""
    return render(request, "collections/refused.html", status=403, viewer=exc.viewer, message=exc.message)


def load_details(use_cases: UseCases, viewer: Viewer, collection_id: str) -> Any:
    return use_cases.collection_details(collection_id=collection_id, by_person_id=viewer.person_id)


def paris_date(moment: datetime) -> date:
    return moment.astimezone(DISPLAY_TZ).date()


def end_of_day(day: date) -> datetime:
    """A deadline chosen as a day runs to the end of that day (the domain's rule)."""
    return deadline_on(day)


def step_of(details: Any) -> str:
    """Where a resumed draft continues: the first step that still needs something."""
    if not details.documents:
        return "documents"
    if not details.signers:
        return "signataires"
    return "recapitulatif"


def wizard_page(request: Request, viewer: Viewer, template: str, step: str, details: Any, *, status: int = 200,
                **context: Any) -> Template:
    return render(request, f"collections/{template}", status=status, viewer=viewer, details=details,
                  step=step, STEPS=labels.STEPS, labels=labels, **context)


def upload_limit_mb(settings: Any) -> int:
    return int(getattr(settings, "max_upload_mb", 25))


def parse_level(value: str) -> SignatureLevel | None:
    try:
        return SignatureLevel(int(value))
    except (TypeError, ValueError):
        return None


def signer_choices_of(use_cases: UseCases, viewer: Viewer) -> list[Any]:
    assert viewer.current is not None
    return list(use_cases.signer_choices(cabinet_id=viewer.current.cabinet_id, by_person_id=viewer.person_id))


def missing_identity(values: dict[str, str]) -> dict[str, str]:
    """The missing fields of a signer from outside the cabinet (« Autre », or a replacement)."""
    required = (("given_names", GIVEN_NAMES_REQUIRED), ("surname", SURNAME_REQUIRED), ("email", EMAIL_REQUIRED))
    return {name: message for name, message in required if not values[name]}


def page_sizes(details: Any) -> dict[str, list[tuple[float, float]]]:
    """Page sizes in points per document (width, height), as the domain measured them on upload."""
    return {d.document_id: [(size.width, size.height) for size in d.page_sizes] for d in details.documents}



def moved(order: list[str], signer_id: str, step: int) -> list[str]:
    if signer_id not in order:
        return order
    index = order.index(signer_id)
    target = index + step
    if not 0 <= target < len(order):
        return order
    order = list(order)
    order[index], order[target] = order[target], order[index]
    return order


def listed(data: dict[str, Any] | None, name: str) -> list[str]:
    value = (data or {}).get(name, [])
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if str(v)]
