"""Gapless, unique invoice numbers under concurrent creates in one team (API.md §3)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from invoiceflow.models import Invoice, InvoiceItem, Team
from invoiceflow.services import Services
from tests.conftest import Api

CONCURRENT = 20


@pytest.mark.postgres_only
async def test_concurrent_creates_get_distinct_gapless_numbers(
    alice: Api, bob: Api, services: Services
) -> None:
    # given
    customer = await alice.create_customer()
    body = {
        "customer_id": customer["id"],
        "issue_date": "2025-01-15",
        "due_date": "2025-02-15",
        "items": [{"description": "Consulting", "quantity": 2, "unit_price": "99.5"}],
    }
    # when
    responses = await asyncio.wait_for(
        asyncio.gather(*(alice.post("/invoices", body) for _ in range(CONCURRENT))), timeout=60
    )
    # then
    assert [r.status_code for r in responses] == [201] * CONCURRENT, [
        r.text for r in responses if r.status_code != 201
    ]
    numbers = sorted(r.json()["data"]["invoice_number"] for r in responses)
    assert numbers == [f"INV-{n:04d}" for n in range(1, CONCURRENT + 1)]
    assert len({r.json()["data"]["id"] for r in responses}) == CONCURRENT
    assert all(r.json()["data"]["total"] == 199.0 for r in responses)
    async with services.db.read_sessions() as session:
        rows = (await session.execute(select(col(Invoice.invoice_number)))).scalars().all()
        items = await session.scalar(select(func.count()).select_from(InvoiceItem))
        seq = await session.scalar(select(col(Team.invoice_seq)).where(col(Team.name) == "Team A"))
    assert sorted(rows) == numbers
    assert items == CONCURRENT
    assert seq == CONCURRENT


@pytest.mark.postgres_only
async def test_concurrent_creates_in_two_teams_number_each_team_on_its_own(
    alice: Api, bob: Api
) -> None:
    # given
    bodies = []
    for api in (alice, bob):
        customer = await api.create_customer()
        bodies.append(
            {
                "customer_id": customer["id"],
                "items": [{"description": "Support", "quantity": 1, "unit_price": 10}],
            }
        )
    # when
    responses = await asyncio.wait_for(
        asyncio.gather(
            *(
                api.post("/invoices", body)
                for _ in range(CONCURRENT // 2)
                for api, body in zip((alice, bob), bodies, strict=True)
            )
        ),
        timeout=60,
    )
    # then
    assert [r.status_code for r in responses] == [201] * CONCURRENT
    expected = [f"INV-{n:04d}" for n in range(1, CONCURRENT // 2 + 1)]
    for start in (0, 1):
        numbers = sorted(r.json()["data"]["invoice_number"] for r in responses[start::2])
        assert numbers == expected


async def test_sqlite_writers_take_turns_in_order(alice: Api, services: Services) -> None:
    """On SQLite one process's writing requests queue for their turn (no busy-wait retries):
    all of them succeed, numbered in one gapless run; on PostgreSQL there is no queue."""
    turn = services.db.writer_turn
    if services.db.engine.dialect.name != "sqlite":
        assert turn is None
        return
    assert turn is not None
    customer = await alice.create_customer()
    # when: 20 creates arrive while another writer holds the turn, which it then lets go
    await turn.acquire()
    pending = [asyncio.ensure_future(alice.create_invoice(customer["id"])) for _ in range(20)]
    await asyncio.sleep(0.2)
    waiting = sum(not task.done() for task in pending)
    turn.release()
    created = await asyncio.gather(*pending)
    # then
    assert waiting == 20
    numbers = sorted(invoice["invoice_number"] for invoice in created)
    assert numbers == [f"INV-{n:04d}" for n in range(1, 21)]


async def test_a_writer_that_waits_too_long_for_its_turn_gets_503(
    alice: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    turn = services.db.writer_turn
    if turn is None:
        pytest.skip("SQLite only: PostgreSQL writers do not queue in the process")
    customer = await alice.create_customer()
    monkeypatch.setattr(services.settings, "db_timeout", 0.2)
    await turn.acquire()
    try:
        response = await alice.post(
            "/invoices",
            {
                "customer_id": customer["id"],
                "items": [{"description": "Late", "quantity": 1, "unit_price": 1}],
            },
        )
    finally:
        turn.release()
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "service_unavailable"
    assert (await alice.get("/invoices")).json()["meta"]["total"] == 0
