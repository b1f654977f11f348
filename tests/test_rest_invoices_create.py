"""REST POST /invoices: the created resource, numbering, and validation (API.md §2, §3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Api
from tests.rest_support import data, day, error, field_errors, ok, parse_timestamp, today

CREATE = "/invoices"
LIST = "/invoices"
ONE = "/invoices/{id}"
LINE = {"description": "Web Development", "quantity": 40, "unit_price": 150}
BODY: dict[str, Any] = {
    "issue_date": "2025-01-15",
    "due_date": "2025-02-15",
    "items": [LINE],
    "notes": "Thank you!",
}


def body_for(customer_id: int, /, **changes: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, **BODY, **changes}


def without(customer_id: int, name: str) -> dict[str, Any]:
    body = body_for(customer_id)
    body.pop(name)
    return body


async def test_create_answers_201_with_the_whole_invoice(alice: Api) -> None:
    # given
    customer = await alice.create_customer(contact_name="John Doe", email="john@acme.example")
    body = body_for(
        customer["id"],
        items=[LINE, {"description": "Hosting", "quantity": 2, "unit_price": 25.5, "tax_rate": 10}],
    )
    # when
    response = await alice.post(CREATE, body)
    # then
    envelope = ok(response, 201)
    assert envelope["message"] == "Invoice created"
    invoice = envelope["data"]
    assert invoice["invoice_number"] == "INV-0001"
    assert invoice["status"] == "draft"
    assert invoice["customer_id"] == customer["id"]
    assert invoice["customer"] == {
        "id": customer["id"],
        "name": "Acme Corp",
        "company_name": "Acme Corp",
        "contact_name": "John Doe",
        "email": "john@acme.example",
    }
    assert [
        {k: line[k] for k in ("description", "quantity", "unit_price", "tax_rate", "amount", "tax")}
        for line in invoice["items"]
    ] == [
        {
            "description": "Web Development",
            "quantity": 40.0,
            "unit_price": 150.0,
            "tax_rate": 0.0,
            "amount": 6000.0,
            "tax": 0.0,
        },
        {
            "description": "Hosting",
            "quantity": 2.0,
            "unit_price": 25.5,
            "tax_rate": 10.0,
            "amount": 51.0,
            "tax": 5.1,
        },
    ]
    assert all(isinstance(line["id"], int) for line in invoice["items"])
    assert invoice["subtotal"] == 6051.0
    assert invoice["tax"] == 5.1
    assert invoice["total"] == 6056.1
    assert invoice["amount_paid"] == 0.0
    assert invoice["balance_due"] == 6056.1
    assert invoice["currency"] == "USD"
    assert invoice["issue_date"] == "2025-01-15"
    assert invoice["due_date"] == "2025-02-15"
    assert invoice["notes"] == "Thank you!"
    assert invoice["sent_at"] is None
    assert invoice["paid_at"] is None
    assert invoice["payment_link_url"] is None
    parse_timestamp(invoice["created_at"])
    parse_timestamp(invoice["updated_at"])
    assert data(await alice.get(ONE.format(id=invoice["id"]))) == invoice


async def test_numbers_follow_each_other_within_a_team(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    # when
    numbers = [(await alice.create_invoice(customer["id"]))["invoice_number"] for _ in range(3)]
    # then
    assert numbers == ["INV-0001", "INV-0002", "INV-0003"]


async def test_numbering_is_per_team(alice: Api, bob: Api) -> None:
    # given
    acme = await alice.create_customer()
    await alice.create_invoice(acme["id"])
    await alice.create_invoice(acme["id"])
    initech = await bob.create_customer(company_name="Initech")
    # when
    first_of_b = await bob.create_invoice(initech["id"])
    third_of_a = await alice.create_invoice(acme["id"])
    # then
    assert first_of_b["invoice_number"] == "INV-0001"
    assert third_of_a["invoice_number"] == "INV-0003"


async def test_currency_defaults_to_the_customers_and_may_be_given(alice: Api) -> None:
    # given
    customer = await alice.create_customer(currency="eur")
    # when
    inherited = await alice.create_invoice(customer["id"])
    chosen = await alice.create_invoice(customer["id"], currency="gbp")
    # then
    assert customer["currency"] == "EUR"
    assert inherited["currency"] == "EUR"
    assert chosen["currency"] == "GBP"


async def test_quantities_and_prices_may_be_strings(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    line = {"description": "Widget", "quantity": "3", "unit_price": "19.99", "tax_rate": "8.25"}
    # when
    invoice = data(await alice.post(CREATE, body_for(customer["id"], items=[line])), 201)
    # then
    [item] = invoice["items"]
    assert item["quantity"] == 3.0
    assert item["unit_price"] == 19.99
    assert item["tax_rate"] == 8.25
    assert item["amount"] == 59.97
    assert invoice["total"] == 64.92


async def test_server_owned_fields_in_the_body_are_ignored(alice: Api, bob: Api) -> None:
    # given
    customer = await alice.create_customer()
    owned = {
        "invoice_number": "INV-9999",
        "total": 1,
        "subtotal": 1,
        "tax": 99,
        "amount_paid": 6000,
        "balance_due": 0,
        "team_id": 999,
        "paid_at": "2025-01-20T10:00:00Z",
        "sent_at": "2025-01-20T10:00:00Z",
        "id": 777,
        "colour": "blue",
    }
    # when
    invoice = data(await alice.post(CREATE, body_for(customer["id"], **owned)), 201)
    # then
    assert invoice["id"] != 777
    assert invoice["invoice_number"] == "INV-0001"
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (6000.0, 0.0, 6000.0)
    assert (invoice["amount_paid"], invoice["balance_due"]) == (0.0, 6000.0)
    assert (invoice["paid_at"], invoice["sent_at"]) == (None, None)
    assert "colour" not in invoice
    assert data(await bob.get(LIST)) == []


@pytest.mark.parametrize("status", [None, "draft"])
async def test_status_may_be_absent_or_draft_on_create(alice: Api, status: str | None) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(CREATE, body_for(customer["id"], status=status))
    # then
    assert data(response, 201)["status"] == "draft"


async def test_dates_default_to_today_and_the_teams_payment_terms(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    body = {"customer_id": customer["id"], "items": [LINE]}
    # when
    invoice = data(await alice.post(CREATE, body), 201)
    # then
    assert invoice["issue_date"] == today().isoformat()
    assert invoice["due_date"] == (today() + timedelta(days=30)).isoformat()


# --- validation -----------------------------------------------------------------------------

BAD_LINES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("zero quantity", [{**LINE, "quantity": 0}], "items.0.quantity"),
    ("negative quantity", [{**LINE, "quantity": -1}], "items.0.quantity"),
    ("negative price", [{**LINE, "unit_price": -0.01}], "items.0.unit_price"),
    ("5 decimals price", [{**LINE, "unit_price": 1.00001}], "items.0.unit_price"),
    ("5 decimals as string", [{**LINE, "unit_price": "19.99999"}], "items.0.unit_price"),
    ("5 decimals quantity", [{**LINE, "quantity": "0.00001"}], "items.0.quantity"),
    ("price not a number", [{**LINE, "unit_price": "lots"}], "items.0.unit_price"),
    ("price a boolean", [{**LINE, "unit_price": True}], "items.0.unit_price"),
    ("missing quantity", [{"description": "x", "unit_price": 1}], "items.0.quantity"),
    ("missing description", [{"quantity": 1, "unit_price": 1}], "items.0.description"),
    ("blank description", [{**LINE, "description": "   "}], "items.0.description"),
    ("tax rate above 100", [{**LINE, "tax_rate": 100.5}], "items.0.tax_rate"),
    ("negative tax rate", [{**LINE, "tax_rate": -1}], "items.0.tax_rate"),
    ("second line", [LINE, {**LINE, "quantity": 0}], "items.1.quantity"),
    ("empty items", [], "items"),
]


@pytest.mark.parametrize(
    ("lines", "field"),
    [(lines, field) for _, lines, field in BAD_LINES],
    ids=[c[0] for c in BAD_LINES],
)
async def test_bad_lines_are_a_422_keyed_by_field_path(
    alice: Api, lines: list[dict[str, Any]], field: str
) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(CREATE, body_for(customer["id"], items=lines))
    # then
    assert list(field_errors(response)) == [field]
    assert data(await alice.get(LIST)) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"items": "Web Development"}, "items"),
        ({"issue_date": "15/01/2025"}, "issue_date"),
        ({"due_date": "2025-02-30"}, "due_date"),
        ({"due_date": "2025-01-14"}, "due_date"),
        ({"currency": "dollars"}, "currency"),
        ({"status": "sent"}, "status"),
        ({"status": "paid"}, "status"),
        ({"status": "overdue"}, "status"),
        ({"customer_id": "acme"}, "customer_id"),
    ],
)
async def test_bad_fields_are_a_422_on_the_field(
    alice: Api, changes: dict[str, Any], field: str
) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(CREATE, body_for(customer["id"], **changes))
    # then
    assert list(field_errors(response)) == [field]
    assert data(await alice.get(LIST)) == []


@pytest.mark.parametrize("name", ["items", "customer_id"])
async def test_a_missing_required_field_is_a_422_on_it(alice: Api, name: str) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(CREATE, without(customer["id"], name))
    # then
    assert list(field_errors(response)) == [name]


async def test_a_due_date_before_the_default_issue_date_is_a_422_on_due_date(alice: Api) -> None:
    # given: no issue_date, so it is today, and the due date is before it
    customer = await alice.create_customer()
    body = without(customer["id"], "issue_date") | {"due_date": day(-1)}
    # when
    response = await alice.post(CREATE, body)
    # then
    assert list(field_errors(response)) == ["due_date"]
    assert data(await alice.get(LIST)) == []


async def test_an_empty_body_lists_every_missing_field(alice: Api) -> None:
    # when
    response = await alice.post(CREATE, {})
    # then
    assert set(field_errors(response)) == {"customer_id", "items"}


async def test_an_unknown_customer_is_a_422_on_customer_id(alice: Api) -> None:
    # given
    await alice.create_customer()
    # when
    response = await alice.post(CREATE, body_for(999))
    # then
    assert list(field_errors(response)) == ["customer_id"]


async def test_another_teams_customer_is_a_422_on_customer_id(alice: Api, bob: Api) -> None:
    # given
    await alice.create_customer()
    initech = await bob.create_customer(company_name="Initech")
    # when
    response = await alice.post(CREATE, body_for(initech["id"]))
    unknown = await alice.post(CREATE, body_for(999))
    # then
    assert list(field_errors(response)) == ["customer_id"]
    assert response.json() == unknown.json()
    assert data(await bob.get(LIST)) == []


async def test_a_deleted_customer_is_a_422_on_customer_id(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    ok(await alice.delete(f"/customers/{customer['id']}"))
    # when
    response = await alice.post(CREATE, body_for(customer["id"]))
    # then
    assert list(field_errors(response)) == ["customer_id"]


async def test_failed_creates_leave_no_gap_in_the_numbers(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    error(await alice.post(CREATE, body_for(999)), 422, "validation_error")
    error(await alice.post(CREATE, body_for(customer["id"], items=[])), 422, "validation_error")
    # when
    invoice = await alice.create_invoice(customer["id"])
    # then
    assert invoice["invoice_number"] == "INV-0001"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"invoice"'])
async def test_a_body_that_is_not_a_json_object_is_a_400(alice: Api, raw: bytes) -> None:
    # when
    response = await alice.post(CREATE, content=raw, headers={"Content-Type": "application/json"})
    # then
    error(response, 400, "bad_request")


async def test_a_viewer_cannot_create(alice: Api, viewer: Api) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await viewer.post(CREATE, body_for(customer["id"]))
    # then
    error(response, 403, "forbidden")
    assert data(await alice.get(LIST)) == []


@pytest.mark.parametrize("path", ["/invoices", "/estimates"])
async def test_many_lines_are_answered_in_the_order_sent(alice: Api, path: str) -> None:
    """The lines are written in one statement and answered from it: each line's values
    with it, in the order sent, as a read gives them afterwards."""
    customer = await alice.create_customer()
    lines = [
        {"description": f"Line {n:02d}", "quantity": n + 1, "unit_price": f"{(37 * n) % 50}.25"}
        for n in range(40)
    ]
    created = data(await alice.post(path, {"customer_id": customer["id"], "items": lines}), 201)
    answered = [(x["description"], x["quantity"], x["unit_price"]) for x in created["items"]]
    sent = [(x["description"], float(x["quantity"]), float(x["unit_price"])) for x in lines]
    assert answered == sent
    assert [x["amount"] for x in created["items"]] == [q * p for _d, q, p in sent]
    ids = [x["id"] for x in created["items"]]
    assert len(set(ids)) == 40
    assert data(await alice.get(f"{path}/{created['id']}")) == created
