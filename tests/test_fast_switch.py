"""INVOICEFLOW_FAST_PATHS (invoiceflow/fast/README.md): on, every fast path is in place; off,
none is. `make test` runs the suite in both modes, so each test here runs in one of them."""

from __future__ import annotations

import pytest

from invoiceflow import fast
from invoiceflow.db import make_engine
from invoiceflow.fast import driver_reads
from invoiceflow.fast.execution import LeanExecutionContext
from invoiceflow.fast.memo import ValidatedOnce
from invoiceflow.schema import build_schema
from invoiceflow.services import Services
from tests.conftest import Api

on = pytest.mark.skipif(not fast.ON, reason="the fast paths are off")
off = pytest.mark.skipif(fast.ON, reason="the fast paths are on")


def _extensions() -> list[object]:
    return [e if isinstance(e, type) else type(e()) for e in build_schema().extensions]


@on
def test_on_the_schema_runs_the_lean_execution() -> None:
    assert build_schema().execution_context_class is LeanExecutionContext
    assert ValidatedOnce in _extensions()


@off
def test_off_the_schema_runs_graphql_cores_own_execution() -> None:
    execution = build_schema().execution_context_class
    assert execution is not None and not issubclass(execution, LeanExecutionContext)
    assert ValidatedOnce not in _extensions()


@on
def test_on_sqlite_runs_in_one_hop_a_statement(tmp_path: object) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/a.db")
    assert type(engine.dialect).__module__ == "invoiceflow.fast.sqlite_onetrip"


@off
def test_off_sqlite_runs_on_sqlalchemys_own_dialect(tmp_path: object) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/a.db")
    assert type(engine.dialect).__module__.startswith("sqlalchemy.")


@off
@pytest.mark.postgres_only
async def test_off_no_read_is_planned_for_asyncpg(alice: Api, services: Services) -> None:
    # when: the same list, often enough that asyncpg would fetch it itself
    for _ in range(5):
        assert (await alice.get("/invoices")).status_code == 200
    # then: no statement was ever noted, let alone planned
    assert dict(driver_reads.PLANS._plans) == {}
