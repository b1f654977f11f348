"""An unfiltered list's total is the count of live invoices (or estimates) that the team row
keeps: raised by every create, lowered by every delete, in the writing transaction; a
filtered list counts its rows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from invoiceflow.models import Estimate, Invoice, Team
from invoiceflow.services import Services
from tests.catalog_support import new_estimate
from tests.conftest import Api
from tests.rest_support import mark_paid, ok

DELETE = "mutation ($id: ID!) { deleteInvoice(id: $id) }"
PAGE = "{ invoices(perPage: 2) { pageInfo { total } } }"


async def kept_and_counted(
    services: Services, team: str, model: Any = Invoice, kept: Any = Team.live_invoices
) -> tuple[int, int]:
    """(the team's kept count, its live rows of ``model`` counted)."""
    async with services.db.read_sessions() as session:
        team_id, found = (
            await session.execute(select(col(Team.id), col(kept)).where(col(Team.name) == team))
        ).one()
        counted = await session.scalar(
            select(func.count())
            .select_from(model)
            .where(col(model.team_id) == team_id, col(model.deleted_at).is_(None))
        )
    return found, int(counted or 0)


async def test_creates_and_deletes_keep_the_total(alice: Api, bob: Api, services: Services) -> None:
    # given: five invoices (one through GraphQL, one converted from an estimate) and bob's one
    customer = await alice.create_customer()
    made = [await alice.create_invoice(customer["id"]) for _ in range(3)]
    created = await alice.graphql(
        "mutation($c: ID!) { createInvoice(input: {customerId: $c, items: "
        '[{description: "Work", quantity: "1", unitPrice: "10"}]}) { id } }',
        {"c": str(customer["id"])},
    )
    assert "errors" not in created, created
    estimate = await new_estimate(alice, customer["id"])
    ok(await alice.post(f"/estimates/{estimate['id']}/convert-to-invoice"), 201)
    await bob.create_invoice((await bob.create_customer())["id"])
    assert await kept_and_counted(services, "Team A") == (5, 5)
    # when: two deletes (REST, GraphQL) and one refused (paid)
    assert (await alice.delete(f"/invoices/{made[0]['id']}")).status_code == 200
    deleted = await alice.graphql(DELETE, {"id": str(made[1]["id"])})
    assert deleted["data"] == {"deleteInvoice": str(made[1]["id"])}, deleted
    ok(await alice.patch(f"/invoices/{made[2]['id']}", {"status": "sent"}))
    await mark_paid(services, made[2])
    assert (await alice.delete(f"/invoices/{made[2]['id']}")).status_code == 409
    # then
    assert await kept_and_counted(services, "Team A") == (3, 3)
    assert await kept_and_counted(services, "Team B") == (1, 1)
    listed = ok(await alice.get("/invoices?per_page=2"))
    assert listed["meta"]["total"] == 3 and listed["meta"]["last_page"] == 2
    past = ok(await alice.get("/invoices?per_page=2&page=9"))  # no row carries the total
    assert past["data"] == [] and past["meta"]["total"] == 3
    assert ok(await bob.get("/invoices"))["meta"]["total"] == 1
    assert (await alice.graphql(PAGE))["data"]["invoices"]["pageInfo"]["total"] == 3
    # a filter counts the rows it matches
    assert ok(await alice.get("/invoices?status=draft"))["meta"]["total"] == 2
    assert ok(await alice.get(f"/invoices?customer_id={customer['id']}"))["meta"]["total"] == 3
    assert ok(await alice.get("/invoices?search=INV"))["meta"]["total"] == 3


@pytest.mark.postgres_only
async def test_concurrent_creates_and_deletes_keep_the_total(
    alice: Api, services: Services
) -> None:
    # given
    customer = await alice.create_customer()
    doomed = [await alice.create_invoice(customer["id"]) for _ in range(10)]
    # when: ten deletes and ten creates at once
    deletes = [alice.delete(f"/invoices/{invoice['id']}") for invoice in doomed]
    creates = [alice.create_invoice(customer["id"]) for _ in range(10)]
    results = await asyncio.wait_for(asyncio.gather(*deletes, *creates), timeout=60)
    # then
    assert [r.status_code for r in results[:10]] == [200] * 10
    assert await kept_and_counted(services, "Team A") == (10, 10)
    assert ok(await alice.get("/invoices"))["meta"]["total"] == 10


async def test_estimate_creates_and_deletes_keep_their_total(
    alice: Api, bob: Api, services: Services
) -> None:
    # given: three estimates (one through GraphQL) and bob's one
    customer = await alice.create_customer()
    made = [await new_estimate(alice, customer["id"]) for _ in range(2)]
    created = await alice.graphql(
        "mutation($c: ID!) { createEstimate(input: {customerId: $c, items: "
        '[{description: "Work", quantity: "1", unitPrice: "10"}]}) { id } }',
        {"c": str(customer["id"])},
    )
    assert "errors" not in created, created
    await new_estimate(bob)
    # when: one converted (it stays an estimate), one deleted
    ok(await alice.post(f"/estimates/{made[0]['id']}/convert-to-invoice"), 201)
    assert (await alice.delete(f"/estimates/{made[1]['id']}")).status_code == 200
    # then
    assert await kept_and_counted(services, "Team A", Estimate, Team.live_estimates) == (2, 2)
    assert await kept_and_counted(services, "Team B", Estimate, Team.live_estimates) == (1, 1)
    listed = ok(await alice.get("/estimates?per_page=1"))
    assert listed["meta"]["total"] == 2 and listed["meta"]["last_page"] == 2
    past = ok(await alice.get("/estimates?per_page=1&page=9"))
    assert past["data"] == [] and past["meta"]["total"] == 2
    assert ok(await alice.get("/estimates?status=draft"))["meta"]["total"] == 1
    assert ok(await bob.get("/estimates"))["meta"]["total"] == 1
