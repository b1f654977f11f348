"""Idempotency keys with Stripe's semantics, for REST POSTs and GraphQL mutations.

Scoped to the team and the key's user and kept 24 hours. The first request with a key
claims it (in a transaction of its own) and stores its response when done; the same key
with the same request replays that response without running again; with a different
request it is a 422; while the first still runs, a 409. Requests refused before anything
ran (bad JSON, auth, rate limit, invalid input) store nothing, so they can be retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response

from invoiceflow.context import authenticate_request
from invoiceflow.core.errors import BadRequest, DomainError
from invoiceflow.core.principal import Principal
from invoiceflow.db import Database
from invoiceflow.models import IdempotencyKey
from invoiceflow.models.types import utcnow
from invoiceflow.services import Services

HEADER = "idempotency-key"
MAX_LENGTH = 255
RETENTION = timedelta(hours=24)
# A claim still "running" after this long belongs to a process that died: it may be retaken.
ABANDONED = timedelta(minutes=10)
# Answers that mean nothing ran, so nothing is stored and the key stays usable.
NOT_STORED = {400, 401, 413, 422, 429, 503}


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409
    default_message = "A request with this Idempotency-Key is still running; retry later."


class IdempotencyMismatch(DomainError):
    code = "idempotency_mismatch"
    status = 422
    default_message = "This Idempotency-Key was used with a different request."


@dataclass(frozen=True)
class Claim:
    row_id: int


@dataclass(frozen=True)
class Replay:
    response: Response


def requested_key(request: Request) -> str | None:
    """The request's Idempotency-Key, if any (1 to 255 visible characters)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_LENGTH or not key.isprintable():
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_LENGTH} printable characters.")
    return key


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


async def claim(db: Database, principal: Principal, key: str, print_: str) -> Claim | Replay:
    """Take the key for this request, or answer with what the first request stored."""
    now = utcnow()
    scope = (
        (col(IdempotencyKey.team_id) == principal.team_id)
        & (col(IdempotencyKey.user_id) == principal.user_id)
        & (col(IdempotencyKey.key) == key)
    )
    async with db.write_sessions.begin() as session:
        if random.random() < 0.01:  # now and then, forget keys past their retention
            await session.execute(
                delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < now - RETENTION)
            )
        found = (await session.execute(select(IdempotencyKey).where(scope))).scalar_one_or_none()
        if found is not None and _expired(found, now):
            await session.delete(found)
            await session.flush()
            found = None
        if found is None:
            row = IdempotencyKey(
                team_id=principal.team_id, user_id=principal.user_id, key=key, fingerprint=print_
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                # Another request took the key between our read and our insert.
                raise IdempotencyConflict() from None
            assert row.id is not None
            return Claim(row.id)
    if found.fingerprint != print_:
        raise IdempotencyMismatch()
    if found.status is None:
        raise IdempotencyConflict()
    assert found.body is not None
    return Replay(
        Response(
            found.body,
            status_code=found.status,
            media_type=found.media_type,
            headers={"Idempotent-Replayed": "true"},
        )
    )


def _expired(row: IdempotencyKey, now: datetime) -> bool:
    limit = ABANDONED if row.status is None else RETENTION
    return row.created_at < now - limit


async def finish(db: Database, taken: Claim, response: Response | None) -> None:
    """Store the response for replays, or give the key back when nothing ran."""

    async def settle() -> None:
        async with db.write_sessions.begin() as session:
            row = col(IdempotencyKey.id) == taken.row_id
            if response is None or response.status_code in NOT_STORED:
                await session.execute(delete(IdempotencyKey).where(row))
                return
            await session.execute(
                update(IdempotencyKey)
                .where(row)
                .values(
                    status=response.status_code,
                    media_type=response.media_type,
                    body=bytes(response.body),
                    completed_at=utcnow(),
                )
            )

    # Shielded: a client that goes away must not leave the key claimed forever.
    await asyncio.shield(settle())


async def once(
    services: Services,
    request: Request,
    key: str,
    print_: str,
    execute: Callable[[Principal], Awaitable[Response]],
) -> Response:
    """Run ``execute`` at most once for this key, replaying its stored response after."""
    principal = await authenticate_request(services, request)
    outcome = await claim(services.db, principal, key, print_)
    if isinstance(outcome, Replay):
        return outcome.response
    response: Response | None = None
    try:
        response = await execute(principal)
        return response
    finally:
        await finish(services.db, outcome, response)
