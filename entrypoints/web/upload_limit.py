"""The upload limit, enforced while the body arrives rather than after it has been read.

Litestar's ``request_max_body_size`` is fixed per route when the module is imported, so the
upload routes carried the ceiling of the setting (200 MB + 1 MB) whatever ``max_upload_mb``
said, and a 190 MB upload was read whole before its 413. This middleware applies the
configured limit to the routes marked ``opt={UPLOAD: True}``: a declared ``Content-Length``
over it is refused before a byte of the body is read, and a body sent without one (chunked)
is counted as it streams and refused as soon as the count passes the limit. Nothing of the
refused body is kept. The 413 goes through the app's exception handlers: a French page for
the pages, problem details for the API.

One request carries at most ``max_upload_mb`` of files, plus a margin for the multipart
envelope and the form's other fields.
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import HTTPException

__all__ = ["UPLOAD", "ENVELOPE_MARGIN", "UploadLimit", "upload_body_limit"]

UPLOAD = "upload_limited"
ENVELOPE_MARGIN = 256 * 1024


def upload_body_limit(max_upload_mb: int) -> int:
    return max_upload_mb * 1024 * 1024 + ENVELOPE_MARGIN


def _content_length(scope: Any) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class UploadLimit:
    """ASGI middleware; ``limit`` comes from the app's settings (``max_upload_mb``)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        handler = scope.get("route_handler")
        if scope["type"] != "http" or not (getattr(handler, "opt", None) or {}).get(UPLOAD):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
        received = 0

        async def counted_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
            return message

        await self.app(scope, counted_receive, send)
