"""API keys on ``/api/v1`` (``Authorization: Bearer``) and idempotent POSTs (``Idempotency-Key``).

Two middlewares on the API router, so they run after routing (they know the route and its
path parameters) and after the CSRF check:

- :class:`ApiKeyAuthentication` turns a ``Bearer`` key into an :class:`ApiPrincipal` (the
  session is then ignored). A route is open to keys only when one of its layers declares the
  scope it needs (``opt={KEY_SCOPE: ApiScope.PREPARE}``; reads need ``read`` unless
  ``KEY_READ_SCOPE`` says otherwise); every other route (a profile, a login, a certificate)
  refuses keys. A cabinet, given in the path, in ``?cabinet_id=`` or as the cabinet of the
  collection in the path, must be the key's own: any other answers 404, as for an outsider.
- :class:`IdempotentPosts` answers a POST that carries ``Idempotency-Key`` once per
  (principal, key) for 24 hours: the same request gets the first answer again (marked
  ``Idempotent-Replayed: true``), another request with the key gets a 422 problem.
  Routes opt in with ``opt={IDEMPOTENT: True}``.

No state is kept here: the principal rides on the ASGI scope of its request, the records in
the container's store.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qs

from litestar.concurrency import sync_to_thread
from litestar.exceptions import HTTPException

from domain.model.api_keys import ApiScope, StoredResponse, idempotency_key
from domain.model.errors import ApiKeyNotAccepted
from domain.services.api_keys import ApiPrincipal
from entrypoints.composition.use_cases import UseCases
from entrypoints.web.deps import SESSION_PERSON
from entrypoints.web.upload_limit import FORM_DIGEST

__all__ = ["IDEMPOTENT", "KEY_READ_SCOPE", "KEY_SCOPE", "ApiKeyAuthentication", "IdempotentPosts", "key_principal",
           "require_key_cabinet"]

KEY_SCOPE = "api_key_scope"  # the scope a key needs for the route's unsafe methods
KEY_READ_SCOPE = "api_key_read_scope"  # the scope for GET (default: read)
IDEMPOTENT = "idempotent"
PRINCIPAL_SCOPE_KEY = "seing.api_principal"
REPLAYED_HEADER = "Idempotent-Replayed"
_SAFE = {"GET", "HEAD", "OPTIONS"}


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _bearer(scope: Any) -> str | None:
    value = _header(scope, b"authorization")
    if value is None or value[:7].lower() != "bearer ":
        return None
    return value[7:].strip()


def _use_cases(scope: Any) -> UseCases:
    return scope["litestar_app"].state.container.facade()


def key_principal(request: Any) -> ApiPrincipal | None:
    """The key's principal when the request came with a key; None for a session."""
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)
    return principal if isinstance(principal, ApiPrincipal) else None


def require_key_cabinet(request: Any, cabinet_id: str) -> None:
    """For a cabinet named in a body: a key's other cabinets do not exist (404)."""
    principal = key_principal(request)
    if principal is not None:
        principal.require_cabinet(cabinet_id)


def _required_scope(route_handler: Any, method: str) -> ApiScope | None:
    opt = getattr(route_handler, "opt", None) or {}
    write = opt.get(KEY_SCOPE)
    if write is None:
        return None
    if method in _SAFE:
        return opt.get(KEY_READ_SCOPE) or ApiScope.READ
    return write  # type: ignore[no-any-return]


class ApiKeyAuthentication:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        presented = _bearer(scope) if scope["type"] == "http" else None
        if presented is None:
            await self.app(scope, receive, send)
            return
        use_cases = _use_cases(scope)
        principal: ApiPrincipal = await sync_to_thread(
            lambda: use_cases.authenticate_api_key(presented=presented))
        needed = _required_scope(scope.get("route_handler"), scope["method"])
        if needed is None:
            raise ApiKeyNotAccepted("this operation needs a person's session, not an API key")
        # The cabinet first: another cabinet's resources are not found, whatever the scopes.
        params = scope.get("path_params") or {}
        if "cabinet_id" in params:
            principal.require_cabinet(str(params["cabinet_id"]))
        if "collection_id" in params:
            collection_id = str(params["collection_id"])
            cabinet_id = await sync_to_thread(
                lambda: use_cases.collection_cabinet(collection_id=collection_id))
            principal.require_cabinet(cabinet_id)
        for cabinet_id in parse_qs(scope.get("query_string", b"").decode("latin-1")).get("cabinet_id", []):
            principal.require_cabinet(cabinet_id)
        principal.require(needed)
        scope[PRINCIPAL_SCOPE_KEY] = principal
        await self.app(scope, receive, send)


def _principal_name(scope: Any) -> str | None:
    principal = scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(principal, ApiPrincipal):
        return f"key:{principal.key_id}"
    token = (scope.get("path_params") or {}).get("token")
    if token:
        # The signer's routes are authorised by the link's secret, whoever's browser it is;
        # only its hash names the records, as links are stored elsewhere.
        return "link:" + hashlib.sha256(str(token).encode()).hexdigest()
    session = scope.get("session")
    person_id = session.get(SESSION_PERSON) if isinstance(session, dict) else None
    return f"person:{person_id}" if person_id else None


def _canonical_body(content_type: str, body: bytes) -> bytes:
    """The body as "the same request" means it: JSON by value, multipart whatever its boundary."""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == "application/json":
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            return body
    if media == "multipart/form-data":
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "boundary" and value:
                # Clients draw a new boundary for every request, retries included.
                return body.replace(value.strip('"').encode("latin-1"), b"<boundary>")
    return body


def _fingerprint(scope: Any, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""),
                 _canonical_body(_header(scope, b"content-type") or "", body)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _read_body(receive: Any, limit: int | None) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            # The route's own body limit, enforced before anything is kept in memory.
            raise HTTPException(status_code=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_stored(send: Any, response: StoredResponse) -> None:
    headers = [(REPLAYED_HEADER.lower().encode(), b"true")]
    if response.content_type:
        headers.append((b"content-type", response.content_type.encode("latin-1")))
    if response.location:
        headers.append((b"location", response.location.encode("latin-1")))
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


class IdempotentPosts:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raw_key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        handler = scope.get("route_handler")
        principal = _principal_name(scope) if raw_key is not None else None
        if (raw_key is None or scope["method"] != "POST" or not (getattr(handler, "opt", None) or {}).get(IDEMPOTENT)
                or principal is None):
            # No key, or nobody authenticated (the route answers 401 and there is nothing to keep).
            await self.app(scope, receive, send)
            return
        key = idempotency_key(raw_key.strip())
        form_digest = scope.get(FORM_DIGEST)
        if form_digest is not None:
            # A multipart upload the UploadLimit middleware spooled to disk: compared by its digest,
            # the body is not read again (nor held in memory).
            body = b""
            fingerprint = _fingerprint(scope, f"spooled-form:{form_digest}".encode())
        else:
            limiter = getattr(handler, "resolve_request_max_body_size", None)
            body = await _read_body(receive, limiter() if callable(limiter) else None)
            fingerprint = _fingerprint(scope, body)
        use_cases = _use_cases(scope)
        stored = await sync_to_thread(lambda: use_cases.begin_idempotent_request(
            principal=principal, key=key, fingerprint=fingerprint))
        if stored is not None:
            await _send_stored(send, stored)
            return

        delivered = False

        async def replay_receive() -> Any:
            nonlocal delivered
            if delivered or form_digest is not None:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        headers: dict[bytes, bytes] = {}
        parts: list[bytes] = []

        async def capture(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers.update((k.lower(), v) for k, v in message.get("headers", ()))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await sync_to_thread(lambda: use_cases.abandon_idempotent_request(principal=principal, key=key))
            raise
        if status >= 500:
            await sync_to_thread(lambda: use_cases.abandon_idempotent_request(principal=principal, key=key))
            return
        content_type = headers.get(b"content-type")
        location = headers.get(b"location")
        response = StoredResponse(status=status, content_type=content_type.decode("latin-1") if content_type else None,
                                  location=location.decode("latin-1") if location else None, body=b"".join(parts))
        await sync_to_thread(lambda: use_cases.finish_idempotent_request(
            principal=principal, key=key, response=response))
