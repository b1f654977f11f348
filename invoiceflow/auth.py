"""Bearer key -> principal (user, current team, role), once per request."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import Unauthenticated
from invoiceflow.core.principal import Principal
from invoiceflow.models import ApiKey, Membership, User
from invoiceflow.models.sql import lean_rows
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers.api_keys import KEY_PREFIX, hash_key

# last_used_at is a hint, not an audit log: it is refreshed at most once a minute, in a
# transaction of its own, so read requests never write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated()
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX) or len(token) > 200:
        raise Unauthenticated("Malformed Authorization header: expected 'Bearer <api key>'.")
    return token


# Key digest -> its user and when this process last authenticated the key (the oldest
# forgotten first, past 10,000): a GraphQL document refused before any SQL is still counted
# against the key's user. Only for a minute after the key last worked: a key revoked since
# (another process may have seen it revoked) charges its own counter, not its user's.
_USERS: dict[str, tuple[int, float]] = {}
_USERS_KEPT = 10_000
_USERS_FOR = LAST_USED_RESOLUTION.total_seconds()
_clock = time.monotonic


def user_rate_key(user_id: int) -> str:
    """The rate-limit counter of a user: all of the user's keys share it (API.md §6)."""
    return f"user:{user_id}"


def rate_key(authorization: str | None) -> str:
    """The rate-limit counter of the key in this header, found without SQL: its user's when
    this process has authenticated the key before, the key's own until then."""
    digest = hash_key(bearer_token(authorization))
    known = _USERS.get(digest)
    if known is not None and _clock() - known[1] < _USERS_FOR:
        return user_rate_key(known[0])
    return "key:" + digest[:32]


def _learn_user(digest: str, user_id: int) -> None:
    _USERS.pop(digest, None)  # to the end: the oldest go first
    if len(_USERS) >= _USERS_KEPT:
        del _USERS[next(iter(_USERS))]
    _USERS[digest] = (user_id, _clock())


# Built once: composing the statement costs more than running it.
_BY_HASH = (
    select(
        col(ApiKey.id),
        col(ApiKey.name),
        col(ApiKey.last_used_at),
        col(User.id),
        col(Membership.team_id),
        col(Membership.role),
        col(Membership.is_owner),
    )
    .join(User, col(User.id) == col(ApiKey.user_id))
    .join(
        Membership,
        (col(Membership.user_id) == col(User.id))
        & (col(Membership.team_id) == col(User.current_team_id)),
    )
    .where(col(ApiKey.key_hash) == bindparam("digest"), col(ApiKey.revoked_at).is_(None))
)


async def authenticate(session: AsyncSession, authorization: str | None) -> Principal:
    """Resolve the key by its hash (never by comparing plain keys) to a principal."""
    digest = hash_key(bearer_token(authorization))
    found = await lean_rows(session, _BY_HASH, {"digest": digest})  # the columns need no ORM
    if not found:
        raise Unauthenticated("This API key is unknown or has been revoked.")
    key_id, key_name, last_used_at, user_id, team_id, role, is_owner = found[0]
    assert user_id is not None  # a primary key, from an inner join
    _learn_user(digest, user_id)
    return Principal(
        user_id=user_id,
        team_id=team_id,
        role=role,
        is_owner=is_owner,
        api_key_id=key_id,
        api_key_name=key_name,
        key_last_used_at=last_used_at,
    )


def key_use_is_stale(principal: Principal) -> bool:
    last = principal.key_last_used_at
    return last is None or utcnow() - last > LAST_USED_RESOLUTION


async def touch_key(session: AsyncSession, principal: Principal) -> None:
    """Record that the key was used; run in its own short write transaction."""
    await session.execute(
        update(ApiKey).where(col(ApiKey.id) == principal.api_key_id).values(last_used_at=utcnow())
    )
