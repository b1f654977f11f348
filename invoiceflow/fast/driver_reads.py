"""Lean reads on PostgreSQL fetched by asyncpg itself, past SQLAlchemy's execution path.

A statement SQLAlchemy runs costs about 100 µs of CPU on top of asyncpg's own work (the
execution context, its events, the greenlet hops, the result's metadata): for a REST list
that was a fifth of the request. A read-only row (``models.sql.lean_rows``) needs none of it.
So a ``SELECT`` built once is compiled once by SQLAlchemy (its SQL, its parameters in order,
their bind processors, its columns' result processors) and then, on each run, its values are
bound and asyncpg fetches it on the session's own connection, inside the session's own
transaction, under the lock SQLAlchemy's adapter takes for every statement on that connection.

What stays SQLAlchemy's:
- the first two runs of each statement (the second's results name the columns and their
  types; a statement seen once, such as one built per call, is never compiled here);
- anything not a plain ``SELECT`` with one set of parameters (an INSERT's columns follow
  its values; an expanding ``IN`` is rendered per run), any other database, and the first
  statement of a write transaction SQLAlchemy has not begun yet;
- errors: an asyncpg error is translated and raised as SQLAlchemy raises it (a lost
  connection is invalidated, then ``DBAPIError`` with ``connection_invalidated``);
- events: ``before_cursor_execute`` listeners still see every statement (the tests and the
  bench count statements with them).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult, Select

from invoiceflow.db import autocommits

# Plans by statement object, for the statements built once (bounded all the same: the
# least recently run go first).
MAX_PLANS = 1024


@dataclass(frozen=True)
class Plan:
    """One statement as asyncpg runs it."""

    sql: str
    compiled: Any  # SQLAlchemy's compiled form: the values of literals it holds
    names: tuple[str, ...]  # the parameters in $1, $2 ... order
    binders: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)
    readers: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, result processor)
    make: Callable[[Sequence[Any]], Any]  # the row's named tuple

    def arguments(self, params: dict[str, Any] | None) -> list[Any]:
        values = self.compiled.construct_params(params)
        arguments = [values[name] for name in self.names]
        for position, bind in self.binders:
            arguments[position] = bind(arguments[position])
        return arguments

    def rows(self, records: Sequence[Any]) -> list[Any]:
        make = self.make
        if not self.readers:
            return [make(record) for record in records]
        rows = []
        for record in records:
            values = list(record)
            for column, read in self.readers:
                values[column] = read(values[column])
            rows.append(make(values))
        return rows


SEEN_ONCE = "seen once"  # perhaps built per call: not compiled (yet)
NOT_PLANNED = "SQLAlchemy's"  # not one asyncpg can run as planned


class Plans:
    """The plans of one process: a statement gets one at its second run."""

    def __init__(self) -> None:
        self._plans: collections.OrderedDict[Any, Plan | str] = collections.OrderedDict()

    def get(self, stmt: Any) -> Plan | str | None:
        found = self._plans.get(stmt)
        if found is not None:
            self._plans.move_to_end(stmt)  # the least recently run go first
        return found

    def learn(self, stmt: Any, result: CursorResult[Any], make: Callable[..., Any]) -> None:
        """Note what SQLAlchemy's run of ``stmt`` showed; the second time, plan it."""
        if stmt not in self._plans:
            self._plans[stmt] = SEEN_ONCE
        else:
            self._plans[stmt] = _plan(stmt, result, make) or NOT_PLANNED
        while len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)


PLANS = Plans()


def eligible(stmt: Any, params: Any, connection: Connection) -> bool:
    """Whether asyncpg may run ``stmt`` here: a SELECT with one set of parameters, on an
    asyncpg connection that is in autocommit or whose transaction has begun."""
    if not isinstance(stmt, Select) or not (params is None or isinstance(params, dict)):
        return False
    if connection.dialect.driver != "asyncpg":
        return False
    driver: Any = connection.connection.driver_connection
    return bool(driver.is_in_transaction()) or autocommits(connection)


async def fetch(plan: Plan, connection: Connection, params: dict[str, Any] | None) -> list[Any]:
    arguments = plan.arguments(params)
    if connection.dispatch.before_cursor_execute:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, None, plan.sql, arguments, None, False)
    fairy = connection.connection
    adapter: Any = fairy.dbapi_connection
    driver: Any = fairy.driver_connection
    try:
        async with adapter._execute_mutex:  # the lock SQLAlchemy takes for each statement
            records = await driver.fetch(plan.sql, *arguments)
    except Exception as error:
        _raise_as_sqlalchemy(connection, adapter, plan.sql, arguments, error)
    return plan.rows(records)


def _raise_as_sqlalchemy(
    connection: Connection, adapter: Any, sql: str, arguments: list[Any], error: Exception
) -> None:
    """Raise ``error`` as SQLAlchemy would have: translated to the DBAPI's exception by the
    adapter, then wrapped (and the connection invalidated when it was lost)."""
    try:
        adapter._handle_exception(error)
    except Exception as translated:
        connection._handle_dbapi_exception(translated, sql, arguments, None, None)
    raise error  # not reached: both above raise


def _plan(stmt: Select[Any], result: CursorResult[Any], make: Callable[..., Any]) -> Plan | None:
    """``stmt`` compiled as SQLAlchemy ran it into ``result``, or None if asyncpg cannot run
    it so (parameters rendered per run, or columns not as the statement selects them)."""
    dialect = result.context.dialect
    compiled: Any = stmt.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None  # rendered per run (an expanding IN): SQLAlchemy's to run
    description = result.context.cursor.description or ()
    columns = list(stmt.selected_columns)
    if len(columns) != len(description):
        return None
    names = tuple(compiled.positiontup or ())
    binders = []
    for position, name in enumerate(names):
        bind = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if bind is not None:
            binders.append((position, bind))
    readers = []
    for index, (column, described) in enumerate(zip(columns, description, strict=True)):
        read = column.type.dialect_impl(dialect).result_processor(dialect, described[1])
        if read is not None:
            readers.append((index, read))
    return Plan(
        sql=compiled.string,
        compiled=compiled,
        names=names,
        binders=tuple(binders),
        readers=tuple(readers),
        make=make,
    )
