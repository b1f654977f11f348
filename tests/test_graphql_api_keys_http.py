"""GraphQL API keys and the HTTP edge: authentication, bad documents, GraphiQL (API.md §4)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import Api, KeyFactory

API_KEYS = "{ apiKeys { id name prefix createdAt lastUsedAt revokedAt } }"
CREATE_KEY = """mutation($name: String!) { createApiKey(name: $name) {
  plainKey apiKey { id name prefix createdAt lastUsedAt revokedAt } } }"""
REVOKE_KEY = "mutation($id: ID!) { revokeApiKey(id: $id) }"
ME = "{ me { email } }"

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return dict(body["data"])


def only_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    return error


async def keys_of(api: Api) -> list[dict[str, Any]]:
    return list(data_of(await api.graphql(API_KEYS))["apiKeys"])


async def test_api_keys_lists_the_callers_keys_without_secrets(alice: Api, bob: Api) -> None:
    # when
    listed = await keys_of(alice)
    # then
    assert len(listed) == 1
    key = listed[0]
    assert (key["name"], key["revokedAt"]) == ("default", None)
    assert TIMESTAMP.fullmatch(key["createdAt"]), key
    assert alice.key.startswith(key["prefix"]) and len(key["prefix"]) < len(alice.key) // 2
    assert alice.key not in str(listed)
    bobs = await keys_of(bob)
    assert len(bobs) == 1 and bobs[0]["id"] != key["id"]


async def test_a_new_api_key_is_shown_once_and_works_at_once(alice: Api) -> None:
    # when
    body = await alice.graphql(CREATE_KEY, {"name": "ci"})
    # then
    created = data_of(body)["createApiKey"]
    plain, key = created["plainKey"], created["apiKey"]
    assert plain.startswith(key["prefix"]) and plain != alice.key
    assert (key["name"], key["lastUsedAt"], key["revokedAt"]) == ("ci", None, None)
    assert TIMESTAMP.fullmatch(key["createdAt"]), key
    fresh = Api(alice.http, plain)
    assert await fresh.graphql(ME) == {"data": {"me": {"email": "alice@a.example"}}}
    listed = await keys_of(alice)
    assert [(k["id"], k["name"]) for k in listed] == [
        (listed[0]["id"], "default"),
        (key["id"], "ci"),
    ]
    assert plain not in str(listed)
    assert TIMESTAMP.fullmatch(listed[1]["lastUsedAt"]), listed  # its use is recorded


async def test_create_api_key_with_an_empty_name_is_a_validation_error(alice: Api) -> None:
    # when
    body = await alice.graphql(CREATE_KEY, {"name": ""})
    # then
    assert set(only_error(body, "VALIDATION_ERROR")["extensions"]["fields"]) == {"name"}
    assert len(await keys_of(alice)) == 1


async def test_a_revoked_key_gets_401_on_its_next_request(alice: Api) -> None:
    # given
    created = data_of(await alice.graphql(CREATE_KEY, {"name": "laptop"}))["createApiKey"]
    doomed = Api(alice.http, created["plainKey"])
    assert (await doomed.graphql_response(ME)).status_code == 200
    # when
    body = await alice.graphql(REVOKE_KEY, {"id": created["apiKey"]["id"]})
    # then
    assert body == {"data": {"revokeApiKey": created["apiKey"]["id"]}}
    response = await doomed.graphql_response(ME)
    assert response.status_code == 401
    only_error(response.json(), "UNAUTHENTICATED")
    rest = await doomed.get("/invoices")
    assert (rest.status_code, rest.json()["error"]) == (401, "unauthenticated")
    revoked = [k for k in await keys_of(alice) if k["id"] == created["apiKey"]["id"]]
    assert TIMESTAMP.fullmatch(revoked[0]["revokedAt"]), revoked
    assert await alice.graphql(ME) == {"data": {"me": {"email": "alice@a.example"}}}


async def test_a_key_can_revoke_itself(alice: Api) -> None:
    # given
    own_id = (await keys_of(alice))[0]["id"]
    # when
    body = await alice.graphql(REVOKE_KEY, {"id": own_id})
    # then
    assert body == {"data": {"revokeApiKey": own_id}}
    assert (await alice.graphql_response(ME)).status_code == 401


@pytest.mark.parametrize("caller", ["bob", "viewer"])
async def test_nobody_can_revoke_another_users_key(
    alice: Api, bob: Api, viewer: Api, caller: str
) -> None:
    # given: the viewer shares alice's team, bob does not; neither owns her key
    alice_key_id = (await keys_of(alice))[0]["id"]
    other = {"bob": bob, "viewer": viewer}[caller]
    # when
    body = await other.graphql(REVOKE_KEY, {"id": alice_key_id})
    # then
    only_error(body, "NOT_FOUND")
    assert (await keys_of(alice))[0]["revokedAt"] is None
    assert await alice.graphql(ME) == {"data": {"me": {"email": "alice@a.example"}}}


@pytest.mark.parametrize("key_id", ["999", "abc"])
async def test_revoking_a_key_that_does_not_exist_is_not_found(alice: Api, key_id: str) -> None:
    # when
    body = await alice.graphql(REVOKE_KEY, {"id": key_id})
    # then
    only_error(body, "NOT_FOUND")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer not-a-key",
        "Bearer ifk_" + "x" * 43,
    ],
)
async def test_a_missing_or_bad_key_gets_401_unauthenticated(
    client: httpx.AsyncClient, alice: Api, authorization: str | None
) -> None:
    # given
    headers = {"Accept": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    # when
    response = await client.post("/graphql", json={"query": ME}, headers=headers)
    # then
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    only_error(response.json(), "UNAUTHENTICATED")


async def test_a_mutation_with_a_bad_key_writes_nothing(
    client: httpx.AsyncClient, alice: Api
) -> None:
    # given
    document = 'mutation { createCustomer(input: {companyName: "Intruder"}) { id } }'
    # when
    response = await client.post(
        "/graphql", json={"query": document}, headers={"Authorization": "Bearer ifk_nope"}
    )
    # then
    assert response.status_code == 401
    only_error(response.json(), "UNAUTHENTICATED")
    customers = await alice.graphql("{ customers { pageInfo { total } } }")
    assert data_of(customers)["customers"]["pageInfo"]["total"] == 0


async def test_a_syntax_error_answers_an_error_with_a_code(alice: Api) -> None:
    # when
    body = await alice.graphql("{ invoices { items { id }")
    # then
    error = only_error(body, "BAD_REQUEST")
    assert "Syntax Error" in error["message"]


@pytest.mark.parametrize(
    "variables",
    [{"n": "ten"}, {"n": None}, {"n": 2**40}, {}],
    ids=["string", "null", "big", "none"],
)
async def test_a_variable_of_the_wrong_type_is_the_clients_error(
    alice: Api, variables: dict[str, Any]
) -> None:
    # when
    body = await alice.graphql(
        "query($n: Int!) { invoices(perPage: $n) { pageInfo { total } } }", variables
    )
    # then
    error = only_error(body, "BAD_REQUEST")
    assert "$n" in error["message"]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ invoices { itmes { id } } }", None),
        ("{ invoices(perpage: 5) { pageInfo { total } } }", None),
        ("{ invoices(status: SEND) { pageInfo { total } } }", None),
        ("query($s: InvoiceStatus) { invoices(status: $s) { pageInfo { total } } }", {"s": "SEND"}),
        ("query($s: InvoiceStatu) { invoices(status: $s) { pageInfo { total } } }", None),
        ('mutation { createCustomer(input: {companyname: "X"}) { id } }', None),
        (
            "mutation($i: CustomerInput!) { createCustomer(input: $i) { id } }",
            {"i": {"companyname": "X"}},
        ),
        ("{ invoices { ...f } } fragment f on InvoicePag { pageInfo { total } }", None),
    ],
)
async def test_error_messages_never_suggest_names(
    alice: Api, document: str, variables: dict[str, Any] | None
) -> None:
    # when
    response = await alice.graphql_response(document, variables)
    # then
    body = response.json()
    assert body["errors"], body
    assert all(error["extensions"]["code"] == "BAD_REQUEST" for error in body["errors"]), body
    assert "did you mean" not in response.text.lower()
    assert body.get("data") is None


async def test_graphiql_page_opens_in_a_browser_without_a_key(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_a_get_without_html_still_needs_a_key(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get(
        "/graphql", params={"query": ME}, headers={"Accept": "application/json"}
    )
    # then
    assert response.status_code == 401
    only_error(response.json(), "UNAUTHENTICATED")


async def test_keys_of_other_users_are_never_listed(alice: Api, keys: KeyFactory) -> None:
    # given: a second user in alice's team with a key of their own
    await keys.key("mo@a.example", "Team A", role="member")
    # when
    listed = await keys_of(alice)
    # then
    assert [k["name"] for k in listed] == ["default"]
