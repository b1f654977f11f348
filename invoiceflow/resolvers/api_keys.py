"""API keys: random, shown once, stored only as a SHA-256 hash with a visible prefix."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from invoiceflow.core.errors import NotFound, ValidationFailed
from invoiceflow.core.principal import ROLES, Principal
from invoiceflow.models import ApiKey, Membership, Team, User
from invoiceflow.models.types import utcnow
from invoiceflow.resolvers import events
from invoiceflow.resolvers.validation import Input, parse

KEY_PREFIX = "ifk_"
VISIBLE_CHARS = 12
# Active keys a user may hold (API.md §6). The rate limit counts per user whatever the keys,
# and a bound keeps a leaked key from minting an unbounded set of others.
MAX_ACTIVE_KEYS = 50


def hash_key(plain: str) -> str:
    # 256 random bits need no slow hash: a fast digest cannot be brute-forced, and lookups by
    # digest compare hashes only, never the plain key.
    return hashlib.sha256(plain.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """A fresh key as (plain, visible prefix, hash)."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    return plain, plain[:VISIBLE_CHARS], hash_key(plain)


class NewKeyInput(Input):
    name: str = Field(min_length=1, max_length=200)


async def create_api_key(
    *, session: AsyncSession, principal: Principal, data: Any
) -> tuple[ApiKey, str]:
    """A key for the caller; the plain key is returned here and never again."""
    name = parse(NewKeyInput, data).name
    key, plain = await _issue(session, user_id=principal.user_id, name=name)
    events.record(session, "api_key.created", key)
    return key, plain


async def list_api_keys(*, session: AsyncSession, principal: Principal) -> list[ApiKey]:
    stmt = select(ApiKey).where(col(ApiKey.user_id) == principal.user_id).order_by(col(ApiKey.id))
    return list((await session.execute(stmt)).scalars())


async def revoke_api_key(*, session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    """Revoke one of the caller's own keys; the next request with it gets 401."""
    key = await session.scalar(
        select(ApiKey).where(col(ApiKey.id) == key_id, col(ApiKey.user_id) == principal.user_id)
    )
    if key is None:
        raise NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
        events.record(session, "api_key.revoked", key)
    return key


async def key_is_active(session: AsyncSession, plain: str) -> bool:
    found = await session.scalar(
        select(col(ApiKey.id)).where(
            col(ApiKey.key_hash) == hash_key(plain), col(ApiKey.revoked_at).is_(None)
        )
    )
    return found is not None


async def _issue(session: AsyncSession, *, user_id: int, name: str) -> tuple[ApiKey, str]:
    # The user's row locked first (PostgreSQL; SQLite has one writer at a time): two
    # concurrent creates then count one after the other, never both 49. FOR NO KEY UPDATE:
    # the share lock a foreign key to the user takes (an Idempotency-Key's claim, made
    # first in the same transaction) must not conflict with it, or two such creates deadlock.
    await session.execute(
        select(col(User.id)).where(col(User.id) == user_id).with_for_update(key_share=True)
    )
    active = await session.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(col(ApiKey.user_id) == user_id, col(ApiKey.revoked_at).is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_KEYS:
        raise ValidationFailed.on(
            "name", f"You already hold {MAX_ACTIVE_KEYS} active API keys: revoke one first."
        )
    plain, prefix, digest = new_key()
    key = ApiKey(user_id=user_id, name=name, prefix=prefix, key_hash=digest)
    session.add(key)
    await session.flush()
    return key, plain


async def provision(
    *,
    session: AsyncSession,
    email: str,
    team_name: str | None = None,
    role: str = "admin",
    key_name: str = "default",
) -> tuple[User, Team, str]:
    """For the CLI: the user and team where missing, the membership, and a new key.

    A team's creator is its owner with role admin; ``role`` applies when joining a team
    that already exists. The user's current team is set when they have none yet.
    """
    if role not in ROLES:
        raise ValidationFailed.on("role", f"Must be one of: {', '.join(ROLES)}.")
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed.on("email", "Must be a valid email address.")
    user = await session.scalar(select(User).where(col(User.email) == email))
    if user is None:
        user = User(email=email, name=email.split("@")[0])
        session.add(user)
        await session.flush()
    team = await _team_for(session, user, team_name or "My Company")
    membership = await session.scalar(
        select(Membership).where(
            col(Membership.team_id) == team.id, col(Membership.user_id) == user.id
        )
    )
    if membership is None:
        existing = await session.scalar(
            select(Membership).where(col(Membership.team_id) == team.id)
        )
        is_owner = existing is None
        membership = Membership(
            team_id=team.id,  # type: ignore[arg-type]
            user_id=user.id,  # type: ignore[arg-type]
            role="admin" if is_owner else role,
            is_owner=is_owner,
        )
        session.add(membership)
    if user.current_team_id is None:
        user.current_team_id = team.id
    await session.flush()
    _key, plain = await _issue(session, user_id=user.id, name=key_name)  # type: ignore[arg-type]
    return user, team, plain


async def _team_for(session: AsyncSession, user: User, name: str) -> Team:
    """The user's team of that name, else any team of that name, else a new one."""
    mine = await session.scalar(
        select(Team)
        .join(Membership, col(Membership.team_id) == Team.id)
        .where(col(Membership.user_id) == user.id, col(Team.name) == name)
        .order_by(col(Team.id))
    )
    if mine is not None:
        return mine
    other = await session.scalar(select(Team).where(col(Team.name) == name).order_by(col(Team.id)))
    if other is not None:
        return other
    team = Team(name=name)
    session.add(team)
    await session.flush()
    return team
