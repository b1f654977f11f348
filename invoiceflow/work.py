"""What runs in the background (API-events.md §4, §5): webhook deliveries, and the sweep
that defers whatever is due. The queue itself is jobs.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import procrastinate
from sqlalchemy import delete, select
from sqlmodel import col

from invoiceflow import webhooks_out
from invoiceflow.jobs import QUEUE
from invoiceflow.models import Event, WebhookAttempt, WebhookDelivery
from invoiceflow.models.types import utcnow
from invoiceflow.services import Services

log = logging.getLogger("invoiceflow.jobs")

SWEEP_CRON = "* * * * *"  # every minute
DUE_AT_ONCE = 500  # deliveries a sweep defers at most (the next sweep takes the rest)


async def run_worker(services: Services, *, concurrency: int = 4) -> None:
    """Work until cancelled: the queue's jobs, and the periodic sweep."""
    await services.jobs.open()
    await sweep_now(services)  # what came due while no worker ran
    settings = services.settings
    await services.jobs.run_worker(
        functools.partial(register, sweep_every=settings.job_sweep_seconds),
        {"services": services},
        concurrency=concurrency,
        stalled_seconds=settings.job_stalled_seconds,
        graceful_seconds=settings.webhook_timeout + 5,
        poll_seconds=settings.job_poll_seconds,
    )


@asynccontextmanager
async def embedded_worker(services: Services) -> AsyncIterator[None]:
    """A worker inside ``serve`` (INVOICEFLOW_EMBEDDED_WORKER, true by default)."""
    if not services.settings.embedded_worker:
        yield
        return
    task = asyncio.create_task(run_worker(services), name="invoiceflow worker")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _services(context: procrastinate.JobContext) -> Services:
    found: Services = context.additional_context["services"]
    return found


# --- the tasks ----------------------------------------------------------------------------


def register(app: procrastinate.App, *, sweep_every: int = 60) -> None:
    """Declare the tasks on a queue's app (each ``Jobs`` has its own); the sweep runs every
    ``sweep_every`` seconds (once per tick across all workers)."""
    options: dict[str, Any] = {"pass_context": True, "queue": QUEUE}
    app.task(name="invoiceflow:deliver", **options)(deliver)
    app.task(name="invoiceflow:send_due", **options)(send_due)
    sweeping = app.task(name="invoiceflow:sweep", queueing_lock="sweep", **options)(sweep)
    cron = SWEEP_CRON if sweep_every >= 60 else f"{SWEEP_CRON} */{sweep_every}"
    app.periodic(cron=cron, periodic_id="sweep")(sweeping)


async def deliver(context: procrastinate.JobContext, delivery_id: int) -> None:
    """One attempt at a webhook delivery, if it is still due (webhooks_out.py)."""
    await webhooks_out.attempt(_services(context), delivery_id)


async def send_due(context: procrastinate.JobContext) -> None:
    await defer_due(_services(context))


async def sweep(context: procrastinate.JobContext, timestamp: int) -> None:
    await sweep_now(_services(context))


async def sweep_now(services: Services) -> None:
    """What the periodic sweep does: defer the deliveries that are due (one lost with a
    queue, or with a worker that died mid-attempt, comes due again when its lease ends), run
    the jobs of workers that died again, and forget events older than the retention."""
    await defer_due(services)
    await _retry_stalled(services)
    await _forget_old_events(services)


async def defer_due(services: Services) -> int:
    """A ``deliver`` job for each pending delivery that is due; answers how many."""
    now = utcnow()
    async with services.db.read_sessions() as session:
        found = await session.execute(
            select(col(WebhookDelivery.id), col(WebhookDelivery.attempt_count))
            .where(
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(DUE_AT_ONCE)
        )
        due = found.all()
    for delivery_id, attempts in due:
        await services.jobs.defer(
            "deliver", lock=f"delivery:{delivery_id}:{attempts}", delivery_id=delivery_id
        )
    return len(due)


async def _retry_stalled(services: Services) -> None:
    if services.jobs.embedded:
        return  # one process: its jobs die with it, and the sweep at start defers them again
    manager = services.jobs.app.job_manager
    stalled = await manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=services.settings.job_stalled_seconds
    )
    for job in stalled:
        assert job.id is not None
        log.warning("job %s (%s) of a worker that stopped: run again", job.id, job.task_name)
        await manager.retry_job_by_id_async(job.id, retry_at=utcnow())


async def _forget_old_events(services: Services) -> None:
    """Events past the retention go, with their deliveries' attempts and deliveries."""
    before = utcnow() - timedelta(days=services.settings.event_retention_days)
    async with services.db.write() as session:
        old_events = select(col(Event.id)).where(col(Event.created_at) < before)
        old_deliveries = select(col(WebhookDelivery.id)).where(
            col(WebhookDelivery.event_id).in_(old_events)
        )
        await session.execute(
            delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(old_deliveries))
        )
        await session.execute(
            delete(WebhookDelivery).where(col(WebhookDelivery.event_id).in_(old_events))
        )
        await session.execute(delete(Event).where(col(Event.created_at) < before))
