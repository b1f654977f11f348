"""GraphQL limits: depth 10, 15 aliases (through fragments), 2,000 tokens, no cycles, and
no introspection where it is switched off; each refused with a clear error and without a
single SQL statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry

import invoiceflow.fast.memo as memo_module
from invoiceflow.app import create_app
from invoiceflow.schema import build_schema
from invoiceflow.schema.checks import DocumentCheck
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import Api, KeyFactory, Statements

INTROSPECTION = "{ __schema { queryType { name } } }"


def nested(depth: int) -> str:
    """A query whose deepest field sits at ``depth`` (invoices.items counts 2), one invoice
    a level (a document's cost is another limit: test_graphql_cost.py)."""
    inner = "id"
    levels = 1
    while levels < depth - 1:
        inner = f"customer {{ invoices(first: 1) {{ {inner} }} }}"
        levels += 2
    return "{ invoices { items { " + inner + " } } }"


async def refused(api: Api, statements: Statements, query: str) -> str:
    await api.graphql("{ __typename }")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    body = await api.graphql(query)
    assert statements.count == 0, statements.sql
    assert body.get("data") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    return str(error["message"])


async def test_depth_11_is_refused(alice: Api, statements: Statements) -> None:
    message = await refused(alice, statements, nested(12))
    assert "exceeds maximum operation depth of 10" in message


async def test_depth_10_runs(alice: Api) -> None:
    body = await alice.graphql(nested(10))
    assert "errors" not in body


async def test_16_aliases_through_fragments_are_refused(alice: Api, statements: Statements) -> None:
    fields = " ".join(f"a{i}: __typename" for i in range(8))
    more = " ".join(f"b{i}: __typename" for i in range(8))
    query = (
        "query { ...One ...Two } "
        f"fragment One on Query {{ {fields} }} fragment Two on Query {{ {more} }}"
    )
    message = await refused(alice, statements, query)
    assert "16 aliases found. Allowed: 15" in message


async def test_2001_tokens_are_refused(alice: Api, statements: Statements) -> None:
    query = "{ " + " ".join("__typename" for _ in range(1999)) + " }"  # 2,001 tokens
    message = await refused(alice, statements, query)
    assert "more than 2000 tokens" in message


async def test_circular_fragments_are_refused(alice: Api, statements: Statements) -> None:
    query = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    message = await refused(alice, statements, query)
    assert "Cannot spread fragment" in message


async def test_unknown_fields_get_no_suggestions(alice: Api, statements: Statements) -> None:
    message = await refused(alice, statements, "{ invoice(id: 1) { totl } }")
    assert "Did you mean" not in message


@pytest.fixture
async def closed(services: Services) -> AsyncIterator[Api]:
    """Alice on an app whose introspection is off (INVOICEFLOW_INTROSPECTION=false), over
    the test's database."""
    settings = Settings(
        database_url=services.settings.database_url,
        rate_limit=services.settings.rate_limit,
        introspection=False,
    )
    own = Services(settings=settings, db=services.db, limiter=services.limiter)
    transport = httpx.ASGITransport(app=create_app(services=own))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield await KeyFactory(own, http).api("alice@a.example", "Team A")


async def test_introspection_switched_off_is_refused(closed: Api, statements: Statements) -> None:
    message = await refused(closed, statements, INTROSPECTION)
    assert "introspection" in message.lower()
    # given the same document as part of a larger one, it is still refused
    await refused(closed, statements, '{ currentTeam { name } __type(name: "Invoice") { name } }')
    # the rest of the schema answers as usual
    assert (await closed.graphql("{ __typename currentTeam { name } }"))["data"] == {
        "__typename": "Query",
        "currentTeam": {"name": "Team A"},
    }


async def test_introspection_answers_by_default(alice: Api) -> None:
    body = await alice.graphql(INTROSPECTION)
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.fast_paths
async def test_strawberry_validates_a_document_once_and_keeps_refusing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behind the endpoint's checks, Strawberry's own validation (its rules added to
    graphql-core's) runs once per parsed document, and its answer stands for the next
    request of the same text."""
    calls: list[str] = []
    validate = memo_module.validate_document

    def counted(schema: Any, document: Any, rules: Any) -> Any:
        calls.append(document.loc.source.body)
        return validate(schema, document, rules)

    monkeypatch.setattr(memo_module, "validate_document", counted)
    schema = build_schema()
    for _ in range(3):
        refused = await schema.execute("{ validatedOnce }")
        assert refused.errors and "Cannot query field 'validatedOnce'" in refused.errors[0].message
        answered = await schema.execute("{ validatedOnce: __typename }")
        assert answered.data == {"validatedOnce": "Query"} and not answered.errors
    assert sorted(calls) == ["{ validatedOnce }", "{ validatedOnce: __typename }"]


@strawberry.input(one_of=True)
class FindBy:
    id: strawberry.Maybe[int]
    name: strawberry.Maybe[str]


@strawberry.type
class FindQuery:
    @strawberry.field
    def find(self, by: FindBy) -> str:
        return "found"


def test_the_check_before_any_sql_has_strawberrys_rules_too() -> None:
    """A document the endpoint lets through is one Strawberry's validation accepts: the check
    runs graphql-core's rules and Strawberry's own (here: a @oneOf input given two keys, which
    graphql-core's rules alone accept)."""
    check = DocumentCheck(strawberry.Schema(FindQuery))
    (error,) = check.errors('{ find(by: {id: 1, name: "Acme"}) }')
    assert "must specify exactly one key" in error.message
    assert check.errors("{ find(by: {id: 1}) }") == ()


async def test_an_empty_selection_set_is_refused(alice: Api, statements: Statements) -> None:
    # graphql-core parses `{ }` below a field; Strawberry's depth limit then failed (a 500)
    message = await refused(alice, statements, "{ invoices { } }")
    assert "select a field" in message
