"""The identity capture pages of the providers that have none of their own (simulator,
manual review): `/identity/capture/{session_ref}?device=phone|browser`.

No login: the phone arrives from the QR link, which led here with the session's
unguessable reference. The guide's windows, in order: intro summary and checkbox
(« Continuer »), « J'ai compris », the document's three steps, « Lancer la capture »,
the face's three steps, « Lancer la capture », then « Merci ! ». Each photo is a plain
file input (``capture`` opens the camera on a phone); ``qcp.js`` adds a live camera
through getUserMedia where there is one.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery, RawBody
from litestar.response import Template

from domain.model.errors import DomainError, IdentityCaptureRefused, IdentitySessionNotFound
from domain.model.identity import DOCUMENT_STEPS, FACE_STEPS, CaptureStep, IdentityCheckStatus
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.ceremony import SESSION_SIGNER_RETURN
from entrypoints.web.pages.common import error_text, form_error_status, on_phone, render, see_other
from entrypoints.web.pages.qcp import SESSION_RETURN
from entrypoints.web.upload_limit import ENVELOPE_MARGIN, UPLOAD, SpooledUpload, upload_content
from ports.identity import MAX_CAPTURE_IMAGE_BYTES, CaptureHost

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
PHOTO_BODY_LIMIT = MAX_CAPTURE_IMAGE_BYTES + ENVELOPE_MARGIN

READY_REQUIRED = N_("Cochez la case pour continuer.")
PHOTO_REQUIRED = N_("Prenez la photo (ou choisissez-la) avant de l’envoyer.")

# step: (number within its group, title, explanation)
STEP_TEXTS: dict[CaptureStep, tuple[int, str, str]] = {
    CaptureStep.DOCUMENT_CENTRE: (1, N_("Centrez votre document"), N_("Le document doit être visible dans son intégralité.")),
    CaptureStep.DOCUMENT_TILT: (2, N_("Inclinez lentement votre document"),
                                N_("Nous avons besoin de mettre en évidence les hologrammes de sécurité.")),
    CaptureStep.DOCUMENT_PORTRAIT: (3, N_("Placez votre photo de portrait dans la zone"),
                                    N_("Cela nous aide à lutter contre la fraude.")),
    CaptureStep.FACE_CENTRE: (1, N_("Centrez votre visage"), N_("Assurez-vous d’être seul face à la caméra.")),
    CaptureStep.FACE_TURN: (2, N_("Tournez lentement la tête"), N_("Regardez la caméra.")),
    CaptureStep.FACE_COVER_EYE: (3, N_("Couvrez votre œil avec votre main"),
                                 N_("Cela nous aide à lutter contre la fraude.")),
}
STAGES = ("intro", "preparer", "document", "photo", "visage", "fin")


def capture_finished(use_cases: UseCases, session_ref: str) -> None:
    """Tell the QCP enrollment its capture is over. A signing ceremony's check (an external
    level-3 signer) or an LCP registration's belongs to no enrollment: their pages ask the
    provider themselves."""
    try:
        use_cases.qcp().identity_capture_finished(session_ref=session_ref)
    except IdentitySessionNotFound:
        pass


def _host(use_cases: UseCases) -> CaptureHost:
    host = use_cases.capture_host()
    if host is None:
        raise NotFoundException()  # the provider hosts its own capture pages
    return host


def _progress(host: Any, session_ref: str) -> Any:
    try:
        return host.capture_progress(session_ref)
    except IdentitySessionNotFound:
        raise NotFoundException() from None


def _device(value: str | None) -> str:
    return "browser" if value == "browser" else "phone"


def _url(session_ref: str, device: str, stage: str) -> str:
    return f"/identity/capture/{session_ref}?device={device}&etape={stage}"


def _capture_page(request: Request, progress: Any, device: str, stage: str, *, status: int = 200,
                  **context: Any) -> Template:
    current = progress.remaining[0] if progress.remaining else None
    return render(request, "capture/capture.html", status=status, session_ref=progress.session_ref,
                  on_phone=on_phone(request),
                  device=device, stage=stage, step=current, step_text=STEP_TEXTS.get(current) if current else None,
                  is_face=current in FACE_STEPS if current else False, steps=STEP_TEXTS,
                  document_steps=[s for s in DOCUMENT_STEPS if s in progress.mode.steps],
                  face_steps=[s for s in FACE_STEPS if s in progress.mode.steps],
                  done=len(progress.done), total=len(progress.mode.steps), **context)


@get("/identity/capture/{session_ref:str}", name="identity_capture", sync_to_thread=True)
def identity_capture(request: Request, session_ref: FromPath[str], use_cases: NamedDependency[UseCases],
                     device: FromQuery[str | None] = None, etape: FromQuery[str | None] = None,
                     pret: FromQuery[str | None] = None) -> Response:
    host = _host(use_cases)
    progress = _progress(host, session_ref)
    device = _device(device)
    stage = etape if etape in STAGES else "intro"
    if progress.status is not IdentityCheckStatus.CAPTURING:
        stage = "fin"  # handed over already: nothing left to capture here
    if stage == "fin" and progress.status is IdentityCheckStatus.CAPTURING:
        stage = "photo" if progress.done else "intro"
    if stage == "preparer" and not pret:
        return _capture_page(request, progress, device, "intro", status=400, errors={"pret": READY_REQUIRED})
    if stage == "fin" and device == "browser":
        back = (request.session.get(SESSION_RETURN) or {}).get(session_ref)
        if back:
            # A path: another flow's page (the LCP registration's check); else a QCP enrollment.
            return see_other(back if back.startswith("/") else f"/qcp/{back}")
        signer_token = (request.session.get(SESSION_SIGNER_RETURN) or {}).get(session_ref)
        if signer_token:  # a signer's level-3 check: back to their ceremony
            return see_other(f"/signature/{signer_token}/identite")
    if (stage == "photo" and progress.remaining and progress.remaining[0] is CaptureStep.FACE_CENTRE
            and not request.query_params.get("vu")):
        # The face's steps are explained before its first photo.
        stage = "visage"
    return _capture_page(request, progress, device, stage)


# A photo of at most 10 MB (the identity sessions' own limit) and the form's fields: refused while
# it arrives beyond that, spooled to disk by the upload middleware; the provider gets the spooled
# file and reads it as a stream (never whole in the web process).
@post("/identity/capture/{session_ref:str}/photo", name="identity_capture_photo", sync_to_thread=True,
      opt={UPLOAD: PHOTO_BODY_LIMIT})
def identity_capture_photo(request: Request, session_ref: FromPath[str], data: MultipartData,
                                 use_cases: NamedDependency[UseCases]) -> Response:
    host = _host(use_cases)
    device = _device(str(data.get("device") or ""))
    upload = data.get("image")
    image: bytes | SpooledUpload = b""
    content_type = ""
    if isinstance(upload, UploadFile):
        image = upload_content(upload)
        content_type = upload.content_type or ""
    progress = _progress(host, session_ref)
    if not progress.remaining:
        return see_other(_url(session_ref, device, "fin"))
    try:
        step = CaptureStep(str(data.get("step") or ""))
    except ValueError:
        step = progress.remaining[0]
    if not (image.size if isinstance(image, SpooledUpload) else image):
        return _capture_page(request, progress, device, "photo", status=400, errors={"image": PHOTO_REQUIRED})
    try:
        progress = host.submit_capture(session_ref, step, image, content_type)
        if progress.complete:
            host.finish_capture(session_ref)
            capture_finished(use_cases, session_ref)
    except IdentityCaptureRefused as exc:
        return _capture_page(request, _progress(host, session_ref), device, "photo", status=422,
                             errors={"image": error_text(request, exc)})
    except DomainError as exc:
        return _capture_page(request, _progress(host, session_ref), device, "fin",
                             status=form_error_status(describe(exc).status), errors={"_form": error_text(request, exc)})
    if progress.complete:
        return see_other(_url(session_ref, device, "fin"))
    if progress.remaining[0] is CaptureStep.FACE_CENTRE:
        return see_other(_url(session_ref, device, "visage"))
    return see_other(_url(session_ref, device, "photo") + "&vu=1")


@post("/identity/callback", name="identity_callback", sync_to_thread=True)
def identity_callback(request: Request, body: RawBody, use_cases: NamedDependency[UseCases]) -> Response:
    """The identity provider's webhook (no session, no CSRF token: the adapter
    authenticates the call). Answers whether a decision was recorded."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        recorded = use_cases.qcp().receive_identity_callback(payload=body, headers=headers)
    except DomainError as exc:
        info = describe(exc)
        return Response(content={"code": exc.code, "status": info.status}, status_code=info.status,
                        media_type="application/problem+json")
    return Response(content={"recorded": bool(recorded)}, status_code=200)


capture_router = Router(path="/", route_handlers=[identity_capture, identity_capture_photo, identity_callback],
                        include_in_schema=False)
