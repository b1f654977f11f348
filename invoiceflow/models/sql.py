"""``column IN (ids)`` with the ids bound as one value on PostgreSQL; lean reads.

SQLAlchemy's ``in_()`` binds one parameter per id and expands them when the statement runs,
which for a loader's 100 ids costs about 0.5 ms per statement. On PostgreSQL ``one_of_bound``
binds the list once, ``column = ANY($1)`` with an integer array, which the planner treats
like an IN list. On SQLite it stays ``in_()``: the JSON-array form (``IN (SELECT value FROM
json_each(?))``) made SQLite's planner scan the team's rows instead of probing the key.
"""

from __future__ import annotations

import collections
import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    Executable,
    Float,
    Integer,
    Select,
    any_,
    bindparam,
    func,
    insert,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col

from invoiceflow import fast
from invoiceflow.fast import driver_reads
from invoiceflow.models.types import Money, StoredMoney


async def lean_rows(
    session: AsyncSession,
    stmt: Executable,
    params: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
) -> Sequence[Any]:
    """Run ``stmt`` on the session's connection and return its rows as named tuples, without
    the ORM's per-row loading (read-only rows, named as the statement's columns). The session
    flushes first, as ``session.execute`` would, when it holds unwritten changes."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await _connection_of(session)
    sync = connection.sync_connection
    assert sync is not None  # a session's connection is always begun
    plan: driver_reads.Plan | str | None = driver_reads.NOT_PLANNED
    if fast.ON and driver_reads.eligible(stmt, params, sync):  # asyncpg may run it
        plan = driver_reads.PLANS.get(stmt)
        if isinstance(plan, driver_reads.Plan):
            return await driver_reads.fetch(plan, sync, cast(dict[str, Any] | None, params))
    result = await connection.execute(stmt, params)
    make = record_type(tuple(result.keys()))
    if plan != driver_reads.NOT_PLANNED:
        driver_reads.PLANS.learn(stmt, result, make)
    return [make(row) for row in result.all()]


_CONNECTION = "invoiceflow.lean_connection"  # in session.info: (transaction, connection)


async def _connection_of(session: AsyncSession) -> AsyncConnection:
    """The session's connection, as ``session.connection()`` answers it. A transaction keeps
    one connection for its life, so it is asked for once per transaction: each ask is a
    greenlet hop through the ORM (15 µs; a REST get of an invoice reads four times)."""
    if not fast.ON:
        return await session.connection()
    transaction = session.sync_session.get_transaction()
    known = session.info.get(_CONNECTION)
    if transaction is not None and known is not None and known[0]() is transaction:
        return cast(AsyncConnection, known[1])
    connection = await session.connection()
    begun = session.sync_session.get_transaction()
    assert begun is not None  # asking for the connection begins one
    # The transaction is held weakly: it holds the session, which holds this.
    session.info[_CONNECTION] = (weakref.ref(begun), connection)
    return connection


def grouped_by(ids: Sequence[int], rows: Iterable[Any], key: str) -> list[list[Any]]:
    """A loader's answer: for each of ``ids``, the ``rows`` whose ``key`` it is, in their
    order (an empty list for an id no row names)."""
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return [grouped.get(i, []) for i in ids]


async def inserted(
    session: AsyncSession,
    model: Any,
    rows: dict[str, Any] | list[dict[str, Any]],
    columns: tuple[Any, ...],
) -> list[Any]:
    """Insert ``rows`` into ``model``'s table (several in one statement) and answer what was
    stored as ``lean_rows`` would read ``columns`` of them, in the database's order (neither
    database promises the order of the rows sent; asking SQLAlchemy for it makes it insert
    them one by one on SQLite). For rows nothing later changes through the ORM: building a
    model and flushing it cost about as much again as the statement."""
    return list(await lean_rows(session, _insert_statement(model, columns), rows))


@functools.lru_cache(maxsize=32)
def _insert_statement(model: Any, columns: tuple[Any, ...]) -> Any:
    """Built once per table and columns answered."""
    return insert(model).returning(*columns)


@functools.lru_cache(maxsize=128)
def record_type(keys: tuple[str, ...]) -> Callable[[Iterable[Any]], tuple[Any, ...]]:
    """A named tuple for rows with these columns. SQLAlchemy's ``Row`` reaches a column by
    attribute only after a failed lookup (about 600 ns, against 45 for a named tuple), and
    a list's shapes read some 1,500 of them; names that cannot be attributes (``_total``)
    are renamed, their values still there by position."""
    make_type: Any = collections.namedtuple  # built from names known only at run time
    record = make_type("LeanRow", keys, rename=True)
    return cast(Callable[[Iterable[Any]], tuple[Any, ...]], record._make)


@functools.cache
def columns_of(model: Any) -> tuple[Any, ...]:
    """Every column of ``model``'s table, to read its rows lean (named as its attributes).
    A money column is read as ``StoredMoney``: exact as stored, without a quantize per value
    on PostgreSQL. The same tuple each time: statements built once are cached by it."""
    return tuple(_read_as_stored(column) for column in model.__table__.columns)


def pick_columns(
    columns: tuple[Any, ...], names: Iterable[str] | None, *always: str
) -> tuple[Any, ...]:
    """Those of ``columns`` with these names, and the ``always`` ones (a row's id, the key it
    is grouped by), in their order; all of them when ``names`` is None. A name none of them
    has is an error."""
    if names is None:
        return columns
    wanted = {*names, *always}
    unknown = wanted - {column.key for column in columns}
    if unknown:
        raise ValueError(f"no column named {', '.join(sorted(unknown))}")
    return tuple(column for column in columns if column.key in wanted)


def _read_as_stored(column: Any) -> Any:
    money = column.type
    if type(money) is not Money:
        return column
    stored = StoredMoney(scale=money.scale, precision=money.precision)
    return type_coerce(column, stored).label(column.key)


class _MoneyFloat(FunctionElement[float]):
    """A money expression as the nearest float (see ``money_as_float``)."""

    type = Float()
    inherit_cache = True
    name = "money_as_float"


@compiles(_MoneyFloat)
def _money_float(element: _MoneyFloat, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DOUBLE PRECISION)"


@compiles(_MoneyFloat, "sqlite")
def _money_float_sqlite(element: _MoneyFloat, compiler: Any, **kw: Any) -> str:
    (money,) = element.clauses.clauses
    scale = cast(Money, money.type).scale  # stored as an integer count of 10**-scale
    return f"(({compiler.process(element.clauses, **kw)}) / {10**scale}.0)"


def money_as_float(columns: tuple[Any, ...]) -> tuple[Any, ...]:
    """``columns`` with each money one read as the nearest float, under its own name: for
    a caller that only prints amounts as JSON numbers. The database converts (PostgreSQL's
    numeric to double precision, and on SQLite the scaled integer divided by its scale, are
    both correctly rounded: the float that ``float(Decimal)`` of the exact amount gives),
    which spares decoding each amount into a ``Decimal`` only to convert it again."""
    return tuple(
        _MoneyFloat(column).label(column.key) if isinstance(column.type, Money) else column
        for column in columns
    )


def is_postgres(session: AsyncSession) -> bool:
    assert session.bind is not None  # the app's sessions are always bound
    return session.bind.dialect.name == "postgresql"


def newest_of_each(stmt: Select[Any], row_id: Any, group: Any) -> Select[Any]:
    """``stmt`` keeping, of its rows of each ``group`` value, the newest ones by ``row_id``,
    as many as are bound as ``first`` when it runs: a loader's lists cut in its own single
    statement (a window over the same filter, joined back by id; SQLite and PostgreSQL)."""
    rank = func.row_number().over(partition_by=group, order_by=row_id.desc())
    ranked = (
        stmt.with_only_columns(row_id.label("ranked_id"), rank.label("rank"))
        .order_by(None)
        .subquery("ranked")
    )
    return stmt.join(ranked, row_id == ranked.c.ranked_id).where(
        ranked.c.rank <= bindparam("first", type_=Integer())
    )


def one_of_bound(column: Any, name: str, *, postgres: bool) -> Any:
    """``column`` is one of the integers bound as ``name`` when the statement runs: for a
    statement built once per database kind and run with each request's ids."""
    if postgres:
        return column == any_(bindparam(name, type_=postgresql.ARRAY(Integer())))
    return column.in_(bindparam(name, expanding=True))


def in_team(model: Any) -> Any:
    """The tenant filter of a statement built once: ``model``'s rows of the team bound as
    ``team_id`` (the caller's, per request)."""
    return col(model.team_id) == bindparam("team_id")


def live_in_team(model: Any) -> list[Any]:
    """``in_team``, and not deleted."""
    return [in_team(model), col(model.deleted_at).is_(None)]
