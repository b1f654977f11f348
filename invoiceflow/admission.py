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
- A request whose client goes away while it waits for a turn is dropped, never run: nobody
  would read its answer, and a client that gave up and sent its create again would find
  the first one done as well. After a burst the turns go to requests someone still waits
  for (measured: 32 abandoned searches kept a 1-connection client's p99 at 250-310 ms for
  the next two seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

from invoiceflow.http import read_body_first
from invoiceflow.resolvers.errors import ServiceUnavailable


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
        request's, its body read: a client that goes away while the request waits is
        ``ClientGone``, and the turn is not taken."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.turns)
        slots = self._slots
        if slots.locked():
            await _acquire_unless_gone(slots, self.wait, receive)
        else:
            await slots.acquire()  # a free turn: nothing to wait for
        turn = _Turn(slots)
        token = _CURRENT.set(turn)
        try:
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


async def acquire_within(lock: asyncio.Lock | asyncio.Semaphore, wait: float) -> None:
    """Acquire ``lock``, waiting in order of arrival; after ``wait`` seconds, 503 (as any
    database wait). For a request's turn here and for a write's turn on SQLite."""
    try:
        async with asyncio.timeout(wait):
            await lock.acquire()
    except TimeoutError:
        raise ServiceUnavailable("The server is busy; try again shortly.") from None


class ClientGone(Exception):
    """The client closed its connection while its request waited for a turn."""


async def _acquire_unless_gone(slots: asyncio.Semaphore, wait: float, receive: Receive) -> None:
    """``acquire_within``, unless the client goes away first (``ClientGone``, no turn)."""
    taking = asyncio.ensure_future(acquire_within(slots, wait))
    leaving = asyncio.ensure_future(_gone(receive))
    gone = True  # also when this wait is itself cancelled
    try:
        await asyncio.wait((taking, leaving), return_when=asyncio.FIRST_COMPLETED)
        gone = leaving.done()
    finally:
        leaving.cancel()
        if gone:
            _give_up(taking, slots)
    if gone:
        raise ClientGone
    taking.result()  # ServiceUnavailable when no turn came in time


async def _gone(receive: Receive) -> None:
    """Return once the client has gone away. The body was read before the wait, so the
    server's next message is the disconnect."""
    with contextlib.suppress(Exception):  # a broken connection: gone as well
        while (await receive())["type"] != "http.disconnect":
            pass


def _give_up(taking: asyncio.Future[None], slots: asyncio.Semaphore) -> None:
    """Stop waiting for a turn, and give it back if it had just come."""
    if not taking.done():
        taking.cancel()  # the semaphore gives back a turn it handed over meanwhile
    elif not taking.cancelled() and taking.exception() is None:
        slots.release()


def step_out() -> None:
    """This request waits on the outside world next: let the next request have its turn."""
    turn = _CURRENT.get()
    if turn is not None:
        turn.give_back()
