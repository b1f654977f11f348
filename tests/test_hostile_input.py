"""Hostile input (API.md §6): bodies, nesting, dates, searches, disconnects and caching.

Each case here was reproduced against the server from outside before its fix: a 500, a 503
for a client's mistake, or a request that was taken when it should have been refused.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.rest_compat.table import Body, Route
from invoiceflow.services import Services
from tests.conftest import Api
from tests.getting_paid_support import paid_app
from tests.rest_support import data, error, field_errors
from tests.server_support import served
from tests.test_request_logs import access_lines

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


# --- dates ------------------------------------------------------------------------------------

CREATE_INVOICE = """
mutation ($input: InvoiceInput!) { createInvoice(input: $input) { id dueDate } }
"""


async def test_an_issue_date_whose_terms_run_past_9999_is_422_on_both_apis(alice: Api) -> None:
    # given: the team's default terms (30 days) from the last representable day
    customer = await alice.create_customer()
    body = {
        "customer_id": customer["id"],
        "issue_date": "9999-12-31",
        "items": [{"description": "X", "quantity": 1, "unit_price": 5}],
    }
    # when
    rest = await alice.post("/invoices", body)
    graphql = await alice.graphql(
        CREATE_INVOICE,
        {
            "input": {
                "customerId": str(customer["id"]),
                "issueDate": "9999-12-31",
                "items": [{"description": "X", "quantity": "1", "unitPrice": "5"}],
            }
        },
    )
    # then
    assert set(field_errors(rest)) == {"issue_date"}
    (problem,) = graphql["errors"]
    assert problem["extensions"]["code"] == "VALIDATION_ERROR"
    assert set(problem["extensions"]["fields"]) == {"issueDate"}
    assert (await alice.get("/invoices")).json()["meta"]["total"] == 0
    # a due date given outright still fits
    fits = await alice.post("/invoices", {**body, "due_date": "9999-12-31"})
    assert fits.status_code == 201, fits.text
    assert fits.json()["data"]["invoice_number"] == "INV-0001"


@pytest.mark.parametrize("sent", ["1899-12-31", "0001-01-01", "10000-01-01", "9999-12-32"])
@pytest.mark.parametrize("field", ["issue_date", "due_date"])
async def test_dates_outside_1900_to_9999_are_422(sent: str, field: str, alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    body = {
        "customer_id": customer["id"],
        "issue_date": "1900-01-01",
        "due_date": "9999-12-31",
        "items": [{"description": "X", "quantity": 1, "unit_price": 5}],
    }
    # when
    response = await alice.post("/invoices", {**body, field: sent})
    # then
    assert field in field_errors(response)


async def test_the_first_and_last_dates_are_taken(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(
        "/invoices",
        {
            "customer_id": customer["id"],
            "issue_date": "1900-01-01",
            "due_date": "9999-12-31",
            "items": [{"description": "X", "quantity": 1, "unit_price": 5}],
        },
    )
    # then
    invoice = data(response, 201)
    assert (invoice["issue_date"], invoice["due_date"]) == ("1900-01-01", "9999-12-31")


# --- search -----------------------------------------------------------------------------------

LISTS = ["invoices", "customers", "products", "estimates"]


@pytest.mark.parametrize("resource", LISTS)
async def test_a_search_of_50000_characters_is_422_not_an_outage(resource: str, alice: Api) -> None:
    # when
    response = await alice.get(f"/{resource}", params={"search": "a" * 50_000})
    # then
    assert set(field_errors(response)) == {"search"}


@pytest.mark.parametrize("resource", LISTS)
async def test_a_search_of_200_characters_is_a_search(resource: str, alice: Api) -> None:
    # when
    at_most = await alice.get(f"/{resource}", params={"search": "a" * 200})
    beyond = await alice.get(f"/{resource}", params={"search": "a" * 201})
    # then
    assert data(at_most) == []
    assert set(field_errors(beyond)) == {"search"}


@pytest.mark.parametrize("resource", LISTS)
async def test_a_long_graphql_search_is_a_validation_error(resource: str, alice: Api) -> None:
    # when
    body = await alice.graphql(
        f"query ($s: String) {{ {resource}(search: $s) {{ items {{ id }} }} }}",
        {"s": "a" * 50_000},
    )
    # then
    (problem,) = body["errors"]
    assert problem["extensions"]["code"] == "VALIDATION_ERROR"
    assert set(problem["extensions"]["fields"]) == {"search"}


# --- disconnects and caches -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/graphql", "/webhooks/stripe"], ids=["rest", "graphql", "stripe"]
)
async def test_a_client_that_leaves_mid_body_is_a_499_without_a_traceback(
    path: str, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with paid_app(services) as app, served(app.asgi) as port:
        alice = await app.api("alice@a.example", "Team A")
        body = b'{"company_name": "Half Sent Ltd"}'
        # given a request that announces 1,000 bytes and sends a few
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {alice.key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head.encode() + body[:10])
        await writer.drain()
        await asyncio.sleep(0.2)
        # when its client closes the connection
        writer.close()
        await writer.wait_closed()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(50):  # the access line comes once the request is done
                if any(line["method"] == "POST" for line in access_lines(caplog)):
                    break
                await asyncio.sleep(0.05)
            after = await http.get("/api/v1/customers", headers=alice.headers)
    # then: one access line with 499, nothing at ERROR, no traceback; the server serves on
    (line,) = [line for line in access_lines(caplog) if line["method"] == "POST"]
    assert line["path"] == path
    assert line["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text and "ClientDisconnect" not in caplog.text
    assert after.status_code == 200 and after.json()["data"] == []


async def test_authenticated_answers_are_never_cached(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    # when
    answers = [
        await alice.get("/invoices"),
        await alice.get(f"/invoices/{invoice['id']}"),
        await alice.get(f"/invoices/{invoice['id']}/pdf"),
        await alice.get("/invoices/999"),
        await alice.graphql_response("{ invoices { items { id } } }"),
    ]
    # then
    for response in answers:
        assert response.headers["cache-control"] == "private, no-store", response.request.url
    assert answers[2].headers["content-type"] == "application/pdf"
    assert "cache-control" not in (await alice.http.get("/healthz")).headers


# --- GraphQL's operationName ------------------------------------------------------------------

TWO_OPERATIONS = """
mutation Make { createCustomer(input: {companyName: "Twice Ltd"}) { id } }
query Look { customers { items { companyName } } }
"""


async def test_several_operations_without_an_operation_name_are_400(alice: Api) -> None:
    # when
    response = await alice.http.post(
        "/graphql", json={"query": TWO_OPERATIONS}, headers=alice.headers
    )
    # then: nothing ran (the first operation would have written)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0
    # and naming one runs that one
    named = await alice.http.post(
        "/graphql", json={"query": TWO_OPERATIONS, "operationName": "Make"}, headers=alice.headers
    )
    assert named.status_code == 200 and "errors" not in named.json(), named.text
    assert (await alice.get("/customers")).json()["meta"]["total"] == 1
