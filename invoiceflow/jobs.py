"""The job queue (API-events.md §5): Procrastinate, a well-kept library. What runs on it is
work.py's.

Why Procrastinate: on PostgreSQL it needs nothing but the database (its jobs are rows, taken
with ``SELECT ... FOR UPDATE SKIP LOCKED`` and woken by LISTEN/NOTIFY), so any number of
``serve`` and ``worker`` processes on any hosts share the work with nothing else to set up;
its periodic tasks are deferred once per tick across all workers (a unique row per task and
tick); its workers beat, and the jobs of one that stopped beating are found and run again.

On SQLite (the single-machine default, one process) the same tasks run on Procrastinate's
in-memory connector, in the server's own process. What the work is about is never only in
the queue: a delivery is a row of ``webhook_deliveries`` written in its event's transaction,
and the sweep (every minute, and at every start) defers every delivery that is
due. A queue lost with its process therefore loses nothing; a job run twice finds its
delivery taken (webhooks_out.py claims each attempt with one conditional UPDATE).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import procrastinate
import psycopg_pool.base as psycopg_pool_base
from procrastinate import testing
from procrastinate.exceptions import AlreadyEnqueued

log = logging.getLogger("invoiceflow.jobs")

QUEUE = "invoiceflow"

# psycopg's pool spreads its connections' lifetimes with the process's global random
# generator, from its own tasks, at any moment: it gets a generator of its own, so that no
# one else's seeded sequence (hypothesis', in the tests) moves under their feet.
psycopg_pool_base.random = random.Random().random


class EmbeddedConnector(testing.InMemoryConnector):
    """Procrastinate's in-memory queue, for one process on SQLite: the library's own, kept
    as small as a queue that lives as long as its process needs (it forgets the queries it
    ran and the history of jobs that ended, which its tests look at and a server must not
    keep)."""

    async def generic_execute(self, query: str, suffix: Any, **arguments: Any) -> Any:
        name = self.reverse_queries[query]
        return await getattr(self, f"{name}_{suffix}")(**arguments)

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id, status, delete_job)
        if delete_job:
            self.events.pop(job_id, None)


def _conninfo(database_url: str) -> str:
    """libpq's form of the SQLAlchemy URL (``postgresql+asyncpg://`` -> ``postgresql://``)."""
    scheme, rest = database_url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgresql") else database_url


class Jobs:
    """The process's queue: defer work, and run a worker."""

    def __init__(self, database_url: str) -> None:
        self.embedded = database_url.startswith("sqlite")
        connector: Any
        if self.embedded:
            connector = EmbeddedConnector()
        else:
            from procrastinate import PsycopgConnector

            connector = PsycopgConnector(conninfo=_conninfo(database_url), min_size=1, max_size=4)
        self.app = procrastinate.App(connector=connector)
        self._opened = False
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        async with self._lock:
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    async def close(self) -> None:
        async with self._lock:
            if self._opened:
                await self.app.close_async()
                self._opened = False

    async def defer(
        self, task: str, *, at: datetime | None = None, lock: str | None = None, **kwargs: Any
    ) -> None:
        """Run ``task`` with ``kwargs`` (at ``at``); one job of a ``lock`` waits at a time."""
        await self.open()
        configured = self.app.configure_task(
            f"invoiceflow:{task}", queue=QUEUE, schedule_at=at, queueing_lock=lock
        )
        with contextlib.suppress(AlreadyEnqueued):  # that very work waits already
            await configured.defer_async(**kwargs)

    async def kick(self) -> None:
        """New deliveries were committed: have them sent now, not at the next sweep."""
        try:
            await self.defer("send_due", lock="send_due")
        except Exception:  # the sweep sends them anyway: a request never fails for this
            log.warning("could not defer the sending of new deliveries", exc_info=True)

    async def run_worker(
        self,
        register: Callable[[procrastinate.App], None],
        context: dict[str, Any],
        *,
        concurrency: int,
        stalled_seconds: float,
        graceful_seconds: float,
        poll_seconds: float,
    ) -> None:
        """Run the tasks ``register`` declares on the queue's app (work.py's) until
        cancelled; ``context`` is handed to each."""
        if not any(name.startswith("invoiceflow:") for name in self.app.tasks):
            register(self.app)
        await self.open()
        await self.app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            wait=True,
            install_signal_handlers=False,
            additional_context=context,
            delete_jobs="successful",
            update_heartbeat_interval=max(1.0, stalled_seconds / 6),
            stalled_worker_timeout=stalled_seconds,
            shutdown_graceful_timeout=graceful_seconds,
            fetch_job_polling_interval=poll_seconds,
        )
