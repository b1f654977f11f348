"""The async engine and session factory.

SQLite runs with foreign keys on, WAL and a busy timeout; write transactions there begin
with ``BEGIN IMMEDIATE`` so two concurrent writers queue instead of failing on a lock upgrade.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from invoiceflow import fast
from invoiceflow.core.errors import ServiceUnavailable
from invoiceflow.fast import sqlite_onetrip

registry.register(sqlite_onetrip.NAME, "invoiceflow.fast.sqlite_onetrip", "OneTripDialect")


# Connections per process unless configured (see Settings.db_pool_size).
SQLITE_POOL = 2
POSTGRES_POOL = 20


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(
    url: str, *, timeout: float = 5.0, sqlite_foreign_keys: bool = True, **kwargs: Any
) -> AsyncEngine:
    """Create the engine for ``url`` with the connection settings this project relies on.

    Migrations turn SQLite's foreign keys off: batch mode rebuilds a table by dropping it,
    and with foreign keys on, that drop would cascade into the rows that reference it.
    """
    if is_sqlite(url):
        parsed = make_url(url)
        if fast.ON and parsed.get_driver_name() == "aiosqlite":  # one thread hop a statement
            parsed = parsed.set(drivername=sqlite_onetrip.NAME.replace(".", "+"))
        engine = create_async_engine(
            parsed, connect_args={"timeout": timeout}, pool_timeout=timeout, **kwargs
        )
        _configure_sqlite(engine, busy_ms=int(timeout * 1000), foreign_keys=sqlite_foreign_keys)
        return engine
    connect_args = {
        "timeout": timeout,
        "command_timeout": timeout * 6,
        "server_settings": {"statement_timeout": str(int(timeout * 6000))},
    }
    # No pool_pre_ping: on asyncpg it costs three round trips (BEGIN, ";", ROLLBACK) on every
    # checkout. A connection the server dropped fails its request with 503 instead, and
    # SQLAlchemy then renews every pooled connection older than that failure.
    engine = create_async_engine(url, connect_args=connect_args, pool_timeout=timeout, **kwargs)
    event.listen(engine.sync_engine, "connect", _numeric_as_text)
    return engine


def autocommits(bind: AsyncEngine | Connection) -> bool:
    """Whether ``bind`` runs each statement as its own transaction (PostgreSQL's reads)."""
    return bool(bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def _numeric_as_text(dbapi_connection: Any, _record: Any) -> None:
    """NUMERIC travels as its text and is read by ``Decimal(text)``: the same exact value at
    the same scale as asyncpg's binary decoding, in about half the time (1,200 amounts: 400
    -> 200 µs). Parameters go as ``str(Decimal)``, which PostgreSQL parses exactly."""
    dbapi_connection.run_async(
        lambda connection: connection.set_type_codec(
            "numeric", schema="pg_catalog", encoder=str, decoder=Decimal, format="text"
        )
    )


def _configure_sqlite(engine: AsyncEngine, *, busy_ms: int, foreign_keys: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own transaction handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        dbapi_connection = conn.connection.dbapi_connection
        if isinstance(dbapi_connection, sqlite_onetrip.OneTripConnection):
            dbapi_connection.begin_with_next(statement)  # sent in the first statement's hop
        else:
            conn.exec_driver_sql(statement)


async def acquire_within(lock: asyncio.Lock | asyncio.Semaphore, wait: float) -> None:
    """Acquire ``lock``, waiting in order of arrival; after ``wait`` seconds, 503 (as any
    database wait). For a request's turn here and for a write's turn on SQLite."""
    try:
        async with asyncio.timeout(wait):
            await lock.acquire()
    except TimeoutError:
        raise ServiceUnavailable("The server is busy; try again shortly.") from None


# Whether this task holds its database's writer turn (SQLite): a write begun inside another
# of the same task (the journal's, after the request rolled back) must not wait for itself.
_HOLDS_TURN: contextvars.ContextVar[Database | None] = contextvars.ContextVar(
    "holds_writer_turn", default=None
)


@dataclass
class Database:
    """The engine and the two session factories (read and write) of one process."""

    engine: AsyncEngine
    read_sessions: async_sessionmaker[AsyncSession]
    write_sessions: async_sessionmaker[AsyncSession]
    # SQLite takes one writer at a time; this process's writing requests queue here, in
    # order, rather than in SQLite's busy handler, which sleeps and retries (a create's p99
    # under 32 connections was 3 s). None on PostgreSQL, where rows lock, not the database.
    writer_turn: asyncio.Lock | None = None
    # Reads run in autocommit (PostgreSQL): each statement is its own transaction, so a
    # read session has nothing left to commit when it ends.
    reads_autocommit: bool = False
    # Seconds a write waits for its turn before answering 503, as any database wait.
    timeout: float = 5.0

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """The one way to write: a write session, in SQLite's writer turn (taken in arrival
        order, 503 past the timeout; PostgreSQL has none). The block commits what it wrote
        unless it raised (or rolled back itself)."""
        turn = self.writer_turn if _HOLDS_TURN.get() is not self else None
        if turn is not None:
            await acquire_within(turn, self.timeout)
        held = _HOLDS_TURN.set(self) if turn is not None else None
        try:
            async with self.write_sessions() as session:
                try:
                    yield session
                except BaseException:
                    await session.rollback()
                    raise
                if session.in_transaction():
                    await session.commit()
        finally:
            if turn is not None:
                turn.release()  # first: nothing after it may keep the turn from the others
            if held is not None:
                _HOLDS_TURN.reset(held)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 5.0, pool_size: int | None = None) -> Database:
        # A fixed pool: requests beyond it wait (at most ``timeout``) for a connection.
        if pool_size is None:
            pool_size = SQLITE_POOL if is_sqlite(url) else POSTGRES_POOL
        engine = make_engine(url, timeout=timeout, pool_size=pool_size, max_overflow=0)
        if is_sqlite(url):
            # A read is one transaction: SQLite gives it one snapshot for all its statements
            # (and its BEGIN travels with the first statement: no round trip of its own).
            reader, writer = engine, engine.execution_options(sqlite_immediate=True)
        else:
            # PostgreSQL at READ COMMITTED gives every statement its own snapshot, inside a
            # transaction or not: a read-only request's BEGIN and COMMIT buy nothing but two
            # round trips, so reads run in autocommit. Writes keep their one transaction.
            reader, writer = engine.execution_options(isolation_level="AUTOCOMMIT"), engine
        options: dict[str, Any] = {"expire_on_commit": False}
        return cls(
            engine=engine,
            read_sessions=async_sessionmaker(reader, **options),
            write_sessions=async_sessionmaker(writer, **options),
            writer_turn=asyncio.Lock() if is_sqlite(url) else None,
            reads_autocommit=autocommits(reader),
            timeout=timeout,
        )

    async def dispose(self) -> None:
        await self.engine.dispose()
