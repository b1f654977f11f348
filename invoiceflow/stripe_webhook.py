"""POST /webhooks/stripe: verify the signature on the raw body, process each event once.

Handlers are looked up by event type in ``HANDLERS``; unknown types are acknowledged and
ignored. The event id is stored in the same transaction as the handler's work, so a
redelivered (or concurrently delivered) event finds its row and changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from invoiceflow.failures import as_domain_error
from invoiceflow.http import json_response, read_body
from invoiceflow.models import StripeEvent
from invoiceflow.resolvers import payments
from invoiceflow.resolvers.errors import BadRequest
from invoiceflow.rest_compat.dispatch import error_response

if TYPE_CHECKING:
    from invoiceflow.app import Services

log = logging.getLogger("invoiceflow.stripe")
TOLERANCE_SECONDS = 300

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


async def checkout_completed(session: AsyncSession, event: dict[str, Any]) -> None:
    checkout = event["data"]["object"]
    if checkout.get("payment_status") != "paid":
        return  # async methods (bank debits) complete later with async_payment_succeeded
    metadata = checkout.get("metadata") or {}
    try:
        invoice_id, team_id = int(metadata["invoice_id"]), int(metadata["team_id"])
    except (KeyError, TypeError, ValueError):
        log.info("checkout session %s is not one of our invoices", checkout.get("id"))
        return
    await payments.record_stripe_checkout(
        session,
        invoice_id=invoice_id,
        team_id=team_id,
        amount_minor=int(checkout["amount_total"]),
        currency=str(checkout["currency"]),
        reference=checkout.get("payment_intent"),
    )


async def async_payment_succeeded(session: AsyncSession, event: dict[str, Any]) -> None:
    event["data"]["object"]["payment_status"] = "paid"
    await checkout_completed(session, event)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": async_payment_succeeded,
}


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
        payload = (await read_body(request)).decode("utf-8", errors="replace")
        try:
            stripe.WebhookSignature.verify_header(
                payload, request.headers.get("stripe-signature", ""), secret, TOLERANCE_SECONDS
            )
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError):
            raise BadRequest("The Stripe signature is missing, wrong or too old.") from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise BadRequest("This is not a Stripe event.")
        return event

    async def _process(self, event: dict[str, Any]) -> bool:
        """Handle the event once; answer whether it had been processed before."""
        async with self.services.db.write_sessions() as session:
            session.add(StripeEvent(id=event["id"], type=str(event.get("type"))))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return True
            handler = HANDLERS.get(str(event.get("type")))
            if handler is not None:
                await handler(session, event)
            await session.commit()
        return False
