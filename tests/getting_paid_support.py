"""Real outside components for the getting-paid tests: an SMTP server (aiosmtpd), a Stripe
stand-in speaking HTTP on localhost, Stripe webhook signatures, and an app wired to them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pypdf import PdfReader
from sqlalchemy import func, select

from invoiceflow.app import create_app
from invoiceflow.models import EmailDelivery, Payment
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import Api, KeyFactory

WEBHOOK_SECRET = "whsec_test"
STRIPE_KEY = "sk_test_x"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- SMTP -------------------------------------------------------------------------------------


class _Collect:
    def __init__(self, refuse: bool, delay: float = 0.0) -> None:
        self.refuse = refuse
        self.delay = delay
        self.receiving = threading.Event()  # a message's data has arrived (accepted or not yet)
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        self.receiving.set()
        await asyncio.sleep(self.delay)  # on the server's own thread and loop
        if self.refuse:
            return "554 5.7.1 Message refused"
        self.envelopes.append(envelope)
        return "250 Message accepted"


@dataclass
class SmtpSink:
    """An SMTP server in this process; what it received, parsed."""

    port: int
    handler: _Collect

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def recipients(self) -> list[list[str]]:
        return [list(e.rcpt_tos) for e in self.handler.envelopes]

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.handler.envelopes:
            raw = envelope.original_content or b""
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


@contextmanager
def smtp_sink(*, refuse: bool = False, delay: float = 0.0) -> Iterator[SmtpSink]:
    """A running SMTP server on a free port (``refuse``: it rejects every message; ``delay``:
    seconds it takes to accept one)."""
    handler = _Collect(refuse, delay)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        yield SmtpSink(port, handler)
    finally:
        controller.stop()


def parts(message: EmailMessage) -> dict[str, list[EmailMessage]]:
    """The leaf parts of a message by content type."""
    found: dict[str, list[EmailMessage]] = {}
    for part in message.walk():
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), []).append(part)
    return found


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def pdf_fonts(content: bytes) -> set[str]:
    """The base font names a PDF's pages use."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources["/Font"].get_object().values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


# --- Stripe stand-in --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    form: dict[str, str]


@dataclass
class StripeStandIn:
    """Answers POST /v1/checkout/sessions like Stripe; ``status`` other than 200 fails."""

    port: int = 0
    status: int = 200
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        if self.status != 200:
            error = {"type": "api_error", "message": "Something went wrong on Stripe's end."}
            return self.status, {"error": error}
        if path != "/v1/checkout/sessions":
            return 404, {"error": {"type": "invalid_request_error", "message": "No such route"}}
        with self.lock:
            number = len(self.requests)
        session_id = f"cs_test_{number}"
        url = f"https://checkout.stripe.test/c/pay/{session_id}"
        return 200, {"id": session_id, "object": "checkout.session", "url": url}


def _handler_for(stand_in: StripeStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            recorded = Recorded(
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                form=dict(parse_qsl(body, keep_blank_values=True)),
            )
            with stand_in.lock:
                stand_in.requests.append(recorded)
            status, payload = stand_in.answer(self.path)
            content = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.send_header("Request-Id", "req_test")
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read ``requests`` instead."""

    return Handler


@contextmanager
def stripe_stand_in() -> Iterator[StripeStandIn]:
    stand_in = StripeStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stand_in))
    server.daemon_threads = True
    stand_in.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Stripe webhooks --------------------------------------------------------------------------


def stripe_signature(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's scheme: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">``."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def checkout_completed(
    event_id: str,
    invoice_id: int,
    team_id: int,
    amount_minor: int,
    currency: str = "usd",
    payment_intent: str = "pi_123",
) -> str:
    """A ``checkout.session.completed`` event as Stripe sends it (the fields we read)."""
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": amount_minor,
        "currency": currency,
        "payment_intent": payment_intent,
        "metadata": {"invoice_id": str(invoice_id), "team_id": str(team_id)},
    }
    event = {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": session},
    }
    return json.dumps(event)


# --- the app ----------------------------------------------------------------------------------


@dataclass
class PaidApp:
    services: Services
    keys: KeyFactory
    http: httpx.AsyncClient
    asgi: Any  # the app itself, for a test that speaks ASGI to it

    async def api(self, email: str, team: str, role: str = "admin") -> Api:
        return await self.keys.api(email, team, role)


@asynccontextmanager
async def paid_app(
    services: Services,
    *,
    smtp_url: str | None = None,
    stripe_api_key: str | None = None,
    stripe_api_base: str | None = None,
    **settings: Any,
) -> AsyncIterator[PaidApp]:
    """An app over the test's (clean) database, with mail and Stripe configured as told
    (and any other ``settings``)."""
    configured = Settings(
        database_url=services.settings.database_url,
        rate_limit="10000/minute",
        smtp_url=smtp_url,
        stripe_api_key=stripe_api_key,
        stripe_api_base=stripe_api_base,
        stripe_webhook_secret=WEBHOOK_SECRET,
        **settings,
    )
    own = Services(settings=configured, db=services.db, limiter=RateLimiter(configured.rate_limit))
    asgi = create_app(services=own)
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield PaidApp(own, KeyFactory(own, http), http, asgi)


async def count(services: Services, model: type[Payment] | type[EmailDelivery]) -> int:
    async with services.db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def gql_data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return dict(body["data"])


def gql_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    """The single error of a one-field mutation that failed (its data is null)."""
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert error["message"], error
    return error
