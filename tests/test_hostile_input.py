"""Hostile input (API.md §6): bodies, nesting, dates, searches, disconnects and caching.

Each case here was reproduced against the server from outside before its fix: a 500, a 503
for a client's mistake, or a request that was taken when it should have been refused.
"""

from __future__ import annotations

import pytest

from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.rest_compat.table import Body, Route
from tests.conftest import Api
from tests.rest_support import error

BODY_ROUTES = [route for route in ROUTES if any(isinstance(a, Body) for a in route.args.values())]
NO_BODY_POSTS = [route for route in ROUTES if route.method == "POST" and route not in BODY_ROUTES]
DEEP = b"[" * 100_000 + b"]" * 100_000


def _route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def _path(route: Route) -> str:
    return route.path.replace("{id}", "1")


def _nested(levels: int) -> bytes:
    """A JSON object whose ``notes`` holds arrays ``levels`` deep in all (the object is one)."""
    return b'{"company_name": "Acme", "notes": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_route_takes_json_only(
    route: Route, content_type: str | None, alice: Api
) -> None:
    # given: a JSON body, labelled as something else (or not at all)
    headers = {} if content_type is None else {"Content-Type": content_type}
    # when
    response = await alice.request(
        route.method, _path(route), content=b'{"company_name": "Acme"}', headers=headers
    )
    # then
    error(response, 415, "unsupported_media_type")
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
@pytest.mark.parametrize("content", [b"", b"   \n\t "], ids=["empty", "whitespace"])
async def test_an_empty_body_is_400_on_a_body_route(
    route: Route, content: bytes, alice: Api
) -> None:
    # when
    response = await alice.request(
        route.method, _path(route), content=content, headers={"Content-Type": "application/json"}
    )
    # then
    error(response, 400, "bad_request")


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
async def test_json_nested_100000_deep_is_400_on_a_body_route(route: Route, alice: Api) -> None:
    # when
    response = await alice.request(
        route.method, _path(route), content=DEEP, headers={"Content-Type": "application/json"}
    )
    # then
    body = error(response, 400, "bad_request")
    assert "64" in body["message"]


async def test_json_nests_64_levels_and_no_more(alice: Api) -> None:
    # given
    headers = {"Content-Type": "application/json"}
    # when
    at_the_limit = await alice.post("/customers", content=_nested(64), headers=headers)
    past_it = await alice.post("/customers", content=_nested(65), headers=headers)
    # then: 64 levels are JSON like any other (the field itself is then refused), 65 are not
    assert at_the_limit.status_code == 422, at_the_limit.text
    assert "notes" in at_the_limit.json()["errors"]
    error(past_it, 400, "bad_request")


@pytest.mark.parametrize("route", NO_BODY_POSTS, ids=_route_id)
async def test_a_route_without_a_body_takes_an_empty_one(route: Route, alice: Api) -> None:
    # when: as the reference's curl examples send them, no body and no Content-Type
    response = await alice.request(route.method, _path(route))
    # then: the request is read and run (the invoice or estimate 1 does not exist)
    error(response, 404, "not_found")


async def test_convert_without_a_body_runs(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    body = {
        "customer_id": customer["id"],
        "items": [{"description": "X", "quantity": 1, "unit_price": 5}],
    }
    estimate = (await alice.post("/estimates", body)).json()["data"]
    # when
    response = await alice.request("POST", f"/estimates/{estimate['id']}/convert-to-invoice")
    # then
    assert response.status_code in (200, 201), response.text
    assert response.json()["data"]["invoice_number"] == "INV-0001"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/graphql", "application/x-www-form-urlencoded", None]
)
async def test_graphql_takes_json_only(content_type: str | None, alice: Api) -> None:
    # given: a mutation that would write, labelled as something else
    headers = {**alice.headers}
    if content_type is not None:
        headers["Content-Type"] = content_type
    document = b'{"query": "mutation { createCustomer(input: {companyName: \\"X\\"}) { id } }"}'
    # when
    response = await alice.http.post("/graphql", content=document, headers=headers)
    # then
    assert response.status_code == 415, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0


@pytest.mark.parametrize("content", [b"", b"  \n ", DEEP], ids=["empty", "whitespace", "deep"])
async def test_graphql_empty_or_deep_body_is_400(content: bytes, alice: Api) -> None:
    # when
    response = await alice.http.post(
        "/graphql", content=content, headers={**alice.headers, "Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_graphql_variables_nested_past_64_levels_are_400(alice: Api) -> None:
    # given
    deep: object = "x"
    for _ in range(70):
        deep = [deep]
    # when
    response = await alice.http.post(
        "/graphql",
        json={"query": "query ($v: String) { me { id } }", "variables": {"v": deep}},
        headers=alice.headers,
    )
    # then
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
