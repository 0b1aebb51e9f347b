"""`/verifier`: anyone checks a signed PDF or an evidence file (« dossier de preuve »).

One line per signature in French: signer, time, level (1/2/3 from the certificate's policy
and QCStatements), certificate status at signing time, integrity, coverage, PAdES level,
and « qualifié » only when a configured EU trusted list says so. The file is read in memory
and forgotten: nothing is stored. Uploads above the limit and unreadable files get a clear
French message on the same page.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body

from domain.model.errors import DomainError
from domain.services.verification import MAX_VERIFY_BYTES
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.errors import describe
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import error_text, form_error_status, render
from entrypoints.web.upload_limit import UPLOAD, SpooledUpload

__all__ = ["CERTIFICATE_STATUS_LABELS", "COVERAGE_LABELS", "PROVEN_LEVEL_LABELS", "verifier_router"]

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# The request may carry a little more than the file (multipart framing, the CSRF field).
VERIFY_BODY_LIMIT = MAX_VERIFY_BYTES + 256 * 1024

FILE_REQUIRED = N_("Choisissez un fichier PDF (document signé ou dossier de preuve PDF).")
TOO_LARGE = N_("Ce fichier dépasse %(mb)s Mo : il ne peut pas être vérifié ici.")
JSON_EVIDENCE = N_("Ce fichier est le double JSON du dossier de preuve : il n’est pas signé. Vérifiez le dossier "
                   "de preuve au format PDF, qui est scellé et horodaté.")

CERTIFICATE_STATUS_LABELS = {"good": N_("valide au moment de la signature"),
                             "revoked": N_("révoqué au moment de la signature"),
                             "unknown": N_("statut inconnu")}
COVERAGE_LABELS = {"entire_file": N_("tout le document"),
                   "entire_revision": N_("tout le document tel qu’il était signé (des ajouts autorisés suivent)"),
                   "partial": N_("une partie du document seulement")}
# What each level the file proves by itself means for the reader (no CA needs to answer).
PROVEN_LEVEL_LABELS = {
    "B-B": N_("signature valide aujourd’hui, sans horodatage : rien ne prouve quand elle a été faite"),
    "B-T": N_("horodatée ; le fichier ne contient pas de quoi prouver que le certificat n’était pas révoqué"),
    "B-LT": N_("horodatée, avec tout ce qu’il faut pour la vérifier hors ligne (certificats et révocation)"),
    "B-LTA": N_("horodatée, vérifiable hors ligne, et le tout est protégé par un horodatage du document (archivage)"),
}
KIND_LABELS = {"signature": N_("Signature"), "document_timestamp": N_("Horodatage du document")}
LEVEL_LABELS = {1: N_("Niveau 1 : signature simple"), 2: N_("Niveau 2 : signature avancée"),
                3: N_("Niveau 3 : avancée, certificat qualifié")}


def _page(request: Request, *, status: int = 200, **context: Any) -> Response:
    return render(request, "verifier/verifier.html", status=status, max_mb=MAX_VERIFY_BYTES // (1024 * 1024),
                  certificate_status_labels=CERTIFICATE_STATUS_LABELS, coverage_labels=COVERAGE_LABELS,
                  kind_labels=KIND_LABELS, level_labels=LEVEL_LABELS, proven_level_labels=PROVEN_LEVEL_LABELS,
                  **context)


def read_upload(upload: Any) -> tuple[bytes | SpooledUpload, str]:
    """The file as the middleware spooled it to disk (never read whole here), or its first bytes
    past the limit when it came another way."""
    if isinstance(upload, SpooledUpload):
        return upload, upload.filename or ""
    if not isinstance(upload, UploadFile):
        return b"", ""
    content = upload.file.read(MAX_VERIFY_BYTES + 1)
    return content, upload.filename or ""


def precheck(content: bytes | SpooledUpload) -> tuple[str, dict[str, Any]] | None:
    """A refusal the verifier need not see: empty, too large, or the evidence's unsigned JSON twin."""
    size, head = (len(content), content[:1024]) if isinstance(content, bytes) else (content.size, content.head(1024))
    if not size:
        return FILE_REQUIRED, {}
    if size > MAX_VERIFY_BYTES:
        return TOO_LARGE, {"mb": MAX_VERIFY_BYTES // (1024 * 1024)}
    if head.lstrip()[:1] == b"{":
        return JSON_EVIDENCE, {}
    return None


@get("/verifier", name="verifier", sync_to_thread=False)
def verifier_page(request: Request) -> Response:
    return _page(request)


@post("/verifier", name="verifier_check", sync_to_thread=True, request_max_body_size=VERIFY_BODY_LIMIT,
      opt={UPLOAD: VERIFY_BODY_LIMIT})
def verifier_check(request: Request, data: MultipartData, use_cases: NamedDependency[UseCases]) -> Response:
    content, filename = read_upload(data.get("fichier"))
    refused = precheck(content)
    if refused is not None:
        message, params = refused
        return _page(request, status=413 if message == TOO_LARGE else 400,
                     errors={"fichier": message}, error_params=params)
    try:
        report = use_cases.verify_pdf(content=content)
    except DomainError as exc:
        return _page(request, status=form_error_status(describe(exc).status),
                     errors={"fichier": error_text(request, exc)})
    return _page(request, report=report, filename=filename)


verifier_router = Router(path="/", route_handlers=[verifier_page, verifier_check], include_in_schema=False)
