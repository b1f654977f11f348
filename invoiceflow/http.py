"""HTTP plumbing shared by both APIs: bounded bodies, orjson responses, request ids."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoiceflow.resolvers.errors import PayloadTooLarge

MAX_BODY = 1024 * 1024
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) past 1 MB without reading the rest."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # money is a JSON number in REST (API.md §2)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(payload, default=_default, option=JSON_OPTIONS),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


class RequestIdMiddleware:
    """Echo the caller's X-Request-ID (when sane) or a fresh one on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
