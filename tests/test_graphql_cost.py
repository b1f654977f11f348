"""A GraphQL document's cost (API.md §6): a list counts as its page size, ``first`` or own cap
times what its items select; over 10,000 is refused before any SQL with QUERY_TOO_COMPLEX, and
the nested lists that have no bound of their own are cut to ``first`` (20 unless asked)."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest
from graphql import GraphQLObjectType, parse

from invoiceflow.schema import build_schema
from invoiceflow.schema.cost import MAX_COST, UNSTATED, document_cost, named_type
from tests.conftest import Api, KeyFactory, Statements

# The reproduction: within depth 10, and with ~45 invoices on one customer it grew
# the server past 4 GB.
FAN_OUT = """{ invoices(perPage: 100) { items { customer { invoices { customer { invoices {
  customer { invoices { customer { invoices { id } } } } } } } } } } }"""
# A page of 20 documents with their customers and lines: 20 x 500 lines, the most allowed.
ORDINARY = """{ invoices(perPage: 20) { items { invoiceNumber total
  customer { companyName } items { description quantity unitPrice amount } } } }"""

SCHEMA = build_schema()._schema


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    (operation,) = [d for d in document.definitions if d.kind == "operation_definition"]
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    return document_cost(SCHEMA, operation, fragments, variables)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ __typename }", 0),
        ("{ me { id email } }", 0),
        ("{ invoices { items { id } } }", 15),  # the default page
        ("{ invoices(perPage: 100) { items { id customer { id } } pageInfo { total } } }", 100),
        ("{ invoices(perPage: 500) { items { id } } }", 100),  # clamped like the page itself
        ("{ invoices(perPage: 20) { items { items { id } } } }", 20 * 500),
        ("{ customers(perPage: 10) { items { invoices { id } } } }", 10 * 20),
        ("{ customers(perPage: 10) { items { invoices(first: 3) { id } } } }", 10 * 3),
        ("{ customer(id: 1) { invoices(first: 1000) { id } } }", 100),
        ("{ customer(id: 1) { recentInvoices { items { id } } } }", 10 * 500),
        ("{ a: invoices { items { id } } b: customers { items { id } } }", 15 + 15),
        ("query { ...F } fragment F on Query { invoices(perPage: 4) { items { id } } }", 4),
        ("{ teams { id } apiKeys { id } }", 100 + 100),
        ("{ __schema { types { fields { name } } } }", 0),
        (FAN_OUT, 100 * 20**4),
        (ORDINARY, MAX_COST),
    ],
)
def test_what_a_document_costs(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_a_size_given_as_a_variable_is_read_from_the_variables() -> None:
    query = """query ($n: Int = 7, $f: Int) {
      customers(perPage: $n) { items { invoices(first: $f) { id } } } }"""
    assert cost(query) == 7 * 20
    assert cost(query, {"n": 50, "f": 100}) == 50 * 100


def test_every_list_of_the_schema_states_its_size() -> None:
    """A list is a page's items, takes ``first``, or states its cap: none is costed as the
    fallback, so that a new list field cannot slip past the cost limit unnoticed."""
    unstated = []
    for type_ in SCHEMA.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if not named_type(field.type)[1] or type_.name.endswith("Page"):
                continue
            backref = field.extensions.get("strawberry-definition")
            stated = "first" in field.args or "cap" in getattr(backref, "metadata", {})
            if not stated:
                unstated.append(f"{type_.name}.{name}")
    assert unstated == [], f"costed as {UNSTATED} each: {unstated}"


async def seed_one_customer(api: Api, invoices: int) -> int:
    customer = await api.create_customer(company_name="Busy Ltd")
    for _ in range(invoices):
        await api.create_invoice(customer["id"])
    return int(customer["id"])


async def test_the_fan_out_is_refused_at_once_with_no_sql(
    alice: Api, keys: KeyFactory, statements: Statements
) -> None:
    # given: a customer with 45 invoices, and a viewer's key (any key could send it)
    await seed_one_customer(alice, 45)
    viewer = await keys.api("vera@a.example", "Team A", role="viewer")
    await viewer.graphql("{ __typename }")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    # when
    tracemalloc.start()
    started = time.perf_counter()
    body = await viewer.graphql(FAN_OUT)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # then
    assert elapsed < 1.0
    assert statements.count == 0, statements.sql
    assert peak < 5 * 1024 * 1024, peak  # nothing of the answer was ever built
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert f"{100 * 20**4:,}" in error["message"]  # its cost, in the message
    assert (await viewer.graphql("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_an_ordinary_nested_list_still_runs(alice: Api) -> None:
    # given: 20 invoices of one line each
    await seed_one_customer(alice, 20)
    # when
    body = await alice.graphql(ORDINARY)
    # then
    assert "errors" not in body, body
    items = body["data"]["invoices"]["items"]
    assert len(items) == 20
    assert items[0]["customer"] == {"companyName": "Busy Ltd"}
    assert items[0]["items"][0]["description"] == "Web Development"


async def test_one_size_past_the_limit_is_refused(alice: Api) -> None:
    # when: 21 documents of up to 500 lines
    body = await alice.graphql(ORDINARY.replace("perPage: 20", "perPage: 21"))
    # then
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == 21 * 500


async def test_a_customers_invoices_are_cut_to_first(alice: Api) -> None:
    # given
    customer_id = await seed_one_customer(alice, 25)
    query = "query ($id: ID!, $f: Int) { customer(id: $id) { invoices(first: $f) { id } } }"

    async def listed(first: int | None) -> list[int]:
        body = await alice.graphql(query, {"id": str(customer_id), "f": first})
        assert "errors" not in body, body
        return [int(row["id"]) for row in body["data"]["customer"]["invoices"]]

    # when
    default, three, all_of_them = await listed(None), await listed(3), await listed(100)
    # then: the newest first, as many as asked (20 unless asked)
    assert default == list(range(25, 5, -1))
    assert three == [25, 24, 23]
    assert all_of_them == list(range(25, 0, -1))


async def test_first_below_one_is_a_validation_error(alice: Api) -> None:
    # given
    customer_id = await seed_one_customer(alice, 1)
    # when
    body = await alice.graphql(
        "query ($id: ID!) { customer(id: $id) { invoices(first: 0) { id } } }",
        {"id": str(customer_id)},
    )
    # then
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert set(error["extensions"]["fields"]) == {"first"}


async def test_nested_lists_are_cut_per_parent_in_one_statement(
    alice: Api, statements: Statements
) -> None:
    # given: three customers with 4, 2 and 0 invoices
    for count in (4, 2, 0):
        await seed_one_customer(alice, count)
    await alice.graphql("{ __typename }")
    statements.sql.clear()
    # when
    body = await alice.graphql("{ customers { items { invoices(first: 3) { id } } } }")
    # then: each its own newest three at most; the key, the page, one statement for the lists
    assert [len(c["invoices"]) for c in body["data"]["customers"]["items"]] == [0, 2, 3]
    assert statements.count == 3, statements.sql


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        # graphql-core reads 100.0 as the Int 100
        ("query ($n: Int) { invoices(perPage: $n) { items { items { id } } } }", {"n": 100.0}),
        # an explicit null leaves each field its own default (15 and 20), not the variable's
        (
            "query ($n: Int = 1) { customers(perPage: $n) { items { invoices(first: $n) "
            "{ items { id } } } } }",
            {"n": None},
        ),
    ],
    ids=["a float", "an explicit null"],
)
async def test_variables_are_costed_as_execution_reads_them(
    query: str, variables: dict[str, Any], alice: Api, statements: Statements
) -> None:
    # when
    await alice.graphql("{ __typename }")
    statements.sql.clear()
    body = await alice.graphql(query, variables)
    # then: refused before any SQL, as the same document with those values written in
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", body
    assert statements.count == 0, statements.sql
