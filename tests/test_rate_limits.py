"""Per-user rate limits: headers, one counter per user (all of its keys) shared by REST and
GraphQL, each root mutation field counted, at most 50 active keys (API.md §2, §4, §6)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from invoiceflow.app import create_app
from invoiceflow.models import Customer
from invoiceflow.ratelimit import RateLimiter, RateLimitExceeded
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import Api, KeyFactory

REDIS_URL = os.environ.get("INVOICEFLOW_TEST_REDIS", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"
ME = "query { me { id } }"
HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


@dataclass
class Limited:
    """An app whose keys may make ``limit`` requests a window, and a way to make keys."""

    services: Services
    keys: KeyFactory


@asynccontextmanager
async def limited_app(
    services: Services, spec: str, redis_url: str | None = None
) -> AsyncIterator[Limited]:
    """Its own app over the test's database (the ``services`` fixture cleaned it)."""
    own = Services(
        settings=Settings(database_url=services.settings.database_url, rate_limit=spec),
        db=services.db,
        limiter=RateLimiter(spec, redis_url),
    )
    transport = httpx.ASGITransport(app=create_app(services=own))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Limited(own, KeyFactory(own, http))
    finally:
        await disconnect(own.limiter)


async def disconnect(limiter: RateLimiter) -> None:
    """Close a Redis limiter's connections before the test's event loop ends."""
    await limiter.close()


@pytest.fixture
async def three(services: Services) -> AsyncIterator[Limited]:
    async with limited_app(services, "3/minute") as app:
        yield app


@pytest.fixture
async def hundred(services: Services) -> AsyncIterator[Limited]:
    async with limited_app(services, "100/minute") as app:
        yield app


def remaining(response: httpx.Response) -> int:
    return int(response.headers["x-ratelimit-remaining"])


def assert_rate_headers(response: httpx.Response, limit: int) -> None:
    now = time.time()
    assert all(name in response.headers for name in HEADERS), dict(response.headers)
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert re.fullmatch(r"\d+", response.headers["x-ratelimit-remaining"])
    assert re.fullmatch(r"\d+", response.headers["x-ratelimit-reset"])
    reset = int(response.headers["x-ratelimit-reset"])
    assert now < reset <= now + 61, (reset, now)


def assert_retry_after(response: httpx.Response, window: int) -> None:
    """Whole seconds until the window's end (rounded up: never too early), as Reset says."""
    now = time.time()
    assert re.fullmatch(r"[1-9]\d*", response.headers["retry-after"])
    retry_after = int(response.headers["retry-after"])
    assert retry_after <= window  # within the window: never 61 for 60 seconds
    assert abs(now + retry_after - int(response.headers["x-ratelimit-reset"])) <= 1.5
    assert remaining(response) == 0


def assert_rest_429(response: httpx.Response, window: int = 60) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"] == "rate_limited"
    assert isinstance(body["message"], str) and body["message"]
    assert_retry_after(response, window)


def assert_graphql_429(response: httpx.Response, window: int = 60) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert_retry_after(response, window)


async def test_every_authenticated_response_has_rate_headers(hundred: Limited) -> None:
    # given
    alice = await hundred.keys.api("alice@a.example", "Team A")
    viewer = await hundred.keys.api("vera@a.example", "Team A", role="viewer")
    customer = await alice.create_customer()
    # when
    responses = [
        await alice.get("/invoices"),
        await alice.post("/invoices", {"customer_id": customer["id"], "items": []}),  # 422
        await alice.get("/invoices/987654"),  # 404
        await alice.patch(f"/customers/{customer['id']}", {"notes": "n"}),
        await alice.delete(f"/customers/{customer['id']}"),
        await alice.graphql_response(ME),
        await alice.graphql_response("query { nope }"),  # a GraphQL error, still counted
        await viewer.post("/customers", {"company_name": "X"}),  # 403
    ]
    # then
    assert [r.status_code for r in responses] == [200, 422, 404, 200, 200, 200, 200, 403]
    for response in responses:
        assert_rate_headers(response, 100)
    alice_left = [remaining(r) for r in responses[:-1]]
    assert alice_left == list(range(98, 98 - len(alice_left), -1))  # create_customer took one
    assert remaining(responses[-1]) == 99


async def test_unauthenticated_responses_are_not_counted(hundred: Limited) -> None:
    # given
    alice = await hundred.keys.api("alice@a.example", "Team A")
    # when
    anonymous = await alice.http.get("/api/v1/invoices")
    counted = await alice.get("/invoices")
    # then
    assert anonymous.status_code == 401
    assert remaining(counted) == 99


async def test_rest_and_graphql_share_one_counter(three: Limited) -> None:
    # given
    alice = await three.keys.api("alice@a.example", "Team A")
    # when
    first = await alice.get("/teams")
    second = await alice.graphql_response(ME)
    third = await alice.get("/teams")
    over_graphql = await alice.graphql_response(ME)
    over_rest = await alice.get("/teams")
    # then
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 200]
    assert [remaining(first), remaining(second), remaining(third)] == [2, 1, 0]
    assert_graphql_429(over_graphql)
    assert_rest_429(over_rest)


async def test_over_the_limit_rest_is_429_and_does_nothing(three: Limited) -> None:
    # given
    alice = await three.keys.api("alice@a.example", "Team A")
    for _ in range(3):
        assert (await alice.get("/customers")).status_code == 200
    # when
    response = await alice.post("/customers", {"company_name": "Too Late Ltd"})
    # then
    assert_rest_429(response)
    assert set(response.json()) == {"success", "error", "message"}
    assert_rate_headers(response, 3)
    async with three.services.db.read_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_over_the_limit_graphql_is_429_and_does_nothing(three: Limited) -> None:
    # given
    alice = await three.keys.api("alice@a.example", "Team A")
    for _ in range(3):
        assert (await alice.graphql_response(ME)).status_code == 200
    # when
    response = await alice.graphql_response(
        'mutation { createCustomer(input: {companyName: "Too Late Ltd"}) { id } }'
    )
    # then
    assert_graphql_429(response)
    assert_rate_headers(response, 3)
    async with three.services.db.read_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_users_keys_share_one_counter(three: Limited) -> None:
    # given: two keys of two users, and a second key of the first user
    alice = await three.keys.api("alice@a.example", "Team A")
    bob = await three.keys.api("bob@b.example", "Team B")
    alice_again = await three.keys.api("alice@a.example", "Team A")
    for _ in range(3):
        await alice.get("/teams")
    assert_rest_429(await alice.get("/teams"))
    # when
    for_bob = await bob.get("/teams")
    for_alice_again = await alice_again.graphql_response(ME)
    # then: bob counts on his own; alice's other key is alice, over her limit
    assert for_bob.status_code == 200
    assert remaining(for_bob) == 2
    assert_graphql_429(for_alice_again)


async def test_minting_keys_does_not_multiply_the_limit(three: Limited) -> None:
    # given
    alice = await three.keys.api("alice@a.example", "Team A")
    # when: a key minted with a key, then used
    minted = await alice.graphql('mutation { createApiKey(name: "more") { plainKey } }')
    more = Api(alice.http, minted["data"]["createApiKey"]["plainKey"])
    second = await more.get("/teams")
    third = await alice.get("/teams")
    over = await more.get("/teams")
    # then
    assert [remaining(second), remaining(third)] == [1, 0]
    assert_rest_429(over)


def _aliased_creates(count: int) -> str:
    fields = " ".join(
        f'c{n}: createCustomer(input: {{companyName: "Alias {n}"}}) {{ id }}' for n in range(count)
    )
    return f"mutation {{ {fields} }}"


async def test_each_root_mutation_field_counts_as_a_request(hundred: Limited) -> None:
    # given
    alice = await hundred.keys.api("alice@a.example", "Team A")
    before = remaining(await alice.get("/teams"))
    # when
    response = await alice.graphql_response(_aliased_creates(15))
    # then
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert remaining(response) == before - 15
    # a query, however many root fields, is one request
    listed = await alice.graphql_response("{ a: me { id } b: me { id } c: teams { id } }")
    assert remaining(listed) == before - 16


async def test_a_mutation_document_over_the_limit_does_nothing(services: Services) -> None:
    async with limited_app(services, "10/minute") as ten:
        # given
        alice = await ten.keys.api("alice@a.example", "Team A")
        # when: 15 creates where 10 requests are left
        response = await alice.graphql_response(_aliased_creates(15))
        # then
        assert_graphql_429(response)
        async with ten.services.db.read_sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_refused_document_counts_against_its_user(three: Limited) -> None:
    # given: alice's second key, known to the server from one request
    alice = await three.keys.api("alice@a.example", "Team A")
    alice_again = await three.keys.api("alice@a.example", "Team A")
    first = await alice_again.get("/teams")
    # when: a document refused before any SQL, sent with the other key once it is known
    await alice.get("/teams")
    refused = await alice.graphql_response("{ " + "me { currentTeam { " * 6 + "id" + " } }" * 6)
    # then
    assert remaining(first) == 2
    assert refused.status_code == 200 and refused.json()["errors"], refused.text
    assert remaining(refused) == 0


async def test_a_user_holds_at_most_50_active_keys(hundred: Limited) -> None:
    # given: alice's first key and 49 more
    alice = await hundred.keys.api("alice@a.example", "Team A")
    create = 'mutation { createApiKey(name: "k") { apiKey { id } } }'
    for _ in range(49):
        created = await alice.graphql(create)
        assert "errors" not in created, created
    # when
    fifty_first = await alice.graphql(create)
    # then
    (problem,) = fifty_first["errors"]
    assert problem["extensions"]["code"] == "VALIDATION_ERROR"
    assert "50" in problem["message"] or "50" in str(problem["extensions"]["fields"])
    # a revoked key makes room for one more
    keys = (await alice.graphql("{ apiKeys { id } }"))["data"]["apiKeys"]
    revoked = await alice.graphql(f'mutation {{ revokeApiKey(id: "{keys[-1]["id"]}") }}')
    assert "errors" not in revoked, revoked
    assert "errors" not in await alice.graphql(create)


async def _require_redis(spec: str) -> None:
    limiter = RateLimiter(spec, REDIS_URL)
    try:
        reachable = await limiter.storage.check()
    except Exception:  # the client raises various connection errors
        reachable = False
    finally:
        await disconnect(limiter)
    if not reachable:
        if IN_CI:
            pytest.fail(f"Redis is required under CI but unreachable at {REDIS_URL}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")


async def test_two_app_instances_share_counters_in_redis(services: Services) -> None:
    # given: a window length of its own makes this run's Redis keys unique (other runs and
    # other test databases reuse the same API key ids), so nobody else's counts mix in
    window = 600 + secrets.randbelow(3000)
    spec = f"3/{window} second"
    await _require_redis(spec)
    async with (
        limited_app(services, spec, REDIS_URL) as one,
        limited_app(services, spec, REDIS_URL) as two,
    ):
        alice_key = await one.keys.key("alice@a.example", "Team A")
        bob_key = await one.keys.key("bob@b.example", "Team B")
        on_one, on_two = Api(one.keys.http, alice_key), Api(two.keys.http, alice_key)
        # when
        first = await on_one.get("/teams")
        second = await on_two.graphql_response(ME)
        third = await on_one.get("/teams")
        over = await on_two.get("/teams")
        bob_on_two = await Api(two.keys.http, bob_key).get("/teams")
    # then
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 200]
    assert [remaining(first), remaining(second), remaining(third)] == [2, 1, 0]
    assert_rest_429(over, window)
    assert int(over.headers["retry-after"]) > 60  # this run's own window, not a default one
    assert bob_on_two.status_code == 200
    assert remaining(bob_on_two) == 2


async def test_retry_after_is_never_longer_than_the_window() -> None:
    # given: a 60-second window, used up at once (a fraction of a second into it)
    limiter = RateLimiter("1/minute")
    await limiter.hit("user:1")
    # when
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.hit("user:1")
    # then: whole seconds, within the window (the rounded-up Reset made it 61)
    assert 1 <= refused.value.retry_after <= 60


@pytest.mark.postgres_only
async def test_concurrent_key_creates_with_idempotency_keys_do_not_deadlock(
    hundred: Limited,
) -> None:
    # given: each create claims its Idempotency-Key first (a share lock on the user's row,
    # by the claim's foreign key), then counts the user's keys under the user's row lock
    alice = await hundred.keys.api("alice@a.example", "Team A")
    create = {"query": 'mutation { createApiKey(name: "k") { apiKey { id } } }'}

    async def one(n: int) -> httpx.Response:
        headers = {**alice.headers, "Idempotency-Key": f"key-{n}"}
        return await alice.http.post("/graphql", json=create, headers=headers)

    # when
    answers = await asyncio.gather(*(one(n) for n in range(8)))
    # then
    for answer in answers:
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    keys = (await alice.graphql("{ apiKeys { id } }"))["data"]["apiKeys"]
    assert len(keys) == 9


async def test_a_key_charges_its_user_only_a_minute_after_it_last_worked(
    three: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a key that worked (its user learnt), then a minute and more passes
    from invoiceflow import auth

    alice = await three.keys.api("alice@a.example", "Team A")
    await alice.get("/teams")
    later = auth._clock() + 61
    monkeypatch.setattr(auth, "_clock", lambda: later)
    # when: a document refused before any SQL (the key may have been revoked since)
    refused = await alice.graphql_response("{ nope }")
    # then: charged to the key's own counter, not its user's
    assert remaining(refused) == 2
    assert remaining(await alice.get("/teams")) == 1  # the user's: one used before
