"""Schemathesis against the GraphQL schema (loaded by introspection), in process.

Every query and mutation field with generated arguments and selections, as alice: no server
errors (HTTP 5xx, or an error whose code is not one of the contract's), answers shaped as GraphQL
answers that keep the schema's non-null promises, invalid documents refused. Then every field
that takes an id, as bob with team A's ids: each answers exactly as for an id that exists
nowhere (a query null, a mutation NOT_FOUND), and never a byte of team A's data.

schemathesis' own `not_a_server_error` and `positive_data_acceptance` read any error that has a
`path` and no Apollo code as a server failure; this API answers rule breaks (NOT_FOUND,
VALIDATION_ERROR, INVALID_STATE, ...) as GraphQL errors with a `path` by contract (API.md §4).
`graphql_answer` below takes their place, with the contract's codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphql as gql
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.graphql import nodes
from schemathesis.specs.openapi.checks import positive_data_acceptance

from invoiceflow.schema.checks import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from invoiceflow.schema.cost import MAX_COST
from tests.fuzz_support import (
    FUZZ_BACKENDS,
    PROBES,
    SECRET,
    SPARE_KEYS,
    World,
    build_world,
    config,
)

# What the contract lets an answer carry; SERVER_ERROR, SERVICE_UNAVAILABLE and UPSTREAM_ERROR
# (nothing here reaches a mail server or Stripe) are failures.
DOMAIN_CODES = {
    "BAD_REQUEST",
    "FORBIDDEN",
    "NOT_FOUND",
    "INVALID_STATE",
    "VALIDATION_ERROR",
    "QUERY_TOO_COMPLEX",  # a documented limit: a document's cost over MAX_COST
}
# The documented limits: a generated document may well pass them.
LIMITS = (
    f"exceeds maximum operation depth of {MAX_DEPTH}",
    f"aliases found. Allowed: {MAX_ALIASES}",
    f"more than {MAX_TOKENS} tokens",
)
# The fields that take an id, with the id argument and the resource it names, that bob
# probes with team A's ids.
BY_ID = {
    "Query.invoice": ("id", "invoices"),
    "Query.customer": ("id", "customers"),
    "Query.product": ("id", "products"),
    "Query.estimate": ("id", "estimates"),
    "Mutation.updateInvoice": ("id", "invoices"),
    "Mutation.cancelInvoice": ("id", "invoices"),
    "Mutation.deleteInvoice": ("id", "invoices"),
    "Mutation.recordPayment": ("invoiceId", "invoices"),
    "Mutation.sendInvoiceEmail": ("id", "invoices"),
    "Mutation.sendInvoicePaymentLink": ("id", "invoices"),
    "Mutation.updateCustomer": ("id", "customers"),
    "Mutation.deleteCustomer": ("id", "customers"),
    "Mutation.updateProduct": ("id", "products"),
    "Mutation.deleteProduct": ("id", "products"),
    "Mutation.adjustStock": ("id", "products"),
    "Mutation.updateEstimate": ("id", "estimates"),
    "Mutation.deleteEstimate": ("id", "estimates"),
    "Mutation.convertEstimateToInvoice": ("id", "estimates"),
}

# The custom scalars take anything and the resolvers validate it (as in REST): mostly values in
# the contract's form, sometimes anything at all.
_decimals = st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(_decimals.map(str), st.text(max_size=12)).map(nodes.String)
    | st.integers(-(10**6), 10**6).map(nodes.Int),
)
schemathesis.graphql.scalar(
    "Date", st.one_of(st.dates().map(dt.date.isoformat), st.text(max_size=12)).map(nodes.String)
)
schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes().map(lambda value: value.isoformat() + "Z").map(nodes.String),
)
# Mostly ids that exist (team A's objects, those the run creates, alice's spare keys), so that
# mutations get past NOT_FOUND; sometimes anything.
_ids = st.integers(1, SPARE_KEYS)
schemathesis.graphql.scalar(
    "ID",
    st.one_of(_ids.map(str).map(nodes.String), _ids.map(nodes.Int))
    | st.text(max_size=8).map(nodes.String),
)


@pytest.fixture(scope="module", params=FUZZ_BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(request, tmp_path_factory.mktemp("fuzz-graphql"))


def _load(world: World, key: str, **settings: Any) -> schemathesis.BaseSchema:
    headers = {"Authorization": f"Bearer {key}"}
    return schemathesis.graphql.from_asgi(
        "/graphql",
        world.app(),
        headers=headers,
        config=schemathesis.Config.from_dict(config(headers=headers, **settings)),
    )


@pytest.fixture(scope="module")
def graphql_schema(world: World) -> schemathesis.BaseSchema:
    return _load(world, world.alice)


@pytest.fixture(scope="module")
def bob_graphql_schema(world: World) -> schemathesis.BaseSchema:
    return _load(world, world.bob, mode="positive", examples=PROBES)


@pytest.fixture(autouse=True)
def _pytest_node_id(request: pytest.FixtureRequest) -> None:
    """See tests/fuzz_rest_cases.py: schemathesis' `from_fixture` needs `node._nodeid`."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _errors(response: Response) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), response.text
    errors = body.get("errors") or []
    assert isinstance(errors, list), response.text
    return errors


def graphql_answer(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """No 5xx; every error a contract error with a human message; a schema-valid document is
    never refused as a bad request unless it breaks a documented limit."""
    assert response.status_code < 500, response.text
    positive = case.meta is not None and not case.meta.generation.mode.is_negative
    for error in _errors(response):
        code = (error.get("extensions") or {}).get("code")
        assert code in DOMAIN_CODES, f"unexpected error code {code!r}: {response.text}"
        assert isinstance(error.get("message"), str) and error["message"], response.text
        if code == "QUERY_TOO_COMPLEX":
            assert error["extensions"]["cost"] > MAX_COST, response.text
        if positive and code == "BAD_REQUEST":
            assert any(limit in error["message"] for limit in LIMITS), response.text
    return None


graphql = schemathesis.pytest.from_fixture("graphql_schema")
as_bob = schemathesis.pytest.from_fixture("bob_graphql_schema").include(name=list(BY_ID))


@as_bob.parametrize()
def test_graphql_by_id_as_other_team(case: Case, world: World) -> None:
    argument, resource = BY_ID[case.operation.label]
    field = case.operation.label.split(".", 1)[1]
    # The generated document, asked for team A's object, then for an id that exists nowhere.
    document = str(case.body)
    case.body = _with_id(document, field, argument, str(world.ids[resource]))
    response = case.call()
    case.body = _with_id(document, field, argument, str(world.missing))
    missing = case.call()
    assert response.status_code == missing.status_code == 200, response.text
    assert SECRET not in response.text, response.text
    # Another team's object answers exactly like one that does not exist (API.md §1, §4): a
    # query null without an error, a mutation NOT_FOUND (or the input's own errors).
    answer, expected = response.json(), missing.json()
    assert answer.get("data") == expected.get("data"), response.text
    assert _codes(answer) == _codes(expected), (response.text, missing.text)
    if case.operation.label.startswith("Query."):
        assert answer == {"data": {field: None}}, response.text


def _codes(body: dict[str, Any]) -> list[object]:
    return [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]


@graphql.parametrize()
def test_graphql_fields(case: Case) -> None:
    case.call_and_validate(
        additional_checks=[graphql_answer],
        excluded_checks=[not_a_server_error, positive_data_acceptance],
    )


def _with_id(document: str, field: str, argument: str, value: str) -> str:
    """The document with ``field``'s id argument set to ``value``."""
    replaced = gql.ArgumentNode(
        name=gql.NameNode(value=argument), value=gql.StringValueNode(value=value)
    )

    class SetId(gql.Visitor):
        def enter_field(self, node: gql.FieldNode, *_: Any) -> gql.FieldNode | None:
            arguments = node.arguments or ()
            if node.name.value != field or argument not in [a.name.value for a in arguments]:
                return None
            others = tuple(a for a in arguments if a.name.value != argument)
            return gql.FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=(*others, replaced),
                directives=node.directives,
                selection_set=node.selection_set,
            )

    return gql.print_ast(gql.visit(gql.parse(document), SetId()))
