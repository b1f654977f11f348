"""SQLite through aiosqlite in one thread hop per statement.

aiosqlite runs each sqlite3 call on its connection's own thread; SQLAlchemy's adapter makes
four such calls per statement (open a cursor, execute, fetch, close), and every one is a
round trip between the event loop and that thread. This dialect runs the four together in
one call on the thread, so a statement costs one hop (a list request went from 17 hops to
5). Everything else is SQLAlchemy's own aiosqlite dialect; ``make_engine`` uses it for
``sqlite+aiosqlite://`` URLs.

Transactions cost no hop of their own either. ``BEGIN`` (or ``BEGIN IMMEDIATE``) waits for
the transaction's first statement and runs in its hop (``begin_with_next``); a commit or a
rollback runs only when a transaction is open on the connection, as sqlite3 itself reports
after every hop. A request's transaction of N statements is N + 1 hops (the commit), where
it was N + 3: the BEGIN, the commit, and the rollback the pool sends when it takes the
connection back, even after a commit.

It relies on what SQLAlchemy's adapter itself relies on in aiosqlite: ``Connection._execute``
(run a function on the connection's thread) and ``Connection._conn`` (the sqlite3
connection, touched only on that thread).
"""

from __future__ import annotations

import collections
from typing import Any, cast

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# Registered under this name by invoiceflow.db, which rewrites sqlite+aiosqlite URLs to it.
NAME = "sqlite.aiosqlite_onetrip"


def _run(
    raw: Any, begin: str | None, operation: str, parameters: Any, many: bool
) -> tuple[Any, ...]:
    """On the connection's thread: the whole statement, cursor opened and closed, after
    ``begin`` when a transaction is to start with it."""
    if begin is not None:
        raw.execute(begin)
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows, raw.in_transaction
    finally:
        cursor.close()


def _end(raw: Any, how: str) -> bool:
    """On the connection's thread: commit or roll back; whether a transaction is still open."""
    getattr(raw, how)()
    return bool(raw.in_transaction)


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no aiosqlite cursor is kept open
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: Any = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._one_trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._one_trip(operation, seq_of_parameters, many=True)

    async def _one_trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapted = cast(OneTripConnection, self._adapt_connection)
        connection = self._connection
        async with adapted._execute_mutex:
            begin, adapted._begin = adapted._begin, None
            adapted._open = True  # until the thread says otherwise (a failed statement included)
            done = await connection._execute(
                _run, connection._conn, begin, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid, rows, adapted._open = done
        if rows is not None:
            self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    # _begin: the BEGIN statement the next statement's hop starts with; _open: whether a
    # transaction may be open on the connection (True unless a hop has said it is not).
    __slots__ = ("_begin", "_open")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        self._open = True

    def begin_with_next(self, statement: str) -> None:
        """Start a transaction with ``statement`` in the hop of the next statement."""
        self._begin = statement

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self._begin is not None:  # a streamed result has its own hops
            self._send_pending_begin()
        return super().cursor(server_side)

    def _send_pending_begin(self) -> None:
        statement, self._begin = self._begin, None
        if statement is not None:
            self._open = True
            await_(self._connection.execute(statement))

    def commit(self) -> None:
        self._end("commit")

    def rollback(self) -> None:
        self._end("rollback")

    def _end(self, how: str) -> None:
        if self._begin is not None:  # the transaction never ran a statement: nothing to end
            self._begin = None
            return
        if not self._open or not self._connection._connection:
            return
        try:
            self._open = await_(self._connection._execute(_end, self._connection._conn, how))
        except Exception as error:
            self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        stock = super().connect(*arg, **kw)  # aiosqlite's connection, opened as SQLAlchemy does
        return OneTripConnection(self, stock._connection)


class OneTripDialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


__all__ = ["NAME", "OneTripConnection", "OneTripDialect"]
