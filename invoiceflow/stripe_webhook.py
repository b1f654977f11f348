"""POST /webhooks/stripe: verify the signature on the raw body, process each event once.

Handlers are looked up by event type in ``HANDLERS``; unknown types are acknowledged and
ignored. The event id is stored in the same transaction as the handler's work, so a
redelivered (or concurrently delivered) event finds its row and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from invoiceflow.core.errors import BadRequest
from invoiceflow.failures import as_domain_error
from invoiceflow.http import json_response, parse_json, read_body
from invoiceflow.models import StripeEvent
from invoiceflow.resolvers import events, payments
from invoiceflow.resolvers.validation import id_from_text
from invoiceflow.rest_compat.dispatch import error_response
from invoiceflow.rest_compat.event_objects import write_team_events
from invoiceflow.services import Services

log = logging.getLogger("invoiceflow.stripe")
TOLERANCE_SECONDS = 300  # a signature older, or dated further ahead, is refused
# The longest event id (or payment intent) and type kept, as their columns hold them; Stripe's
# own are far shorter.
MAX_ID = 255
MAX_TYPE = 100
MAX_MINOR_UNITS = 10**16  # beyond any amount Stripe takes; stored amounts have 18 digits

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


async def checkout_completed(session: AsyncSession, event: dict[str, Any]) -> None:
    checkout = event["data"]["object"]
    if checkout.get("payment_status") != "paid":
        return  # async methods (bank debits) complete later with async_payment_succeeded
    metadata = checkout.get("metadata")
    if not isinstance(metadata, dict) or "invoice_id" not in metadata:
        log.info("checkout session %.64s is not one of our invoices", checkout.get("id"))
        return  # the account's other checkouts: not ours to judge
    await payments.record_stripe_checkout(
        session,
        invoice_id=_id(metadata, "invoice_id"),
        team_id=_id(metadata, "team_id"),
        amount_minor=_minor_units(checkout.get("amount_total")),
        currency=_currency(checkout.get("currency")),
        reference=_text(checkout.get("payment_intent"), "payment_intent"),
    )


async def async_payment_succeeded(session: AsyncSession, event: dict[str, Any]) -> None:
    event["data"]["object"]["payment_status"] = "paid"
    await checkout_completed(session, event)


# What a signed event must carry to be read (API.md §6): anything else is malformed, a 400
# that records nothing (Stripe retries it too, for days, and its dashboard shows the failure:
# an event we cannot read is one an operator should see), never a 500.


def _id(metadata: dict[str, Any], name: str) -> int:
    found = id_from_text(str(metadata.get(name, "")))
    if found is None:
        raise BadRequest(f"The checkout's metadata.{name} is not one of our ids.")
    return found


def _minor_units(value: Any) -> int:
    if type(value) is not int or not 0 <= value < MAX_MINOR_UNITS:
        raise BadRequest("The checkout's amount_total is not an amount in minor units.")
    return value


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise BadRequest("The checkout's currency is not a three-letter currency code.")
    return value


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ID:
        raise BadRequest(f"The checkout's {name} is not a Stripe id.")
    return value


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": async_payment_succeeded,
}


def _signed_at(header: str) -> int:
    """The signature's timestamp (``t=``): verify_header has found one that is a number."""
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.lstrip("-").isdigit():
            return int(value)
    raise BadRequest("The Stripe signature has no timestamp.")


def _well_formed(event: dict[str, Any]) -> dict[str, Any]:
    """The event, when it has what every handler reads: an id and a type of sane length,
    and ``data.object`` an object."""
    event_id, kind, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID:
        raise BadRequest("The Stripe event has no id, or one of over 255 characters.")
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_TYPE:
        raise BadRequest("The Stripe event has no type, or one of over 100 characters.")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadRequest("The Stripe event carries no data.object.")
    return event


class StripeWebhook:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        try:
            event = await self._verified_event(request)
            duplicate = await self._process(event)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            return error_response(as_domain_error(exc))
        return json_response({"received": True, "duplicate": duplicate})

    async def _verified_event(self, request: Request) -> dict[str, Any]:
        secret = self.services.settings.stripe_webhook_secret
        if not secret:
            raise BadRequest("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET is unset).")
        raw = await read_body(request)
        payload = raw.decode("utf-8", errors="replace")
        header = request.headers.get("stripe-signature", "")
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError:
            raise BadRequest("The Stripe signature is missing, wrong or too old.") from None
        if _signed_at(header) > time.time() + TOLERANCE_SECONDS:  # the SDK checks the past only
            raise BadRequest("The Stripe signature is dated in the future.")
        event = parse_json(raw)
        if not isinstance(event, dict):
            raise BadRequest("This is not a Stripe event.")
        return _well_formed(event)

    async def _process(self, event: dict[str, Any]) -> bool:
        """Handle the event once; answer whether it had been processed before."""
        async with self.services.db.write() as session:
            session.add(StripeEvent(id=event["id"], type=event["type"]))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return True
            handler = HANDLERS.get(event["type"])
            if handler is not None:
                await handler(session, event)
            await write_team_events(session, events.STRIPE, self.services.effects)
            await session.commit()
        if events.deliveries_made(session):
            await self.services.jobs.kick()
        return False
