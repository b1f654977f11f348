"""Estimates over GraphQL (API.md §3, §4): the twins of test_estimates.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalog_support import gql_data, gql_error, gql_fields, new_estimate
from tests.conftest import Api
from tests.rest_support import data, day, error

FIELDS = """id estimateNumber status customerId customer { id companyName }
  items { description quantity unitPrice taxRate amount tax }
  subtotal tax total currency issueDate expiryDate notes convertedInvoiceId"""
ESTIMATE = f"""query($id: ID!) {{ estimate(id: $id) {{ {FIELDS}
  convertedAt convertedInvoice {{ id invoiceNumber status }} }} }}"""
LIST = """query($status: EstimateStatus, $search: String, $page: Int!, $perPage: Int!) {
  estimates(status: $status, search: $search, page: $page, perPage: $perPage) {
    items { estimateNumber status customer { companyName } }
    pageInfo { currentPage perPage total lastPage hasNextPage } } }"""
CREATE = f"mutation($input: EstimateInput!) {{ createEstimate(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: EstimateUpdateInput!) {{
  updateEstimate(id: $id, input: $input) {{ {FIELDS} }} }}"""
DELETE = "mutation($id: ID!) { deleteEstimate(id: $id) }"
CONVERT = """mutation($id: ID!) { convertEstimateToInvoice(id: $id) {
  id invoiceNumber status estimateId customerId subtotal tax total balanceDue issueDate dueDate
  items { description quantity unitPrice taxRate amount tax } } }"""
LINES = [
    {"description": "Design", "quantity": 2, "unitPrice": "100", "taxRate": 10},
    {"description": "Hosting", "quantity": "1", "unitPrice": 9.99},
]
STORED_LINES = [
    {
        "description": "Design",
        "quantity": "2.0000",
        "unitPrice": "100.0000",
        "taxRate": "10.0000",
        "amount": "200.00",
        "tax": "20.00",
    },
    {
        "description": "Hosting",
        "quantity": "1.0000",
        "unitPrice": "9.9900",
        "taxRate": "0.0000",
        "amount": "9.99",
        "tax": "0.00",
    },
]


def estimate_input(customer_id: Any, **fields: Any) -> dict[str, Any]:
    return {"customerId": str(customer_id), "issueDate": "2025-01-15", "items": LINES, **fields}


async def create(api: Api, **fields: Any) -> dict[str, Any]:
    customer = await api.create_customer(company_name="Acme Corp")
    body = await api.graphql(CREATE, {"input": estimate_input(customer["id"], **fields)})
    return dict(gql_data(body)["createEstimate"])


async def test_create_and_read_back(alice: Api) -> None:
    # when
    created = await create(alice, expiryDate="2025-02-15", notes="Valid for a month.")
    # then
    assert {k: v for k, v in created.items() if k not in ("id", "customerId", "customer")} == {
        "estimateNumber": "EST-0001",
        "status": "DRAFT",
        "items": STORED_LINES,
        "subtotal": "209.99",
        "tax": "20.00",
        "total": "229.99",
        "currency": "USD",
        "issueDate": "2025-01-15",
        "expiryDate": "2025-02-15",
        "notes": "Valid for a month.",
        "convertedInvoiceId": None,
    }
    assert created["customer"] == {"id": created["customerId"], "companyName": "Acme Corp"}
    fetched = gql_data(await alice.graphql(ESTIMATE, {"id": created["id"]}))["estimate"]
    assert fetched == {**created, "convertedAt": None, "convertedInvoice": None}
    assert (await create(alice))["estimateNumber"] == "EST-0002"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"expiryDate": "2025-01-14"}, "expiryDate"),
        ({"items": []}, "items"),
        ({"status": "SENT"}, "status"),
        ({"customerId": "987654"}, "customerId"),
    ],
)
async def test_create_refuses_invalid_fields(
    alice: Api, fields: dict[str, Any], field: str
) -> None:
    # given
    customer = await alice.create_customer()
    # when
    body = await alice.graphql(CREATE, {"input": estimate_input(customer["id"], **fields)})
    # then
    assert set(gql_fields(body)) == {field}
    assert data(await alice.get("/estimates")) == []


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, ["EST-0003", "EST-0002", "EST-0001"]),
        ({"status": "APPROVED"}, ["EST-0002"]),
        ({"status": "DRAFT"}, ["EST-0003", "EST-0001"]),
        ({"search": "0003"}, ["EST-0003"]),
        ({"search": "GLOBEX"}, ["EST-0003", "EST-0002"]),
    ],
)
async def test_list_filters(alice: Api, variables: dict[str, Any], expected: list[str]) -> None:
    # given
    acme = (await alice.create_customer(company_name="Acme Corp"))["id"]
    globex = (await alice.create_customer(company_name="Globex Corporation"))["id"]
    await new_estimate(alice, acme)
    approved = await new_estimate(alice, globex)
    await new_estimate(alice, globex)
    data(await alice.patch(f"/estimates/{approved['id']}", {"status": "approved"}))
    # when
    body = await alice.graphql(LIST, {"page": 1, "perPage": 2, **variables})
    # then
    page = gql_data(body)["estimates"]
    assert [e["estimateNumber"] for e in page["items"]] == expected[:2]
    assert page["pageInfo"] == {
        "currentPage": 1,
        "perPage": 2,
        "total": len(expected),
        "lastPage": max(1, (len(expected) + 1) // 2),
        "hasNextPage": len(expected) > 2,
    }


@pytest.mark.parametrize("status", ["SENT", "APPROVED", "REJECTED", "DRAFT"])
async def test_update_sets_any_status_but_converted(alice: Api, status: str) -> None:
    # given
    created = await create(alice)
    # when
    body = await alice.graphql(UPDATE, {"id": created["id"], "input": {"status": status}})
    # then
    assert gql_data(body)["updateEstimate"] == {**created, "status": status}


async def test_update_refuses_converted_and_an_early_expiry(alice: Api) -> None:
    # given
    created = await create(alice)
    # when
    converted = await alice.graphql(UPDATE, {"id": created["id"], "input": {"status": "CONVERTED"}})
    early = await alice.graphql(
        UPDATE, {"id": created["id"], "input": {"expiryDate": "2025-01-01"}}
    )
    # then
    assert set(gql_fields(converted)) == {"status"}
    assert set(gql_fields(early)) == {"expiryDate"}
    fetched = gql_data(await alice.graphql(ESTIMATE, {"id": created["id"]}))["estimate"]
    assert (fetched["status"], fetched["expiryDate"]) == ("DRAFT", None)


async def test_convert_answers_the_draft_invoice_and_links_both(alice: Api) -> None:
    # given
    created = await create(alice)
    # when
    body = await alice.graphql(CONVERT, {"id": created["id"]})
    # then
    invoice = gql_data(body)["convertEstimateToInvoice"]
    assert {k: v for k, v in invoice.items() if k != "id"} == {
        "invoiceNumber": "INV-0001",
        "status": "DRAFT",
        "estimateId": created["id"],
        "customerId": created["customerId"],
        "subtotal": "209.99",
        "tax": "20.00",
        "total": "229.99",
        "balanceDue": "229.99",
        "issueDate": day(0),
        "dueDate": day(30),
        "items": STORED_LINES,
    }
    estimate = gql_data(await alice.graphql(ESTIMATE, {"id": created["id"]}))["estimate"]
    assert (estimate["status"], estimate["convertedInvoiceId"]) == ("CONVERTED", invoice["id"])
    assert estimate["convertedInvoice"] == {
        "id": invoice["id"],
        "invoiceNumber": "INV-0001",
        "status": "DRAFT",
    }
    assert estimate["convertedAt"] is not None


async def test_a_second_conversion_and_a_later_update_are_invalid_state(alice: Api) -> None:
    # given
    created = await create(alice)
    gql_data(await alice.graphql(CONVERT, {"id": created["id"]}))
    # when
    again = await alice.graphql(CONVERT, {"id": created["id"]})
    changed = await alice.graphql(UPDATE, {"id": created["id"], "input": {"notes": "Late"}})
    # then
    gql_error(again, "INVALID_STATE")
    gql_error(changed, "INVALID_STATE")
    assert len(data(await alice.get("/invoices"))) == 1


async def test_delete_then_the_estimate_is_gone(alice: Api) -> None:
    # given
    created = await create(alice)
    # when
    body = await alice.graphql(DELETE, {"id": created["id"]})
    # then
    assert gql_data(body) == {"deleteEstimate": created["id"]}
    assert gql_data(await alice.graphql(ESTIMATE, {"id": created["id"]})) == {"estimate": None}
    error(await alice.get(f"/estimates/{created['id']}"), 404, "not_found")
    gql_error(await alice.graphql(DELETE, {"id": created["id"]}), "NOT_FOUND")
    gql_error(await alice.graphql(CONVERT, {"id": created["id"]}), "NOT_FOUND")
