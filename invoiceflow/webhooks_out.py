"""One attempt at a webhook delivery (API-events.md §4), in three steps, none of which talks
to the network while it holds a database write lock:

1. claim the attempt: one conditional UPDATE (still pending, still due, the attempt count as
   read) raises its count and leases it until after the send could have ended, then commits;
   of two workers that both ran a job for it, one claims and the other finds nothing;
2. send it, with no transaction open: the address checked again (DNS may have changed),
   the event object signed by the Standard Webhooks scheme, a 2xx within the timeout;
3. record the attempt and what follows: succeeded; pending again at the schedule's next step
   (and a job deferred for then); failed when the schedule is spent. A 410 Gone disables the
   endpoint at once, and so do 50 failed deliveries in a row (``webhook_endpoint.disabled``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from standardwebhooks import Webhook

from invoiceflow import __version__
from invoiceflow.core import jsontext
from invoiceflow.core.errors import ValidationFailed
from invoiceflow.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events, webhooks
from invoiceflow.rest_compat.event_objects import write_team_events

if TYPE_CHECKING:
    from invoiceflow.services import Services

log = logging.getLogger("invoiceflow.webhooks")
USER_AGENT = f"InvoiceFlow-Webhooks/{__version__}"
KEPT_BODY = 1024  # bytes of an answer kept with its attempt
DISABLE_AFTER = 50  # failed deliveries in a row
LEASE_MARGIN = 5  # seconds beyond the timeout an attempt is claimed for

_CLAIM = (
    update(WebhookDelivery)
    .where(
        col(WebhookDelivery.id) == bindparam("delivery_id"),
        col(WebhookDelivery.status) == "pending",
        col(WebhookDelivery.next_attempt_at) <= bindparam("now"),
    )
    .values(
        attempt_count=col(WebhookDelivery.attempt_count) + 1,
        next_attempt_at=bindparam("leased_until"),
        updated_at=bindparam("now"),
    )
    .returning(
        col(WebhookDelivery.attempt_count),
        col(WebhookDelivery.endpoint_id),
        col(WebhookDelivery.event_id),
        col(WebhookDelivery.team_id),
    )
    .execution_options(synchronize_session=False)
)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    body: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def attempt(services: Services, delivery_id: int) -> None:
    settings = services.settings
    now = utcnow()
    # Leased for as long as the send may take, and a little more: a worker that dies while it
    # sends leaves the delivery due again when the lease ends (the sweep defers it).
    lease = timedelta(seconds=settings.webhook_timeout + LEASE_MARGIN)
    async with services.db.write() as session:
        claimed = (
            await session.execute(
                _CLAIM, {"delivery_id": delivery_id, "now": now, "leased_until": now + lease}
            )
        ).first()
    if claimed is None:
        return  # done, not due yet, or claimed by another worker
    number, endpoint_id, event_id, team_id = claimed
    async with services.db.read_sessions() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        event = await session.get(Event, event_id)
    assert endpoint is not None and event is not None
    if not endpoint.enabled or endpoint.deleted_at is not None:
        await _end(services, delivery_id, "failed")
        return
    started = utcnow()
    outcome = await send(services, endpoint, event)
    await _record(services, delivery_id, team_id, endpoint_id, number, started, outcome)


async def send(services: Services, endpoint: WebhookEndpoint, event: Event) -> Outcome:
    """POST the event to the endpoint, signed; never raises."""
    settings = services.settings
    began = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - began) * 1000)

    try:
        await webhooks.check_url(endpoint.url, allow_private=settings.webhook_allow_private)
    except ValidationFailed as refused:
        reason = "; ".join(m for ms in refused.fields.values() for m in ms)
        return Outcome(None, f"Not sent: {reason}", None, took())
    body = jsontext.dumps(events.as_object(event))
    sent_at = utcnow()
    headers = {
        "webhook-id": event.id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(event.id, sent_at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    try:
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(endpoint.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return Outcome(None, f"No answer within {settings.webhook_timeout:g} s.", None, took())
    except httpx.HTTPError as exc:
        return Outcome(None, f"Could not connect: {type(exc).__name__}: {exc}"[:1000], None, took())
    text = response.content[:KEPT_BODY].decode("utf-8", "replace")
    error = None if 200 <= response.status_code < 300 else f"Answered {response.status_code}."
    return Outcome(response.status_code, error, text, took())


async def _record(
    services: Services,
    delivery_id: int,
    team_id: int,
    endpoint_id: int,
    number: int,
    started: object,
    outcome: Outcome,
) -> None:
    schedule = services.settings.retry_schedule
    retry_at = None
    async with services.db.write() as session:
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                number=number,
                started_at=started,  # type: ignore[arg-type]
                duration_ms=outcome.duration_ms,
                response_status=outcome.status,
                error=outcome.error,
                response_body=outcome.body,
            )
        )
        endpoint = (
            await session.execute(
                select(WebhookEndpoint)
                .where(col(WebhookEndpoint.id) == endpoint_id)
                .with_for_update()
            )
        ).scalar_one()
        if outcome.succeeded:
            status = "succeeded"
            endpoint.recent_failures = 0
        elif outcome.status == 410:
            status = "failed"
            await webhooks.disable_endpoint(session, endpoint, "The endpoint answered 410 Gone.")
        elif number <= len(schedule):
            status = "pending"
            retry_at = utcnow() + timedelta(seconds=schedule[number - 1])
        else:
            status = "failed"
            endpoint.recent_failures += 1
            if endpoint.recent_failures >= DISABLE_AFTER:
                await webhooks.disable_endpoint(
                    session, endpoint, f"The last {DISABLE_AFTER} deliveries failed."
                )
        await _set_status(session, delivery_id, status, retry_at)
        written = await write_team_events(session, events.SYSTEM, services.effects)
    if written.deliveries:
        await services.jobs.kick()
    if retry_at is not None:
        await services.jobs.defer(
            "deliver", at=retry_at, lock=f"delivery:{delivery_id}:{number}", delivery_id=delivery_id
        )
    elif status != "succeeded":
        log.info("delivery %s to endpoint %s failed: %s", delivery_id, endpoint_id, outcome.error)


async def _end(services: Services, delivery_id: int, status: str) -> None:
    async with services.db.write() as session:
        await _set_status(session, delivery_id, status, None)


async def _set_status(
    session: AsyncSession, delivery_id: int, status: str, next_attempt_at: datetime | None
) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id)
        .values(status=status, next_attempt_at=next_attempt_at, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
