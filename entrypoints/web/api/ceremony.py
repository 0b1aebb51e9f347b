"""The signer's steps, the download links and the public verification, as JSON.

**No session, no CSRF token.** ``/signature/{token}/…`` and ``/downloads/{token}/…`` are
authorised by the secret token in the path alone (the invitation or download link sent by
email); they never read the session cookie. Cross-site request forgery abuses the
credentials a browser attaches by itself (cookies); a forged request here would have to
contain the token, and whoever has the token can already act. So these POSTs are exempt
from the CSRF check (``CSRF_EXEMPT_PATHS`` in ``app.py``), as is ``POST /verifications``,
which changes nothing and is open to anyone. Bodies are JSON only (``CattrsDTO`` refuses
forms), so a plain cross-site HTML form cannot post here either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from domain.model.api_keys import ApiScope
from domain.model.errors import InvalidValue, NotFound, NotVerifiable
from domain.services.verification import MAX_VERIFY_BYTES
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import IDEMPOTENT, KEY_SCOPE
from entrypoints.web.api.input import CattrsDTO
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.deps import request_context
from entrypoints.web.pages.ceremony import consent_redirect_uri
from entrypoints.web.pages.downloads import attachment
from entrypoints.web.problems import InputRejected, problem_responses
from entrypoints.web.upload_limit import RAW_BODY, SPOOLED_BODY, UPLOAD

__all__ = ["CollectionResultsController", "DownloadsController", "CeremonyController", "VerificationsController",
           "VERIFY_API_BODY_LIMIT"]

VERIFY_API_BODY_LIMIT = MAX_VERIFY_BYTES + 1024
MAX_REASON = 1000


# Wire shapes -----------------------------------------------------------------------------


@dataclass
class CeremonyDocumentOut:
    document_id: str
    name: str
    page_count: int
    sha256: str  # the version shown, the one the code is bound to
    size: int
    url: str  # the PDF to read


@dataclass
class CeremonyOut:
    """Where the signer's ceremony stands. ``signer_status``: invited, opened, signed, refused,
    or finalising (the worker finishes the signature, trusted time having been unavailable, or
    completes the collection after the last signature; poll)."""

    collection_id: str
    collection_title: str
    message: str
    sender_name: str
    cabinet_name: str
    deadline: datetime
    collection_status: str
    signer_name: str
    level: int
    signer_status: str
    # "email" (level 1), "sms" (levels 2-3), "qtsp" (level 3: the QTSP holding the key sends its own code)
    code_channel: str
    masked_destination: str
    identity_check_required: bool
    next_action: str | None  # identity_check, request_code, sign, none
    documents: list[CeremonyDocumentOut]
    # what the one-time code will be bound to (from every document's sha256, as shown), the digest
    # the signer's page shows under « Empreinte liée à votre code »
    code_digest: str | None = None

    @classmethod
    def from_view(cls, view: Any, token: str) -> CeremonyOut:
        if view.signer_status in ("signed", "refused", "finalising") or view.collection_status != "in_progress":
            next_action = None
        elif view.identity_check_required:
            next_action = "identity_check"
        else:
            next_action = "request_code"
        return cls(collection_id=view.collection_id, collection_title=view.collection_title, message=view.message,
                   sender_name=view.sender_name, cabinet_name=view.cabinet_name, deadline=view.deadline,
                   collection_status=view.collection_status, signer_name=view.signer_name, level=view.level,
                   signer_status=view.signer_status, code_channel=view.code_channel,
                   masked_destination=view.masked_destination,
                   identity_check_required=view.identity_check_required, next_action=next_action,
                   documents=[CeremonyDocumentOut(document_id=d.document_id, name=d.name, page_count=d.page_count,
                                                  sha256=d.sha256, size=d.size,
                                                  url=f"/api/v1/signature/{token}/documents/{d.document_id}")
                              for d in view.documents],
                   code_digest=view.code_digest)


@dataclass
class CodeRequestInput:
    """``accepted``: the signer read and accepts the documents (« J'ai lu et j'accepte »)."""

    accepted: bool


@dataclass
class CodeSentOut:
    channel: str
    masked_destination: str
    expires_at: datetime


@dataclass
class ConsentStartedOut:
    """``url``: the provider's consent page, for the signer's browser; the provider sends it back
    to Seing's page, which signs and shows the outcome (poll ``getSignerCeremony`` for it)."""

    url: str


@dataclass
class SignInput:
    code: str


@dataclass
class SignOutcomeOut:
    """``status``: signed, finalising (the worker completes it; poll the ceremony) or completed (the
    last signature: the worker timestamps the documents, seals the evidence and sends the links)."""

    status: str
    collection_status: str


@dataclass
class RefusalInput:
    reason: str


@dataclass
class IdentityCheckOut:
    """``status``: none, pending, approved, rejected. ``phone_url`` is what the QR code shows;
    ``browser_url`` continues the capture in this browser (only right after starting)."""

    status: str
    session_ref: str | None = None
    phone_url: str | None = None
    browser_url: str | None = None


@dataclass
class DownloadItemOut:
    name: str
    kind: str  # document or evidence
    url: str


@dataclass
class DownloadLinkOut:
    collection_id: str
    collection_title: str
    cabinet_name: str
    collection_status: str
    expires_at: datetime
    documents: list[DownloadItemOut]
    evidence: list[DownloadItemOut]


def _accepted(data: CodeRequestInput) -> None:
    if data.accepted is not True:
        raise InvalidValue("accepted", "the documents must be accepted")


# The signer -----------------------------------------------------------------------------


class CeremonyController(Controller):
    opt = {IDEMPOTENT: True}  # codes sent, steps taken: a retry with Idempotency-Key is answered once
    path = "/signature/{token:str}"
    tags = ["Signataire"]

    @get("", operation_id="getSignerCeremony", summary="Lire l’état de sa signature", sync_to_thread=True,
         responses=problem_responses(404, 410))
    def status(self, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> CeremonyOut:
        """The ceremony as it stands (poll it while ``signer_status`` is ``finalising``)."""
        return CeremonyOut.from_view(use_cases.ceremony_status(token=token), token)

    @post("/open", operation_id="openSignerCeremony", summary="Ouvrir la collecte (lien reçu)",
          status_code=HTTP_200_OK, sync_to_thread=True, responses=problem_responses(404, 409, 410))
    def open(self, request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> CeremonyOut:
        """Record that the signer opened their link (first time only); the documents get ready."""
        view = use_cases.open_ceremony(token=token, context=request_context(request))
        return CeremonyOut.from_view(view, token)

    @get("/documents/{document_id:str}", operation_id="getSignerDocument", summary="Lire un document à signer",
         sync_to_thread=True, responses=problem_responses(404, 410), media_type="application/pdf")
    def document(self, token: FromPath[str], document_id: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
        """The PDF exactly as it will be signed (its SHA-256 is the one the code is bound to)."""
        try:
            name, content = use_cases.read_document_for_signer(token=token, document_id=document_id)
        except NotFound:
            raise NotFoundException() from None
        return Response(content=content, media_type="application/pdf",
                        headers={"Content-Disposition": attachment(name)})

    @post("/code", operation_id="requestSigningCode", summary="Recevoir (ou renvoyer) le code",
          status_code=HTTP_201_CREATED, dto=CattrsDTO[CodeRequestInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(404, 409, 410, 422, 429))
    def request_code(self, request: Request, token: FromPath[str], data: JSONBody[CodeRequestInput],
                     use_cases: NamedDependency[UseCases]) -> CodeSentOut:
        """Send the 6-digit code: by email at level 1, by SMS at levels 2-3 (bound to the documents'
        digests). Asking again is « Code non reçu ? Renvoyer »: throttled (429 ``otp.resend_too_soon``)."""
        _accepted(data)
        sent = use_cases.request_signing_code(token=token, context=request_context(request))
        return CodeSentOut(channel=sent.channel, masked_destination=sent.masked_destination,
                           expires_at=sent.expires_at)

    @post("/consent", operation_id="startSignerConsent",
          summary="Autoriser la signature chez le prestataire (niveau 3, sans code)", status_code=HTTP_201_CREATED,
          dto=CattrsDTO[CodeRequestInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(404, 409, 410, 422, 503))
    def start_consent(self, request: Request, token: FromPath[str], data: JSONBody[CodeRequestInput],
                      use_cases: NamedDependency[UseCases]) -> ConsentStartedOut:
        """For a QTSP that authorises only on its own page (``code_channel`` ``qtsp_consent``): the
        documents are prepared and the answer is the provider's page, where the signer consents to
        exactly their digests. The provider sends the browser back to the signer's page of Seing,
        which signs (there is no code to send to ``signCeremony``)."""
        _accepted(data)
        started = use_cases.start_remote_consent(token=token, redirect_uri=consent_redirect_uri(request),
                                                 context=request_context(request))
        return ConsentStartedOut(url=started.url)

    @post("/signature", operation_id="signCeremony", summary="Signer avec le code", status_code=HTTP_200_OK,
          dto=CattrsDTO[SignInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(404, 409, 410, 422))
    def sign(self, request: Request, token: FromPath[str], data: JSONBody[SignInput],
             use_cases: NamedDependency[UseCases]) -> SignOutcomeOut:
        """Every document of the collection is signed with this one code."""
        outcome = use_cases.sign(token=token, code="".join(data.code.split()), context=request_context(request))
        return SignOutcomeOut(status=outcome.status, collection_status=outcome.collection_status)

    @post("/refusal", operation_id="refuseCeremony", summary="Refuser de signer", status_code=HTTP_200_OK,
          dto=CattrsDTO[RefusalInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(404, 409, 410, 422))
    def refuse(self, request: Request, token: FromPath[str], data: JSONBody[RefusalInput],
               use_cases: NamedDependency[UseCases]) -> CeremonyOut:
        """Ends the collection: the preparer is told, no one receives a document."""
        reason = data.reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidValue("reason", "a reason is required")
        use_cases.refuse(token=token, reason=reason, context=request_context(request))
        return CeremonyOut.from_view(use_cases.ceremony_status(token=token), token)

    @post("/identity-check", operation_id="startSignerIdentityCheck",
          summary="Commencer la vérification d’identité (niveau 3, signataire externe)",
          status_code=HTTP_201_CREATED, sync_to_thread=True, responses=problem_responses(404, 409, 410, 503))
    def start_identity_check(self, request: Request, token: FromPath[str],
                             use_cases: NamedDependency[UseCases]) -> IdentityCheckOut:
        """Open the identity check (document and face) with the configured provider."""
        session = use_cases.start_identity_check(token=token, context=request_context(request))
        return IdentityCheckOut(status="pending", session_ref=session.session_ref, phone_url=session.phone_url,
                                browser_url=session.browser_url)

    @get("/identity-check", operation_id="getSignerIdentityCheck", summary="État de la vérification d’identité",
         sync_to_thread=True, responses=problem_responses(404, 410))
    def identity_check(self, request: Request, token: FromPath[str],
                       use_cases: NamedDependency[UseCases]) -> IdentityCheckOut:
        """``approved`` lets the signer ask for their code; ``rejected`` allows a new attempt."""
        return IdentityCheckOut(status=use_cases.identity_check_outcome(token=token, context=request_context(request)))


# Download links -----------------------------------------------------------------------------


def _file(name: str, content: bytes, media_type: str) -> Response:
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"})


class DownloadsController(Controller):
    path = "/downloads/{token:str}"
    tags = ["Téléchargements"]

    @get("", operation_id="getDownloadLink", summary="Ce que donne un lien de téléchargement",
         sync_to_thread=True, responses=problem_responses(404, 410))
    def overview(self, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> DownloadLinkOut:
        """The signed PDFs (completed collection) and the evidence file, while the link is valid."""
        overview = use_cases.download_overview(token=token)
        base = f"/api/v1/downloads/{token}"
        return DownloadLinkOut(
            collection_id=overview.collection_id, collection_title=overview.collection_title,
            cabinet_name=overview.cabinet_name, collection_status=overview.collection_status,
            expires_at=overview.expires_at,
            documents=[DownloadItemOut(name=i.name, kind=i.kind, url=f"{base}/documents/{i.item}")
                       for i in overview.documents],
            evidence=[DownloadItemOut(name=i.name, kind=i.kind, url=f"{base}/{i.item}") for i in overview.evidence])

    @get("/documents/{document_id:str}", operation_id="downloadSignedDocument", summary="Télécharger un PDF signé",
         sync_to_thread=True, responses=problem_responses(404, 409, 410), media_type="application/pdf")
    def document(self, request: Request, token: FromPath[str], document_id: FromPath[str],
                 use_cases: NamedDependency[UseCases]) -> Response:
        """A signed PDF of the completed collection (the download is recorded in the trail)."""
        try:
            name, content = use_cases.download_by_link(token=token, item=document_id,
                                                       context=request_context(request))
        except NotFound:
            raise NotFoundException() from None
        return _file(name, content, "application/pdf")

    @get("/evidence.pdf", operation_id="downloadEvidencePdf", summary="Télécharger le dossier de preuve (PDF)",
         sync_to_thread=True, responses=problem_responses(404, 409, 410), media_type="application/pdf")
    def evidence_pdf(self, request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
        """The sealed, timestamped evidence file (« dossier de preuve »)."""
        name, content = use_cases.download_by_link(token=token, item="evidence.pdf", context=request_context(request))
        return _file(name, content, "application/pdf")

    @get("/evidence.json", operation_id="downloadEvidenceJson", summary="Télécharger le dossier de preuve (JSON)",
         sync_to_thread=True, responses=problem_responses(404, 409, 410), media_type="application/json")
    def evidence_json(self, request: Request, token: FromPath[str], use_cases: NamedDependency[UseCases]) -> Response:
        """The evidence file's JSON twin (same content, for machines; not signed itself)."""
        name, content = use_cases.download_by_link(token=token, item="evidence.json",
                                                   context=request_context(request))
        return _file(name, content, "application/json")


# The preparer's downloads (session) -------------------------------------------------------------


class CollectionResultsController(Controller):
    """The signed PDFs and the evidence file of an ended collection, for the preparer and the
    cabinet's members who may see it (the pages' session; GET only, so no CSRF token)."""

    opt = {KEY_SCOPE: ApiScope.PREPARE}  # downloads only: a read key
    path = "/collections/{collection_id:str}"
    tags = ["Collectes"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}

    @get("/signed-documents/{document_id:str}", operation_id="downloadCollectionSignedDocument",
         summary="Télécharger un PDF signé de la collecte", sync_to_thread=True,
         responses=problem_responses(401, 404, 409, 410), media_type="application/pdf")
    def signed_document(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                        document_id: FromPath[str], person_id: NamedDependency[str],
                        use_cases: NamedDependency[UseCases]) -> Response:
        """Only once the collection is completed (409 ``download.link_unusable`` before)."""
        name, content = use_cases.signed_document_for_member(collection_id=collection_id, document_id=document_id,
                                                             by_person_id=person_id,
                                                             context=request_context(request))
        return _file(name, content, "application/pdf")

    @get("/evidence.pdf", operation_id="downloadCollectionEvidencePdf",
         summary="Télécharger le dossier de preuve (PDF)", sync_to_thread=True,
         responses=problem_responses(401, 404, 409), media_type="application/pdf")
    def evidence_pdf(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                     person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> Response:
        """Sealed at completion, refusal, expiry or cancellation (409 ``evidence.not_ready`` before)."""
        name, content = use_cases.evidence_for_member(collection_id=collection_id, by_person_id=person_id, fmt="pdf",
                                                      context=request_context(request))
        return _file(name, content, "application/pdf")

    @get("/evidence.json", operation_id="downloadCollectionEvidenceJson",
         summary="Télécharger le dossier de preuve (JSON)", sync_to_thread=True,
         responses=problem_responses(401, 404, 409), media_type="application/json")
    def evidence_json(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                      person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> Response:
        """The evidence file's JSON twin."""
        name, content = use_cases.evidence_for_member(collection_id=collection_id, by_person_id=person_id,
                                                      fmt="json", context=request_context(request))
        return _file(name, content, "application/json")


# Verification -----------------------------------------------------------------------------


class VerificationsController(Controller):
    path = "/verifications"
    tags = ["Vérification"]

    @post("", operation_id="verifyPdf", summary="Vérifier un PDF signé ou un dossier de preuve",
          status_code=HTTP_200_OK, sync_to_thread=True, request_max_body_size=VERIFY_API_BODY_LIMIT,
          opt={UPLOAD: VERIFY_API_BODY_LIMIT, RAW_BODY: True}, responses=problem_responses(413, 415, 422))
    def verify(self, request: Request, body: RawBody) -> dict[str, Any]:
        """Send the file itself as the body (``Content-Type: application/pdf``); the answer lists
        each signature (level, certificate status at signing time, integrity, coverage, PAdES
        level, ``qualified`` only when a configured EU trusted list says so, and ``proven_level`` /
        ``proven_at``: the PAdES level the file alone proves offline, B-B to B-LTA, and the time
        it is proven at). A signature the file already carried from an authority Seing does not
        know is ``valid_unknown_authority`` when intact (« valide, émise par une autorité que Seing
        ne connaît pas »): it does not count against ``all_ok``. Nothing is stored."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in ("application/pdf", "application/octet-stream"):
            raise InputRejected("http.unsupported_media_type", status=415)
        # The body was spooled to disk as it arrived (``body`` is then empty: it stays declared for
        # the API description); the verifier reads the file from there.
        spooled = request.scope.get(SPOOLED_BODY)
        content = spooled if spooled is not None and spooled.size else body
        if not content:
            raise NotVerifiable("empty body")
        use_cases = request.app.state.container.facade()
        return use_cases.verify_pdf(content=content).as_dict()
