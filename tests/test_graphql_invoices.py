"""GraphQL invoices (API.md §3, §4): the list and its filters, one invoice, creating one.

Update, cancel and delete are in test_graphql_invoice_mutations.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.conftest import Api

FIELDS = """id invoiceNumber status customerId customer { id companyName }
    items { description quantity unitPrice taxRate amount tax }
    subtotal tax total amountPaid balanceDue currency issueDate dueDate notes
    paymentLinkUrl sentAt paidAt createdAt updatedAt"""
INVOICE = f"query($id: ID!) {{ invoice(id: $id) {{ {FIELDS} }} }}"
INVOICES = """
query($status: InvoiceStatus, $search: String, $customerId: ID, $page: Int, $perPage: Int) {
  invoices(status: $status, search: $search, customerId: $customerId, page: $page,
           perPage: $perPage) {
    items { id invoiceNumber status }
    pageInfo { currentPage perPage total lastPage hasNextPage }
  }
}"""
CREATE = f"mutation($input: InvoiceInput!) {{ createInvoice(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: InvoiceUpdateInput!) {{
  updateInvoice(id: $id, input: $input) {{ {FIELDS} }} }}"""
CANCEL = "mutation($id: ID!) { cancelInvoice(id: $id) { id status } }"
DELETE = "mutation($id: ID!) { deleteInvoice(id: $id) }"

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return dict(body["data"])


def only_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    """The single error of a failed mutation document (whose data is then null)."""
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    return error


def error_fields(body: dict[str, Any]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = only_error(body, "VALIDATION_ERROR")["extensions"]["fields"]
    for messages in fields.values():
        assert messages and all(isinstance(m, str) and m for m in messages), fields
    return fields


def line(quantity: Any = 40, unit_price: Any = 150, **extra: Any) -> dict[str, Any]:
    return {
        "description": "Web Development",
        "quantity": quantity,
        "unitPrice": unit_price,
        **extra,
    }


def new_invoice(customer_id: Any, **fields: Any) -> dict[str, Any]:
    return {
        "customerId": str(customer_id),
        "issueDate": "2025-01-15",
        "dueDate": "2025-02-15",
        "items": [line()],
        **fields,
    }


async def listed(api: Api, **variables: Any) -> dict[str, Any]:
    return dict(data_of(await api.graphql(INVOICES, variables))["invoices"])


async def numbers(api: Api, **variables: Any) -> list[str]:
    return [item["invoiceNumber"] for item in (await listed(api, **variables))["items"]]


def page_info(current: int, per_page: int, total: int, last: int) -> dict[str, Any]:
    return {
        "currentPage": current,
        "perPage": per_page,
        "total": total,
        "lastPage": last,
        "hasNextPage": current < last,
    }


async def test_invoice_answers_every_field_in_the_contract_formats(alice: Api) -> None:
    # given
    customer = await alice.create_customer(company_name="Acme Corp")
    created = await alice.create_invoice(customer["id"], notes="Thank you!")
    # when
    body = await alice.graphql(INVOICE, {"id": str(created["id"])})
    # then
    invoice = data_of(body)["invoice"]
    assert TIMESTAMP.fullmatch(invoice.pop("createdAt")), invoice
    assert TIMESTAMP.fullmatch(invoice.pop("updatedAt")), invoice
    assert invoice.pop("items") == [
        {
            "description": "Web Development",
            "quantity": "40.0000",  # quantities and prices keep their 4 stored places
            "unitPrice": "150.0000",
            "taxRate": "0.0000",
            "amount": "6000.00",
            "tax": "0.00",
        }
    ]
    assert invoice == {
        "id": str(created["id"]),
        "invoiceNumber": "INV-0001",
        "status": "DRAFT",
        "customerId": str(customer["id"]),
        "customer": {"id": str(customer["id"]), "companyName": "Acme Corp"},
        "subtotal": "6000.00",
        "tax": "0.00",
        "total": "6000.00",
        "amountPaid": "0.00",
        "balanceDue": "6000.00",
        "currency": "USD",
        "issueDate": "2025-01-15",
        "dueDate": "2025-02-15",
        "notes": "Thank you!",
        "paymentLinkUrl": None,
        "sentAt": None,
        "paidAt": None,
    }


async def test_invoice_by_missing_foreign_or_malformed_id_is_null_without_errors(
    alice: Api, bob: Api
) -> None:
    # given
    foreign = await bob.create_invoice((await bob.create_customer())["id"])
    query = """query($foreign: ID!) { missing: invoice(id: "999") { id }
        foreign: invoice(id: $foreign) { id } malformed: invoice(id: "abc") { id } }"""
    # when
    body = await alice.graphql(query, {"foreign": str(foreign["id"])})
    # then
    assert body == {"data": {"missing": None, "foreign": None, "malformed": None}}


async def test_status_filter_derives_overdue_from_the_due_date_in_utc(alice: Api) -> None:
    # given: a draft, sent invoices due yesterday and today, and a cancelled one
    customer_id = (await alice.create_customer())["id"]
    today = utc_today().isoformat()
    yesterday = (utc_today() - dt.timedelta(days=1)).isoformat()
    await alice.create_invoice(customer_id, issue_date="2025-01-01", due_date=yesterday)
    overdue = await alice.create_invoice(customer_id, issue_date="2025-01-01", due_date=yesterday)
    due_today = await alice.create_invoice(customer_id, issue_date="2025-01-01", due_date=today)
    cancelled = await alice.create_invoice(customer_id)
    for invoice in (overdue, due_today):
        await alice.graphql(UPDATE, {"id": str(invoice["id"]), "input": {"status": "SENT"}})
    await alice.graphql(CANCEL, {"id": str(cancelled["id"])})
    # when
    by_status = {s: (await listed(alice, status=s))["items"] for s in ("DRAFT", "SENT", "OVERDUE")}
    cancelled_page = await listed(alice, status="CANCELLED")
    # then
    assert by_status["DRAFT"] == [{"id": "1", "invoiceNumber": "INV-0001", "status": "DRAFT"}]
    assert by_status["SENT"] == [{"id": "3", "invoiceNumber": "INV-0003", "status": "SENT"}]
    assert by_status["OVERDUE"] == [{"id": "2", "invoiceNumber": "INV-0002", "status": "OVERDUE"}]
    assert [item["status"] for item in cancelled_page["items"]] == ["CANCELLED"]
    one = await alice.graphql(INVOICE, {"id": str(overdue["id"])})
    assert data_of(one)["invoice"]["status"] == "OVERDUE"


async def test_search_matches_number_or_customer_name_case_insensitively(alice: Api) -> None:
    # given
    acme = (await alice.create_customer(company_name="Acme Corp"))["id"]
    globex = (await alice.create_customer(company_name="Globex Corporation"))["id"]
    for customer_id in (acme, globex, acme):
        await alice.create_invoice(customer_id)
    # when / then
    assert await numbers(alice, search="acme") == ["INV-0003", "INV-0001"]
    assert await numbers(alice, search="LOBEX CORP") == ["INV-0002"]
    assert await numbers(alice, search="corp") == ["INV-0003", "INV-0002", "INV-0001"]
    assert await numbers(alice, search="inv-0003") == ["INV-0003"]
    assert await numbers(alice, search="%") == []
    assert await numbers(alice, search="Nobody") == []


async def test_customer_filter_lists_only_that_customers_invoices(alice: Api, bob: Api) -> None:
    # given
    first = (await alice.create_customer())["id"]
    second = (await alice.create_customer(company_name="Globex"))["id"]
    for customer_id in (first, second, first):
        await alice.create_invoice(customer_id)
    foreign = (await bob.create_customer())["id"]
    await bob.create_invoice(foreign)
    # when / then
    assert await numbers(alice, customerId=str(first)) == ["INV-0003", "INV-0001"]
    assert await numbers(alice, customerId=str(second)) == ["INV-0002"]
    assert (await listed(alice, customerId=str(foreign)))["pageInfo"]["total"] == 0
    assert (await listed(alice, customerId="abc"))["items"] == []


async def test_pages_are_newest_first_with_exact_page_info(alice: Api, bob: Api) -> None:
    # given: five invoices of alice's and one of bob's, which alice never sees
    customer_id = (await alice.create_customer())["id"]
    for _ in range(5):
        await alice.create_invoice(customer_id)
    await bob.create_invoice((await bob.create_customer())["id"])
    # when
    pages = [await listed(alice, page=page, perPage=2) for page in (1, 2, 3, 4)]
    default, clamped = await listed(alice), await listed(alice, perPage=500)
    # then
    assert [[item["invoiceNumber"] for item in page["items"]] for page in pages] == [
        ["INV-0005", "INV-0004"],
        ["INV-0003", "INV-0002"],
        ["INV-0001"],
        [],
    ]
    assert [page["pageInfo"] for page in pages] == [page_info(n, 2, 5, 3) for n in (1, 2, 3, 4)]
    assert default["pageInfo"] == page_info(1, 15, 5, 1)
    assert clamped["pageInfo"] == page_info(1, 100, 5, 1)  # perPage above 100 is clamped


@pytest.mark.parametrize(
    ("variables", "field"), [({"page": 0}, "page"), ({"perPage": 0}, "perPage")]
)
async def test_page_or_per_page_below_one_is_a_validation_error(
    alice: Api, variables: dict[str, int], field: str
) -> None:
    # when
    body = await alice.graphql(INVOICES, variables)
    # then
    assert set(error_fields(body)) == {field}


async def test_create_invoice_numbers_and_totals_exactly(alice: Api) -> None:
    # given: 2 x 19.99 at 8.25% tax (3.29835 -> 3.30) and 1.5 x 10.005 (15.0075 -> 15.01)
    customer_id = (await alice.create_customer())["id"]
    await alice.graphql(CREATE, {"input": new_invoice(customer_id)})
    items = [line("2", "19.99", taxRate="8.25"), line(1.5, 10.005)]
    # when
    body = await alice.graphql(CREATE, {"input": new_invoice(customer_id, items=items)})
    # then
    invoice = data_of(body)["createInvoice"]
    assert invoice["invoiceNumber"] == "INV-0002"
    assert invoice["status"] == "DRAFT"
    assert [(i["amount"], i["tax"]) for i in invoice["items"]] == [
        ("39.98", "3.30"),
        ("15.01", "0.00"),
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("54.99", "3.30", "58.29")
    assert (invoice["amountPaid"], invoice["balanceDue"]) == ("0.00", "58.29")
    again = data_of(await alice.graphql(INVOICE, {"id": invoice["id"]}))["invoice"]
    assert again == invoice  # the mutation answers the invoice exactly as a query shows it


async def test_create_invoice_defaults_currency_and_dates(alice: Api) -> None:
    # given
    customer_id = (await alice.create_customer(currency="EUR"))["id"]
    invoice_input = {"customerId": str(customer_id), "items": [line()]}
    # when
    invoice = data_of(await alice.graphql(CREATE, {"input": invoice_input}))["createInvoice"]
    # then
    assert invoice["currency"] == "EUR"
    assert invoice["issueDate"] == utc_today().isoformat()
    assert invoice["dueDate"] == (utc_today() + dt.timedelta(days=30)).isoformat()


async def test_numbers_are_per_team_and_never_reused_after_a_delete(alice: Api, bob: Api) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    for _ in range(3):
        await alice.create_invoice(customer_id)
    data_of(await alice.graphql(DELETE, {"id": "3"}))
    # when
    mine = await alice.graphql(CREATE, {"input": new_invoice(customer_id)})
    theirs = await bob.graphql(CREATE, {"input": new_invoice((await bob.create_customer())["id"])})
    # then
    assert data_of(mine)["createInvoice"]["invoiceNumber"] == "INV-0004"
    assert data_of(theirs)["createInvoice"]["invoiceNumber"] == "INV-0001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": [line(quantity=0)]}, "items.0.quantity"),
        ({"items": [line(), line(unit_price="1.23456")]}, "items.1.unitPrice"),
        ({"items": [line(unit_price=-1)]}, "items.0.unitPrice"),
        ({"items": [line(taxRate="101")]}, "items.0.taxRate"),
        ({"items": []}, "items"),
        ({"dueDate": "2025-01-14"}, "dueDate"),
        ({"issueDate": "2025-13-01"}, "issueDate"),
        ({"currency": "EURO"}, "currency"),
        ({"status": "SENT"}, "status"),
        ({"customerId": "999"}, "customerId"),
    ],
)
async def test_create_invoice_rejects_invalid_fields_by_their_graphql_path(
    alice: Api, change: dict[str, Any], field: str
) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    # when
    body = await alice.graphql(CREATE, {"input": new_invoice(customer_id, **change)})
    # then
    assert set(error_fields(body)) == {field}
    assert (await listed(alice))["pageInfo"]["total"] == 0


async def test_create_invoice_for_another_teams_customer_fails_on_customer_id(
    alice: Api, bob: Api
) -> None:
    # given
    foreign = (await bob.create_customer())["id"]
    # when
    body = await alice.graphql(CREATE, {"input": new_invoice(foreign)})
    # then
    assert set(error_fields(body)) == {"customerId"}
    assert (await listed(bob))["pageInfo"]["total"] == 0
