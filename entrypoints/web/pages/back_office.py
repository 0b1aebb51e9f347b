"""The registration officer's back-office, ``/back-office``: identity reviews of captured
images (manual-review provider), enrollments sent to manual review, signed requests
awaiting validation (manual mode). Each enrollment has its file, ``/back-office/demandes/<id>``:
the signed request as page images, the identity evidence (images while the provider retains
them, what was read, the provider's decision and its time), the LCP identity it was matched
to and the dates. Every GET is a read; images are served to officers only, never cached.

Officers only; anyone else gets 404, so the back-office does not even show it exists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.model.errors import DomainError, NotFound
from domain.model.identity import CaptureStep
from domain.model.qcp_enrollment import QcpState
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.capture import STEP_TEXTS
from entrypoints.web.pages.common import (
    FormData,
    error_text,
    flash,
    form_error_status,
    form_value,
    render,
    see_other,
)
from entrypoints.web.pages.qcp import DOCUMENT_TYPES, REJECTION_REASONS

# Why an enrollment is in manual review, told to the officer (the person's page says « vous »).
OFFICER_REVIEW_REASONS = {
    "person_disputes_extracted_data": N_(
        "Le demandeur a indiqué que les informations lues sur sa pièce d’identité sont inexactes."),
    "extracted_identity_differs_from_lcp": N_(
        "Les informations lues sur la pièce d’identité du demandeur diffèrent de celles de son certificat LCP."),
}
NO_STORE = {"Cache-Control": "private, no-store"}

REASON_REQUIRED = N_("Indiquez le motif du refus.")
BIRTH_DATE_INVALID = N_("Indiquez la date de naissance lue sur le document (JJ/MM/AAAA ou AAAA-MM-JJ).")
DATE_INVALID = N_("Indiquez une date valide (JJ/MM/AAAA ou AAAA-MM-JJ).")
NAME_REQUIRED = N_("Indiquez les prénoms et le nom lus sur le document.")


def require_officer(viewer: Viewer, use_cases: UseCases) -> None:
    if not use_cases.is_registration_officer(person_id=viewer.person_id):
        raise NotFoundException()


def parse_day(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if "/" in value:
            day, month, year = (int(part) for part in value.split("/"))
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None


def _home(request: Request, viewer: Viewer, use_cases: UseCases, *, status: int = 200, **context: Any) -> Template:
    qcp = use_cases.qcp()
    queue = qcp.officer_queue()
    return render(request, "back_office/home.html", status=status, viewer=viewer,
                  reviews=qcp.pending_identity_reviews(),
                  manual_reviews=[e for e in queue if e.state is QcpState.MANUAL_REVIEW],
                  validations=[e for e in queue if e.state is QcpState.PENDING_OFFICER_VALIDATION],
                  review_reasons=OFFICER_REVIEW_REASONS, **context)


@get("/back-office", name="back_office", sync_to_thread=True)
def back_office(request: Request, viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Template:
    require_officer(viewer, use_cases)
    return _home(request, viewer, use_cases)


def _review_page(request: Request, viewer: Viewer, use_cases: UseCases, session_ref: str, *, status: int = 200,
                 **context: Any) -> Template:
    try:
        file = use_cases.qcp().identity_review_file(session_ref=session_ref)
    except DomainError:
        raise NotFoundException() from None
    return render(request, "back_office/review.html", status=status, viewer=viewer, file=file,
                  steps=STEP_TEXTS, document_types=DOCUMENT_TYPES, **context)


def _file(use_cases: UseCases, enrollment_id: str) -> Any:
    try:
        return use_cases.qcp().officer_file(enrollment_id=enrollment_id)
    except NotFound:
        raise NotFoundException() from None


def _file_page(request: Request, viewer: Viewer, use_cases: UseCases, enrollment_id: str, *, status: int = 200,
               **context: Any) -> Template:
    file = _file(use_cases, enrollment_id)
    pages = 0
    if file.has_signed_request:
        pdf = use_cases.qcp().officer_signed_request(enrollment_id=enrollment_id)
        pages = use_cases.pdf_inspector().inspect(pdf).page_count
    context.setdefault("errors", {})
    return render(request, "back_office/enrollment.html", status=status, viewer=viewer, file=file,
                  e=file.enrollment, pages=pages, steps=STEP_TEXTS, document_types=DOCUMENT_TYPES,
                  review_reasons=OFFICER_REVIEW_REASONS, rejection_reasons=REJECTION_REASONS, **context)


def _signed_request(use_cases: UseCases, enrollment_id: str) -> bytes:
    """The applicant's signed request, or the page's 404."""
    try:
        return use_cases.qcp().officer_signed_request(enrollment_id=enrollment_id)
    except NotFound:
        raise NotFoundException() from None


@get("/back-office/demandes/{enrollment_id:str}", name="back_office_enrollment_file", sync_to_thread=True)
def back_office_enrollment_file(request: Request, enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                                use_cases: NamedDependency[UseCases]) -> Template:
    """The file of one enrollment awaiting the officer: what they decide on."""
    require_officer(viewer, use_cases)
    return _file_page(request, viewer, use_cases, enrollment_id)


@get("/back-office/demandes/{enrollment_id:str}/demande-signee.pdf", name="back_office_signed_request",
     sync_to_thread=True)
def back_office_signed_request(enrollment_id: FromPath[str], viewer: NamedDependency[Viewer],
                               use_cases: NamedDependency[UseCases]) -> Response:
    require_officer(viewer, use_cases)
    return Response(content=_signed_request(use_cases, enrollment_id), media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": 'inline; filename="demande-de-certificat-signee.pdf"'})


@get("/back-office/demandes/{enrollment_id:str}/demande/pages/{number:int}", name="back_office_request_page",
     sync_to_thread=True)
def back_office_request_page(enrollment_id: FromPath[str], number: FromPath[int], viewer: NamedDependency[Viewer],
                             use_cases: NamedDependency[UseCases]) -> Response:
    """One page of the signed request as an image."""
    require_officer(viewer, use_cases)
    pdf = _signed_request(use_cases, enrollment_id)
    try:  # the renderer refuses a page the PDF does not have: no separate inspection of it
        png = use_cases.page_renderer().render_png(pdf, page=number, width_px=900)
    except NotFound:
        raise NotFoundException() from None
    return Response(content=png, media_type="image/png", headers=NO_STORE)


@get("/back-office/demandes/{enrollment_id:str}/photos/{step:str}", name="back_office_enrollment_image",
     sync_to_thread=True)
def back_office_enrollment_image(enrollment_id: FromPath[str], step: FromPath[str], viewer: NamedDependency[Viewer],
                                 use_cases: NamedDependency[UseCases]) -> Response:
    """A captured image, while the provider retains it: officers only, never cached."""
    require_officer(viewer, use_cases)
    try:
        content_type, image = use_cases.qcp().officer_identity_image(enrollment_id=enrollment_id,
                                                                      step=CaptureStep(step))
    except (ValueError, NotFound):
        raise NotFoundException() from None
    return Response(content=image, media_type=content_type or "application/octet-stream", headers=NO_STORE)


@get("/back-office/identite/{session_ref:str}", name="back_office_review", sync_to_thread=True)
def back_office_review(request: Request, session_ref: FromPath[str], viewer: NamedDependency[Viewer],
                       use_cases: NamedDependency[UseCases]) -> Template:
    require_officer(viewer, use_cases)
    return _review_page(request, viewer, use_cases, session_ref)


@get("/back-office/identite/{session_ref:str}/image/{step:str}", name="back_office_review_image",
     sync_to_thread=True)
def back_office_review_image(session_ref: FromPath[str], step: FromPath[str], viewer: NamedDependency[Viewer],
                             use_cases: NamedDependency[UseCases]) -> Response:
    require_officer(viewer, use_cases)
    try:
        wanted = CaptureStep(step)
        file = use_cases.qcp().identity_review_file(session_ref=session_ref)
    except (ValueError, DomainError):
        raise NotFoundException() from None
    for image_step, content_type, image in file.images:
        if image_step is wanted:
            return Response(content=image, media_type=content_type or "application/octet-stream",
                            headers=NO_STORE)
    raise NotFoundException()


@post("/back-office/identite/{session_ref:str}", name="back_office_decide", sync_to_thread=True)
def back_office_decide(request: Request, session_ref: FromPath[str], data: FormData,
                       viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """The officer types what the document says and approves, or rejects with a reason."""
    require_officer(viewer, use_cases)
    names = ("given_names", "surname", "birth_date", "document_type", "document_number", "document_expiry", "reason")
    values = {name: form_value(data, name) for name in names}
    approved = form_value(data, "decision") == "approve"
    errors: dict[str, str] = {}
    birth_date = expiry = None
    if approved:
        if not values["given_names"] or not values["surname"]:
            errors["given_names"] = NAME_REQUIRED
        try:
            birth_date = parse_day(values["birth_date"])
        except ValueError:
            birth_date = None
        if birth_date is None:
            errors["birth_date"] = BIRTH_DATE_INVALID
        try:
            expiry = parse_day(values["document_expiry"])
        except ValueError:
            errors["document_expiry"] = DATE_INVALID
    elif not values["reason"]:
        errors["reason"] = REASON_REQUIRED
    if not errors:
        try:
            use_cases.qcp().review_identity(
                officer_id=viewer.person_id, session_ref=session_ref, approved=approved,
                given_names=values["given_names"], surname=values["surname"], birth_date=birth_date,
                document_type=values["document_type"] or "id_card", document_number=values["document_number"],
                document_expiry=expiry, reason=values["reason"] or None)
        except DomainError as exc:
            info = describe(exc)
            errors[info.field if info.field in names else "_form"] = error_text(request, exc)
            return _review_page(request, viewer, use_cases, session_ref, status=form_error_status(info.status),
                                values=values, errors=errors)
    if errors:
        return _review_page(request, viewer, use_cases, session_ref, status=400, values=values, errors=errors)
    flash(request, N_("Pièce d’identité approuvée.") if approved else N_("Pièce d’identité refusée."))
    return see_other("/back-office")


@post("/back-office/demandes/{enrollment_id:str}", name="back_office_enrollment", sync_to_thread=True)
def back_office_enrollment(request: Request, enrollment_id: FromPath[str], data: FormData,
                           viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """Resolve a manual review, or validate a signed request (manual validation)."""
    require_officer(viewer, use_cases)
    qcp = use_cases.qcp()
    approved = form_value(data, "decision") == "approve"
    reason = form_value(data, "reason") or None
    target = next((e for e in qcp.officer_queue() if e.id == enrollment_id), None)
    if target is None:
        raise NotFoundException()
    if not approved and not reason:
        return _file_page(request, viewer, use_cases, enrollment_id, status=400,
                          errors={f"reason-{enrollment_id}": REASON_REQUIRED})
    try:
        if target.state is QcpState.MANUAL_REVIEW:
            qcp.resolve_manual_review(officer_id=viewer.person_id, enrollment_id=enrollment_id, approved=approved,
                                      reason=reason)
        else:
            qcp.officer_validate(officer_id=viewer.person_id, enrollment_id=enrollment_id, approved=approved,
                                 reason=reason)
    except DomainError as exc:
        return _file_page(request, viewer, use_cases, enrollment_id, status=form_error_status(describe(exc).status),
                          errors={"_form": error_text(request, exc)})
    flash(request, N_("Demande validée.") if approved else N_("Demande refusée."))
    return see_other("/back-office")


back_office_router = Router(path="/", route_handlers=[
    back_office, back_office_review, back_office_review_image, back_office_decide, back_office_enrollment,
    back_office_enrollment_file, back_office_signed_request, back_office_request_page, back_office_enrollment_image,
], dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
