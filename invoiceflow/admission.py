"""At most N requests at work at once in a worker; the others wait their turn, in order.

A worker is one Python thread. Thirty-two requests interleaved at every ``await`` finish no
sooner than a few at a time would, and they cost more: each request's rows go cold in the
CPU's caches while the others run (orjson took 110 µs to write a page of 100 invoices that
it writes in 45 µs while the page is fresh), and a connection pool hands its connections to
whoever asks first, so the unlucky wait long. Measured with one worker on PostgreSQL, 32
connections, unlimited against 8 turns: a REST list 924 -> 1,112 req/s, a GraphQL list
252 -> 385, a create 394 -> 468; the GraphQL list's p99 321 -> 133 ms (bench/RESULTS.md).

- A turn not given within ``INVOICEFLOW_DB_TIMEOUT`` seconds answers 503, as a database
  wait does.
- A request that waits on the outside world (SMTP, Stripe) gives its turn up for the rest of
  the request (``step_out``). It never waits for a turn again: it may hold row locks that
  the request taking its turn needs.
- A request whose client hangs up while it waits for a turn is dropped when the turn comes,
  never run: nobody would read its answer, and a client that gave up and sent its create
  again would find the first one done as well. After a burst the turns go to requests
  someone still waits for (measured: 32 abandoned searches kept a 1-connection client's
  p99 at 250-310 ms for the next two seconds).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

from invoiceflow.core.errors import ServiceUnavailable
from invoiceflow.db import acquire_within
from invoiceflow.http import read_body_first


class _Turn:
    """One request's turn, given back once (at its end or when it steps out)."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots: asyncio.Semaphore | None = slots

    def give_back(self) -> None:
        if self._slots is not None:
            self._slots.release()
            self._slots = None


_CURRENT: contextvars.ContextVar[_Turn | None] = contextvars.ContextVar("turn", default=None)


class Admission:
    """The turns of one worker (``INVOICEFLOW_CONCURRENT_REQUESTS``)."""

    def __init__(self, turns: int, wait: float) -> None:
        self.turns = turns
        self.wait = wait
        self._slots: asyncio.Semaphore | None = None  # made in the serving event loop

    @asynccontextmanager
    async def turn(self, receive: Receive) -> AsyncIterator[None]:
        """Wait (in order of arrival, at most ``wait`` seconds) for a turn; hold it for the
        block, which should end with the response's body made. ``receive`` is the
        request's: a request that waited, and whose client has hung up meanwhile, gives the
        turn back as it comes (``ClientGone``)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.turns)
        slots = self._slots
        waits = slots.locked()
        await acquire_within(slots, self.wait)
        turn = _Turn(slots)
        token = _CURRENT.set(turn)
        try:  # the turn is given back however the block ends, the asking included
            if waits and await _client_gone(receive):
                raise ClientGone  # the turn goes to the next in line at once
            yield
        finally:
            _CURRENT.reset(token)
            turn.give_back()

    async def answer(
        self,
        request: Request,
        handle: Callable[[Request], Awaitable[Response]],
        busy: Callable[[ServiceUnavailable], Response],
    ) -> Response:
        """``handle``'s response to ``request``, made in a turn; ``busy``'s when no turn came
        in time. The body is read first: a slow upload holds no turn."""
        await read_body_first(request)
        try:
            async with self.turn(request.receive):
                return await handle(request)
        except ServiceUnavailable as exc:  # no turn in time (handle answers its own errors)
            return busy(exc)
        except ClientGone:
            # nginx's "client closed request": the server sends it nowhere, and the access
            # log shows the request as dropped
            return Response(status_code=499)


class ClientGone(Exception):
    """The client closed its connection while its request waited for a turn."""


async def _client_gone(receive: Receive) -> bool:
    """Whether the client has hung up, asked without waiting: the server answers a
    disconnect at once, and anything else it would wait for. The body was read before the
    turn (a GET's empty one is read here)."""
    with anyio.CancelScope() as asking:
        asking.cancel()  # the first wait ends the asking
        while (await receive())["type"] != "http.disconnect":
            pass
        return True
    return False


def step_out() -> None:
    """This request waits on the outside world next: let the next request have its turn."""
    turn = _CURRENT.get()
    if turn is not None:
        turn.give_back()
