"""Secure, expiring download links (« lien de téléchargement ») for signers and observers,
and the preparer's downloads from the collection page.

`/telechargement/{token}` lists the signed PDFs and the evidence file (PDF and JSON twin)
while the link is valid; each file is served by ``download_by_link``, which records the
download in the audit trail. No account: the link is the credential, sent by email at
completion; it expires (the email says when). The preparer (and the cabinet's members who
may see the collection) download from `/collectes/{collection_id}/...` with their session.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from domain.model.errors import DownloadLinkUnusable, EvidenceNotReady, NotFound
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import VIEWER_DEPENDENCY, Viewer, request_context
from entrypoints.web.i18n import N_
from entrypoints.web.pages.common import render

__all__ = ["downloads_router", "member_downloads_router"]

EVIDENCE_FILES = {"dossier-de-preuve.pdf": "evidence.pdf", "dossier-de-preuve.json": "evidence.json"}
MEDIA_TYPES = {"evidence.json": "application/json"}

DEAD_DOWNLOAD_TEXTS: dict[str, tuple[str, str]] = {
    "unknown": (N_("Ce lien de téléchargement n’est pas valable"),
                N_("Vérifiez que vous avez copié le lien complet depuis l’e-mail reçu.")),
    "expired": (N_("Ce lien de téléchargement a expiré"),
                N_("Pour des raisons de sécurité, les liens de téléchargement ne durent qu’un temps. "
                   "Demandez les documents à l’expéditeur.")),
    "purged": (N_("Les documents ne sont plus disponibles"),
               N_("Ils ont été supprimés à la fin de leur durée de conservation ; le dossier de preuve reste "
                  "conservé par le cabinet.")),
    "not_completed": (N_("Les documents signés ne sont pas disponibles"),
                      N_("La collecte n’a pas été signée par tous : aucun document signé n’est envoyé.")),
}


def ascii_file_name(name: str) -> str:
    """« contrat-signé.pdf » → « contrat-signe.pdf »: accents dropped rather than letters, for the
    ``filename`` fallback of clients that do not read RFC 5987's ``filename*``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = "".join(c for c in folded if c.isalnum() or c in "._- ").strip()
    return safe if safe.strip(".") else "document.pdf"


def attachment(name: str, disposition: str = "attachment") -> str:
    """Content-Disposition for a download (RFC 6266): an ASCII ``filename`` and the exact name in
    ``filename*`` (RFC 5987, UTF-8, percent-encoded), which browsers prefer."""
    return f"{disposition}; filename=\"{ascii_file_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(name: str, content: bytes, item: str) -> Response:
    return Response(content=content, media_type=MEDIA_TYPES.get(item, "application/pdf"),
                    headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


def _dead(request: Request, exc: DownloadLinkUnusable | EvidenceNotReady) -> Response:
    reason = str((getattr(exc, "params", None) or {}).get("reason") or "unknown")
    if isinstance(exc, EvidenceNotReady):
        title, text = N_("Le dossier de preuve n’est pas encore disponible"), N_("Réessayez dans quelques minutes.")
        status = 409
    else:
        title, text = DEAD_DOWNLOAD_TEXTS.get(reason, DEAD_DOWNLOAD_TEXTS["unknown"])
        status = 410 if reason != "not_completed" else 409
    return render(request, "downloads/dead.html", status=status, title=title, text=text, reason=reason)


@get("/telechargement/{token:str}", name="download_link", sync_to_thread=True)
def download_page(request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
    try:
        overview = use_cases.download_overview(token=token)
    except DownloadLinkUnusable as exc:
        return _dead(request, exc)
    return render(request, "downloads/link.html", overview=overview, token=token)


@get("/telechargement/{token:str}/documents/{document_id:str}", name="download_document", sync_to_thread=True)
def download_document(request: Request, token: FromPath[str], document_id: FromPath[str],
                      use_cases: NamedDependency[UseCases]) -> Response:
    return _by_link(request, use_cases, token, document_id)


@get("/telechargement/{token:str}/{filename:str}", name="download_evidence", sync_to_thread=True)
def download_evidence(request: Request, token: FromPath[str], filename: FromPath[str],
                      use_cases: NamedDependency[UseCases]) -> Response:
    item = EVIDENCE_FILES.get(filename)
    if item is None:
        raise NotFoundException()
    return _by_link(request, use_cases, token, item)


def _by_link(request: Request, use_cases: UseCases, token: str, item: str) -> Response:
    try:
        name, content = use_cases.download_by_link(token=token, item=item, context=request_context(request))
    except (DownloadLinkUnusable, EvidenceNotReady) as exc:
        return _dead(request, exc)
    except NotFound:
        raise NotFoundException() from None
    return file_response(name, content, item)


# -- the preparer, from the collection page --------------------------------------------------------------


@get("/collectes/{collection_id:str}/documents-signes/{document_id:str}", name="member_signed_document",
     sync_to_thread=True)
def member_signed_document(request: Request, collection_id: FromPath[str], document_id: FromPath[str],
                           viewer: NamedDependency[Viewer], use_cases: NamedDependency[UseCases]) -> Response:
    """A signed PDF of a completed collection (404 for someone who may not see it)."""
    name, content = use_cases.signed_document_for_member(collection_id=collection_id, document_id=document_id,
                                                         by_person_id=viewer.person_id,
                                                         context=request_context(request))
    return file_response(name, content, document_id)


def _member_evidence(request: Request, use_cases: UseCases, collection_id: str, viewer: Viewer, item: str) -> Response:
    name, content = use_cases.evidence_for_member(collection_id=collection_id, by_person_id=viewer.person_id,
                                                  fmt=item.rsplit(".", 1)[1], context=request_context(request))
    return file_response(name, content, item)


@get("/collectes/{collection_id:str}/dossier-de-preuve.pdf", name="member_evidence_pdf", sync_to_thread=True)
def member_evidence_pdf(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
                        use_cases: NamedDependency[UseCases]) -> Response:
    """The evidence file of an ended collection (« dossier de preuve »)."""
    return _member_evidence(request, use_cases, collection_id, viewer, "evidence.pdf")


@get("/collectes/{collection_id:str}/dossier-de-preuve.json", name="member_evidence_json", sync_to_thread=True)
def member_evidence_json(request: Request, collection_id: FromPath[str], viewer: NamedDependency[Viewer],
                         use_cases: NamedDependency[UseCases]) -> Response:
    """Its JSON twin."""
    return _member_evidence(request, use_cases, collection_id, viewer, "evidence.json")


downloads_router = Router(path="/", route_handlers=[download_page, download_document, download_evidence],
                          include_in_schema=False)
member_downloads_router = Router(path="/", route_handlers=[member_signed_document, member_evidence_pdf, member_evidence_json],
                                 dependencies=VIEWER_DEPENDENCY, include_in_schema=False)
