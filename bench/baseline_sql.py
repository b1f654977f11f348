"""The raw baseline's database layer: hand-written SQL on the bare drivers (aiosqlite, asyncpg).

The statements are written once with ``$1`` placeholders and a few macros for what the two
databases spell differently; decoding happens in SQL where it can (Money is a scaled integer
on SQLite, NUMERIC on PostgreSQL; see invoiceflow/models/types.py):

- ``{num2:col}`` / ``{num4:col}``: a Money column of 2 / 4 places as a float (a JSON number);
- ``{str2:col}`` / ``{str4:col}``: the same as an exact decimal string (GraphQL's ``Decimal``);
- ``{ts:col}``: a UTC timestamp as ISO 8601 with ``Z`` and no fraction;
- ``{today}``: today's date in UTC; ``{ids:$n}``: membership in an array parameter.

Every statement run is counted in ``Db.statements`` (BEGIN/COMMIT apart, as in the tests),
and every round trip to the database (transaction control included) in ``Db.trips``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import aiosqlite
import asyncpg
import orjson

_MACRO = re.compile(r"\{(num2|num4|str2|str4|ts|ids|ilike):([^}]+)\}")

# SQLite's exact strings split the scaled integer with printf: right for the non-negative
# amounts, quantities and prices that the baseline prints this way.
SQLITE_MACROS = {
    "num2": "(({0}) / 100.0)",
    "num4": "(({0}) / 10000.0)",
    "str2": "printf('%d.%02d', ({0}) / 100, ({0}) % 100)",
    "str4": "printf('%d.%04d', ({0}) / 10000, ({0}) % 10000)",
    "ts": "strftime('%Y-%m-%dT%H:%M:%SZ', {0})",
    "ids": "(SELECT value FROM json_each({0}))",
    "ilike": "lower({0}) LIKE lower({1}) ESCAPE '\\'",
}
POSTGRES_MACROS = {
    "num2": "({0})::float8",
    "num4": "({0})::float8",
    "str2": "({0})::text",
    "str4": "({0})::text",
    "ts": "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    "ids": "(SELECT unnest({0}::int[]))",
    "ilike": "{0} ILIKE {1} ESCAPE '\\'",
}


class Conn(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]: ...


class Db(Protocol):
    """One database: statements outside a transaction, and write transactions."""

    dialect: str
    statements: int
    trips: int

    def sql(self, template: str) -> str: ...
    def connection(self) -> Any: ...
    def transaction(self) -> Any: ...
    def money(self, value: Decimal, scale: int) -> Any: ...
    def id_list(self, ids: list[int]) -> Any: ...
    def day(self, value: date) -> Any: ...
    def timestamp(self, value: datetime) -> Any: ...
    async def close(self) -> None: ...


def _expand(template: str, macros: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        return macros[m.group(1)].format(*(arg.strip() for arg in m.group(2).split(",")))

    return _MACRO.sub(one, template)


class _Counted:
    """A connection that counts what it sends."""

    def __init__(self, db: Any, raw: Any) -> None:
        self.db = db
        self.raw = raw


class SqliteDb:
    dialect = "sqlite"

    def __init__(self, path: str, size: int = 10) -> None:
        self.path = path
        self.size = size
        self.statements = 0
        self.trips = 0
        self._idle: list[aiosqlite.Connection] = []
        self._all: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(size)
        self._cache: dict[str, str] = {}

    def sql(self, template: str) -> str:
        found = self._cache.get(template)
        if found is None:
            found = _expand(template, SQLITE_MACROS).replace("{today}", "date('now')")
            found = re.sub(r"\$(\d+)", r"?\1", found)
            self._cache[template] = found
        return found

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in ("foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
            await conn.execute(f"PRAGMA {pragma}")
        self._all.append(conn)
        return conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[SqliteConn]:
        async with self._slots:
            raw = self._idle.pop() if self._idle else await self._open()
            try:
                yield SqliteConn(self, raw)
            finally:
                self._idle.append(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConn]:
        """A write transaction: BEGIN IMMEDIATE, so writers queue instead of failing."""
        async with self.connection() as conn:
            await conn.raw.execute("BEGIN IMMEDIATE")
            self.trips += 1
            try:
                yield conn
            except BaseException:
                await conn.raw.execute("ROLLBACK")
                self.trips += 1
                raise
            await conn.raw.execute("COMMIT")
            self.trips += 1

    def money(self, value: Decimal, scale: int) -> Any:
        return int(value.scaleb(scale))

    def id_list(self, ids: list[int]) -> Any:
        return orjson.dumps(ids).decode()

    def day(self, value: date) -> Any:
        return value.isoformat()

    def timestamp(self, value: datetime) -> Any:
        # As SQLAlchemy stores a DateTime on SQLite: naive UTC with microseconds.
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()
        self._idle.clear()


class SqliteConn(_Counted):
    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        self.db.statements += 1
        self.db.trips += 1
        return list(await self.raw.execute_fetchall(sql, args))


class PostgresDb:
    dialect = "postgres"

    def __init__(self, dsn: str, size: int = 15) -> None:
        self.dsn = dsn
        self.size = size
        self.statements = 0
        self.trips = 0
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._cache: dict[str, str] = {}

    def sql(self, template: str) -> str:
        found = self._cache.get(template)
        if found is None:
            found = _expand(template, POSTGRES_MACROS)
            found = found.replace("{today}", "(now() AT TIME ZONE 'UTC')::date")
            self._cache[template] = found
        return found

    async def _pool_(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.dsn, min_size=1, max_size=self.size, reset=_no_reset
                    )
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PostgresConn]:
        pool = await self._pool_()
        async with pool.acquire() as raw:
            yield PostgresConn(self, raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConn]:
        async with self.connection() as conn, conn.raw.transaction():
            self.trips += 2  # BEGIN and COMMIT (or ROLLBACK)
            yield conn

    def money(self, value: Decimal, scale: int) -> Any:
        return value

    def id_list(self, ids: list[int]) -> Any:
        return ids

    def day(self, value: date) -> Any:
        return value

    def timestamp(self, value: datetime) -> Any:
        return value

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class PostgresConn(_Counted):
    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        self.db.statements += 1
        self.db.trips += 1
        return list(await self.raw.fetch(sql, *args))


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """The baseline sets no session state, so a returned connection needs no reset query."""


def open_db(url: str) -> SqliteDb | PostgresDb:
    """From a SQLAlchemy URL (``sqlite+aiosqlite:///...`` or ``postgresql+asyncpg://...``)."""
    if url.startswith("sqlite"):
        return SqliteDb(url.split(":///", 1)[1])
    return PostgresDb(url.replace("postgresql+asyncpg://", "postgresql://", 1))
