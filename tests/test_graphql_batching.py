"""The N+1 guard (API.md §4): nested fields are batched by per-request dataloaders, so the SQL
of a GraphQL request does not grow with the number of rows it returns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.conftest import Api, KeyFactory, Statements

INVOICES = """query($n: Int!) { invoices(perPage: $n) { items {
  id invoiceNumber customer { id companyName } items { description quantity unitPrice } } } }"""
CUSTOMERS = """query($n: Int!) { customers(perPage: $n) { items {
  id invoices { id } totalInvoiced } } }"""
NESTED = """query($n: Int!) { customers(perPage: $n) { items { id recentInvoices {
  id customer { id } } invoices(first: 1) { id items { amount } } } } }"""
PAYMENTS = """query($n: Int!) { invoices(perPage: $n) { items {
  payments { id amount } customer { payments { id amount } } } } }"""

# One statement each for the API key, the page (its total rides along in the same query) and
# each batched relation. Anything per row would be an N+1.
MAX_STATEMENTS = 4

Customer = tuple[int, str]


async def counted(
    api: Api, statements: Statements, query: str, n: int
) -> tuple[list[str], dict[str, Any]]:
    """The SQL statements of one whole HTTP request, and its data."""
    statements.sql.clear()
    body = await api.graphql(query, {"n": n})
    assert "errors" not in body, body
    return list(statements.sql), dict(body["data"])


def updates(sql: list[str]) -> list[str]:
    return [s for s in sql if s.lstrip().upper().startswith("UPDATE")]


async def add_customers(api: Api, count: int, start: int = 0) -> list[Customer]:
    names = [f"Client {i}" for i in range(start, start + count)]
    return [(int((await api.create_customer(company_name=n))["id"]), n) for n in names]


@dataclass(frozen=True)
class Seeded:
    row: dict[str, Any]  # the invoice as the INVOICES query must show it
    total: Decimal


async def add_invoices(
    api: Api, customers: list[Customer], count: int, *, sent: bool = False
) -> list[Seeded]:
    """``count`` invoices of two lines, dealt round-robin over ``customers``."""
    seeded = []
    for index in range(count):
        customer_id, name = customers[index % len(customers)]
        items = [
            {"description": f"Design {index}", "quantity": 1, "unit_price": 100 + index},
            {"description": f"Hosting {index}", "quantity": 2, "unit_price": "9.5"},
        ]
        invoice = await api.create_invoice(customer_id, items=items)
        if sent:
            response = await api.patch(f"/invoices/{invoice['id']}", {"status": "sent"})
            assert response.status_code == 200, response.text
        row = {
            "id": str(invoice["id"]),
            "invoiceNumber": invoice["invoice_number"],
            "customer": {"id": str(customer_id), "companyName": name},
            "items": [
                {
                    "description": f"Design {index}",
                    "quantity": "1.0000",
                    "unitPrice": f"{100 + index}.0000",
                },
                {"description": f"Hosting {index}", "quantity": "2.0000", "unitPrice": "9.5000"},
            ],
        }
        seeded.append(Seeded(row, Decimal(100 + index) + Decimal("19.00")))
    return seeded


def customer_rows(seeded: list[Seeded]) -> dict[str, dict[str, Any]]:
    """Each customer as the CUSTOMERS query must show it: invoices newest first, their sum."""
    rows: dict[str, dict[str, Any]] = {}
    for invoice in reversed(seeded):
        customer_id = invoice.row["customer"]["id"]
        row = rows.setdefault(
            customer_id, {"id": customer_id, "invoices": [], "totalInvoiced": Decimal("0.00")}
        )
        row["invoices"].append({"id": invoice.row["id"]})
        row["totalInvoiced"] += invoice.total
    return {k: {**v, "totalInvoiced": str(v["totalInvoiced"])} for k, v in rows.items()}


async def test_invoices_with_customers_and_items_run_the_same_sql_for_5_and_20(
    alice: Api, keys: KeyFactory, statements: Statements
) -> None:
    # given: several customers, so the customer loader batches distinct ids
    customers = await add_customers(alice, 5)
    seeded = await add_invoices(alice, customers, 5)
    reader = await keys.api("alice@a.example", "Team A")  # a fresh key, never used yet
    # when
    warm_up, _ = await counted(reader, statements, INVOICES, 5)
    few, few_data = await counted(reader, statements, INVOICES, 5)
    # (20 invoices of up to 500 lines each are as many as a query may ask for: API.md §6)
    seeded += await add_invoices(alice, customers, 15)
    many, many_data = await counted(reader, statements, INVOICES, 20)
    # then
    assert len(few) == len(many) <= MAX_STATEMENTS, (few, many)
    assert updates(few) == updates(many) == []  # a read request writes nothing
    # the key's first use is recorded once, by one statement of its own
    assert len(warm_up) == len(few) + 1, warm_up
    assert [s for s in updates(warm_up) if "api_keys" in s] == updates(warm_up), warm_up
    assert len(updates(warm_up)) == 1, warm_up
    # and each invoice got its own customer and lines, newest first
    assert many_data["invoices"]["items"] == [invoice.row for invoice in seeded[::-1]]
    assert few_data["invoices"]["items"] == [invoice.row for invoice in seeded[4::-1]]


async def test_customers_with_invoices_and_totals_run_the_same_sql_for_3_and_30(
    alice: Api, statements: Statements
) -> None:
    # given: two sent invoices per customer, which count towards totalInvoiced
    customers = await add_customers(alice, 3)
    seeded = await add_invoices(alice, customers, 6, sent=True)
    await counted(alice, statements, CUSTOMERS, 3)  # warm-up: the key's use is recorded
    # when
    few, few_data = await counted(alice, statements, CUSTOMERS, 3)
    more = await add_customers(alice, 27, start=3)
    seeded += await add_invoices(alice, more, 54, sent=True)
    many, many_data = await counted(alice, statements, CUSTOMERS, 30)
    # then
    assert len(few) == len(many) <= MAX_STATEMENTS, (few, many)
    expected = customer_rows(seeded)
    assert few_data["customers"]["items"] == [expected[str(c)] for c, _ in customers[::-1]]
    assert many_data["customers"]["items"] == [
        expected[str(c)] for c, _ in (customers + more)[::-1]
    ]


async def test_nested_recent_invoices_with_their_customer_and_lines_do_not_grow_either(
    alice: Api, statements: Statements
) -> None:
    # given
    customers = await add_customers(alice, 2)
    await add_invoices(alice, customers, 4)
    await counted(alice, statements, NESTED, 2)  # warm-up
    # when: (19 customers' newest invoice, of up to 500 lines, is within a query's cost)
    few, _ = await counted(alice, statements, NESTED, 2)
    more = await add_customers(alice, 17, start=2)
    seeded = await add_invoices(alice, more, 34)
    many, many_data = await counted(alice, statements, NESTED, 19)
    # then: recent invoices, their customers, the newest invoice and its lines: per request
    assert len(few) == len(many) <= MAX_STATEMENTS + 2, (few, many)
    newest = many_data["customers"]["items"][0]
    last = seeded[-1].row
    assert newest["id"] == last["customer"]["id"]
    assert newest["recentInvoices"][0] == {"id": last["id"], "customer": {"id": newest["id"]}}
    assert newest["invoices"] == [
        {"id": last["id"], "items": [{"amount": f"{100 + 33}.00"}, {"amount": "19.00"}]}
    ]


async def test_payments_of_invoices_and_of_their_customers_are_batched_too(
    alice: Api, statements: Statements
) -> None:
    # given: sent invoices, each with a payment of 10
    customers = await add_customers(alice, 3)
    seeded = await add_invoices(alice, customers, 3, sent=True)
    for invoice in seeded:
        response = await alice.post(f"/invoices/{invoice.row['id']}/payments", {"amount": 10})
        assert response.status_code == 201, response.text
    await counted(alice, statements, PAYMENTS, 3)  # warm-up
    # when
    few, _ = await counted(alice, statements, PAYMENTS, 3)
    more = await add_invoices(alice, await add_customers(alice, 27, start=3), 27, sent=True)
    for invoice in more:
        response = await alice.post(f"/invoices/{invoice.row['id']}/payments", {"amount": 10})
        assert response.status_code == 201, response.text
    many, many_data = await counted(alice, statements, PAYMENTS, 30)
    # then: key, page, invoice payments, customers, customer payments
    assert len(few) == len(many) <= MAX_STATEMENTS + 1, (few, many)
    assert [row["payments"][0]["amount"] for row in many_data["invoices"]["items"]] == [
        "10.00"
    ] * 30
    for row in many_data["invoices"]["items"]:
        assert row["customer"]["payments"] == row["payments"], row  # one invoice per customer
