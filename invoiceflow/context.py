"""The per-request context: one session (one transaction), the principal, the loaders."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.session, self.principal)

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
    # A write takes the database's one way to write (SQLite's writer turn included), which
    # commits at the end unless the block raised or rolled back.
    sessions = services.db.write() if write else services.db.read_sessions()
    async with sessions as session:
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
        elif not write and not services.db.reads_autocommit:
            await session.commit()
        # else: a write commits as its session ends; a read in autocommit has nothing to
        # commit (closing the session ends it, and spares the commit's bookkeeping: 37 of
        # 1,251 Python calls in a REST list of one)
    if key_use_is_stale(principal):
        try:
            async with services.db.write() as touch:
                await touch_key(touch, principal)
        except Exception:  # a usage hint must never fail the request
            log.warning("could not record API key use", exc_info=True)
