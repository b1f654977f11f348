"""HTTP plumbing shared by both APIs: bounded bodies, orjson responses, request ids."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoiceflow.core import jsontext
from invoiceflow.core.errors import BadRequest, DomainError

MAX_BODY = 1024 * 1024
# JSON nested deeper than this is refused (API.md §6): a body of a million brackets must cost
# a 400, not the parser's recursion (a RecursionError is a 500) nor ours.
MAX_JSON_DEPTH = 64
NOT_JSON = "The request body is not valid JSON."
TOO_DEEP = f"The request body nests deeper than {MAX_JSON_DEPTH} levels."
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("invoiceflow.access")
# On every response; the GraphiQL page adds its own Content-Security-Policy.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# On every answer to a request that carries credentials (API.md §6): no shared cache, and no
# browser's either, may keep a team's invoices or PDFs.
PRIVATE = (b"cache-control", b"private, no-store")


# --- errors only HTTP can cause (the domain's are in core/errors.py) ---------------------------


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    default_message = "This method is not allowed here."


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is larger than 1 MB."


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    default_message = "Send the request body as JSON, with 'Content-Type: application/json'."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests: slow down and retry after the time in Retry-After."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ClientClosedRequest(DomainError):
    """The client hung up before its request was read: nginx's 499, answered to nobody and
    logged as that status alone (API.md §6)."""

    code = "client_closed_request"
    status = 499
    default_message = "The client closed the connection before sending its whole request."


_BODY = "invoiceflow.body"  # the body read (or the error reading it), in the request's scope


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) past 1 MB without reading the rest. Read once: a
    later call answers what the first one read, or raises what it raised."""
    known = request.scope.get(_BODY)
    if known is None:
        try:
            known = await _receive_body(request)
        except Exception as exc:  # too large, or the client went away
            known = exc
        request.scope[_BODY] = known
    if isinstance(known, Exception):
        raise known
    return bytes(known)


async def read_body_first(request: Request) -> None:
    """Read the body before the request waits for its turn (invoiceflow/admission.py): a
    slow upload then holds no turn. An error is kept for the handler's own read."""
    if request.method in ("POST", "PUT", "PATCH"):
        with contextlib.suppress(Exception):
            await read_body(request)


async def _receive_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise PayloadTooLarge()
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientClosedRequest() from None
    return b"".join(chunks)


def require_json(request: Request) -> None:
    """415 unless the request says its body is JSON (``application/json``, any parameters)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType()


def parse_json(raw: bytes | str, *, exact: bool = False) -> Any:
    """A JSON document, refused (400) when it is not JSON or nests deeper than 64 levels.

    ``exact`` reads numbers with a fraction as Decimals (money in REST bodies); otherwise
    orjson reads it (GraphQL's bodies and variables)."""
    try:
        value = json.loads(raw, parse_float=Decimal) if exact else orjson.loads(raw)
    except RecursionError:  # json's C scanner, past the interpreter's recursion limit
        raise BadRequest(TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError) as exc:  # orjson's own limit is 1,024 levels
        raise BadRequest(TOO_DEEP if "recursion" in str(exc).lower() else NOT_JSON) from None
    # A document with no more opening brackets than the limit cannot nest past it (a count in
    # C, brackets in strings included, spares the walk for almost every body).
    if isinstance(raw, bytes):
        opening = raw.count(b"[") + raw.count(b"{")
    else:
        opening = raw.count("[") + raw.count("{")
    if opening > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise BadRequest(TOO_DEEP)
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` holds arrays or objects more than ``limit`` levels deep (a top-level
    object is one level). Walked with a stack, not recursion: it runs on what a client sent."""
    pending = [(value, 1)] if isinstance(value, (dict, list)) else []
    while pending:
        node, depth = pending.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        jsontext.dumps(payload),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


class RequestLogMiddleware:
    """Give every request an id (the caller's X-Request-ID when sane, else a fresh one),
    echo it on the response with the security headers, and log one structured line when
    the response is done.

    The line carries method, path (or the GraphQL operation), status, duration, team id and
    request id; never a header, a key or a body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_headers = dict(scope["headers"])
        sent = request_headers.get(b"x-request-id", b"").decode("latin-1")
        # (GraphiQL's assets say how they are cached themselves, and carry no team's data)
        private = b"authorization" in request_headers and not scope["path"].startswith("/graphiql/")
        request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(SECURITY_HEADERS)
                if private:
                    headers.append(PRIVATE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                line = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "operation": state.get("operation"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "team_id": state.get("team_id"),
                    "request_id": request_id,
                }
                access_log.info(json.dumps(line, separators=(",", ":")))
