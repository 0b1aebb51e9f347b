"""Collections (collectes): prepare a draft, send it, follow and manage it.

The same use cases as the wizard's pages. Documents are uploaded as ``multipart/form-data``
(field ``files``, repeatable); every other body is JSON. A refused file refuses the whole
request (422 problem, one entry per refused file in ``errors``): nothing is created half-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Encoding, OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from domain.model.api_keys import ApiScope
from domain.model.collection import CollectionStatus, InvitationMode, ReminderPolicy
from domain.model.errors import DocumentRefused
from domain.model.intake import CEILING_MAX_BYTES, MB
from domain.services.collection_requests import CollectionRequest, DocumentSource, FieldRequest, SignerRequest
from domain.services.collections import MAX_PAGE
from domain.services.uploads import Upload
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.api.access import IDEMPOTENT, KEY_SCOPE, require_key_cabinet
from entrypoints.web.api.collection_schemas import (
    CancellationInput,
    CollectionCreated,
    CollectionInfoInput,
    CollectionOptionsInput,
    CollectionOut,
    CollectionSendInput,
    CollectionsPageOut,
    DocumentsAdded,
    FieldInput,
    LevelInput,
    ObserverCreated,
    ObserverInput,
    OrderInput,
    SignerChoiceOut,
    SignerCreated,
    SignerInput,
    TimelineEventOut,
)
from entrypoints.web.api.input import CattrsDTO, parse_body
from entrypoints.web.api.security import provide_person_id
from entrypoints.web.deps import request_context
from entrypoints.web.errors import N_, FieldError, describe
from entrypoints.web.pages.downloads import attachment
from entrypoints.web.problems import InputRejected, problem_response, problem_responses
from entrypoints.web.upload_limit import UPLOAD, upload_content

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
UPLOAD_MAX_BODY = CEILING_MAX_BYTES + MB

NO_DOCUMENT = N_("Joignez au moins un document (champ « files ») ou désignez-en un déjà déposé.")
NO_SUCH_FILE = N_("Aucune partie « files » à cette position.")
NO_PLAN = N_("Décrivez la collecte en JSON dans le champ « collection ».")
NO_FILE = N_("Joignez au moins un fichier PDF dans le champ « files ».")
FIELD_REQUIRED = N_("Ce champ est obligatoire.")
BAD_DEADLINE = N_("Date et heure ISO 8601 avec fuseau horaire attendues (2026-12-20T18:00:00+01:00).")


def _files(data: dict[str, Any] | None) -> list[UploadFile]:
    value = (data or {}).get("files")
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, UploadFile)]


def _text(data: dict[str, Any] | None, name: str) -> str:
    value = (data or {}).get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _checked_files(request: Request[Any, Any, Any], use_cases: UseCases,
                   data: dict[str, Any] | None) -> list[tuple[str, Upload]] | Response[Any]:
    """Every file read and checked; a problem response when any is refused (or none was sent)."""
    uploads = _files(data)
    if not uploads:
        raise InputRejected("request.invalid", [FieldError("files", NO_FILE)])
    accepted: list[tuple[str, Upload]] = []
    refused: list[tuple[int, DocumentRefused]] = []
    for index, upload in enumerate(uploads):
        content = upload_content(upload)
        try:
            use_cases.check_upload(content=content)
        except DocumentRefused as exc:
            refused.append((index, exc))
            continue
        accepted.append((PurePath((upload.filename or "document.pdf").replace("\\", "/")).name, content))
    if refused:
        first = describe(refused[0][1])
        fields = []
        for index, exc in refused:
            info = describe(exc)
            fields.append(FieldError(f"files[{index}]", info.message, info.params))
        return problem_response(request, first, fields)
    return accepted


def _deadline(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise InputRejected("request.invalid", [FieldError("deadline", BAD_DEADLINE)])
    return moment.astimezone(UTC)


class CollectionsController(Controller):
    path = "/collections"
    tags = ["Collectes"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    # Preparing, sending and managing: a prepare key; reading, a read key. Every POST may carry
    # an Idempotency-Key (creating, adding, sending, reminding, replacing, cancelling).
    opt = {KEY_SCOPE: ApiScope.PREPARE, IDEMPOTENT: True}

    # -- preparation ------------------------------------------------------------------------------

    @post(operation_id="createCollection", summary="Créer une collecte avec ses documents",
          status_code=HTTP_201_CREATED, sync_to_thread=True, request_max_body_size=UPLOAD_MAX_BODY,
          opt={UPLOAD: True, "body_media_type": "multipart/form-data"}, responses=problem_responses(401, 403, 404, 413, 415, 422))
    def create(self, request: Request[Any, Any, Any], person_id: NamedDependency[str], data: MultipartData,
               use_cases: NamedDependency[UseCases]) -> Response[Any]:
        """Create a draft in a cabinet from ``multipart/form-data``: ``cabinet_id``, ``title`` (defaults to
        the first file's name), ``message`` and one or more PDF ``files``.

        Every file is checked first (PDF only, size limit, not encrypted, readable, at least one page);
        one refused file refuses the request and nothing is created.
        """
        cabinet_id = _text(data, "cabinet_id")
        if not cabinet_id:
            raise InputRejected("request.invalid", [FieldError("cabinet_id", FIELD_REQUIRED)])
        require_key_cabinet(request, cabinet_id)
        files = _checked_files(request, use_cases, data)
        if isinstance(files, Response):
            return files
        title = _text(data, "title") or PurePath(files[0][0]).stem or "Nouvelle collecte"
        collection_id = use_cases.create_collection_draft(context=request_context(request),
                                                          cabinet_id=cabinet_id, by_person_id=person_id,
                                                          title=title, message=_text(data, "message"))
        document_ids = [use_cases.add_collection_document(context=request_context(request),
                                                          collection_id=collection_id, by_person_id=person_id,
                                                          name=name, content=content) for name, content in files]
        return Response(CollectionCreated(collection_id=collection_id, document_ids=document_ids),
                        status_code=HTTP_201_CREATED, headers={"Location": f"/api/v1/collections/{collection_id}"})

    @post("/{collection_id:str}/documents", operation_id="addCollectionDocuments",
          summary="Ajouter des documents", status_code=HTTP_201_CREATED, sync_to_thread=True,
          request_max_body_size=UPLOAD_MAX_BODY, opt={UPLOAD: True, "body_media_type": "multipart/form-data"},
          responses=problem_responses(401, 403, 404, 409, 413, 415, 422))
    def add_documents(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                      person_id: NamedDependency[str], data: MultipartData,
                      use_cases: NamedDependency[UseCases]) -> Response[Any]:
        """Add PDF ``files`` (``multipart/form-data``) to a draft; one refused file refuses them all."""
        use_cases.collection_details(collection_id=collection_id, by_person_id=person_id)
        files = _checked_files(request, use_cases, data)
        if isinstance(files, Response):
            return files
        document_ids = [use_cases.add_collection_document(context=request_context(request),
                                                          collection_id=collection_id, by_person_id=person_id,
                                                          name=name, content=content) for name, content in files]
        return Response(DocumentsAdded(document_ids=document_ids), status_code=HTTP_201_CREATED)

    @delete("/{collection_id:str}/documents/{document_id:str}", operation_id="removeCollectionDocument",
            summary="Retirer un document", status_code=HTTP_204_NO_CONTENT, sync_to_thread=True,
            responses=problem_responses(401, 403, 404, 409))
    def remove_document(self, request: Request[Any, Any, Any], collection_id: FromPath[str], document_id: FromPath[str],
                        person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> None:
        """Remove a document from a draft."""
        use_cases.remove_collection_document(context=request_context(request),
                                             collection_id=collection_id, by_person_id=person_id,
                                             document_id=document_id)

    @get("/{collection_id:str}/documents/{document_id:str}/original", operation_id="downloadCollectionOriginal",
         summary="Télécharger un original", sync_to_thread=True, media_type="application/pdf",
         responses=problem_responses(401, 403, 404))
    def original(self, request: Request[Any, Any, Any], collection_id: FromPath[str], document_id: FromPath[str],
                 person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> Response[bytes]:
        """The document's bytes exactly as uploaded (``application/pdf``); the download is in the trail."""
        name, content = use_cases.read_collection_original(collection_id=collection_id, by_person_id=person_id,
                                                           document_id=document_id, downloaded=True,
                                                           context=request_context(request))
        return Response(content, media_type="application/pdf", headers={
            "Content-Disposition": attachment(name),
            "Cache-Control": "private, no-store"})

    @put("/{collection_id:str}/info", operation_id="updateCollectionInfo", summary="Modifier titre et message",
         status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[CollectionInfoInput], return_dto=None, sync_to_thread=True,
         responses=problem_responses(401, 403, 404, 409, 422))
    def update_info(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                    person_id: NamedDependency[str],
                    data: JSONBody[CollectionInfoInput], use_cases: NamedDependency[UseCases]) -> None:
        """Set the title (200 characters at most) and the message to the signers of a draft."""
        use_cases.update_collection_info(context=request_context(request),
                                         collection_id=collection_id, by_person_id=person_id, title=data.title,
                                         message=data.message)

    @put("/{collection_id:str}/options", operation_id="updateCollectionOptions", summary="Modifier les options",
         status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[CollectionOptionsInput], return_dto=None,
         sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def update_options(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                       person_id: NamedDependency[str],
                       data: JSONBody[CollectionOptionsInput], use_cases: NamedDependency[UseCases]) -> None:
        """Change the deadline (in the future, within a year), the automatic reminders and the invitation
        mode (``sequential``: « Invitations séquentielles », ``parallel``: « Invitations en parallèle »)."""
        reminders = None
        if data.reminders is not None:
            reminders = (ReminderPolicy(enabled=True, every_days=data.reminders.every_days,
                                        max_count=data.reminders.max_count)
                         if data.reminders.enabled else ReminderPolicy.off())
        use_cases.update_collection_options(context=request_context(request),
                                            collection_id=collection_id, by_person_id=person_id,
                                            deadline=_deadline(data.deadline), reminders=reminders, mode=data.mode)

    @post("/{collection_id:str}/observers", operation_id="addCollectionObserver",
          summary="Ajouter un destinataire en copie", status_code=HTTP_201_CREATED, dto=CattrsDTO[ObserverInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def add_observer(self, request: Request[Any, Any, Any], collection_id: FromPath[str],
                     person_id: NamedDependency[str],
                     data: JSONBody[ObserverInput], use_cases: NamedDependency[UseCases]) -> ObserverCreated:
        """Add a person in copy: told at the end, never signs."""
        return ObserverCreated(observer_id=use_cases.add_observer(
            context=request_context(request), collection_id=collection_id, by_person_id=person_id,
            given_names=data.given_names, surname=data.surname, email=data.email))

    @delete("/{collection_id:str}/observers/{observer_id:str}", operation_id="removeCollectionObserver",
            summary="Retirer un destinataire en copie", status_code=HTTP_204_NO_CONTENT, sync_to_thread=True,
            responses=problem_responses(401, 403, 404, 409))
    def remove_observer(self, request: Request[Any, Any, Any], collection_id: FromPath[str], observer_id: FromPath[str],
                        person_id: NamedDependency[str], use_cases: NamedDependency[UseCases]) -> None:
        """Remove a person in copy from a draft."""
        use_cases.remove_observer(context=request_context(request),
                                  collection_id=collection_id, by_person_id=person_id, observer_id=observer_id)

    @post("/{collection_id:str}/signers", operation_id="addCollectionSigner", summary="Ajouter un signataire",
          status_code=HTTP_201_CREATED, dto=CattrsDTO[SignerInput], return_dto=None, sync_to_thread=True,
          responses=problem_responses(401, 403, 404, 409, 422))
    def add_signer(self, request: Request[Any, Any, Any], collection_id: FromPath[str], person_id: NamedDependency[str],
                   data: JSONBody[SignerInput],
                   use_cases: NamedDependency[UseCases]) -> SignerCreated:
        """Add a signer at the end of the list.

        Level 3 is possible for a member holding an active qualified certificate, or for an external
        signer (identity checked during signing); levels 2 and 3 need a mobile number. A document
        whose blank room cannot hold one more default box gets a « Page de signatures » appended
        (its ``page_count`` grows by one, its ``sha256`` changes) where every default box then goes;
        never a PDF that already carries signatures.
        """
        return SignerCreated(signer_id=use_cases.add_signer(
            context=request_context(request), collection_id=collection_id, by_person_id=person_id, kind=data.kind,
            level=data.level, member_id=data.member_id, given_names=data.given_names, surname=data.surname,
            email=data.email, mobile=data.mobile))

    @delete("/{collection_id:str}/signers/{signer_id:str}", operation_id="removeCollectionSigner",
            summary="Retirer un signataire", status_code=HTTP_204_NO_CONTENT, sync_to_thread=True,
            responses=problem_responses(401, 403, 404, 409))
    def remove_signer(self, request: Request[Any, Any, Any], collection_id: FromPath[str], signer_id: FromPath[str],
                      person_id: NamedDependency[str],
                      use_cases: NamedDependency[UseCases]) -> None:
        """Remove a signer from a draft."""
        use_cases.remove_signer(context=request_context(request),
                                collection_id=collection_id, by_person_id=person_id, signer_id=signer_id)

    @put("/{collection_id:str}/signers/{signer_id:str}/level", operation_id="setCollectionSignerLevel",
         summary="Choisir le niveau de signature", status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[LevelInput],
         return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def set_level(self, request: Request[Any, Any, Any], collection_id: FromPath[str], signer_id: FromPath[str],
                  person_id: NamedDependency[str],
                  data: JSONBody[LevelInput], use_cases: NamedDependency[UseCases]) -> None:
        """Set a signer's level: 1 simple, 2 advanced, 3 advanced based on a qualified certificate."""
        use_cases.set_signer_level(context=request_context(request),
                                   collection_id=collection_id, by_person_id=person_id, signer_id=signer_id,
                                   level=data.level)

    @put("/{collection_id:str}/signers/order", operation_id="reorderCollectionSigners",
         summary="Changer l’ordre des signataires", status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[OrderInput],
         return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def reorder(self, request: Request[Any, Any, Any], collection_id: FromPath[str], person_id: NamedDependency[str],
                data: JSONBody[OrderInput],
                use_cases: NamedDependency[UseCases]) -> None:
        """Put the signers in this order, in a draft or while the collection runs (signers who signed keep
        their place; in sequential mode the first one who has not signed is the one invited)."""
        use_cases.reorder_signers(context=request_context(request), collection_id=collection_id, by_person_id=person_id,
                                  signer_ids=list(data.signer_ids))

    @put("/{collection_id:str}/documents/{document_id:str}/fields/{signer_id:str}",
         operation_id="placeSignatureField", summary="Placer un cadre de signature",
         status_code=HTTP_204_NO_CONTENT, dto=CattrsDTO[FieldInput], return_dto=None, sync_to_thread=True,
         responses=problem_responses(401, 403, 404, 409, 422))
    def place_field(self, request: Request[Any, Any, Any], collection_id: FromPath[str], document_id: FromPath[str],
                    signer_id: FromPath[str],
                    person_id: NamedDependency[str], data: JSONBody[FieldInput],
                    use_cases: NamedDependency[UseCases]) -> None:
        """Place a signer's box on a page (by default: in the document's blank room, or on the
        signature page Seing appended when that room cannot hold every signer's box)."""
        use_cases.place_signature_field(context=request_context(request),
                                        collection_id=collection_id, by_person_id=person_id,
                                        document_id=document_id, signer_id=signer_id, page=data.page, x=data.x,
                                        y=data.y, width=data.width, height=data.height)

    @post("/{collection_id:str}/send", operation_id="sendCollection", summary="Envoyer la collecte",
          status_code=HTTP_204_NO_CONTENT, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409))
    def send(self, request: Request[Any, Any, Any], collection_id: FromPath[str], person_id: NamedDependency[str],
             use_cases: NamedDependency[UseCases]) -> None:
        """Send the draft: the first signer (sequential) or every signer (parallel) is invited by email."""
        use_cases.send_collection(context=request_context(request), collection_id=collection_id, by_person_id=person_id)

    # -- management -----------------------------------------------------------------------------------

    @post("/{collection_id:str}/signers/{signer_id:str}/reminders", operation_id="remindCollectionSigner",
          summary="Relancer un signataire", status_code=HTTP_204_NO_CONTENT, sync_to_thread=True,
          responses={**problem_responses(401, 403, 404, 409), **problem_responses(429)})
    def remind(self, request: Request[Any, Any, Any], collection_id: FromPath[str], signer_id: FromPath[str],
               person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases]) -> None:
        """Email an invited signer again now (at most one email an hour: 429 with ``Retry-After``)."""
        use_cases.remind_signer_now(context=request_context(request),
                                    collection_id=collection_id, by_person_id=person_id, signer_id=signer_id)

    @post("/{collection_id:str}/signers/{signer_id:str}/replacement", operation_id="replaceCollectionSigner",
          summary="Remplacer un signataire", status_code=HTTP_201_CREATED, dto=CattrsDTO[SignerInput],
          return_dto=None, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def replace(self, request: Request[Any, Any, Any], collection_id: FromPath[str], signer_id: FromPath[str],
                person_id: NamedDependency[str],
                data: JSONBody[SignerInput], use_cases: NamedDependency[UseCases]) -> SignerCreated:
        """Someone else signs in the place of a signer who has not signed; the old links stop working."""
        return SignerCreated(signer_id=use_cases.replace_signer(
            context=request_context(request), collection_id=collection_id, by_person_id=person_id,
            signer_id=signer_id, kind=data.kind,
            level=data.level, member_id=data.member_id, given_names=data.given_names, surname=data.surname,
            email=data.email, mobile=data.mobile))

    @post("/{collection_id:str}/cancellation", operation_id="cancelCollection", summary="Annuler la collecte",
          status_code=HTTP_204_NO_CONTENT, sync_to_thread=True, responses=problem_responses(401, 403, 404, 409, 422))
    def cancel(self, request: Request[Any, Any, Any], collection_id: FromPath[str], person_id: NamedDependency[str],
               use_cases: NamedDependency[UseCases],
               data: Annotated[CancellationInput | None, Body(media_type=RequestEncodingType.JSON)] = None) -> None:
        """Cancel a draft or a running collection; invited signers are told their link is dead, and why:
        a collection that was sent needs a ``reason`` (422 ``collection.cancel_reason_required``)."""
        use_cases.cancel_collection(context=request_context(request), collection_id=collection_id,
                                    by_person_id=person_id, reason=data.reason if data is not None else "")

    @get(operation_id="listCollections", summary="Collectes du cabinet", sync_to_thread=True,
         responses=problem_responses(401, 403, 404))
    def search(self, person_id: NamedDependency[str], use_cases: NamedDependency[UseCases],
             cabinet_id: Annotated[str, QueryParameter(min_length=1)],
             status: Annotated[list[CollectionStatus] | None, QueryParameter()] = None,
             q: Annotated[str, QueryParameter(max_length=200)] = "",
             page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
             per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 20) -> CollectionsPageOut:
        """The cabinet's collections, newest first: filter by ``status`` (repeatable), search ``q`` in the
        title and the signers' names and emails, pages counted from 1."""
        return CollectionsPageOut.of(use_cases.list_collections(
            cabinet_id=cabinet_id, by_person_id=person_id, statuses=status or None, search=q, page=page,
            per_page=per_page))

    @get("/{collection_id:str}", operation_id="getCollection", summary="Détail d’une collecte",
         sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def read(self, collection_id: FromPath[str], person_id: NamedDependency[str],
             use_cases: NamedDependency[UseCases]) -> CollectionOut:
        """Everything about a collection but the bytes: documents and placements, signers, observers."""
        return CollectionOut.of(use_cases.collection_details(collection_id=collection_id, by_person_id=person_id))

    @get("/{collection_id:str}/timeline", operation_id="getCollectionTimeline", summary="Historique",
         sync_to_thread=True, responses=problem_responses(401, 403, 404))
    def timeline(self, collection_id: FromPath[str], person_id: NamedDependency[str],
                 use_cases: NamedDependency[UseCases]) -> list[TimelineEventOut]:
        """The events of the collection, oldest first (times in UTC)."""
        return [TimelineEventOut.of(e) for e in use_cases.collection_timeline(collection_id=collection_id,
                                                                                by_person_id=person_id)]


def _reminders(data: Any) -> ReminderPolicy | None:
    if data is None:
        return None
    return (ReminderPolicy(enabled=True, every_days=data.every_days, max_count=data.max_count)
            if data.enabled else ReminderPolicy.off())


def _collection_request(plan: CollectionSendInput, files: list[tuple[str, Upload]]) -> CollectionRequest:
    """The wire shape → the use case's request; positions of ``files`` checked here, the rest there."""
    sources = plan.documents if plan.documents is not None else [None] * len(files)
    documents = []
    for index, source in enumerate(sources):
        if source is None:
            documents.append(DocumentSource(name=files[index][0], content=files[index][1]))
        elif source.file is not None:
            if not 0 <= source.file < len(files) or source.collection_id or source.document_id:
                raise InputRejected("request.invalid", [FieldError(f"documents[{index}].file", NO_SUCH_FILE)])
            name, content = files[source.file]
            documents.append(DocumentSource(name=source.name or name, content=content))
        elif source.collection_id and source.document_id:
            documents.append(DocumentSource(name=source.name or "", collection_id=source.collection_id,
                                            document_id=source.document_id))
        else:
            raise InputRejected("request.invalid", [FieldError(f"documents[{index}]", NO_DOCUMENT)])
    if not documents:
        raise InputRejected("request.invalid", [FieldError("documents", NO_DOCUMENT)])
    options = plan.options
    title = plan.title or (PurePath(files[0][0]).stem if files else "") or "Nouvelle collecte"
    return CollectionRequest(
        cabinet_id=plan.cabinet_id, title=title, message=plan.message, documents=documents,
        signers=[SignerRequest(kind=s.kind, level=s.level, member_id=s.member_id, given_names=s.given_names,
                               surname=s.surname, email=s.email, mobile=s.mobile,
                               fields=[FieldRequest(document=f.document, page=f.page, x=f.x, y=f.y, width=f.width,
                                                    height=f.height) for f in s.fields])
                 for s in plan.signers],
        mode=options.mode if options and options.mode else InvitationMode.SEQUENTIAL,
        deadline=_deadline(options.deadline) if options else None,
        reminders=_reminders(options.reminders) if options else None)


@dataclass
class _SendOperation(Operation):
    """The one call's body in the OpenAPI document: a JSON ``collection`` part and PDF ``files`` parts
    (Litestar would describe the handler's form dict as any object)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={"multipart/form-data": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.OBJECT, required=["collection"], properties={
                "collection": Schema(type=OpenAPIType.STRING, content_media_type="application/json",
                                     description="CollectionSendInput as JSON (see the operation's description)."),
                "files": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY,
                                                                     content_media_type="application/pdf")),
            }),
            encoding={"collection": Encoding(content_type="application/json"),
                      "files": Encoding(content_type="application/pdf")})})


class CollectionSendingController(Controller):
    """``POST /api/v1/collections:send``: a collection created and sent in one call (integrators)."""

    path = "/collections:send"
    tags = ["Collectes"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    opt = {KEY_SCOPE: ApiScope.PREPARE, IDEMPOTENT: True}

    @post(operation_id="sendNewCollection", summary="Créer et envoyer une collecte en un appel",
          status_code=HTTP_201_CREATED, sync_to_thread=True, request_max_body_size=UPLOAD_MAX_BODY,
          opt={UPLOAD: True, "body_media_type": "multipart/form-data"}, operation_class=_SendOperation,
          responses=problem_responses(401, 403, 404, 409, 413, 415, 422))
    def send_new(self, request: Request[Any, Any, Any], person_id: NamedDependency[str], data: MultipartData,
                 use_cases: NamedDependency[UseCases]) -> Response[CollectionOut]:
        """Create a collection and send it, from ``multipart/form-data``: a ``collection`` part holding JSON
        (schema ``CollectionSendInput``) and zero or more PDF ``files`` parts.

        ```json
        {"cabinet_id": "…", "title": "Lettre de mission 2026", "message": "Merci de signer.",
         "documents": [{"file": 0}, {"collection_id": "…", "document_id": "…"}],
         "signers": [{"kind": "external", "level": 1, "given_names": "Anne", "surname": "Martin",
                      "email": "anne@exemple.fr",
                      "fields": [{"document": 0, "page": 1, "x": 72, "y": 72, "width": 180, "height": 60}]},
                     {"kind": "myself", "level": 1}],
         "options": {"mode": "sequential", "deadline": "2026-12-20T18:00:00+01:00",
                     "reminders": {"enabled": true, "every_days": 3, "max_count": 3}}}
        ```

        ``documents`` lists ``files`` parts by position, or documents already uploaded to another collection
        of the cabinet (their original is reused); without it, every ``files`` part in order. Signers sign
        in the order given. Everything is checked before anything is stored: any refusal (a bad PDF, an
        unknown member, a level not allowed, a box off the page, a deadline in the past) is a problem and
        leaves nothing behind. An API key needs the ``prepare`` scope; send ``Idempotency-Key`` to retry
        safely. The answer is the collection as ``getCollection`` gives it (status, each signer's progress,
        download links), with its address in ``Location``.
        """
        raw_plan = _text(data, "collection")
        if not raw_plan:
            raise InputRejected("request.invalid", [FieldError("collection", NO_PLAN)])
        plan = parse_body(raw_plan.encode(), CollectionSendInput)
        require_key_cabinet(request, plan.cabinet_id)
        files: list[tuple[str, Upload]] | Response[Any] = []
        if _files(data):
            files = _checked_files(request, use_cases, data)
            if isinstance(files, Response):
                return files
        collection_id = use_cases.create_and_send_collection(
            context=request_context(request), by_person_id=person_id, request=_collection_request(plan, files))
        details = use_cases.collection_details(collection_id=collection_id, by_person_id=person_id)
        return Response(CollectionOut.of(details), status_code=HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/collections/{collection_id}"})


class SignerChoicesController(Controller):
    path = "/cabinets/{cabinet_id:str}/signer-choices"
    tags = ["Collectes"]
    dependencies = {"person_id": Provide(provide_person_id, sync_to_thread=True)}
    opt = {KEY_SCOPE: ApiScope.PREPARE}

    @get(operation_id="listSignerChoices", summary="Membres du cabinet pouvant signer", sync_to_thread=True,
         responses=problem_responses(401, 403, 404))
    def choices(self, cabinet_id: FromPath[str], person_id: NamedDependency[str],
                use_cases: NamedDependency[UseCases]) -> list[SignerChoiceOut]:
        """The members holding SIGN (« Membres du cabinet »), with the levels each may be given."""
        return [SignerChoiceOut.of(c) for c in use_cases.signer_choices(cabinet_id=cabinet_id,
                                                                        by_person_id=person_id)]
