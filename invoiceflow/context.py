"""The per-request context: one session (one transaction), the principal, the loaders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from invoiceflow.admission import acquire_within
from invoiceflow.auth import authenticate, key_use_is_stale, touch_key, user_rate_key
from invoiceflow.core.effects import Effects
from invoiceflow.core.principal import Principal
from invoiceflow.loaders import Loaders
from invoiceflow.resolvers.written import forget_written
from invoiceflow.services import Services

log = logging.getLogger("invoiceflow")


@dataclass
class Context:
    session: AsyncSession
    principal: Principal
    request: Any = None
    effects: Effects | None = None
    # Set when the work must not be committed although nothing was raised
    # (a GraphQL document that finished with errors).
    rollback_only: bool = field(default=False)
    # loader name -> the only columns of its rows the request reads (a GraphQL document's
    # look-ahead, fast/lookahead.py); every column where absent
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.session, self.principal, self.columns)

    def fresh_reads(self) -> None:
        """Forget what this request's loaders have read or were handed: for the next
        mutation of a GraphQL document, which must see what the ones before it wrote."""
        self.__dict__.pop("loaders", None)
        forget_written(self.session)


async def authenticate_request(services: Services, request: Any) -> Principal:
    """The caller, resolved in a short read transaction of its own (before the work's)."""
    async with services.db.read_sessions() as session:
        return await authenticate(session, request.headers.get("authorization"))


@asynccontextmanager
async def _turn(lock: asyncio.Lock | None, wait: float) -> AsyncIterator[None]:
    """Wait (at most ``wait`` seconds, then 503 like any database wait) for this process's
    turn to write; no wait where the database takes concurrent writers."""
    if lock is None:
        yield
        return
    await acquire_within(lock, wait)
    try:
        yield
    finally:
        lock.release()


@asynccontextmanager
async def request_context(
    services: Services,
    authorization: str | None,
    *,
    write: bool,
    request: Any = None,
    principal: Principal | None = None,
    cost: int = 1,
) -> AsyncIterator[Context]:
    """Authenticate, count the request against its user's limit (``cost`` requests: a GraphQL
    document's root mutation fields), and run it in one transaction.

    The transaction commits only when the block ends without an error; anything raised
    (including a client going away mid-request) rolls everything back.
    """
    factory = services.db.write_sessions if write else services.db.read_sessions
    turn = services.db.writer_turn if write else None
    async with _turn(turn, services.settings.db_timeout), factory() as session:
        try:
            if principal is None:
                principal = await authenticate(session, authorization)
            if request is not None:
                request.state.team_id = principal.team_id
            state = await services.limiter.hit(user_rate_key(principal.user_id), cost)
            if request is not None:
                request.state.rate = state
            context = Context(
                session=session, principal=principal, request=request, effects=services.effects
            )
            yield context
        except BaseException:
            await session.rollback()
            raise
        if context.rollback_only:
            await session.rollback()
        elif write or not services.db.reads_autocommit:
            await session.commit()
        # else: a read in autocommit, nothing to commit; closing the session ends it (and
        # spares the commit's bookkeeping: 37 of 1,251 Python calls in a REST list of one)
    if key_use_is_stale(principal):
        try:
            async with services.db.write_sessions.begin() as touch:
                await touch_key(touch, principal)
        except Exception:  # a usage hint must never fail the request
            log.warning("could not record API key use", exc_info=True)
