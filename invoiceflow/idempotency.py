"""Idempotency keys with Stripe's semantics, for REST POSTs and GraphQL mutations.

Scoped to the team and the key's user and kept 24 hours. The same key with the same request
replays the stored answer without running again; with a different request it is a 422; while
the first still runs, a 409.

A request claims its key in its own work's transaction and stores its answer there before
that transaction commits: the work's writes, the claim and the answer commit together, or
none of them does. A crash at any point leaves either the finished request (replayed from
then on) or no trace of it (the key free, the work undone): it can never run twice. An
answer that did not commit the work (an error, a GraphQL result with errors) is stored in a
transaction of its own afterwards, when the work provably left nothing behind. Requests
refused before anything ran (bad JSON, auth, rate limit, invalid input) store nothing, so
they can be retried.

"Still running" is known without a row: in this process by the keys at work here, across
processes on PostgreSQL by a transaction-scoped advisory lock on the key, and on SQLite by
the database's single writer (a second process's claim meets the first one's committed row).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response

from invoiceflow.core.errors import BadRequest, DomainError
from invoiceflow.core.principal import Principal
from invoiceflow.db import Database
from invoiceflow.models import IdempotencyKey
from invoiceflow.models.sql import is_postgres
from invoiceflow.models.types import utcnow

HEADER = "idempotency-key"
MAX_LENGTH = 255
RETENTION = timedelta(hours=24)
# An unfinished claim older than this (only the code before 2026-12-04 wrote one, while its
# request ran) belongs to a process that died: it may be retaken.
ABANDONED = timedelta(minutes=10)
# Answers that mean nothing ran, so nothing is stored and the key stays usable.
NOT_STORED = {400, 401, 413, 422, 429, 499, 503}


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409
    default_message = "A request with this Idempotency-Key is still running; retry later."


class IdempotencyMismatch(DomainError):
    code = "idempotency_mismatch"
    status = 422
    default_message = "This Idempotency-Key was used with a different request."


@dataclass(frozen=True)
class Keyed:
    """A request's key and the fingerprint of the request it names."""

    key: str
    fingerprint: str

    def scope(self, principal: Principal) -> tuple[int, int, str]:
        return (principal.team_id, principal.user_id, self.key)


def requested(request: Request, *parts: bytes | str) -> Keyed | None:
    """The request's Idempotency-Key (1 to 255 printable characters), if it sent one, with
    the fingerprint of ``parts`` (what makes two requests the same)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_LENGTH or not key.isprintable():
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_LENGTH} printable characters.")
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return Keyed(key, digest.hexdigest())


def _where(principal: Principal, keyed: Keyed) -> Any:
    return (
        (col(IdempotencyKey.team_id) == principal.team_id)
        & (col(IdempotencyKey.user_id) == principal.user_id)
        & (col(IdempotencyKey.key) == keyed.key)
    )


async def replay(db: Database, principal: Principal, keyed: Keyed) -> Response | None:
    """The stored answer of the first request with this key, or None when there is none
    (or it is past its retention); a different request with the key is a 422."""
    async with db.read_sessions() as session:
        found = (
            await session.execute(select(IdempotencyKey).where(_where(principal, keyed)))
        ).scalar_one_or_none()
    if found is None or found.body is None or found.status is None:
        return None  # a claim of the code before this one's, never finished: not an answer
    if found.created_at < utcnow() - RETENTION:
        return None
    if found.fingerprint != keyed.fingerprint:
        raise IdempotencyMismatch()
    return Response(
        found.body,
        status_code=found.status,
        media_type=found.media_type,
        headers={"Idempotent-Replayed": "true"},
    )


# The keys at work in this process: a second request with one of them is a 409 at once.
_RUNNING: set[tuple[int, int, str]] = set()


@asynccontextmanager
async def running(principal: Principal, keyed: Keyed) -> AsyncIterator[None]:
    """Hold the key in this process while its request runs (409 when it is held already)."""
    scope = keyed.scope(principal)
    if scope in _RUNNING:
        raise IdempotencyConflict()
    _RUNNING.add(scope)
    try:
        yield
    finally:
        _RUNNING.discard(scope)


async def claim(session: AsyncSession, principal: Principal, keyed: Keyed) -> IdempotencyKey:
    """Take the key in the work's own transaction (see the module's docstring): a 409 when
    another transaction holds it or has just stored its answer."""
    if is_postgres(session):
        lock = int.from_bytes(hashlib.sha256(repr(keyed.scope(principal)).encode()).digest()[:8])
        held = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:lock)"), {"lock": lock - 2**63}
        )
        if not held:
            raise IdempotencyConflict()
    now = utcnow()
    if random.random() < 0.01:  # now and then, forget keys past their retention
        await session.execute(
            delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < now - RETENTION)
        )
    # This key's own row past its retention, or a claim the code before this one left
    # unfinished long enough ago that its request is gone (a younger one may still run, in
    # a worker not yet replaced: its row makes the insert below a 409).
    await session.execute(
        delete(IdempotencyKey).where(
            _where(principal, keyed),
            (col(IdempotencyKey.created_at) < now - RETENTION)
            | (
                col(IdempotencyKey.body).is_(None)
                & (col(IdempotencyKey.created_at) < now - ABANDONED)
            ),
        )
    )
    row = IdempotencyKey(
        team_id=principal.team_id,
        user_id=principal.user_id,
        key=keyed.key,
        fingerprint=keyed.fingerprint,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # another request's answer committed since ours was looked up
        raise IdempotencyConflict() from None
    return row


def storable(response: Response) -> bool:
    return response.status_code not in NOT_STORED


async def store(session: AsyncSession, row: IdempotencyKey, response: Response) -> None:
    """Keep ``response`` with the claim, in the work's transaction, before it commits."""
    row.status = response.status_code
    row.media_type = response.media_type
    row.body = bytes(response.body)
    row.completed_at = utcnow()
    await session.flush()


async def store_alone(db: Database, principal: Principal, keyed: Keyed, response: Response) -> None:
    """Keep the answer of a request whose work did not commit (it rolled back: nothing of
    it is left), in a transaction of its own."""
    if not storable(response):
        return
    try:
        async with db.write() as session:
            row = await claim(session, principal, keyed)
            await store(session, row, response)
    except IdempotencyConflict:
        pass  # another request with the key has stored its own answer meanwhile
