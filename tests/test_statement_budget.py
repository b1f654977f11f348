"""SQL statements per list request do not grow with the page: one for the page (its total
counted, and its customers read, in the same statement), one per other relation selected,
plus the key lookup."""

from __future__ import annotations

import pytest

from invoiceflow import fast
from tests.conftest import Api, Statements

KEY_LOOKUP = 1
GRAPHQL_LIST = """
{ invoices(perPage: 100) { items { id invoiceNumber status total dueDate
    customer { id companyName } } } }
"""
# 20 documents of up to 500 lines each are the most a query may ask for (API.md §6).
GRAPHQL_LINES = """
{ invoices(perPage: 20) { items { id invoiceNumber status total dueDate
    customer { id companyName } items { description quantity unitPrice } } } }
"""


async def seed(api: Api, invoices: int) -> None:
    customers = [await api.create_customer(company_name=f"Customer {n}") for n in range(5)]
    for n in range(invoices):
        await api.create_invoice(customers[n % 5]["id"])


async def measure(api: Api, statements: Statements, call: object) -> int:
    await api.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    response = await call  # type: ignore[misc]
    assert response.status_code == 200
    return statements.count


@pytest.mark.parametrize("rows", [10, 100])
async def test_rest_list_costs_the_page_alone(
    alice: Api, statements: Statements, rows: int
) -> None:
    await seed(alice, rows)
    count = await measure(alice, statements, alice.get("/invoices?per_page=100"))
    if fast.ON:
        assert count == KEY_LOOKUP + 1, statements.sql  # the page, its customers joined
    else:  # every column read, the customers by their loader (invoiceflow/fast/reads.py)
        assert count == KEY_LOOKUP + 2, statements.sql


@pytest.mark.fast_paths
@pytest.mark.parametrize("rows", [10, 100])
async def test_graphql_list_costs_page_plus_selected_relations(
    alice: Api, statements: Statements, rows: int
) -> None:
    await seed(alice, rows)
    listed = await measure(alice, statements, alice.graphql_response(GRAPHQL_LIST))
    assert listed == KEY_LOOKUP + 1, statements.sql  # the page, its customers joined
    with_lines = await measure(alice, statements, alice.graphql_response(GRAPHQL_LINES))
    assert with_lines == KEY_LOOKUP + 1 + 1, statements.sql  # page (and customers), items


@pytest.mark.parametrize(
    ("path", "table"), [("/invoices", "invoices"), ("/estimates", "estimates")]
)
async def test_a_document_is_priced_before_its_number_and_answered_as_written(
    alice: Api, statements: Statements, path: str, table: str
) -> None:
    customer = await alice.create_customer(company_name="Written Ltd")
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    body = {
        "customer_id": customer["id"],
        "items": [
            {"description": "Design", "quantity": 3, "unit_price": "150"},
            {"description": "Build", "quantity": "2.5", "unit_price": "99.99", "tax_rate": 10},
        ],
    }
    response = await alice.post(path, body)
    assert response.status_code == 201, response.text
    heads = [s.lstrip().split(None, 1)[0].upper() for s in statements.sql]
    numbered = heads.index("UPDATE")  # the team row: its lock is held until commit
    # Under the lock only the document and its lines (all in one statement, on both
    # databases) are written, then its event: nothing read back, nothing deleted or
    # updated afterwards but the team's event sequence.
    after = [s.lstrip() for s in statements.sql[numbered + 1 :]]
    assert len(after) == 5, statements.sql
    assert after[0].startswith(f"INSERT INTO {table} "), statements.sql
    assert after[1].startswith(f"INSERT INTO {table[:-1]}_items "), statements.sql
    assert after[2].startswith("UPDATE teams SET event_seq="), statements.sql
    assert after[3].startswith("INSERT INTO events "), statements.sql
    assert after[4].startswith("SELECT webhook_endpoints.id"), statements.sql  # to deliver
    created = response.json()["data"]
    fetched = (await alice.get(f"{path}/{created['id']}")).json()["data"]
    assert created == fetched  # the remembered lines, customer (and payments) as stored
    assert [line["description"] for line in created["items"]] == ["Design", "Build"]
    assert created["customer"]["company_name"] == "Written Ltd"
    assert (created["subtotal"], created["tax"], created["total"]) == (699.98, 25.0, 724.98)
    assert created.get("payments", []) == []


GRAPHQL_ONE = """
query($id: ID!) { invoice(id: $id) { id invoiceNumber customer { id companyName }
    items { description quantity } } }
"""


@pytest.mark.fast_paths
async def test_one_invoice_reads_its_customer_with_it(alice: Api, statements: Statements) -> None:
    customer = await alice.create_customer(company_name="Shown Ltd")
    invoice = await alice.create_invoice(customer["id"])
    # REST: the invoice (its customer joined), its lines, its payments
    count = await measure(alice, statements, alice.get(f"/invoices/{invoice['id']}"))
    assert count == KEY_LOOKUP + 3, statements.sql
    # GraphQL: the invoice (its customer joined), its lines
    query = alice.graphql_response(GRAPHQL_ONE, {"id": str(invoice["id"])})
    count = await measure(alice, statements, query)
    assert count == KEY_LOOKUP + 2, statements.sql
