"""One request pipeline for both APIs: authentication, idempotency, the transaction and the
rate limit, written once. Each API brings its work (run the route, run the document) and its
own renderer of errors; nothing else differs between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from invoiceflow import idempotency
from invoiceflow.context import Context, authenticate_request, request_context
from invoiceflow.core.principal import Principal
from invoiceflow.fast import reads
from invoiceflow.resolvers import events
from invoiceflow.rest_compat.event_objects import write_events
from invoiceflow.services import Services

# What a request does in its transaction, and how its API writes an error.
Work = Callable[[Context], Awaitable[Response]]
RenderError = Callable[[BaseException], Response]


async def answer(
    services: Services,
    request: Request,
    *,
    write: bool,
    work: Work,
    render_error: RenderError,
    keyed: idempotency.Keyed | None = None,
    cost: int = 1,
) -> Response:
    """``work``'s answer to ``request``, run once in one transaction (a write's commits only
    when it raised nothing and asked for no rollback). With an Idempotency-Key, the first
    request's stored answer is replayed; otherwise the claim, the work and its answer commit
    together (idempotency.py). ``cost``: how many requests it counts for."""
    try:
        if keyed is None:
            return await _run(services, request, write, cost, work, render_error)
        principal = await authenticate_request(services, request)
        replayed = await idempotency.replay(services.db, principal, keyed)
        if replayed is not None:
            return replayed
        async with idempotency.running(principal, keyed):
            return await _run(services, request, write, cost, work, render_error, principal, keyed)
    except BaseException as exc:
        if isinstance(exc, asyncio.CancelledError):
            raise
        return render_error(exc)


async def _run(
    services: Services,
    request: Request,
    write: bool,
    cost: int,
    work: Work,
    render_error: RenderError,
    principal: Principal | None = None,
    keyed: idempotency.Keyed | None = None,
) -> Response:
    began = stored = False
    made = 0
    try:
        async with request_context(
            services,
            request.headers.get("authorization"),
            write=write,
            request=request,
            principal=principal,
            cost=cost,
        ) as ctx:
            claim = None
            if keyed is not None:
                claim = await idempotency.claim(ctx.session, ctx.principal, keyed)
                began = True
            with reads.scope():  # what the work says it reads ends with it (fast/reads.py)
                response = await work(ctx)
                if write and not ctx.rollback_only:
                    await write_events(ctx)  # the transaction's last statements
                    made = events.deliveries_made(ctx.session)
            if claim is not None and not ctx.rollback_only and idempotency.storable(response):
                await idempotency.store(ctx.session, claim, response)
                stored = True
    except BaseException as exc:
        if isinstance(exc, asyncio.CancelledError):
            raise
        response, stored, made = render_error(exc), False, 0  # nothing of the work committed
    if began and not stored and principal is not None and keyed is not None:
        await idempotency.store_alone(services.db, principal, keyed, response)
    if made:
        await services.jobs.kick()  # committed: send them now (the sweep would, later)
    return response
