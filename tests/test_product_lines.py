"""Invoice and estimate lines that name a product (API.md §3): description, unit price and
tax rate default from the product, explicit values win, only the team's own products count,
and a deleted product's old lines stay as they were."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalog_support import gql_data, gql_fields, new_product
from tests.conftest import Api
from tests.rest_support import data, field_errors

INVOICES = "/invoices"
ESTIMATES = "/estimates"
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "tax_rate", "amount", "tax")

CREATE_INVOICE = """mutation($input: InvoiceInput!) { createInvoice(input: $input) {
  id subtotal tax total
  items { productId description quantity unitPrice taxRate amount tax product { id name } } } }"""
INVOICE_LINES = """query($id: ID!) { invoice(id: $id) {
  items { productId description unitPrice product { id name price } } } }"""
ESTIMATE_LINES = """query($id: ID!) { estimate(id: $id) {
  items { productId description product { name } } } }"""


def line(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in LINE_FIELDS}


async def document(api: Api, path: str, items: list[dict[str, Any]]) -> Any:
    """POST an invoice or an estimate of ``items`` for a new customer."""
    customer = await api.create_customer()
    body = {"customer_id": customer["id"], "issue_date": "2025-01-15", "items": items}
    if path == INVOICES:
        body["due_date"] = "2025-02-15"
    return await api.post(path, body)


@pytest.mark.parametrize("path", [INVOICES, ESTIMATES])
async def test_a_line_takes_description_price_and_tax_rate_from_its_product(
    alice: Api, path: str
) -> None:
    # given
    widget = await new_product(alice)  # 9.99, tax 20 %
    # when
    created = data(await document(alice, path, [{"product_id": widget["id"], "quantity": 3}]), 201)
    # then: 3 x 9.99 = 29.97, tax 5.994 -> 5.99
    assert [line(i) for i in created["items"]] == [
        {
            "product_id": widget["id"],
            "description": "Widget",
            "quantity": 3.0,
            "unit_price": 9.99,
            "tax_rate": 20.0,
            "amount": 29.97,
            "tax": 5.99,
        }
    ]
    assert (created["subtotal"], created["tax"], created["total"]) == (29.97, 5.99, 35.96)
    assert data(await alice.get(f"{path}/{created['id']}")) == created


@pytest.mark.parametrize("path", [INVOICES, ESTIMATES])
async def test_explicit_values_on_a_line_override_the_product(alice: Api, path: str) -> None:
    # given
    widget = await new_product(alice)
    items = [
        {
            "product_id": widget["id"],
            "quantity": 2,
            "description": "Widget, gift-wrapped",
            "unit_price": "12.50",
            "tax_rate": 0,
        }
    ]
    # when
    created = data(await document(alice, path, items), 201)
    # then
    assert [line(i) for i in created["items"]] == [
        {
            "product_id": widget["id"],
            "description": "Widget, gift-wrapped",
            "quantity": 2.0,
            "unit_price": 12.5,
            "tax_rate": 0.0,
            "amount": 25.0,
            "tax": 0.0,
        }
    ]


async def test_a_product_without_a_tax_rate_gives_a_line_without_tax(alice: Api) -> None:
    # given
    body = {"type": "service", "name": "Audit", "price": 80}
    service = data(await alice.post("/products", body), 201)
    # when
    items = [{"product_id": service["id"], "quantity": 1}]
    created = data(await document(alice, INVOICES, items), 201)
    # then
    assert [(i["description"], i["unit_price"], i["tax_rate"]) for i in created["items"]] == [
        ("Audit", 80.0, 0.0)
    ]
    assert (created["subtotal"], created["tax"], created["total"]) == (80.0, 0.0, 80.0)


@pytest.mark.parametrize("path", [INVOICES, ESTIMATES])
async def test_another_teams_product_is_refused_on_its_line(
    alice: Api, bob: Api, path: str
) -> None:
    # given
    theirs = await new_product(bob)
    ours = await new_product(alice)
    items = [
        {"product_id": theirs["id"], "quantity": 1},
        {"product_id": ours["id"], "quantity": 1},
    ]
    # when
    first = await document(alice, path, items)
    second = await document(alice, path, items[::-1])
    # then
    assert set(field_errors(first)) == {"items.0.product_id"}
    assert set(field_errors(second)) == {"items.1.product_id"}
    assert data(await alice.get(path)) == []


async def test_a_product_id_that_never_existed_is_refused_like_another_teams(alice: Api) -> None:
    # when
    response = await document(alice, INVOICES, [{"product_id": 987_654, "quantity": 1}])
    # then
    assert set(field_errors(response)) == {"items.0.product_id"}


async def test_a_line_needs_a_quantity_even_with_a_product(alice: Api) -> None:
    # given
    widget = await new_product(alice)
    # when
    response = await document(alice, INVOICES, [{"product_id": widget["id"]}])
    # then
    assert set(field_errors(response)) == {"items.0.quantity"}


async def test_an_update_of_the_items_takes_product_defaults_too(alice: Api) -> None:
    # given
    widget = await new_product(alice)
    invoice = data(
        await document(alice, INVOICES, [{"description": "X", "quantity": 1, "unit_price": 1}]), 201
    )
    # when
    items = [{"product_id": widget["id"], "quantity": 10}]
    updated = data(await alice.patch(f"{INVOICES}/{invoice['id']}", {"items": items}))
    # then
    assert [(i["description"], i["amount"], i["tax"]) for i in updated["items"]] == [
        ("Widget", 99.9, 19.98)
    ]
    assert updated["total"] == 119.88


async def test_a_deleted_products_lines_keep_their_details_and_still_name_it(alice: Api) -> None:
    # given
    widget = await new_product(alice)
    invoice = data(
        await document(alice, INVOICES, [{"product_id": widget["id"], "quantity": 1}]), 201
    )
    estimate = data(
        await document(alice, ESTIMATES, [{"product_id": widget["id"], "quantity": 1}]), 201
    )
    # when
    deleted = await alice.delete(f"/products/{widget['id']}")
    # then
    assert deleted.status_code == 200, deleted.text
    assert data(await alice.get(f"{INVOICES}/{invoice['id']}")) == invoice
    assert data(await alice.get(f"{ESTIMATES}/{estimate['id']}")) == estimate
    shown = gql_data(await alice.graphql(INVOICE_LINES, {"id": str(invoice["id"])}))
    assert shown["invoice"]["items"] == [
        {
            "productId": str(widget["id"]),
            "description": "Widget",
            "unitPrice": "9.9900",
            "product": {"id": str(widget["id"]), "name": "Widget", "price": "9.9900"},
        }
    ]
    quoted = gql_data(await alice.graphql(ESTIMATE_LINES, {"id": str(estimate["id"])}))
    assert quoted["estimate"]["items"] == [
        {"productId": str(widget["id"]), "description": "Widget", "product": {"name": "Widget"}}
    ]


async def test_a_new_line_cannot_name_a_deleted_product(alice: Api) -> None:
    # given
    widget = await new_product(alice)
    await alice.delete(f"/products/{widget['id']}")
    # when
    response = await document(alice, INVOICES, [{"product_id": widget["id"], "quantity": 1}])
    # then
    assert set(field_errors(response)) == {"items.0.product_id"}


async def test_graphql_lines_take_product_defaults_and_refuse_other_teams(
    alice: Api, bob: Api
) -> None:
    # given
    widget = await new_product(alice)
    theirs = await new_product(bob)
    customer = await alice.create_customer()

    def invoice_input(product_id: int) -> dict[str, Any]:
        items = [{"productId": str(product_id), "quantity": "3"}]
        return {"customerId": str(customer["id"]), "dueDate": "2099-01-01", "items": items}

    # when
    created = await alice.graphql(CREATE_INVOICE, {"input": invoice_input(widget["id"])})
    refused = await alice.graphql(CREATE_INVOICE, {"input": invoice_input(theirs["id"])})
    # then
    invoice = gql_data(created)["createInvoice"]
    assert invoice["items"] == [
        {
            "productId": str(widget["id"]),
            "description": "Widget",
            "quantity": "3.0000",
            "unitPrice": "9.9900",
            "taxRate": "20.0000",
            "amount": "29.97",
            "tax": "5.99",
            "product": {"id": str(widget["id"]), "name": "Widget"},
        }
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("29.97", "5.99", "35.96")
    assert set(gql_fields(refused)) == {"items.0.productId"}  # as the client named it
