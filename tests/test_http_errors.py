"""HTTP-level errors and plumbing in the contract's form (API.md §1, §2, §4)."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
import pytest

from invoiceflow.app import create_app
from invoiceflow.db import Database
from invoiceflow.ratelimit import RateLimiter
from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import Api

ME = "query { me { id email } }"
CUSTOMERS = "query { customers { items { id } } }"
OVER_ONE_MB = 1024 * 1024 + 1
SECRET = "kaboom-do-not-leak-0xC0FFEE"


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The REST error envelope: exactly success, error, message (and errors for 422)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    assert set(body) == {"success", "error", "message"}
    return dict(body)


def assert_graphql_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    assert isinstance(body["errors"][0]["message"], str) and body["errors"][0]["message"]
    return dict(body)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/invoices/1/nope", "/nope"])
async def test_unknown_route_is_a_404_envelope(path: str, alice: Api) -> None:
    # when
    response = await alice.http.get(path, headers=alice.headers)
    # then
    assert_envelope(response, 404, "not_found")


async def test_unknown_route_is_a_404_without_a_key_too(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/api/v1/nope")
    # then
    assert_envelope(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/invoices", {"GET", "POST"}),
        ("POST", "/api/v1/invoices/1", {"GET", "PUT", "PATCH", "DELETE"}),
        ("DELETE", "/api/v1/teams/current", {"GET", "PATCH"}),
        ("GET", "/api/v1/teams/switch", {"POST"}),
    ],
)
async def test_known_path_wrong_method_is_405_with_allow(
    method: str, path: str, allowed: set[str], alice: Api
) -> None:
    # given: the table agrees with the expectation
    table_path = path.removeprefix("/api/v1").replace("/1", "/{id}")
    assert {r.method for r in ROUTES if r.path == table_path} == allowed
    # when
    response = await alice.http.request(method, path, headers=alice.headers)
    # then
    assert_envelope(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


@pytest.mark.parametrize(
    ("method", "path", "must_allow"),
    [("POST", "/healthz", "GET"), ("DELETE", "/readyz", "GET"), ("PUT", "/graphql", "POST")],
)
async def test_wrong_method_outside_the_rest_table_is_405_with_allow(
    method: str, path: str, must_allow: str, client: httpx.AsyncClient
) -> None:
    # when
    response = await client.request(method, path)
    # then
    assert_envelope(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert must_allow in allowed
    assert method not in allowed


async def test_graphql_mutation_over_get_is_405_with_allow_post(alice: Api) -> None:
    # when
    response = await alice.http.get(
        "/graphql",
        params={"query": 'mutation { createCustomer(input: {companyName: "X"}) { id } }'},
        headers=alice.headers,
    )
    # then
    assert_graphql_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"company_name": "Acme"', b"\xff\xfe", b"[1, 2"]
)
async def test_invalid_json_is_400(content: bytes, alice: Api) -> None:
    # when
    response = await alice.post(
        "/customers", content=content, headers={"Content-Type": "application/json"}
    )
    # then
    assert_envelope(response, 400, "bad_request")
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0


@pytest.mark.parametrize("content", [b'[{"company_name": "Acme"}]', b'"Acme"', b"42", b"null"])
async def test_json_that_is_not_an_object_is_400(content: bytes, alice: Api) -> None:
    # when
    response = await alice.post(
        "/customers", content=content, headers={"Content-Type": "application/json"}
    )
    # then
    assert_envelope(response, 400, "bad_request")
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0


@pytest.mark.parametrize("content", [b"{not json", b'[{"query": "{ me { id } }"}]'])
async def test_graphql_bad_body_is_400(content: bytes, alice: Api) -> None:
    # when
    response = await alice.http.post(
        "/graphql", content=content, headers={**alice.headers, "Content-Type": "application/json"}
    )
    # then
    assert_graphql_error(response, 400, "BAD_REQUEST")


def _big_customer() -> bytes:
    return b'{"company_name": "Acme", "notes": "' + b"x" * OVER_ONE_MB + b'"}'


async def test_rest_body_over_one_mb_is_413(alice: Api) -> None:
    # when
    response = await alice.post(
        "/customers", content=_big_customer(), headers={"Content-Type": "application/json"}
    )
    # then
    assert_envelope(response, 413, "payload_too_large")
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0


async def test_rest_streamed_body_over_one_mb_is_413(alice: Api) -> None:
    # given: no Content-Length to trust, only the bytes themselves
    async def chunks() -> Any:
        for _ in range(12):
            yield b"x" * 100_000

    # when
    response = await alice.post(
        "/customers", content=chunks(), headers={"Content-Type": "application/json"}
    )
    # then
    assert "content-length" not in response.request.headers
    assert_envelope(response, 413, "payload_too_large")


async def test_body_of_exactly_one_mb_is_accepted(alice: Api) -> None:
    # given: valid JSON padded with whitespace to exactly 1 MB
    head, tail = b'{"company_name": "Acme"', b"}"
    content = head + b" " * (1024 * 1024 - len(head) - len(tail)) + tail
    assert len(content) == 1024 * 1024
    # when
    response = await alice.post(
        "/customers", content=content, headers={"Content-Type": "application/json"}
    )
    # then
    assert response.status_code == 201, response.text
    assert response.json()["data"]["company_name"] == "Acme"


async def test_graphql_body_over_one_mb_is_413(alice: Api) -> None:
    # given
    content = b'{"query": "{ me { id } }", "variables": {"pad": "' + b"x" * OVER_ONE_MB + b'"}}'
    # when
    response = await alice.http.post(
        "/graphql", content=content, headers={**alice.headers, "Content-Type": "application/json"}
    )
    # then
    assert_graphql_error(response, 413, "PAYLOAD_TOO_LARGE")


def _bad_authorizations() -> list[dict[str, str]]:
    return [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Token ifk_" + secrets.token_urlsafe(32)},
        {"Authorization": "Bearer ifk_" + "a" * 500},
        {"Authorization": "Bearer ifk_" + secrets.token_urlsafe(32)},
    ]


AUTH_IDS = ["none", "empty", "no-token", "basic", "malformed", "scheme", "too-long", "unknown"]


@pytest.mark.parametrize("headers", _bad_authorizations(), ids=AUTH_IDS)
async def test_rest_without_a_valid_key_is_401(
    headers: dict[str, str], client: httpx.AsyncClient, alice: Api
) -> None:
    # when
    read = await client.get("/api/v1/invoices", headers=headers)
    write = await client.post("/api/v1/customers", json={"company_name": "X"}, headers=headers)
    # then
    assert_envelope(read, 401, "unauthenticated")
    assert_envelope(write, 401, "unauthenticated")
    assert "x-ratelimit-limit" not in read.headers
    assert (await alice.get("/customers")).json()["meta"]["total"] == 0


@pytest.mark.parametrize("headers", _bad_authorizations(), ids=AUTH_IDS)
async def test_graphql_without_a_valid_key_is_401(
    headers: dict[str, str], client: httpx.AsyncClient
) -> None:
    # when
    response = await client.post("/graphql", json={"query": ME}, headers=headers)
    # then
    assert_graphql_error(response, 401, "UNAUTHENTICATED")


async def test_revoked_key_is_401_on_both_apis(alice: Api) -> None:
    # given
    keys = await alice.graphql("query { apiKeys { id } }")
    key_id = keys["data"]["apiKeys"][0]["id"]
    revoked = await alice.graphql("mutation ($id: ID!) { revokeApiKey(id: $id) }", {"id": key_id})
    assert "errors" not in revoked, revoked
    # when
    rest = await alice.get("/invoices")
    graphql = await alice.graphql_response(ME)
    # then
    assert_envelope(rest, 401, "unauthenticated")
    assert_graphql_error(graphql, 401, "UNAUTHENTICATED")


async def test_unexpected_exception_is_a_500_without_internals(
    alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    async def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(SECRET)

    monkeypatch.setattr("invoiceflow.resolvers.customers.paginate", explode)
    # when
    rest = await alice.get("/customers")
    graphql = await alice.graphql_response(CUSTOMERS)
    # then
    body = assert_envelope(rest, 500, "server_error")
    for text in (rest.text, graphql.text):
        assert SECRET not in text
        assert "Traceback" not in text
        assert "RuntimeError" not in text
        assert ".py" not in text
    assert body["message"] == "Something went wrong on our side."
    assert graphql.json()["data"] is None
    assert graphql.json()["errors"][0]["extensions"]["code"] == "SERVER_ERROR"


async def test_request_id_is_echoed_when_sent(alice: Api) -> None:
    # given
    request_id = "req-" + secrets.token_hex(8)
    sent = {"X-Request-ID": request_id}
    # when
    responses = [
        await alice.get("/invoices", headers=sent),
        await alice.get("/nope", headers=sent),
        await alice.http.post("/graphql", json={"query": ME}, headers={**alice.headers, **sent}),
        await alice.http.get("/api/v1/invoices", headers=sent),
        await alice.http.get("/healthz", headers=sent),
    ]
    # then
    assert [r.status_code for r in responses] == [200, 404, 200, 401, 200]
    assert [r.headers["x-request-id"] for r in responses] == [request_id] * len(responses)


async def test_request_id_is_generated_when_not_sent(alice: Api) -> None:
    # when
    responses = [
        await alice.get("/invoices"),
        await alice.get("/invoices"),
        await alice.http.post("/graphql", json={"query": ME}, headers=alice.headers),
        await alice.http.get("/nope"),
    ]
    # then
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_200_when_the_database_is_reachable(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/readyz")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_answers_503_when_the_database_is_not() -> None:
    # given: a database that refuses connections
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    settings = Settings(database_url=url, db_timeout=1.0)
    services = Services(
        settings=settings,
        db=Database.from_url(url, timeout=1.0),
        limiter=RateLimiter("10/minute"),
    )
    transport = httpx.ASGITransport(app=create_app(services=services))
    # when
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/readyz")
    finally:
        await services.db.dispose()
    # then
    assert_envelope(response, 503, "service_unavailable")
