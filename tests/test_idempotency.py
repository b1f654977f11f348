"""Idempotency-Key on REST POSTs and GraphQL mutations, with Stripe's semantics."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from invoiceflow.models import IdempotencyKey, Invoice
from invoiceflow.services import Services
from tests.conftest import Api

CREATE_INVOICE = """
mutation Create($customerId: ID!) {
  createInvoice(input: {customerId: $customerId, items: [
    {description: "Consulting", quantity: "2", unitPrice: "100"}]}) { id invoiceNumber }
}
"""


async def count(services: Services, model: type) -> int:
    async with services.db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def invoice_body(customer_id: int) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "items": [{"description": "Consulting", "quantity": 2, "unit_price": 100}],
    }


async def test_same_key_same_request_replays_without_running_again(
    alice: Api, services: Services
) -> None:
    # given
    customer = await alice.create_customer()
    headers = {"Idempotency-Key": "create-1"}
    # when
    first = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    again = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    # then
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await count(services, Invoice) == 1


async def test_same_key_other_request_is_a_422(alice: Api, services: Services) -> None:
    customer = await alice.create_customer()
    headers = {"Idempotency-Key": "create-2"}
    await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    # when
    other = await alice.post(
        "/invoices", {**invoice_body(customer["id"]), "notes": "changed"}, headers=headers
    )
    # then
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_mismatch"
    assert await count(services, Invoice) == 1


async def test_keys_are_scoped_to_team_and_user(alice: Api, bob: Api, services: Services) -> None:
    a = await alice.create_customer()
    b = await bob.create_customer()
    headers = {"Idempotency-Key": "shared-name"}
    # when: two callers use the same key text
    first = await alice.post("/invoices", invoice_body(a["id"]), headers=headers)
    second = await bob.post("/invoices", invoice_body(b["id"]), headers=headers)
    # then: both ran
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert await count(services, Invoice) == 2


async def test_errors_after_execution_are_replayed_too(alice: Api, services: Services) -> None:
    headers = {"Idempotency-Key": "delete-missing"}
    # when: the work ran and failed with a state/lookup error
    first = await alice.post("/estimates/999/convert-to-invoice", headers=headers)
    again = await alice.post("/estimates/999/convert-to-invoice", headers=headers)
    # then
    assert first.status_code == 404
    assert again.status_code == 404 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content


async def test_refusals_before_execution_store_nothing(alice: Api, services: Services) -> None:
    customer = await alice.create_customer()
    headers = {"Idempotency-Key": "retry-me"}
    # when: invalid input first (nothing ran), then the corrected request with the same key
    invalid = await alice.post(
        "/invoices", {"customer_id": customer["id"], "items": []}, headers=headers
    )
    valid = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    # then
    assert invalid.status_code == 422 and invalid.json()["error"] == "validation_error"
    assert valid.status_code == 201
    assert await count(services, Invoice) == 1
    assert await count(services, IdempotencyKey) == 1


async def test_a_key_longer_than_255_is_refused(alice: Api) -> None:
    customer = await alice.create_customer()
    response = await alice.post(
        "/invoices", invoice_body(customer["id"]), headers={"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


async def test_graphql_mutations_take_keys(alice: Api, services: Services) -> None:
    customer = await alice.create_customer()
    body = {"query": CREATE_INVOICE, "variables": {"customerId": str(customer["id"])}}
    headers = {**alice.headers, "Idempotency-Key": "gql-create"}
    # when
    first = await alice.http.post("/graphql", json=body, headers=headers)
    again = await alice.http.post("/graphql", json=body, headers=headers)
    changed = await alice.http.post(
        "/graphql", json={**body, "operationName": "Create"}, headers=headers
    )
    # then
    assert first.status_code == 200 and first.json()["data"]["createInvoice"]["invoiceNumber"]
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_MISMATCH"
    assert await count(services, Invoice) == 1


@pytest.mark.postgres_only
async def test_100_concurrent_requests_with_one_key_create_one_invoice(
    alice: Api, services: Services
) -> None:
    customer = await alice.create_customer()
    headers = {"Idempotency-Key": "stampede"}
    # when
    responses = await asyncio.gather(
        *(
            alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
            for _ in range(100)
        )
    )
    # then: exactly one invoice; every answer is its replay or a 409 while it ran
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}
    assert await count(services, Invoice) == 1
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["data"]["invoice_number"] for r in created}) == 1
    conflicts = [r.json()["error"] for r in responses if r.status_code == 409]
    assert set(conflicts) <= {"idempotency_conflict"}


@pytest.mark.postgres_only
async def test_100_concurrent_creates_are_gapless(alice: Api, services: Services) -> None:
    customer = await alice.create_customer()
    # when
    responses = await asyncio.gather(
        *(alice.post("/invoices", invoice_body(customer["id"])) for _ in range(100))
    )
    # then: rows == successful responses, numbers distinct and gapless
    ok = [r for r in responses if r.status_code == 201]
    assert len(ok) == 100, {r.status_code for r in responses}
    numbers = sorted(r.json()["data"]["invoice_number"] for r in ok)
    assert numbers == [f"INV-{n:04d}" for n in range(1, 101)]
    assert await count(services, Invoice) == 100


# --- the claim, the work and its answer commit together --------------------------------------


@pytest.mark.parametrize(
    ("module", "step"),
    [("invoices", "store_lines"), ("idempotency", "store")],
    ids=["during the work, its rows written", "while storing the answer"],
)
async def test_a_crash_at_any_point_never_runs_the_request_twice(
    module: str, step: str, alice: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the request dies once at that step (as its process would: nothing after runs)
    from invoiceflow import idempotency
    from invoiceflow.resolvers import invoices

    customer = await alice.create_customer()
    headers = {"Idempotency-Key": "crash"}
    where = {"invoices": invoices, "idempotency": idempotency}[module]
    original = getattr(where, step)

    async def dies(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(where, step, original)  # the first time only
        await original(*args, **kwargs)
        raise asyncio.CancelledError

    monkeypatch.setattr(where, step, dies)
    # when
    with pytest.raises(asyncio.CancelledError):
        await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    # then: no trace of it, the key free
    assert await count(services, Invoice) == 0
    assert await count(services, IdempotencyKey) == 0
    # and the retry runs it once, then replays it
    retried = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    again = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    assert retried.status_code == 201, retried.text
    assert again.content == retried.content and again.headers["Idempotent-Replayed"] == "true"
    assert await count(services, Invoice) == 1
    assert retried.json()["data"]["invoice_number"] == "INV-0001"


async def test_a_key_still_at_work_is_a_409_at_once(
    alice: Api, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a create that takes half a second
    from invoiceflow.resolvers import invoices

    customer = await alice.create_customer()
    headers = {"Idempotency-Key": "slow"}
    original = invoices.price_lines

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.5)
        return await original(*args, **kwargs)

    monkeypatch.setattr(invoices, "price_lines", slow)
    # when: the same key again while it runs
    first = asyncio.create_task(
        alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    )
    await asyncio.sleep(0.1)
    second = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    done = await first
    # then
    assert second.status_code == 409 and second.json()["error"] == "idempotency_conflict"
    assert done.status_code == 201, done.text
    replayed = await alice.post("/invoices", invoice_body(customer["id"]), headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert await count(services, Invoice) == 1
