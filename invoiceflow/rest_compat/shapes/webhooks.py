"""Webhook endpoints and their deliveries as REST shows them (API-events.md §3, §4)."""

from __future__ import annotations

from typing import Any

import orjson

from invoiceflow.context import Context
from invoiceflow.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from invoiceflow.resolvers.webhooks import CreatedEndpoint, DeliveryView
from invoiceflow.rest_compat.shapes.fields import Many, Shape, answers, columns, given, rest_of

Object = dict[str, Any]

_EVENTS = columns(WebhookEndpoint, "events")
WEBHOOK_ENDPOINT = Shape(
    "WebhookEndpointOut",
    columns(WebhookEndpoint, "id", "url", "description"),
    given("events", list[str]),
    rest_of(WebhookEndpoint, columns(WebhookEndpoint, "id", "url", "description"), _EVENTS),
)
NEW_ENDPOINT = Shape("NewWebhookEndpoint", WEBHOOK_ENDPOINT.keys, given("secret", str))
ATTEMPT = Shape("WebhookAttemptOut", rest_of(WebhookAttempt))
DELIVERY = Shape(
    "WebhookDeliveryOut",
    columns(WebhookDelivery, "id", "event_id"),
    given("event_type", str),
    rest_of(WebhookDelivery, columns(WebhookDelivery, "id", "event_id")),
    given("attempts", Many(ATTEMPT)),
)
REDELIVERED = Shape("Redelivered", given("deliveries", int))


def endpoint_object(row: Any) -> Object:
    return WEBHOOK_ENDPOINT.build(row, events=orjson.loads(row.events))


@answers(WEBHOOK_ENDPOINT)
async def webhook_endpoint(ctx: Context, row: WebhookEndpoint) -> Object:
    return endpoint_object(row)


@answers(WEBHOOK_ENDPOINT)
async def webhook_endpoints(ctx: Context, rows: list[WebhookEndpoint]) -> list[Object]:
    return [endpoint_object(row) for row in rows]


@answers(NEW_ENDPOINT)
async def new_webhook_endpoint(ctx: Context, made: CreatedEndpoint) -> Object:
    row = made.endpoint
    return NEW_ENDPOINT.build(row, events=orjson.loads(row.events), secret=made.secret)


@answers(DELIVERY)
async def webhook_deliveries(ctx: Context, views: list[DeliveryView]) -> list[Object]:
    return [
        DELIVERY.build(
            v.delivery,
            event_type=v.event_type,
            attempts=[ATTEMPT.build(a) for a in v.attempts],
        )
        for v in views
    ]


@answers(REDELIVERED)
async def redelivered(ctx: Context, made: int) -> Object:
    return REDELIVERED.build(None, deliveries=made)
