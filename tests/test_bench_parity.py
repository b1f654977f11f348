"""The bench's raw baseline (bench/baseline.py) answers exactly as the product does.

`make bench` checks this before it times anything; here CI checks it on a tiny seeded SQLite
database and on PostgreSQL, in-process (no servers, no load, no timing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from bench.baseline import create_app as create_baseline
from bench.cases import build_cases, compare, send
from bench.seed import seed
from invoiceflow.app import create_app
from invoiceflow.services import Services
from invoiceflow.settings import Settings

INVOICES = 20
CUSTOMERS = 5
READ_CASES = [
    "REST list",
    "REST search",
    "GraphQL list",
    "GraphQL __typename",
    "REST get",
    "GraphQL get",
]


@asynccontextmanager
async def client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        yield http


async def parity(url: str, names: list[str]) -> None:
    """Seed ``url`` as the bench does; the product and the baseline answer each named case
    with the same values and the same bytes."""
    seeded = await seed(url, invoices=INVOICES, customers=CUSTOMERS)
    cases = {c.name: c for c in build_cases(INVOICES, CUSTOMERS)}
    services = Services.from_settings(Settings(database_url=url, rate_limit="1000/minute"))
    baseline = create_baseline(url)
    try:
        async with client(create_app(services=services)) as ours, client(baseline) as theirs:
            for name in names:
                product = await send(ours, cases[name], seeded.key)
                result = compare(cases[name], product, await send(theirs, cases[name], seeded.key))
                assert result.same_values, (name, result.problems)
                assert result.same_bytes, name
    finally:
        await services.db.dispose()
        await baseline.state.db.close()


@pytest.mark.parametrize("case_name", READ_CASES)
async def test_baseline_answers_byte_for_byte_like_the_product(
    tmp_path: Path, case_name: str
) -> None:
    await parity(f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", [case_name])


async def baseline_answers(tmp_path: Path, *names: str) -> list[Any]:
    """The baseline's JSON for the named cases, on a freshly seeded tiny database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    seeded = await seed(url, invoices=INVOICES, customers=CUSTOMERS)
    cases = {c.name: c for c in build_cases(INVOICES, CUSTOMERS)}
    baseline = create_baseline(url)
    try:
        async with client(baseline) as theirs:
            return [(await send(theirs, cases[name], seeded.key)).json() for name in names]
    finally:
        await baseline.state.db.close()


async def test_lists_carry_every_seeded_invoice(tmp_path: Path) -> None:
    """The parity above compares something: the list cases return all 20 seeded invoices."""
    rest, graphql = await baseline_answers(tmp_path, "REST list", "GraphQL list")
    assert rest["meta"] == {"current_page": 1, "per_page": 100, "total": 20, "last_page": 1}
    assert [row["invoice_number"] for row in rest["data"]][:2] == ["INV-0020", "INV-0019"]
    items = graphql["data"]["invoices"]["items"]
    assert len(items) == INVOICES
    assert all(len(invoice["items"]) == 3 for invoice in items)


async def test_search_finds_one_customers_invoices(tmp_path: Path) -> None:
    (found,) = await baseline_answers(tmp_path, "REST search")
    assert 0 < found["meta"]["total"] == len(found["data"]) < INVOICES
    assert {row["customer"]["name"] for row in found["data"]} == {"O'Brien 0005"}


async def test_baseline_answers_byte_for_byte_like_the_product_on_postgresql(
    empty_pg_url: str,
) -> None:
    """`make bench --postgres` seeds with COPY through the product's engine and compares the
    two servers' answers there too."""
    await parity(empty_pg_url, READ_CASES)
