"""Events (API-events.md §1, §2): every change written once, in its own transaction, with the
object as GET shows it and what it was; read as a feed in commit order, by any role of the
team and by no other team."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import Api
from tests.rest_support import data, error, field_errors, ok


async def feed(api: Api, query: str = "") -> list[dict[str, Any]]:
    body = ok(await api.get(f"/events?per_page=100{query}"))
    return list(body["data"])


async def types_of(api: Api, query: str = "") -> list[str]:
    return [e["type"] for e in await feed(api, query)]


async def test_a_create_is_one_event_with_the_object_as_get_shows_it(alice: Api) -> None:
    customer = await alice.create_customer(company_name="Evented Ltd")
    invoice = await alice.create_invoice(customer["id"])
    events = await feed(alice)
    assert [e["type"] for e in events] == ["customer.created", "invoice.created"]
    created = events[1]
    assert created["id"].startswith("evt_") and len(created["id"]) == 30
    assert created["object"] == {"type": "invoice", "id": invoice["id"]}
    assert created["actor"]["type"] == "api_key"
    assert created["actor"]["name"] == "default"
    assert isinstance(created["actor"]["id"], int) and isinstance(created["actor"]["user_id"], int)
    fetched = data(await alice.get(f"/invoices/{invoice['id']}"))
    assert created["data"]["object"] == fetched
    assert "previous_attributes" not in created["data"]
    assert created["created_at"].endswith("Z")
    assert events[0]["sequence"] + 1 == created["sequence"]


async def test_an_update_keeps_only_what_changed(alice: Api) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"], notes="before")
    ok(await alice.patch(f"/invoices/{invoice['id']}", {"notes": "after"}))
    (updated,) = await feed(alice, "&type=invoice.updated")
    assert updated["data"]["previous_attributes"] == {"notes": "before"}
    assert updated["data"]["object"]["notes"] == "after"


async def test_a_request_that_changes_nothing_writes_no_event(alice: Api) -> None:
    customer = await alice.create_customer(company_name="Same")
    ok(await alice.patch(f"/customers/{customer['id']}", {"company_name": "Same"}))
    ok(await alice.patch(f"/customers/{customer['id']}", {}))
    assert await types_of(alice) == ["customer.created"]


async def test_a_refused_request_writes_no_event(alice: Api) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    ok(await alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"}))
    ok(await alice.post(f"/invoices/{invoice['id']}/payments", {"amount": 6000}), 201)
    before = await types_of(alice)
    paid_again = await alice.post(f"/invoices/{invoice['id']}/payments", {"amount": 1})
    assert "amount" in field_errors(paid_again)
    error(await alice.delete(f"/invoices/{invoice['id']}"), 409, "invalid_state")
    field_errors(await alice.post("/invoices", {"customer_id": customer["id"], "items": []}))
    assert await types_of(alice) == before


async def test_status_moves_are_their_own_events(alice: Api) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"], due_date="2099-01-01")
    path = f"/invoices/{invoice['id']}"
    ok(await alice.patch(path, {"status": "sent"}))
    ok(await alice.post(f"{path}/payments", {"amount": 1000}), 201)
    ok(await alice.post(f"{path}/payments", {"amount": 5000}), 201)
    events = await feed(alice, "&object_type=invoice")
    assert [e["type"] for e in events] == [
        "invoice.created",
        "invoice.sent",
        "invoice.partially_paid",
        "invoice.paid",
    ]
    sent, partial, paid = events[1:]
    assert sent["data"]["previous_attributes"]["status"] == "draft"
    assert partial["data"]["previous_attributes"]["amount_paid"] == 0.0
    assert paid["data"]["previous_attributes"]["status"] == "partial"
    assert paid["data"]["previous_attributes"]["amount_paid"] == 1000.0
    assert paid["data"]["object"]["balance_due"] == 0.0
    payments = await feed(alice, "&type=payment.created")
    assert [p["data"]["object"]["amount"] for p in payments] == [1000.0, 5000.0]


async def test_deletes_and_kinds_of_objects(alice: Api) -> None:
    customer = await alice.create_customer()
    product = data(await alice.post("/products", {"name": "Widget", "price": 5}), 201)
    ok(await alice.post(f"/products/{product['id']}/adjust-stock", {"adjustment": 3}))
    ok(await alice.patch("/teams/current", {"payment_terms_days": 14}))
    ok(await alice.delete(f"/products/{product['id']}"))
    ok(await alice.delete(f"/customers/{customer['id']}"))
    assert await types_of(alice) == [
        "customer.created",
        "product.created",
        "product.stock_adjusted",
        "team.updated",
        "product.deleted",
        "customer.deleted",
    ]
    (stock,) = await feed(alice, "&type=product.stock_adjusted")
    assert stock["data"]["previous_attributes"] == {"stock_quantity": 0}
    assert stock["data"]["object"]["stock_quantity"] == 3
    (team,) = await feed(alice, "&type=team.*")
    assert team["data"]["previous_attributes"] == {"payment_terms_days": 30}


async def test_an_estimate_converted_is_two_events(alice: Api) -> None:
    customer = await alice.create_customer()
    body = {
        "customer_id": customer["id"],
        "items": [{"description": "A", "quantity": 1, "unit_price": 10}],
    }
    estimate = data(await alice.post("/estimates", body), 201)
    ok(await alice.patch(f"/estimates/{estimate['id']}", {"status": "approved"}))
    converted = data(await alice.post(f"/estimates/{estimate['id']}/convert-to-invoice"), 201)
    assert await types_of(alice, "&type=estimate.*&type=invoice.created") == [
        "estimate.created",
        "estimate.approved",
        "invoice.created",
        "estimate.converted",
    ]
    (created,) = await feed(alice, "&type=invoice.created")
    assert created["object"]["id"] == converted["invoice_id"]
    assert created["data"]["object"]["items"][0]["description"] == "A"


async def test_the_feed_pages_after_a_sequence(alice: Api) -> None:
    for n in range(5):
        await alice.create_customer(company_name=f"C{n}")
    first = ok(await alice.get("/events?per_page=2"))
    assert first["meta"]["has_more"] is True
    after = first["meta"]["next_after"]
    second = ok(await alice.get(f"/events?per_page=2&after={after}"))
    third = ok(await alice.get(f"/events?per_page=2&after={second['meta']['next_after']}"))
    assert third["meta"]["has_more"] is False
    names = [
        e["data"]["object"]["company_name"] for page in (first, second, third) for e in page["data"]
    ]
    assert names == [f"C{n}" for n in range(5)]
    empty = ok(await alice.get(f"/events?after={third['meta']['next_after']}"))
    assert empty["data"] == [] and empty["meta"]["next_after"] == third["meta"]["next_after"]


async def test_one_event_and_an_objects_events(alice: Api, bob: Api, viewer: Api) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    (created,) = await feed(alice, "&type=invoice.created")
    assert data(await alice.get(f"/events/{created['id']}")) == created
    assert data(await viewer.get(f"/events/{created['id']}")) == created
    error(await bob.get(f"/events/{created['id']}"), 404, "not_found")
    assert await feed(bob) == []
    of_invoice = ok(await alice.get(f"/invoices/{invoice['id']}/events"))
    assert [e["type"] for e in of_invoice["data"]] == ["invoice.created"]
    error(await bob.get(f"/invoices/{invoice['id']}/events"), 404, "not_found")
    of_customer = ok(await alice.get(f"/customers/{customer['id']}/events"))
    assert [e["type"] for e in of_customer["data"]] == ["customer.created"]


async def test_bad_filters_are_422(alice: Api) -> None:
    assert "type" in field_errors(await alice.get("/events?type=invoice.exploded"))
    assert "object_type" in field_errors(await alice.get("/events?object_type=spaceship"))
    assert "per_page" in field_errors(await alice.get("/events?per_page=0"))
    assert ok(await alice.get("/events?per_page=100000000000000000000"))["data"] == []


async def test_sequences_follow_commit_order_under_concurrent_writes(alice: Api) -> None:
    customer = await alice.create_customer()
    await asyncio.gather(*(alice.create_invoice(customer["id"]) for _ in range(12)))
    events = await feed(alice)
    sequences = [e["sequence"] for e in events]
    assert sequences == list(range(sequences[0], sequences[0] + 13))
    numbers = [e["data"]["object"]["invoice_number"] for e in events[1:]]
    assert numbers == sorted(numbers)  # numbered under the same lock, in the same order


@pytest.mark.parametrize("mode", ["graphql"])
async def test_graphql_mutations_write_events_too(alice: Api, mode: str) -> None:
    created = await alice.graphql(
        'mutation { createCustomer(input: {companyName: "Via GraphQL"}) { id } }'
    )
    assert "errors" not in created, created
    (event,) = await feed(alice)
    assert event["type"] == "customer.created"
    assert event["data"]["object"]["company_name"] == "Via GraphQL"


FEED = """
query($after: String, $first: Int, $types: [String!]) {
  events(after: $after, first: $first, types: $types) {
    edges { cursor node { id sequence type createdAt actor { type id name }
                          objectType objectId data previousAttributes } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_graphql_reads_the_same_feed(alice: Api, bob: Api) -> None:
    customer = await alice.create_customer(company_name="Before")
    ok(await alice.patch(f"/customers/{customer['id']}", {"company_name": "After"}))
    first = await alice.graphql(FEED, {"first": 1})
    assert "errors" not in first, first
    page = first["data"]["events"]
    assert page["pageInfo"]["hasNextPage"] is True
    (edge,) = page["edges"]
    assert edge["node"]["type"] == "customer.created"
    assert edge["node"]["data"]["company_name"] == "Before"
    assert edge["node"]["previousAttributes"] is None
    assert edge["node"]["actor"]["type"] == "api_key"
    rest = await alice.graphql(FEED, {"after": page["pageInfo"]["endCursor"]})
    (updated,) = rest["data"]["events"]["edges"]
    assert updated["node"]["type"] == "customer.updated"
    assert updated["node"]["previousAttributes"] == {"company_name": "Before"}
    assert updated["node"]["objectId"] == str(customer["id"])
    one = await alice.graphql(
        "query($id: ID!) { event(id: $id) { type } }", {"id": updated["node"]["id"]}
    )
    assert one["data"]["event"] == {"type": "customer.updated"}
    theirs = await bob.graphql(
        "query($id: ID!) { event(id: $id) { type } }", {"id": updated["node"]["id"]}
    )
    assert theirs["data"]["event"] is None
    assert (await bob.graphql(FEED))["data"]["events"]["edges"] == []
    typed = await alice.graphql(FEED, {"types": ["customer.updated"]})
    assert [e["node"]["type"] for e in typed["data"]["events"]["edges"]] == ["customer.updated"]
    bad = await alice.graphql(FEED, {"after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR", bad


async def test_an_objects_events_in_graphql(alice: Api) -> None:
    customer = await alice.create_customer(company_name="Nested")
    invoice = await alice.create_invoice(customer["id"])
    ok(await alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"}))
    body = await alice.graphql(
        """query($id: ID!, $c: ID!) {
             invoice(id: $id) { events { edges { node { type } } pageInfo { hasNextPage } } }
             customer(id: $c) { events(first: 1) { edges { node { type objectId } } } } }""",
        {"id": str(invoice["id"]), "c": str(customer["id"])},
    )
    assert "errors" not in body, body
    edges = body["data"]["invoice"]["events"]["edges"]
    assert [e["node"]["type"] for e in edges] == ["invoice.created", "invoice.sent"]
    (only,) = body["data"]["customer"]["events"]["edges"]
    assert only["node"] == {"type": "customer.created", "objectId": str(customer["id"])}
