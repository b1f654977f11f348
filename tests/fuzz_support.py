"""The world the schemathesis runs fuzz: a seeded database, two teams, and the app over it.

Team A (alice) owns a customer, a product, a draft invoice and an estimate; team B (bob) owns
one customer of its own. Fuzzing runs as alice; bob's key replays alice's ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from invoiceflow.app import create_app
from invoiceflow.db import Database
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import BACKENDS, Api, KeyFactory, empty_postgres
from tests.rest_support import data

# Fuzzed on each backend of the suite (PostgreSQL when reachable, as in tests/conftest.py).
FUZZ_BACKENDS = [b for b in os.environ.get("FUZZ_BACKENDS", ",".join(BACKENDS)).split(",") if b]
# A few examples per operation in `make test`; `make fuzz` sets FUZZ_EXAMPLES=200.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SEED = int(os.environ.get("FUZZ_SEED", "20250115"))
# Bob's probes vary only what comes with team A's ids: a quarter of the budget is plenty.
PROBES = max(3, EXAMPLES // 4)
# Never the limiter's answer: fuzzing sends thousands of requests a minute.
RATE_LIMIT = "1000000/minute"
SPARE_KEYS = 9
# A marker in every text field of team A's objects: it must never reach team B.
SECRET = "team-a-only"


@dataclass
class World:
    url: str
    alice: str
    bob: str
    # Resource ("invoices", "customers", ...) -> the id of team A's object.
    ids: dict[str, int | str]
    # An id that exists in no team, for "answers exactly like a missing id".
    missing: int
    wfc: Path

    def services(self) -> Services:
        # Webhook endpoints on any address: the fuzzers' URLs name hosts no DNS knows.
        settings = Settings(
            database_url=self.url, rate_limit=RATE_LIMIT, webhook_allow_private=True
        )
        return Services.from_settings(settings)

    def app(self) -> Starlette:
        return create_app(services=self.services())


async def _seed_team_a(alice: Api) -> dict[str, int | str]:
    customer = await alice.create_customer(
        company_name=f"Acme {SECRET}", email="billing@acme.example", notes=SECRET
    )
    invoice = await alice.create_invoice(customer["id"], notes=SECRET)
    product = data(
        await alice.post(
            "/products",
            {"name": f"Widget {SECRET}", "sku": "W-1", "price": "9.99", "stock_quantity": 10},
        ),
        201,
    )
    lines = [{"description": f"Design {SECRET}", "quantity": 2, "unit_price": 100}]
    body = {"customer_id": customer["id"], "issue_date": "2025-01-15", "items": lines}
    estimate = data(await alice.post("/estimates", {**body, "notes": SECRET}), 201)
    hook = {"url": "https://hooks.example.com/in", "events": ["*"]}
    endpoint = data(await alice.post("/webhook-endpoints", hook), 201)
    (event, *_rest) = data(await alice.get("/events"))
    return {
        "events": event["id"],
        "webhook-endpoints": endpoint["id"],
        "customers": customer["id"],
        "invoices": invoice["id"],
        "products": product["id"],
        "estimates": estimate["id"],
    }


async def _seed(url: str, wfc: Path) -> World:
    world = World(url=url, alice="", bob="", ids={}, missing=0, wfc=wfc)
    services = world.services()
    app = create_app(services=services)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            keys = KeyFactory(services, http)
            # Keys 1 to SPARE_KEYS are alice's spares: a fuzzed revokeApiKey with a small id
            # revokes one of them, never the key the run goes on using.
            for _ in range(SPARE_KEYS):
                await keys.key("alice@a.example", "Team A")
            alice = await keys.api("alice@a.example", "Team A")
            bob = await keys.api("bob@b.example", "Team B")
            world.ids = await _seed_team_a(alice)
            await bob.create_customer(company_name="Bobco")
    finally:
        await services.db.dispose()
    world.alice, world.bob = alice.key, bob.key
    world.missing = 10_000_000
    return world


async def _empty(url: str) -> None:
    db = Database.from_url(url)
    try:
        await empty_postgres(db)
    finally:
        await db.dispose()


def build_world(request: pytest.FixtureRequest, directory: Path) -> World:
    """A migrated database of the fixture's backend (SQLite: a copy of the template), seeded
    with both teams."""
    if request.param == "sqlite":
        path = directory / "fuzz.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = str(request.getfixturevalue("pg_url"))
        asyncio.run(_empty(url))
    world = asyncio.run(_seed(url, directory / "wfc-auth.json"))
    # The two identities, as a Web Fuzzing Commons auth document for schemathesis' peers.
    users = [
        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
        for name, key in (("alice", world.alice), ("bob", world.bob))
    ]
    world.wfc.write_text(json.dumps({"auth": users}), encoding="utf-8")
    return world


def unique_idempotency_key(case: Any) -> None:
    """Make a generated Idempotency-Key that the server takes unique to this request.

    The same key with another request is a 422 by contract (tests/test_idempotency.py covers
    replays); keys drawn from the same few values would make every later case a replay.
    Keys the server refuses (too long, unprintable) stay as they are, to be refused.
    """
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and 0 < len(key) <= 255 and key.isprintable():
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"


# Operations whose schema-valid input may still be refused with 422 because the rule depends
# on what the database holds or on two fields at once, which no JSON Schema can say (API.md §3):
# a customer_id/product_id that is not the team's, a due or expiry date before the issue date,
# a line amount (quantity x price) of 10^12 or more, a payment above the balance due, stock
# taken below zero, an invoice emailed to a customer without an email address.
STATEFUL_422 = (
    "post_create_invoice",
    "put_update_invoice",
    "patch_update_invoice",
    "post_create_estimate",
    "put_update_estimate",
    "patch_update_estimate",
    "post_record_payment",
    "post_adjust_stock",
    "post_send_invoice_email",
)
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


def config(mode: str = "all", examples: int = EXAMPLES, **extra: Any) -> dict[str, Any]:
    """The schemathesis settings shared by every run: fixed seed, bounded, no disk cache."""
    return {
        "seed": SEED,
        "cache": {"enabled": False},
        "generation": {"max-examples": examples, "mode": mode, "database": "none"},
        "operations": [
            {
                "include-operation-id": list(STATEFUL_422),
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            }
        ],
        **extra,
    }
