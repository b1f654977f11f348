"""Tenancy, roles and the N+1 guard for the catalog (API.md §1, §2, §4; STYLE.md §4, §9).

Another team's product, estimate or invoice answers exactly like one that never existed;
a viewer may write none of them; nothing changes when a write is refused. Nested catalog
fields are batched: the SQL of a request does not grow with the rows it returns.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from invoiceflow.models import metadata
from invoiceflow.services import Services
from tests.catalog_support import WIDGET, gql_data, gql_error, new_estimate, new_product
from tests.catalog_support import sent_invoice as make_sent_invoice
from tests.conftest import Api, Statements
from tests.rest_support import data, error

NEVER_EXISTED = 987_654
ITEMS = [{"description": "Audit", "quantity": 1, "unit_price": 10}]
# (method, path, body): every by-id catalog route, ``{id}`` naming an object of ``kind``.
BY_ID = [
    ("product", "GET", "/products/{id}", None),
    ("product", "PUT", "/products/{id}", {"name": "Renamed"}),
    ("product", "PATCH", "/products/{id}", {"price": 1}),
    ("product", "DELETE", "/products/{id}", None),
    ("product", "POST", "/products/{id}/adjust-stock", {"adjustment": -1, "reason": "Sold"}),
    ("estimate", "GET", "/estimates/{id}", None),
    ("estimate", "PUT", "/estimates/{id}", {"notes": "Changed"}),
    ("estimate", "PATCH", "/estimates/{id}", {"status": "approved"}),
    ("estimate", "DELETE", "/estimates/{id}", None),
    ("estimate", "POST", "/estimates/{id}/convert-to-invoice", None),
    ("invoice", "POST", "/invoices/{id}/payments", {"amount": 10, "method": "cash"}),
]
WRITES = [row for row in BY_ID if row[1] != "GET"]
CREATES = [("POST", "/products", {**WIDGET}), ("POST", "/estimates", None)]
# GraphQL mutations on one object: (kind, document).
MUTATIONS = [
    ("product", 'mutation($id: ID!) { updateProduct(id: $id, input: {name: "X"}) { id } }'),
    ("product", "mutation($id: ID!) { deleteProduct(id: $id) }"),
    ("product", "mutation($id: ID!) { adjustStock(id: $id, adjustment: -1) { id } }"),
    ("estimate", 'mutation($id: ID!) { updateEstimate(id: $id, input: {notes: "X"}) { id } }'),
    ("estimate", "mutation($id: ID!) { deleteEstimate(id: $id) }"),
    ("estimate", "mutation($id: ID!) { convertEstimateToInvoice(id: $id) { id } }"),
    (
        "invoice",
        'mutation($id: ID!) { recordPayment(invoiceId: $id, input: {amount: "10"}) { id } }',
    ),
]
READS = "query($p: ID!, $e: ID!) { product(id: $p) { id } estimate(id: $e) { id } }"

ESTIMATES = """query($n: Int!) { estimates(perPage: $n) { items {
  items { description } customer { companyName } } } }"""
CUSTOMERS = "query($n: Int!) { customers(perPage: $n) { items { invoices { id } } } }"
INVOICE_PAYMENTS = "query($id: ID!) { invoice(id: $id) { payments(first: 100) { amount } } }"
INVOICES_PAYMENTS = "query($n: Int!) { invoices(perPage: $n) { items { payments { amount } } } }"
# One statement for the API key, one for the page (its total rides along), one per batched
# relation: anything per row would be an N+1.
MAX_STATEMENTS = 4
GQL_CREATES = {
    "createProduct": 'mutation($c: String) { createProduct(input: {name: "G", sku: $c}) { id } }',
    "createEstimate": """mutation($c: ID!) { createEstimate(input: {customerId: $c,
      items: [{description: "Audit", quantity: 1, unitPrice: 10}]}) { id } }""",
}


def _ids(row: tuple[Any, ...]) -> str:
    return f"{row[1]} {row[2]}"


def _operation(row: tuple[str, str]) -> str:
    """The mutation field a document calls (``adjustStock``), as the test id."""
    return row[1].split("{", 1)[1].split("(", 1)[0].strip()


async def objects(api: Api) -> dict[str, int]:
    """A product with stock, a draft estimate and a sent invoice: all open to every write."""
    customer = await api.create_customer()
    return {
        "customer": customer["id"],
        "product": (await new_product(api))["id"],
        "estimate": (await new_estimate(api, customer["id"]))["id"],
        "invoice": (await make_sent_invoice(api, customer["id"]))["id"],
    }


async def snapshot(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the API keys' last-use hint aside)."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with services.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "last_used_at"]
            rows = await conn.execute(select(*columns).order_by(*table.primary_key.columns))
            state[table.name] = [tuple(row) for row in rows]
    return state


@pytest.mark.parametrize(("kind", "method", "path", "body"), BY_ID, ids=[_ids(r) for r in BY_ID])
async def test_another_teams_object_answers_like_one_that_never_existed(
    alice: Api, bob: Api, services: Services, kind: str, method: str, path: str, body: Any
) -> None:
    # given
    team_a = await objects(alice)
    before = await snapshot(services)
    # when
    foreign = await bob.request(method, path.format(id=team_a[kind]), json=body)
    missing = await bob.request(method, path.format(id=NEVER_EXISTED), json=body)
    # then
    error(foreign, 404, "not_found")
    assert foreign.json() == missing.json()
    assert set(foreign.json()) == {"success", "error", "message"}
    assert await snapshot(services) == before


@pytest.mark.parametrize(("kind", "method", "path", "body"), BY_ID, ids=[_ids(r) for r in BY_ID])
async def test_a_non_numeric_id_is_not_found(
    alice: Api, kind: str, method: str, path: str, body: Any
) -> None:
    # when
    response = await alice.request(method, path.format(id="abc"), json=body)
    # then
    error(response, 404, "not_found")


@pytest.mark.parametrize(("kind", "document"), MUTATIONS, ids=[_operation(m) for m in MUTATIONS])
async def test_graphql_mutations_on_another_teams_object_are_not_found(
    alice: Api, bob: Api, services: Services, kind: str, document: str
) -> None:
    # given
    team_a = await objects(alice)
    before = await snapshot(services)
    # when
    foreign = await bob.graphql(document, {"id": str(team_a[kind])})
    missing = await bob.graphql(document, {"id": str(NEVER_EXISTED)})
    # then
    assert gql_error(foreign, "NOT_FOUND") == gql_error(missing, "NOT_FOUND")
    assert await snapshot(services) == before


async def test_graphql_reads_of_another_teams_objects_are_null(alice: Api, bob: Api) -> None:
    # given
    team_a = await objects(alice)
    # when
    body = await bob.graphql(READS, {"p": str(team_a["product"]), "e": str(team_a["estimate"])})
    # then
    assert gql_data(body) == {"product": None, "estimate": None}


@pytest.mark.parametrize(("kind", "method", "path", "body"), WRITES, ids=[_ids(r) for r in WRITES])
async def test_a_viewer_may_not_write(
    alice: Api, viewer: Api, services: Services, kind: str, method: str, path: str, body: Any
) -> None:
    # given
    team_a = await objects(alice)
    before = await snapshot(services)
    # when
    response = await viewer.request(method, path.format(id=team_a[kind]), json=body)
    # then
    error(response, 403, "forbidden")
    assert await snapshot(services) == before


@pytest.mark.parametrize(("method", "path", "body"), CREATES, ids=[c[1] for c in CREATES])
async def test_a_viewer_may_not_create(
    alice: Api, viewer: Api, services: Services, method: str, path: str, body: Any
) -> None:
    # given
    team_a = await objects(alice)
    body = body or {"customer_id": team_a["customer"], "items": ITEMS}
    before = await snapshot(services)
    # when
    response = await viewer.request(method, path, json=body)
    # then
    error(response, 403, "forbidden")
    assert await snapshot(services) == before


@pytest.mark.parametrize(("kind", "document"), MUTATIONS, ids=[_operation(m) for m in MUTATIONS])
async def test_a_viewer_may_not_write_over_graphql(
    alice: Api, viewer: Api, services: Services, kind: str, document: str
) -> None:
    # given
    team_a = await objects(alice)
    before = await snapshot(services)
    # when
    body = await viewer.graphql(document, {"id": str(team_a[kind])})
    # then
    gql_error(body, "FORBIDDEN")
    assert await snapshot(services) == before


@pytest.mark.parametrize("document", GQL_CREATES.values(), ids=GQL_CREATES.keys())
async def test_a_viewer_may_not_create_over_graphql(
    alice: Api, viewer: Api, services: Services, document: str
) -> None:
    # given
    team_a = await objects(alice)
    before = await snapshot(services)
    # when
    body = await viewer.graphql(document, {"c": str(team_a["customer"])})
    # then
    gql_error(body, "FORBIDDEN")
    assert await snapshot(services) == before


async def test_a_viewer_may_read_the_catalog(alice: Api, viewer: Api) -> None:
    # given
    team_a = await objects(alice)
    # when
    product = await viewer.get(f"/products/{team_a['product']}")
    estimate = await viewer.get(f"/estimates/{team_a['estimate']}")
    # then
    assert data(product)["id"] == team_a["product"]
    assert data(estimate)["id"] == team_a["estimate"]


# --- the N+1 guard ------------------------------------------------------------------------


async def counted(
    api: Api, statements: Statements, query: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """How many SQL statements one whole GraphQL request ran, and its data."""
    statements.sql.clear()
    body = gql_data(await api.graphql(query, variables))
    return statements.count, body


async def add_estimates(api: Api, count: int) -> None:
    for index in range(count):
        customer = await api.create_customer(company_name=f"Client {index}")
        await new_estimate(api, customer["id"])


async def test_estimates_with_items_and_customers_do_not_grow(
    alice: Api, statements: Statements
) -> None:
    # given
    await add_estimates(alice, 5)
    await counted(alice, statements, ESTIMATES, {"n": 20})  # warm-up: the key's use is recorded
    # when
    few, few_data = await counted(alice, statements, ESTIMATES, {"n": 20})
    await add_estimates(alice, 15)  # 20 of up to 500 lines: the most a query may ask
    many, many_data = await counted(alice, statements, ESTIMATES, {"n": 20})
    # then
    assert few == many <= MAX_STATEMENTS, statements.sql
    assert len(few_data["estimates"]["items"]) == 5
    rows = many_data["estimates"]["items"]
    assert len(rows) == 20
    assert rows[0] == {
        "items": [{"description": "Design"}, {"description": "Hosting"}],
        "customer": {"companyName": "Client 14"},
    }


async def test_customers_with_invoices_do_not_grow(alice: Api, statements: Statements) -> None:
    # given
    async def add(count: int) -> None:
        for _ in range(count):
            await alice.create_invoice((await alice.create_customer())["id"])

    await add(5)
    await counted(alice, statements, CUSTOMERS, {"n": 100})  # warm-up
    # when
    few, _ = await counted(alice, statements, CUSTOMERS, {"n": 100})
    await add(45)
    many, many_data = await counted(alice, statements, CUSTOMERS, {"n": 100})
    # then
    assert few == many <= MAX_STATEMENTS, statements.sql
    assert [len(c["invoices"]) for c in many_data["customers"]["items"]] == [1] * 50


async def test_one_invoices_payments_do_not_grow(alice: Api, statements: Statements) -> None:
    # given
    invoice = await make_sent_invoice(alice)
    variables = {"id": str(invoice["id"])}

    async def pay(count: int) -> None:
        for _ in range(count):
            data(await alice.post(f"/invoices/{invoice['id']}/payments", {"amount": 1}), 201)

    await pay(5)
    await counted(alice, statements, INVOICE_PAYMENTS, variables)  # warm-up
    # when
    few, _ = await counted(alice, statements, INVOICE_PAYMENTS, variables)
    await pay(45)
    many, many_data = await counted(alice, statements, INVOICE_PAYMENTS, variables)
    # then
    assert few == many <= MAX_STATEMENTS, statements.sql
    assert many_data["invoice"]["payments"] == [{"amount": "1.00"}] * 50


async def test_invoices_payments_do_not_grow(alice: Api, statements: Statements) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]

    async def add(count: int) -> None:
        for _ in range(count):
            invoice = await make_sent_invoice(alice, customer_id)
            data(await alice.post(f"/invoices/{invoice['id']}/payments", {"amount": 2}), 201)

    await add(5)
    await counted(alice, statements, INVOICES_PAYMENTS, {"n": 100})  # warm-up
    # when
    few, _ = await counted(alice, statements, INVOICES_PAYMENTS, {"n": 100})
    await add(45)
    many, many_data = await counted(alice, statements, INVOICES_PAYMENTS, {"n": 100})
    # then
    assert few == many <= MAX_STATEMENTS, statements.sql
    assert [i["payments"] for i in many_data["invoices"]["items"]] == [[{"amount": "2.00"}]] * 50
