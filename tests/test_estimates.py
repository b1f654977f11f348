"""Estimates over REST (API.md §2, §3): numbering, list filters, create, get, partial updates,
soft delete, and conversion into a draft invoice. GraphQL twins: test_estimates_graphql.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.catalog_support import ESTIMATE_LINES, new_estimate
from tests.conftest import Api, Statements
from tests.rest_support import data, day, error, field_errors, ok, parse_timestamp, today

ESTIMATES = "/estimates"
ONE = "/estimates/{id}"
CONVERT = "/estimates/{id}/convert-to-invoice"
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "tax_rate", "amount", "tax")
STATUSES = ["draft", "sent", "approved", "rejected"]


def lines(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: item[k] for k in LINE_FIELDS} for item in document["items"]]


async def numbers(api: Api, query: str = "") -> list[str]:
    return [e["estimate_number"] for e in data(await api.get(f"{ESTIMATES}{query}"))]


async def test_create_answers_the_whole_estimate_numbered_per_team(alice: Api, bob: Api) -> None:
    # given
    customer = await alice.create_customer(company_name="Acme Corp", email="ap@acme.example")
    body = {
        "customer_id": customer["id"],
        "issue_date": "2025-01-15",
        "expiry_date": "2025-02-15",
        "items": ESTIMATE_LINES,
        "notes": "Valid for a month.",
    }
    # when
    response = await alice.post(ESTIMATES, body)
    second = await new_estimate(alice, customer["id"])
    theirs = await new_estimate(bob)
    # then
    envelope = ok(response, 201)
    assert envelope["message"] == "Estimate created"
    estimate = envelope["data"]
    assert isinstance(estimate["id"], int)
    assert {k: estimate[k] for k in ("estimate_number", "status", "customer_id", "currency")} == {
        "estimate_number": "EST-0001",
        "status": "draft",
        "customer_id": customer["id"],
        "currency": "USD",
    }
    assert estimate["customer"]["name"] == "Acme Corp"
    assert (estimate["issue_date"], estimate["expiry_date"]) == ("2025-01-15", "2025-02-15")
    assert (estimate["subtotal"], estimate["tax"], estimate["total"]) == (209.99, 20.0, 229.99)
    assert [(i["description"], i["amount"], i["tax"]) for i in estimate["items"]] == [
        ("Design", 200.0, 20.0),
        ("Hosting", 9.99, 0.0),
    ]
    assert (estimate["notes"], estimate["converted_invoice_id"]) == ("Valid for a month.", None)
    assert estimate["converted_at"] is None
    parse_timestamp(estimate["created_at"])
    assert data(await alice.get(ONE.format(id=estimate["id"]))) == estimate
    assert second["estimate_number"] == "EST-0002"
    assert theirs["estimate_number"] == "EST-0001"


async def test_create_defaults_the_issue_date_to_today_and_may_say_draft(alice: Api) -> None:
    # given
    customer = await alice.create_customer(currency="EUR")
    body = {"customer_id": customer["id"], "items": ESTIMATE_LINES, "status": "draft"}
    # when
    estimate = data(await alice.post(ESTIMATES, body), 201)
    # then
    assert (estimate["issue_date"], estimate["expiry_date"]) == (today().isoformat(), None)
    assert (estimate["status"], estimate["currency"]) == ("draft", "EUR")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"expiry_date": "2025-01-14"}, "expiry_date"),  # before the issue date
        ({"expiry_date": "15/02/2025"}, "expiry_date"),
        ({"items": []}, "items"),
        ({"items": [{"description": "Free", "quantity": 0, "unit_price": 1}]}, "items.0.quantity"),
        ({"customer_id": 987_654}, "customer_id"),
        ({"status": "sent"}, "status"),
        ({"status": "converted"}, "status"),
    ],
)
async def test_create_refuses_invalid_fields(
    alice: Api, fields: dict[str, Any], field: str
) -> None:
    # given
    customer = await alice.create_customer()
    body = {"customer_id": customer["id"], "issue_date": "2025-01-15", "items": ESTIMATE_LINES}
    # when
    response = await alice.post(ESTIMATES, {**body, **fields})
    # then
    assert set(field_errors(response)) == {field}
    assert await numbers(alice) == []


async def test_another_teams_customer_is_a_422_on_customer_id(alice: Api, bob: Api) -> None:
    # given
    theirs = await bob.create_customer()
    # when
    response = await alice.post(ESTIMATES, {"customer_id": theirs["id"], "items": ESTIMATE_LINES})
    # then
    assert set(field_errors(response)) == {"customer_id"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["EST-0004", "EST-0003", "EST-0002", "EST-0001"]),
        ("?status=draft", ["EST-0004", "EST-0001"]),
        ("?status=sent", ["EST-0002"]),
        ("?status=approved", ["EST-0003"]),
        ("?status=converted", []),
        ("?search=EST-0003", ["EST-0003"]),
        ("?search=est-000", ["EST-0004", "EST-0003", "EST-0002", "EST-0001"]),
        ("?search=globex", ["EST-0004", "EST-0002"]),  # the customer's name
        ("?search=globex&status=sent", ["EST-0002"]),
        ("?search=initech", []),
    ],
)
async def test_list_filters_by_status_and_number_or_customer(
    alice: Api, query: str, expected: list[str]
) -> None:
    # given
    acme = (await alice.create_customer(company_name="Acme Corp"))["id"]
    globex = (await alice.create_customer(company_name="Globex Corporation"))["id"]
    for customer_id, status in [(acme, None), (globex, "sent"), (acme, "approved"), (globex, None)]:
        estimate = await new_estimate(alice, customer_id)
        if status is not None:
            data(await alice.patch(ONE.format(id=estimate["id"]), {"status": status}))
    # when
    found = await numbers(alice, query)
    # then
    assert found == expected


async def test_list_pages_and_refuses_an_unknown_status(alice: Api) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    for _ in range(3):
        await new_estimate(alice, customer_id)
    # when
    page = ok(await alice.get(f"{ESTIMATES}?per_page=2&page=2"))
    refused = await alice.get(f"{ESTIMATES}?status=expired")
    # then
    assert [e["estimate_number"] for e in page["data"]] == ["EST-0001"]
    assert page["meta"] == {"current_page": 2, "per_page": 2, "total": 3, "last_page": 2}
    assert set(field_errors(refused)) == {"status"}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("status", [*STATUSES[1:], "draft"])
async def test_an_update_changes_only_the_fields_sent(alice: Api, method: str, status: str) -> None:
    # given
    before = await new_estimate(alice)
    # when
    response = await alice.request(
        method, ONE.format(id=before["id"]), json={"status": status, "notes": "Revised"}
    )
    # then
    envelope = ok(response)
    assert envelope["message"] == "Estimate updated"
    after = envelope["data"]
    assert (after["status"], after["notes"]) == (status, "Revised")
    changed = {k for k in before if before[k] != after[k]} - {"updated_at"}
    assert changed == ({"notes"} if status == "draft" else {"status", "notes"})
    assert data(await alice.get(ONE.format(id=before["id"]))) == after


async def test_an_update_may_replace_the_items_and_the_totals(alice: Api) -> None:
    # given
    before = await new_estimate(alice)
    items = [{"description": "Support", "quantity": "1.5", "unit_price": 80, "tax_rate": 5}]
    # when
    after = data(await alice.put(ONE.format(id=before["id"]), {"items": items}))
    # then
    assert [(i["description"], i["amount"], i["tax"]) for i in after["items"]] == [
        ("Support", 120.0, 6.0)
    ]
    assert (after["subtotal"], after["tax"], after["total"]) == (120.0, 6.0, 126.0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "converted"}, "status"),
        ({"status": "paid"}, "status"),
        ({"expiry_date": "2025-01-14"}, "expiry_date"),  # before the stored issue date
        ({"issue_date": "2025-03-01", "expiry_date": "2025-02-28"}, "expiry_date"),
        ({"items": []}, "items"),
    ],
)
async def test_an_update_refuses_invalid_fields_and_changes_nothing(
    alice: Api, body: dict[str, Any], field: str
) -> None:
    # given
    before = await new_estimate(alice, expiry_date="2025-02-15")
    # when
    response = await alice.patch(ONE.format(id=before["id"]), body)
    # then
    assert set(field_errors(response)) == {field}
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


async def test_an_update_refuses_another_teams_customer(alice: Api, bob: Api) -> None:
    # given
    before = await new_estimate(alice)
    theirs = await bob.create_customer()
    # when
    response = await alice.patch(ONE.format(id=before["id"]), {"customer_id": theirs["id"]})
    # then
    assert set(field_errors(response)) == {"customer_id"}
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


async def test_delete_is_soft_and_the_number_is_never_reused(alice: Api) -> None:
    # given
    first = await new_estimate(alice)
    gone = await new_estimate(alice, first["customer_id"])
    # when
    response = await alice.delete(ONE.format(id=gone["id"]))
    after = await new_estimate(alice, first["customer_id"])
    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "message": "Estimate deleted"}
    error(await alice.get(ONE.format(id=gone["id"])), 404, "not_found")
    error(await alice.delete(ONE.format(id=gone["id"])), 404, "not_found")
    error(await alice.post(CONVERT.format(id=gone["id"])), 404, "not_found")
    assert after["estimate_number"] == "EST-0003"
    assert await numbers(alice) == ["EST-0003", "EST-0001"]


async def test_convert_makes_a_draft_invoice_like_the_estimate(alice: Api) -> None:
    # given
    estimate = await new_estimate(alice, expiry_date="2025-02-15", notes="As agreed.")
    await alice.create_invoice(estimate["customer_id"])  # INV-0001 is taken
    # when
    response = await alice.post(CONVERT.format(id=estimate["id"]))
    # then
    envelope = ok(response, 201)
    assert envelope["message"] == "Estimate converted to invoice"
    assert set(envelope["data"]) == {"invoice_id", "invoice_number"}
    assert envelope["data"]["invoice_number"] == "INV-0002"
    invoice = data(await alice.get(f"/invoices/{envelope['data']['invoice_id']}"))
    assert invoice["invoice_number"] == "INV-0002"
    assert (invoice["status"], invoice["customer_id"]) == ("draft", estimate["customer_id"])
    assert (invoice["estimate_id"], invoice["currency"]) == (estimate["id"], "USD")
    assert lines(invoice) == lines(estimate)
    assert [(i["subtotal"], i["tax"], i["total"]) for i in (invoice, estimate)] == [
        (209.99, 20.0, 229.99)
    ] * 2
    assert (invoice["amount_paid"], invoice["balance_due"]) == (0.0, 229.99)
    assert (invoice["issue_date"], invoice["due_date"]) == (day(0), day(30))
    assert (invoice["sent_at"], invoice["paid_at"], invoice["payments"]) == (None, None, [])
    converted = data(await alice.get(ONE.format(id=estimate["id"])))
    assert converted["status"] == "converted"
    assert converted["converted_invoice_id"] == invoice["id"]
    assert parse_timestamp(converted["converted_at"]).date() == today()
    assert lines(converted) == lines(estimate)


async def test_convert_uses_the_teams_payment_terms(alice: Api) -> None:
    # given
    estimate = await new_estimate(alice)
    data(await alice.patch("/teams/current", {"payment_terms_days": 14}))
    # when
    invoice_id = data(await alice.post(CONVERT.format(id=estimate["id"])), 201)["invoice_id"]
    # then
    due = data(await alice.get(f"/invoices/{invoice_id}"))["due_date"]
    assert due == (today() + timedelta(days=14)).isoformat()


async def test_convert_keeps_the_estimates_currency(alice: Api) -> None:
    # given: a customer billed in dollars, an estimate in euros
    estimate = await new_estimate(alice, currency="eur")
    # when
    invoice_id = data(await alice.post(CONVERT.format(id=estimate["id"])), 201)["invoice_id"]
    # then
    invoice = data(await alice.get(f"/invoices/{invoice_id}"))
    assert (estimate["currency"], invoice["currency"]) == ("EUR", "EUR")
    assert invoice["total"] == estimate["total"]


async def test_a_second_conversion_is_refused_and_makes_no_invoice(alice: Api) -> None:
    # given
    estimate = await new_estimate(alice)
    first = data(await alice.post(CONVERT.format(id=estimate["id"])), 201)
    # when
    response = await alice.post(CONVERT.format(id=estimate["id"]))
    # then
    error(response, 409, "invalid_state")
    invoices = data(await alice.get("/invoices"))
    assert [i["id"] for i in invoices] == [first["invoice_id"]]
    assert (
        data(await alice.get(ONE.format(id=estimate["id"])))["converted_invoice_id"]
        == (first["invoice_id"])
    )


@pytest.mark.parametrize(
    "body", [{"notes": "Too late"}, {"status": "draft"}, {"status": "converted"}]
)
async def test_a_converted_estimate_cannot_be_updated(alice: Api, body: dict[str, Any]) -> None:
    # given
    estimate = await new_estimate(alice)
    data(await alice.post(CONVERT.format(id=estimate["id"])), 201)
    before = data(await alice.get(ONE.format(id=estimate["id"])))
    # when
    put = await alice.put(ONE.format(id=estimate["id"]), body)
    patch = await alice.patch(ONE.format(id=estimate["id"]), body)
    # then
    error(put, 409, "invalid_state")
    error(patch, 409, "invalid_state")
    assert data(await alice.get(ONE.format(id=estimate["id"]))) == before


async def test_the_invoice_outlives_changes_to_its_estimate(alice: Api) -> None:
    # given
    estimate = await new_estimate(alice)
    invoice_id = data(await alice.post(CONVERT.format(id=estimate["id"])), 201)["invoice_id"]
    before = data(await alice.get(f"/invoices/{invoice_id}"))
    # when
    response = await alice.delete(ONE.format(id=estimate["id"]))
    # then
    assert response.status_code == 200, response.text
    assert data(await alice.get(f"/invoices/{invoice_id}")) == before


@pytest.mark.fast_paths
async def test_the_list_loads_only_the_customer_columns_it_shows(
    alice: Api, statements: Statements
) -> None:
    # given
    customer = await alice.create_customer(company_name="Shown Ltd", notes="n" * 300)
    await new_estimate(alice, customer["id"])
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    # when
    (row,) = ok(await alice.get("/estimates"))["data"]
    # then
    assert row["customer"] == {"id": customer["id"], "name": "Shown Ltd"}
    customers = next(sql for sql in statements.sql if "FROM customers" in sql)
    head = customers.split("FROM", 1)[0]
    assert "company_name" in head and "notes" not in head and "email" not in head
