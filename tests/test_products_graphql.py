"""Products over GraphQL (API.md §3, §4): the twins of test_products.py, and the stock
movement history (``Product.stockMovements``)."""

from __future__ import annotations

from typing import Any

import pytest

from invoiceflow.services import Services
from tests.catalog_support import (
    CONSULTING,
    catalog,
    gql_data,
    gql_error,
    gql_fields,
    movements_of,
    new_product,
    stock_of,
)
from tests.conftest import Api
from tests.rest_support import data, error, parse_timestamp

PRODUCTS = "/products"
ONE = "/products/{id}"
ADJUST = "/products/{id}/adjust-stock"
SOLD = {"adjustment": -5, "reason": "Sold to customer"}
FIELDS = """id type name description sku price unit active taxRate stockQuantity"""
LIST = f"""
query($search: String, $type: ProductType, $active: Boolean, $page: Int!, $perPage: Int!) {{
  products(search: $search, type: $type, active: $active, page: $page, perPage: $perPage) {{
    items {{ {FIELDS} }}
    pageInfo {{ currentPage perPage total lastPage hasNextPage }}
  }}
}}"""
PRODUCT = f"query($id: ID!) {{ product(id: $id) {{ {FIELDS} }} }}"
CREATE = f"mutation($input: ProductInput!) {{ createProduct(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: ProductUpdateInput!) {{
  updateProduct(id: $id, input: $input) {{ {FIELDS} }} }}"""
DELETE = "mutation($id: ID!) { deleteProduct(id: $id) }"
ADJUST_STOCK = """mutation($id: ID!, $adjustment: Int!, $reason: String) {
  adjustStock(id: $id, adjustment: $adjustment, reason: $reason) { id stockQuantity } }"""
HISTORY = """query($id: ID!) { me { id } product(id: $id) {
  stockQuantity stockMovements { id userId adjustment reason quantityAfter createdAt } } }"""


async def test_graphql_create_get_and_list(alice: Api) -> None:
    # given
    product_input = {"type": "SERVICE", "name": "Web Development", "price": "150", "unit": "hour"}
    # when
    created = gql_data(await alice.graphql(CREATE, {"input": product_input}))["createProduct"]
    # then
    assert {k: v for k, v in created.items() if k != "id"} == {
        "type": "SERVICE",
        "name": "Web Development",
        "description": None,
        "sku": None,
        "price": "150.0000",
        "unit": "hour",
        "active": True,
        "taxRate": None,
        "stockQuantity": None,
    }
    fetched = gql_data(await alice.graphql(PRODUCT, {"id": created["id"]}))["product"]
    assert fetched == created
    assert data(await alice.get(ONE.format(id=created["id"])))["price"] == 150.0


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"type": "SERVICE"}, ["Hosting", "Consulting"]),
        ({"active": False}, ["Gadget"]),
        ({"active": True, "type": "PRODUCT"}, ["Widget"]),
        ({"search": "WIDGET"}, ["Consulting", "Widget"]),
    ],
)
async def test_graphql_list_filters(
    alice: Api, variables: dict[str, Any], expected: list[str]
) -> None:
    # given
    await catalog(alice)
    # when
    body = await alice.graphql(LIST, {"page": 1, "perPage": 15, **variables})
    # then
    page = gql_data(body)["products"]
    assert [p["name"] for p in page["items"]] == expected
    assert page["pageInfo"] == {
        "currentPage": 1,
        "perPage": 15,
        "total": len(expected),
        "lastPage": 1,
        "hasNextPage": False,
    }


async def test_graphql_pages(alice: Api) -> None:
    # given
    await catalog(alice)
    # when
    body = await alice.graphql(LIST, {"page": 1, "perPage": 3})
    # then
    page = gql_data(body)["products"]
    assert [p["name"] for p in page["items"]] == ["Hosting", "Consulting", "Gadget"]
    assert page["pageInfo"] == {
        "currentPage": 1,
        "perPage": 3,
        "total": 4,
        "lastPage": 2,
        "hasNextPage": True,
    }


async def test_graphql_update_and_delete(alice: Api) -> None:
    # given
    product = await new_product(alice)
    variables = {"id": str(product["id"]), "input": {"name": "Widget XL", "taxRate": "7.5"}}
    # when
    updated = gql_data(await alice.graphql(UPDATE, variables))["updateProduct"]
    deleted = gql_data(await alice.graphql(DELETE, {"id": str(product["id"])}))
    # then
    assert (updated["name"], updated["taxRate"], updated["sku"]) == ("Widget XL", "7.5000", "W-1")
    assert deleted == {"deleteProduct": str(product["id"])}
    error(await alice.get(ONE.format(id=product["id"])), 404, "not_found")
    gql_error(await alice.graphql(DELETE, {"id": str(product["id"])}), "NOT_FOUND")
    gql_error(await alice.graphql(UPDATE, variables), "NOT_FOUND")


async def test_graphql_adjust_stock_and_its_refusals(alice: Api, services: Services) -> None:
    # given
    product = await new_product(alice)
    service = data(await alice.post(PRODUCTS, CONSULTING), 201)
    pid = str(product["id"])
    # when
    sold = await alice.graphql(ADJUST_STOCK, {"id": pid, "adjustment": -5, "reason": "Sold"})
    too_many = await alice.graphql(ADJUST_STOCK, {"id": pid, "adjustment": -6})
    zero = await alice.graphql(ADJUST_STOCK, {"id": pid, "adjustment": 0})
    of_service = await alice.graphql(ADJUST_STOCK, {"id": str(service["id"]), "adjustment": 1})
    # then
    assert gql_data(sold) == {"adjustStock": {"id": pid, "stockQuantity": 5}}
    assert set(gql_fields(too_many)) == {"adjustment"}
    assert set(gql_fields(zero)) == {"adjustment"}
    gql_error(of_service, "INVALID_STATE")
    assert await stock_of(services, product["id"]) == 5
    assert await movements_of(services, product["id"]) == [(10, 10), (-5, 5)]


async def test_stock_movements_say_who_how_much_why_and_after_newest_first(alice: Api) -> None:
    # given
    product = await new_product(alice)
    await alice.post(ADJUST.format(id=product["id"]), SOLD)
    await alice.post(ADJUST.format(id=product["id"]), {"adjustment": 7})
    # when
    body = gql_data(await alice.graphql(HISTORY, {"id": str(product["id"])}))
    # then
    movements = body["product"]["stockMovements"]
    user_id = body["me"]["id"]
    assert [(m["userId"], m["adjustment"], m["reason"], m["quantityAfter"]) for m in movements] == [
        (user_id, 7, None, 12),
        (user_id, -5, "Sold to customer", 5),
        (user_id, 10, "Initial stock", 10),
    ]
    assert body["product"]["stockQuantity"] == 12
    assert int(movements[0]["id"]) > int(movements[1]["id"]) > int(movements[2]["id"])
    stamps = [parse_timestamp(m["createdAt"]) for m in movements]
    assert stamps == sorted(stamps, reverse=True)
    rest = data(await alice.post(ADJUST.format(id=product["id"]), {"adjustment": -2}))
    assert [(m["user_id"], m["adjustment"], m["quantity_after"]) for m in rest["stock_movements"]][
        :2
    ] == [(int(user_id), -2, 10), (int(user_id), 7, 12)]
