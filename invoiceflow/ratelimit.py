"""Per-user rate limits with the ``limits`` library: in process, or in Redis when configured."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from invoiceflow.http import RateLimited


@dataclass(frozen=True, slots=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # unix seconds

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimitExceeded(RateLimited):
    def __init__(self, state: RateState, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.state = state


class RateLimiter:
    """One fixed-window counter per user (all of its keys), shared by REST and GraphQL."""

    def __init__(self, spec: str, redis_url: str | None = None) -> None:
        self.item = parse(spec)
        storage: Storage
        if redis_url:
            storage = RedisStorage(redis_url.replace("redis://", "async+redis://", 1))
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(storage)

    async def hit(self, key: str, cost: int = 1) -> RateState:
        """Count ``cost`` requests for ``key``; raise RateLimitExceeded past the limit."""
        allowed = await self.strategy.hit(self.item, key, cost=cost)
        stats = await self.strategy.get_window_stats(self.item, key)
        state = RateState(
            limit=self.item.amount,
            remaining=max(0, stats.remaining),
            reset=math.ceil(stats.reset_time),
        )
        if not allowed:
            # Whole seconds until the window ends, from the window's own end (not the
            # rounded-up Reset): never more than the window itself, never less than 1.
            left = math.ceil(stats.reset_time - time.time())
            raise RateLimitExceeded(state, min(max(1, left), self.item.get_expiry()))
        return state

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        """Close the Redis connections (the in-process storage holds none)."""
        if isinstance(self.storage, RedisStorage):
            self.storage.bridge.storage.connection_pool.disconnect()  # type: ignore[attr-defined]
            await asyncio.sleep(0)  # let the transports finish closing


def rate_headers(request: Any, exc: BaseException | None = None) -> dict[str, str]:
    """The X-RateLimit-* headers of this request (also on its error answers), if counted."""
    state = getattr(exc, "state", None) or getattr(request.state, "rate", None)
    return state.headers() if isinstance(state, RateState) else {}
