"""Catalog writes racing each other on PostgreSQL (API.md §3): stock never goes below zero nor
loses an update, an estimate converts once, and estimate numbers stay gapless."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select
from sqlmodel import col

from invoiceflow.models import Estimate, Invoice, InvoiceItem, Payment, Team
from invoiceflow.services import Services
from tests.catalog_support import (
    count_rows,
    movements_of,
    new_estimate,
    new_product,
    sent_invoice,
    stock_of,
)
from tests.conftest import Api
from tests.rest_support import data

pytestmark = pytest.mark.postgres_only

ADJUST = "/products/{id}/adjust-stock"
CONVERT = "/estimates/{id}/convert-to-invoice"
TIMEOUT = 60


async def test_concurrent_stock_takes_stop_exactly_at_zero(alice: Api, services: Services) -> None:
    # given: 10 in stock (recorded as an initial movement of +10)
    product = await new_product(alice, stock_quantity=10)
    take_one = {"adjustment": -1, "reason": "Sold"}
    # when
    responses = await asyncio.wait_for(
        asyncio.gather(*(alice.post(ADJUST.format(id=product["id"]), take_one) for _ in range(20))),
        timeout=TIMEOUT,
    )
    # then
    assert Counter(r.status_code for r in responses) == {200: 10, 422: 10}, [
        r.text for r in responses if r.status_code not in (200, 422)
    ]
    refused = [r.json() for r in responses if r.status_code == 422]
    assert all(set(body["errors"]) == {"adjustment"} for body in refused), refused
    after = sorted(r.json()["data"]["stock_quantity"] for r in responses if r.status_code == 200)
    assert after == list(range(10))  # each success saw its own, distinct stock
    assert await stock_of(services, product["id"]) == 0
    movements = await movements_of(services, product["id"])
    assert movements[0] == (10, 10)
    assert sorted(movements[1:]) == [(-1, q) for q in range(10)]
    assert data(await alice.get(f"/products/{product['id']}"))["stock_quantity"] == 0


async def test_concurrent_conversions_of_one_estimate_make_one_invoice(
    alice: Api, services: Services
) -> None:
    # given
    estimate = await new_estimate(alice)
    # when
    responses = await asyncio.wait_for(
        asyncio.gather(*(alice.post(CONVERT.format(id=estimate["id"])) for _ in range(10))),
        timeout=TIMEOUT,
    )
    # then
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    assert all(r.json()["error"] == "invalid_state" for r in responses if r.status_code == 409)
    (won,) = [r.json()["data"] for r in responses if r.status_code == 201]
    assert won["invoice_number"] == "INV-0001"
    assert await count_rows(services, Invoice) == 1
    async with services.db.read_sessions() as session:
        lines = (await session.execute(select(col(InvoiceItem.invoice_id)))).scalars().all()
        seq = await session.scalar(select(col(Team.invoice_seq)).where(col(Team.name) == "Team A"))
    assert lines == [won["invoice_id"], won["invoice_id"]]
    assert seq == 1  # the losers took no invoice number
    converted = data(await alice.get(f"/estimates/{estimate['id']}"))
    assert (converted["status"], converted["converted_invoice_id"]) == (
        "converted",
        won["invoice_id"],
    )


async def test_concurrent_estimate_creates_are_numbered_without_gaps(
    alice: Api, services: Services
) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    body = {
        "customer_id": customer_id,
        "items": [{"description": "Audit", "quantity": 1, "unit_price": 10}],
    }
    # when
    responses = await asyncio.wait_for(
        asyncio.gather(*(alice.post("/estimates", body) for _ in range(20))), timeout=TIMEOUT
    )
    # then
    assert [r.status_code for r in responses] == [201] * 20, [
        r.text for r in responses if r.status_code != 201
    ]
    numbers = sorted(r.json()["data"]["estimate_number"] for r in responses)
    assert numbers == [f"EST-{n:04d}" for n in range(1, 21)]
    async with services.db.read_sessions() as session:
        stored = (await session.execute(select(col(Estimate.estimate_number)))).scalars().all()
    assert sorted(stored) == numbers


async def test_concurrent_payments_never_exceed_the_balance_due(
    alice: Api, services: Services
) -> None:
    # given: 6000.00 due
    invoice = await sent_invoice(alice)
    path = f"/invoices/{invoice['id']}/payments"
    # when
    responses = await asyncio.wait_for(
        asyncio.gather(*(alice.post(path, {"amount": 1000}) for _ in range(10))), timeout=TIMEOUT
    )
    # then
    assert Counter(r.status_code for r in responses) == {201: 6, 422: 4}, [
        r.text for r in responses if r.status_code not in (201, 422)
    ]
    assert all(set(r.json()["errors"]) == {"amount"} for r in responses if r.status_code == 422)
    assert await count_rows(services, Payment) == 6
    paid = data(await alice.get(f"/invoices/{invoice['id']}"))
    assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == ("paid", 6000.0, 0.0)
    assert len(paid["payments"]) == 6
