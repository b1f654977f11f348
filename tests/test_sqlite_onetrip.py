"""SQLite statements cost one hop to aiosqlite's thread, and behave as with the stock adapter:
rows, row counts, last row ids, executemany, errors and transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from invoiceflow.db import make_engine
from invoiceflow.fast.sqlite_onetrip import OneTripDialect

pytestmark = pytest.mark.fast_paths  # these test invoiceflow/fast/ itself


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hops.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call that aiosqlite runs on its connection's thread."""
    seen: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_the_engine_uses_the_one_trip_dialect(engine: AsyncEngine) -> None:
    assert isinstance(engine.dialect, OneTripDialect)
    assert engine.dialect.driver == "aiosqlite"


async def test_a_select_is_one_hop(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the connection's own set-up is not counted
        hops.clear()
        rows = (await conn.execute(text("SELECT 1 + 1, 'x'"))).all()
    assert rows == [(2, "x")]
    assert hops.count("_run") == 1


async def test_writes_report_row_counts_and_ids(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        await conn.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}])
        changed = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert first.lastrowid == 1
    assert changed.rowcount == 2
    assert names == ["a", "b!", "c!"]


async def test_errors_and_rollbacks_behave_as_before(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('b')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))  # duplicate
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
    assert names == ["a"]  # 'b' went with the failed transaction


async def test_a_transaction_costs_its_statements_and_the_commit(
    engine: AsyncEngine, hops: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the connection's own set-up is not counted
    hops.clear()
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        await conn.execute(text("SELECT name FROM t"))
    # BEGIN rides with the first statement; the pool's rollback on return has nothing to end
    assert hops == ["_run", "_run", "_end"]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1


async def test_an_empty_transaction_costs_no_hop(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    hops.clear()
    async with engine.begin():
        pass
    assert hops == []


async def test_begin_immediate_holds_the_write_lock_from_the_first_statement(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    writer = engine.execution_options(sqlite_immediate=True)
    other = sqlite3.connect(tmp_path / "hops.db", timeout=0, isolation_level=None)
    try:
        async with writer.begin() as conn:
            await conn.execute(text("SELECT count(*) FROM t"))  # a read, yet the lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released with the commit
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_rolled_back_transaction_leaves_nothing_open(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        async with conn.begin():
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
            await conn.rollback()
        async with conn.begin():  # a new transaction on the same connection
            await conn.execute(text("INSERT INTO t (name) VALUES ('b')"))
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
    assert names == ["b"]
