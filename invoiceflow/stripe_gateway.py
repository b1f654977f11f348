"""Stripe Checkout through the official SDK, on the team's connected account."""

from __future__ import annotations

import asyncio
import logging

import stripe

from invoiceflow.admission import step_out
from invoiceflow.core.effects import CheckoutRequest
from invoiceflow.core.errors import UpstreamError

log = logging.getLogger("invoiceflow.stripe")

# Each attempt is bounded, and so is the whole call with the SDK's own retries (which keep
# the SDK's idempotency key, so a retried create never makes a second session).
ATTEMPT_TIMEOUT = 4.0
TOTAL_TIMEOUT = 10.0


class StripeGateway:
    def __init__(self, api_key: str | None, api_base: str | None = None) -> None:
        self.api_key = api_key
        self.api_base = api_base
        self._client: stripe.StripeClient | None = None

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    def client(self) -> stripe.StripeClient:
        if self._client is None:
            assert self.api_key
            self._client = stripe.StripeClient(
                self.api_key,
                base_addresses={"api": self.api_base} if self.api_base else None,
                http_client=stripe.HTTPXClient(timeout=ATTEMPT_TIMEOUT),
                max_network_retries=2,
            )
        return self._client

    async def checkout_url(self, request: CheckoutRequest) -> str:
        step_out()  # Stripe may take seconds: the next request need not wait for it
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_minor,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "metadata": request.metadata,
            "payment_intent_data": {"metadata": request.metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            async with asyncio.timeout(TOTAL_TIMEOUT):
                session = await self.client().v1.checkout.sessions.create_async(
                    params,  # type: ignore[arg-type]
                    options={"stripe_account": request.account},
                )
        except (stripe.StripeError, TimeoutError) as exc:
            log.warning("stripe checkout failed: %s", exc.__class__.__name__)
            raise UpstreamError(
                "Stripe could not create the payment link; nothing was changed."
            ) from exc
        if not session.url:
            raise UpstreamError("Stripe answered without a payment link; nothing was changed.")
        return session.url
