"""Products and services over REST and GraphQL (API.md §2, §3, §4): list filters, create,
get, partial updates, soft delete, and stock adjustments with their movement history.

GraphQL twins: test_products_graphql.py; lines that name a product: test_product_lines.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from invoiceflow.services import Services
from tests.catalog_support import catalog, gql_data, movements_of, new_product, stock_of
from tests.conftest import Api
from tests.rest_support import data, error, field_errors, ok, parse_timestamp

PRODUCTS = "/products"
ONE = "/products/{id}"
ADJUST = "/products/{id}/adjust-stock"
REFERENCE_EXAMPLE = {"type": "service", "name": "Web Development", "price": 150.00, "unit": "hour"}
SOLD = {"adjustment": -5, "reason": "Sold to customer"}
PRODUCT = "query($id: ID!) { product(id: $id) { id } }"


async def names(api: Api, query: str = "") -> list[str]:
    return [p["name"] for p in data(await api.get(f"{PRODUCTS}{query}"))]


# --- REST --------------------------------------------------------------------------------


async def test_create_answers_the_reference_example(alice: Api) -> None:
    # when
    response = await alice.post(PRODUCTS, REFERENCE_EXAMPLE)
    # then
    envelope = ok(response, 201)
    assert envelope["message"] == "Product created"
    product = envelope["data"]
    assert isinstance(product["id"], int)
    assert {k: product[k] for k in REFERENCE_EXAMPLE} == REFERENCE_EXAMPLE
    assert (product["active"], product["stock_quantity"], product["tax_rate"]) == (True, None, None)
    assert (product["sku"], product["description"]) == (None, None)
    assert parse_timestamp(product["created_at"]) == parse_timestamp(product["updated_at"])
    assert data(await alice.get(ONE.format(id=product["id"]))) == product


async def test_a_product_keeps_its_stock_sku_and_tax_rate(alice: Api) -> None:
    # when
    product = await new_product(alice, description="Blue", unit="piece")
    # then
    assert {k: product[k] for k in ("type", "name", "sku", "price", "tax_rate")} == {
        "type": "product",
        "name": "Widget",
        "sku": "W-1",
        "price": 9.99,
        "tax_rate": 20.0,
    }
    assert (product["stock_quantity"], product["description"], product["unit"]) == (
        10,
        "Blue",
        "piece",
    )
    assert data(await alice.get(ONE.format(id=product["id"]))) == product


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": 5}, "name"),
        ({"name": "", "price": 5}, "name"),
        ({"name": "Thing", "type": "gadget"}, "type"),
        ({"name": "Thing", "price": -1}, "price"),
        ({"name": "Thing", "price": "1.00001"}, "price"),
        ({"name": "Thing", "stock_quantity": -1}, "stock_quantity"),
        ({**REFERENCE_EXAMPLE, "stock_quantity": 3}, "stock_quantity"),
    ],
)
async def test_create_refuses_invalid_fields(alice: Api, body: dict[str, Any], field: str) -> None:
    # when
    response = await alice.post(PRODUCTS, body)
    # then
    assert set(field_errors(response)) == {field}
    assert await names(alice) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Hosting", "Consulting", "Gadget", "Widget"]),
        ("?type=service", ["Hosting", "Consulting"]),
        ("?type=product", ["Gadget", "Widget"]),
        ("?active=true", ["Hosting", "Consulting", "Widget"]),
        ("?active=1", ["Hosting", "Consulting", "Widget"]),
        ("?active=false", ["Gadget"]),
        ("?active=0", ["Gadget"]),
        ("?search=widget", ["Consulting", "Widget"]),  # name or description
        ("?search=g-7", ["Gadget"]),  # SKU
        ("?search=widget&type=product", ["Widget"]),
        ("?search=nothing-like-it", []),
    ],
)
async def test_list_filters(alice: Api, query: str, expected: list[str]) -> None:
    # given
    await catalog(alice)
    # when
    found = await names(alice, query)
    # then
    assert found == expected


@pytest.mark.parametrize("query", ["?type=gadget", "?active=yes", "?per_page=0", "?page=0"])
async def test_list_refuses_bad_filters(alice: Api, query: str) -> None:
    # given
    await catalog(alice)
    # when
    response = await alice.get(f"{PRODUCTS}{query}")
    # then
    assert set(field_errors(response)) == {query[1:].split("=")[0]}


async def test_list_pages_newest_first_with_meta(alice: Api) -> None:
    # given
    await catalog(alice)
    # when
    second = ok(await alice.get(f"{PRODUCTS}?per_page=3&page=2"))
    past = ok(await alice.get(f"{PRODUCTS}?per_page=3&page=3"))
    # then
    assert [p["name"] for p in second["data"]] == ["Widget"]
    assert second["meta"] == {"current_page": 2, "per_page": 3, "total": 4, "last_page": 2}
    assert past["data"] == []
    assert past["meta"] == {"current_page": 3, "per_page": 3, "total": 4, "last_page": 2}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_an_update_changes_only_the_fields_sent(alice: Api, method: str) -> None:
    # given
    before = await new_product(alice)
    # when
    response = await alice.request(
        method, ONE.format(id=before["id"]), json={"price": "11.50", "active": False}
    )
    # then
    envelope = ok(response)
    assert envelope["message"] == "Product updated"
    after = envelope["data"]
    assert {k for k in before if before[k] != after[k]} - {"updated_at"} == {"price", "active"}
    assert (after["price"], after["active"]) == (11.5, False)
    assert data(await alice.get(ONE.format(id=before["id"]))) == after


async def test_stock_changes_only_through_adjust_stock(alice: Api, services: Services) -> None:
    # given
    product = await new_product(alice)
    # when
    after = data(await alice.patch(ONE.format(id=product["id"]), {"stock_quantity": 99}))
    # then
    assert after["stock_quantity"] == 10
    assert await stock_of(services, product["id"]) == 10
    assert await movements_of(services, product["id"]) == [(10, 10)]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": None}, "name"), ({"name": ""}, "name"), ({"price": -1}, "price")],
)
async def test_an_update_refuses_invalid_fields(
    alice: Api, body: dict[str, Any], field: str
) -> None:
    # given
    before = await new_product(alice)
    # when
    response = await alice.patch(ONE.format(id=before["id"]), body)
    # then
    assert set(field_errors(response)) == {field}
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


async def test_delete_is_soft_and_then_the_product_is_gone(alice: Api) -> None:
    # given
    product = await new_product(alice)
    path = ONE.format(id=product["id"])
    # when
    response = await alice.delete(path)
    # then
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "message": "Product deleted"}
    error(await alice.get(path), 404, "not_found")
    error(await alice.patch(path, {"name": "Back"}), 404, "not_found")
    error(await alice.delete(path), 404, "not_found")
    error(await alice.post(ADJUST.format(id=product["id"]), SOLD), 404, "not_found")
    assert await names(alice) == []
    assert gql_data(await alice.graphql(PRODUCT, {"id": str(product["id"])})) == {"product": None}


async def test_adjust_stock_answers_the_product_and_records_the_movement(
    alice: Api, services: Services
) -> None:
    # given
    product = await new_product(alice)
    # when
    response = await alice.post(ADJUST.format(id=product["id"]), SOLD)
    # then
    envelope = ok(response)
    assert envelope["message"] == "Stock adjusted"
    assert envelope["data"]["stock_quantity"] == 5
    assert {k: v for k, v in envelope["data"].items() if k != "stock_movements"} == data(
        await alice.get(ONE.format(id=product["id"]))
    )
    assert await movements_of(services, product["id"]) == [(10, 10), (-5, 5)]


@pytest.mark.parametrize(
    ("body", "stock"),
    [
        ({"adjustment": -11, "reason": "Lost"}, 10),  # would go below zero
        ({"adjustment": 0}, 10),
        ({"adjustment": 1.5}, 10),
        ({"adjustment": True}, 10),
        ({"adjustment": "many"}, 10),
        ({"reason": "No number"}, 10),
    ],
)
async def test_adjust_stock_refuses_on_adjustment_and_changes_nothing(
    alice: Api, services: Services, body: dict[str, Any], stock: int
) -> None:
    # given
    product = await new_product(alice)
    # when
    response = await alice.post(ADJUST.format(id=product["id"]), body)
    # then
    assert set(field_errors(response)) == {"adjustment"}
    assert await stock_of(services, product["id"]) == stock
    assert await movements_of(services, product["id"]) == [(10, 10)]


async def test_adjust_stock_may_take_the_stock_to_exactly_zero(alice: Api) -> None:
    # given
    product = await new_product(alice)
    # when
    response = await alice.post(ADJUST.format(id=product["id"]), {"adjustment": -10})
    # then
    assert data(response)["stock_quantity"] == 0


async def test_a_service_sent_with_a_stock_of_zero_still_has_no_stock(
    alice: Api, services: Services
) -> None:
    # when
    service = data(await alice.post(PRODUCTS, {**REFERENCE_EXAMPLE, "stock_quantity": 0}), 201)
    # then
    assert service["stock_quantity"] is None
    assert await stock_of(services, service["id"]) is None
    assert await movements_of(services, service["id"]) == []


async def test_a_service_has_no_stock_to_adjust(alice: Api, services: Services) -> None:
    # given
    service = data(await alice.post(PRODUCTS, REFERENCE_EXAMPLE), 201)
    # when
    response = await alice.post(ADJUST.format(id=service["id"]), {"adjustment": 5})
    # then
    error(response, 409, "invalid_state")
    assert await stock_of(services, service["id"]) is None
    assert await movements_of(services, service["id"]) == []
