"""A request leaves nothing for the garbage collector: everything it made (its context,
session, loaders, rows, GraphQL execution) is freed by reference counting when its answer is
sent. What a request leaves in reference cycles waits for a collection, and a collection
pauses every request in the process (3.7-6.7 ms each, one every dozen GraphQL lists when
graphql-core's execution context kept each request in a cycle)."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.conftest import Api

pytestmark = pytest.mark.fast_paths  # these test invoiceflow/fast/ itself

# The test client (httpx) and the test's own objects are not the server's.
SERVER_MODULES = ("invoiceflow", "sqlalchemy", "sqlmodel", "graphql", "strawberry", "starlette")


@contextmanager
def cyclic_garbage() -> Iterator[list[str]]:
    """The server's objects that the block leaves in reference cycles, by type name."""
    gc.collect()
    gc.disable()
    found: list[str] = []
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        for thing in gc.garbage:
            kind = type(thing)
            if kind.__module__.split(".")[0] in SERVER_MODULES:
                found.append(f"{kind.__module__}.{kind.__qualname__}")
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


GRAPHQL_LIST = """
{ invoices(perPage: 10) { items { id invoiceNumber status total
    customer { id companyName } items { description quantity unitPrice } } } }
"""
GRAPHQL_CREATE = """
mutation($customerId: ID!) {
  createInvoice(input: {customerId: $customerId, items: [
    {description: "Design", quantity: "2", unitPrice: "100.00"}]}) {
    id invoiceNumber total customer { companyName } }
}
"""
GRAPHQL_REFUSED = """
mutation($customerId: ID!) { createInvoice(input: {customerId: $customerId, items: []}) { id } }
"""

Call = Callable[[Api, dict[str, Any]], Awaitable[httpx.Response]]
CALLS: dict[str, Call] = {
    "REST list": lambda api, _ids: api.get("/invoices?per_page=100"),
    "REST get": lambda api, ids: api.get(f"/invoices/{ids['invoice']}"),
    "REST create": lambda api, ids: api.post(
        "/invoices",
        {
            "customer_id": ids["customer"],
            "items": [{"description": "Design", "quantity": 2, "unit_price": 100}],
        },
    ),
    "GraphQL list": lambda api, _ids: api.graphql_response(GRAPHQL_LIST),
    "GraphQL typename": lambda api, _ids: api.graphql_response("{ __typename }"),
    "GraphQL create": lambda api, ids: api.graphql_response(
        GRAPHQL_CREATE, {"customerId": str(ids["customer"])}
    ),
    # Refusals: an error's traceback holds the frames of the request that raised it.
    "REST refused": lambda api, _ids: api.post("/invoices", {"customer_id": "x"}),
    "GraphQL refused": lambda api, ids: api.graphql_response(
        GRAPHQL_REFUSED, {"customerId": str(ids["customer"])}
    ),
}
ANSWERS = {"REST refused": 422, "REST create": 201}


@pytest.mark.parametrize("case", list(CALLS))
async def test_a_request_leaves_no_cycles_behind(alice: Api, case: str) -> None:
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    ids = {"customer": customer["id"], "invoice": invoice["id"]}
    call = CALLS[case]
    await call(alice, ids)  # warm: first-use caches are not garbage
    with cyclic_garbage() as left:
        for _ in range(3):
            response = await call(alice, ids)
            assert response.status_code == ANSWERS.get(case, 200), response.text
            errors = response.json().get("errors")
            assert bool(errors) == case.endswith("refused"), errors
    assert left == []
