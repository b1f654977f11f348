"""REST PUT/PATCH /invoices/{id}: partial updates, status moves, final states (API.md §2, §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from invoiceflow.services import Services
from tests.conftest import Api
from tests.rest_support import (
    data,
    day,
    error,
    field_errors,
    mark_paid,
    mark_partial,
    ok,
    parse_timestamp,
)

ONE = "/invoices/{id}"
METHODS = ["PUT", "PATCH"]
SEND = {"status": "sent"}
CANCEL = {"status": "cancelled"}
NEW_LINES = [
    {"description": "Design", "quantity": 2, "unit_price": 100, "tax_rate": 10},
    {"description": "Hosting", "quantity": 1, "unit_price": "9.99"},
]
# Fields an update never touches, however it is made.
STABLE = ("id", "invoice_number", "created_at")


async def update(api: Api, method: str, invoice_id: int, body: dict[str, Any]) -> Any:
    return await api.request(method, ONE.format(id=invoice_id), json=body)


async def fresh(api: Api, **fields: Any) -> dict[str, Any]:
    customer = await api.create_customer()
    return await api.create_invoice(customer["id"], **fields)


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


@pytest.mark.parametrize("method", METHODS)
async def test_an_update_changes_only_the_fields_sent(alice: Api, method: str) -> None:
    # given
    before = await fresh(alice, notes="Thank you!")
    # when
    response = await update(alice, method, before["id"], {"notes": "Net 30, please."})
    # then
    envelope = ok(response)
    assert envelope["message"] == "Invoice updated"
    after = envelope["data"]
    assert changed(before, after) <= {"notes", "updated_at"}
    assert after["notes"] == "Net 30, please."
    assert data(await alice.get(ONE.format(id=before["id"]))) == after


@pytest.mark.parametrize("method", METHODS)
async def test_new_items_replace_the_lines_and_the_totals(alice: Api, method: str) -> None:
    # given
    before = await fresh(alice)
    # when
    after = data(await update(alice, method, before["id"], {"items": NEW_LINES}))
    # then
    assert [(i["description"], i["amount"], i["tax"]) for i in after["items"]] == [
        ("Design", 200.0, 20.0),
        ("Hosting", 9.99, 0.0),
    ]
    assert (after["subtotal"], after["tax"], after["total"]) == (209.99, 20.0, 229.99)
    assert after["balance_due"] == 229.99
    assert changed(before, after) <= {
        "items",
        "subtotal",
        "tax",
        "total",
        "balance_due",
        "updated_at",
    }
    assert data(await alice.get(ONE.format(id=before["id"]))) == after


async def test_dates_customer_and_currency_can_change(alice: Api) -> None:
    # given
    before = await fresh(alice)
    globex = await alice.create_customer(company_name="Globex")
    body = {
        "issue_date": "2025-03-01",
        "due_date": "2025-03-31",
        "customer_id": globex["id"],
        "currency": "eur",
    }
    # when
    after = data(await alice.patch(ONE.format(id=before["id"]), body))
    # then
    assert (after["issue_date"], after["due_date"]) == ("2025-03-01", "2025-03-31")
    assert after["customer_id"] == globex["id"]
    assert after["customer"]["name"] == "Globex"
    assert after["currency"] == "EUR"
    assert all(after[name] == before[name] for name in STABLE)


async def test_server_owned_fields_in_an_update_are_ignored(alice: Api) -> None:
    # given
    before = await fresh(alice)
    owned = {"total": 1, "tax": 5, "amount_paid": 6000, "invoice_number": "INV-0042", "id": 9}
    # when
    after = data(await alice.patch(ONE.format(id=before["id"]), owned))
    # then
    assert changed(before, after) <= {"updated_at"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_date": "2025-01-14"}, "due_date"),  # before the stored issue date
        ({"issue_date": "2025-02-16"}, "due_date"),  # after the stored due date
        ({"issue_date": "2025-03-01", "due_date": "2025-02-01"}, "due_date"),
        ({"items": []}, "items"),
        ({"items": None}, "items"),
        ({"items": [{"description": "x", "quantity": 0, "unit_price": 1}]}, "items.0.quantity"),
        ({"items": [{"description": "x", "quantity": 1, "unit_price": -1}]}, "items.0.unit_price"),
        ({"customer_id": None}, "customer_id"),
        ({"customer_id": 999}, "customer_id"),
        ({"due_date": "soon"}, "due_date"),
    ],
)
async def test_a_bad_update_is_a_422_and_changes_nothing(
    alice: Api, body: dict[str, Any], field: str
) -> None:
    # given
    before = await fresh(alice)
    # when
    response = await alice.patch(ONE.format(id=before["id"]), body)
    # then
    assert list(field_errors(response)) == [field]
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


async def test_another_teams_customer_is_a_422_on_customer_id(alice: Api, bob: Api) -> None:
    # given
    before = await fresh(alice)
    initech = await bob.create_customer(company_name="Initech")
    # when
    response = await alice.patch(ONE.format(id=before["id"]), {"customer_id": initech["id"]})
    # then
    assert list(field_errors(response)) == ["customer_id"]
    assert (
        data(await alice.get(ONE.format(id=before["id"])))["customer_id"] == before["customer_id"]
    )


@pytest.mark.parametrize("status", ["paid", "partial", "overdue", "lost", ""])
async def test_a_status_that_is_no_transition_is_a_422_on_status(alice: Api, status: str) -> None:
    # given
    before = await fresh(alice)
    # when
    response = await alice.patch(ONE.format(id=before["id"]), {"status": status})
    # then
    assert list(field_errors(response)) == ["status"]
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


# --- status moves ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
async def test_status_sent_sends_the_invoice(alice: Api, method: str) -> None:
    # given
    before = await fresh(alice, issue_date=day(0), due_date=day(30))
    started = datetime.now(UTC).replace(microsecond=0)
    # when
    after = data(await update(alice, method, before["id"], SEND))
    # then
    assert after["status"] == "sent"
    sent_at = parse_timestamp(after["sent_at"])
    assert started <= sent_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert changed(before, after) <= {"status", "sent_at", "updated_at"}
    assert data(await alice.get(ONE.format(id=before["id"]))) == after


async def test_sending_again_keeps_the_first_sent_at(alice: Api) -> None:
    # given
    invoice = await fresh(alice, issue_date=day(0), due_date=day(30))
    first = data(await alice.patch(ONE.format(id=invoice["id"]), SEND))
    # when
    again = data(await alice.patch(ONE.format(id=invoice["id"]), SEND | {"notes": "Reminder"}))
    # then
    assert again["status"] == "sent"
    assert again["sent_at"] == first["sent_at"]
    assert again["notes"] == "Reminder"


async def test_a_sent_invoice_past_its_due_date_reads_overdue(alice: Api) -> None:
    # given
    invoice = await fresh(alice, issue_date=day(-30), due_date=day(-1))
    # when
    after = data(await alice.patch(ONE.format(id=invoice["id"]), SEND))
    # then
    assert after["status"] == "overdue"
    assert data(await alice.get(ONE.format(id=invoice["id"])))["status"] == "overdue"


async def test_moving_the_due_date_into_the_future_clears_overdue(alice: Api) -> None:
    # given
    invoice = await fresh(alice, issue_date=day(-30), due_date=day(-1))
    ok(await alice.patch(ONE.format(id=invoice["id"]), SEND))
    # when
    after = data(await alice.patch(ONE.format(id=invoice["id"]), {"due_date": day(7)}))
    # then
    assert after["status"] == "sent"


@pytest.mark.parametrize("method", METHODS)
async def test_status_cancelled_cancels(alice: Api, method: str) -> None:
    # given
    before = await fresh(alice)
    # when
    after = data(await update(alice, method, before["id"], CANCEL))
    # then
    assert after["status"] == "cancelled"
    assert changed(before, after) <= {"status", "updated_at"}


async def test_a_sent_invoice_can_be_cancelled(alice: Api) -> None:
    # given
    invoice = await fresh(alice, issue_date=day(0), due_date=day(30))
    ok(await alice.patch(ONE.format(id=invoice["id"]), SEND))
    # when
    after = data(await alice.patch(ONE.format(id=invoice["id"]), CANCEL))
    # then
    assert after["status"] == "cancelled"


@pytest.mark.parametrize(
    "body", [{"notes": "again"}, SEND, CANCEL, {"status": "draft"}, {"items": NEW_LINES}]
)
async def test_a_cancelled_invoice_cannot_be_updated(alice: Api, body: dict[str, Any]) -> None:
    # given
    invoice = await fresh(alice)
    cancelled = data(await alice.patch(ONE.format(id=invoice["id"]), CANCEL))
    # when
    response = await alice.patch(ONE.format(id=invoice["id"]), body)
    # then
    error(response, 409, "invalid_state")
    assert data(await alice.get(ONE.format(id=invoice["id"]))) == cancelled


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("body", [{"notes": "again"}, CANCEL, {"items": NEW_LINES}])
async def test_a_paid_invoice_cannot_be_updated(
    alice: Api, services: Services, method: str, body: dict[str, Any]
) -> None:
    # given
    invoice = await fresh(alice)
    await mark_paid(services, invoice)
    paid = data(await alice.get(ONE.format(id=invoice["id"])))
    # when
    response = await update(alice, method, invoice["id"], body)
    # then
    error(response, 409, "invalid_state")
    assert paid["status"] == "paid"
    assert data(await alice.get(ONE.format(id=invoice["id"]))) == paid


async def test_a_partly_paid_invoice_cannot_be_cancelled(alice: Api, services: Services) -> None:
    # given
    invoice = await fresh(alice, issue_date=day(0), due_date=day(30))
    ok(await alice.patch(ONE.format(id=invoice["id"]), SEND))
    await mark_partial(services, invoice, paid="100.00")
    # when
    response = await alice.patch(ONE.format(id=invoice["id"]), CANCEL)
    # then
    error(response, 409, "invalid_state")
    after = data(await alice.get(ONE.format(id=invoice["id"])))
    assert (after["status"], after["amount_paid"], after["balance_due"]) == (
        "partial",
        100.0,
        5900.0,
    )


# --- who may update -------------------------------------------------------------------------


async def test_updating_a_missing_invoice_is_404(alice: Api) -> None:
    # when
    missing = await alice.patch("/invoices/999", {"notes": "x"})
    malformed = await alice.put("/invoices/abc", {"notes": "x"})
    # then
    error(missing, 404, "not_found")
    error(malformed, 404, "not_found")


async def test_a_viewer_cannot_update(alice: Api, viewer: Api) -> None:
    # given
    invoice = await fresh(alice)
    # when
    response = await viewer.patch(ONE.format(id=invoice["id"]), {"notes": "x"})
    # then
    error(response, 403, "forbidden")
    assert data(await alice.get(ONE.format(id=invoice["id"]))) == invoice


async def test_another_team_cannot_update(alice: Api, bob: Api) -> None:
    # given
    invoice = await fresh(alice)
    # when
    response = await bob.put(ONE.format(id=invoice["id"]), {"notes": "x"})
    # then
    error(response, 404, "not_found")
    assert data(await alice.get(ONE.format(id=invoice["id"]))) == invoice


async def test_a_deleted_invoice_cannot_be_updated(alice: Api) -> None:
    # given
    invoice = await fresh(alice)
    ok(await alice.delete(ONE.format(id=invoice["id"])))
    # when
    response = await alice.patch(ONE.format(id=invoice["id"]), {"notes": "x"})
    # then
    error(response, 404, "not_found")
