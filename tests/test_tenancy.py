"""Tenancy and roles, driven by the REST route table itself (API.md §1, §2; STYLE.md §4, §9).

Every by-id route answers another team's id exactly like an id that never existed; every
write route refuses a viewer with 403 (switching one's own current team excepted); nothing
changes in the database when a write is refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from invoiceflow.models import metadata
from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.rest_compat.table import Body, PathId, Route
from invoiceflow.services import Services
from tests.conftest import Api, KeyFactory

NEVER_EXISTED = 987_654
SWITCH = ("POST", "/teams/switch")

BY_ID_ROUTES = [r for r in ROUTES if any(isinstance(a, PathId) for a in r.args.values())]
WRITE_ROUTES = [r for r in ROUTES if r.writes and (r.method, r.path) != SWITCH]
LIST_ROUTES = [r for r in ROUTES if r.many]
# Which kind of object a path names (its first segment decides).
KINDS = {
    "invoices": "invoice",
    "customers": "customer",
    "products": "product",
    "estimates": "estimate",
    "webhook-endpoints": "webhook_endpoint",
}
PUBLIC_HOOK = "https://93.184.215.14/hooks"  # a public address: no DNS asked
ITEMS = [{"description": "Audit", "quantity": 1, "unit_price": 10}]

LISTS_QUERY = """
query {
  invoices(perPage: 100) { items { id } pageInfo { total } }
  customers(perPage: 100) { items { id } pageInfo { total } }
  products(perPage: 100) { items { id } pageInfo { total } }
  estimates(perPage: 100) { items { id } pageInfo { total } }
}
"""
BY_ID_QUERY = """
query ($invoice: ID!, $customer: ID!) {
  invoice(id: $invoice) { id }
  customer(id: $customer) { id }
}
"""
DELETE_INVOICE = "mutation ($id: ID!) { deleteInvoice(id: $id) }"


def _route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def _kind(route: Route) -> str:
    kind = KINDS.get(route.path.strip("/").split("/")[0])
    if kind is None:
        pytest.fail(f"no object kind for {route.path}: add one to KINDS and _objects")
    return kind


def _path(route: Route, object_id: int | None) -> str:
    path = route.path
    for arg in route.args.values():
        if isinstance(arg, PathId):
            assert object_id is not None, f"{_route_id(route)} needs an object id"
            path = path.replace(f"{{{arg.name}}}", str(object_id))
    return path


def _body(route: Route, team_a: dict[str, int]) -> dict[str, Any] | None:
    """A body valid in itself, so that only the caller's team or role can refuse it."""
    if not any(isinstance(arg, Body) for arg in route.args.values()):
        return None
    path = route.path.replace("{id}", "*")
    dated = {"customer_id": team_a["customer"], "issue_date": "2025-01-15", "items": ITEMS}
    bodies: dict[str, dict[str, Any]] = {
        "/invoices": {**dated, "due_date": "2025-02-15"},
        "/invoices/*": {"notes": "changed"},
        "/invoices/*/payments": {"amount": 1, "method": "cash"},
        "/customers": {"company_name": "Intruder Ltd"},
        "/customers/*": {"company_name": "Renamed Corp"},
        "/products": {"name": "Gadget", "price": 5, "stock_quantity": 1},
        "/products/*": {"name": "Renamed Widget"},
        "/products/*/adjust-stock": {"adjustment": 1, "reason": "recount"},
        "/estimates": {**dated, "expiry_date": "2025-02-15"},
        "/estimates/*": {"notes": "changed"},
        "/teams/current": {"name": "Renamed"},
        "/webhook-endpoints": {"url": PUBLIC_HOOK, "events": ["invoice.*"]},
        "/webhook-endpoints/*": {"description": "changed"},
    }
    return bodies.get(path, {})


async def snapshot(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (API keys' last-use hint aside), for before/after checks."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with services.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [
                c for c in table.columns if (table.name, c.name) != ("api_keys", "last_used_at")
            ]
            rows = await conn.execute(select(*columns).order_by(*table.primary_key.columns))
            state[table.name] = [tuple(row) for row in rows]
    return state


async def _objects(api: Api, label: str) -> dict[str, int]:
    """One object of each kind in the caller's team."""
    customer = await api.create_customer(company_name=f"{label} Customer")
    invoice = await api.create_invoice(customer["id"])
    product = await api.post("/products", {"name": f"{label} Widget", "stock_quantity": 10})
    estimate = await api.post("/estimates", {"customer_id": customer["id"], "items": ITEMS})
    hook = await api.post("/webhook-endpoints", {"url": PUBLIC_HOOK, "events": ["*"]})
    assert product.status_code == 201, product.text
    assert estimate.status_code == 201, estimate.text
    assert hook.status_code == 201, hook.text
    return {
        "webhook_endpoint": hook.json()["data"]["id"],
        "customer": customer["id"],
        "invoice": invoice["id"],
        "product": product.json()["data"]["id"],
        "estimate": estimate.json()["data"]["id"],
    }


@pytest.mark.parametrize("route", BY_ID_ROUTES, ids=_route_id)
async def test_other_teams_id_answers_like_one_that_never_existed(
    route: Route, alice: Api, bob: Api, services: Services
) -> None:
    # given
    team_a = await _objects(alice, "Alpha")
    object_id = team_a[_kind(route)]
    body = _body(route, team_a)
    before = await snapshot(services)
    # when
    foreign = await bob.request(route.method, _path(route, object_id), json=body)
    missing = await bob.request(route.method, _path(route, NEVER_EXISTED), json=body)
    # then
    assert foreign.status_code == 404, foreign.text
    assert missing.status_code == 404, missing.text
    assert foreign.json() == missing.json()
    assert foreign.json()["success"] is False
    assert foreign.json()["error"] == "not_found"
    assert isinstance(foreign.json()["message"], str) and foreign.json()["message"]
    assert set(foreign.json()) == {"success", "error", "message"}
    assert await snapshot(services) == before


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=_route_id)
async def test_viewer_cannot_write(
    route: Route, alice: Api, viewer: Api, services: Services
) -> None:
    # given
    team_a = await _objects(alice, "Alpha")
    object_id = team_a[_kind(route)] if route in BY_ID_ROUTES else None
    before = await snapshot(services)
    # when
    response = await viewer.request(
        route.method, _path(route, object_id), json=_body(route, team_a)
    )
    # then
    assert response.status_code == 403, response.text
    assert response.json()["success"] is False
    assert response.json()["error"] == "forbidden"
    assert isinstance(response.json()["message"], str) and response.json()["message"]
    assert await snapshot(services) == before


def test_switch_is_a_write_route_in_the_table() -> None:
    # then: the one write a viewer may make is really in the table (else the exception is moot)
    assert next(r for r in ROUTES if (r.method, r.path) == SWITCH).writes is True


async def test_viewer_may_switch_own_current_team(
    keys: KeyFactory, alice: Api, bob: Api, viewer: Api
) -> None:
    # given: the viewer of team A is a viewer in team B too
    await keys.key("vera@a.example", "Team B", role="viewer")
    teams = (await viewer.get("/teams")).json()["data"]
    team_b = next(t for t in teams if t["name"] == "Team B")
    # when
    switched = await viewer.post("/teams/switch", {"team_id": team_b["id"]})
    current = await viewer.get("/teams/current")
    # then
    assert switched.status_code == 200, switched.text
    assert switched.json()["message"] == "Switched to Team B"
    assert switched.json()["data"]["id"] == team_b["id"]
    assert switched.json()["data"]["role"] == "viewer"
    assert switched.json()["data"]["is_owner"] is False
    assert current.json()["data"]["name"] == "Team B"


async def test_viewer_may_switch_to_the_team_already_current(alice: Api, viewer: Api) -> None:
    # given
    team_a = (await viewer.get("/teams/current")).json()["data"]
    # when
    switched = await viewer.post("/teams/switch", {"team_id": team_a["id"]})
    # then
    assert switched.status_code == 200, switched.text
    assert switched.json()["data"]["name"] == "Team A"
    assert switched.json()["data"]["is_current"] is True


@pytest.mark.parametrize("route", LIST_ROUTES, ids=_route_id)
async def test_rest_lists_show_none_of_another_teams_rows(
    route: Route, alice: Api, bob: Api
) -> None:
    # given
    await _objects(alice, "Alpha")
    await _objects(alice, "Alpha")
    own = await _objects(bob, "Bravo")
    # when
    response = await bob.get(route.path, params={"per_page": 100})
    # then
    assert response.status_code == 200, response.text
    assert [row["id"] for row in response.json()["data"]] == [own[_kind(route)]]
    assert response.json()["meta"]["total"] == 1


async def test_rest_search_finds_nothing_of_another_team(alice: Api, bob: Api) -> None:
    # given
    await _objects(alice, "Alpha")
    # when
    invoices = await bob.get("/invoices", params={"search": "Alpha"})
    customers = await bob.get("/customers", params={"search": "Alpha"})
    # then
    assert invoices.json()["data"] == []
    assert invoices.json()["meta"]["total"] == 0
    assert customers.json()["data"] == []
    assert customers.json()["meta"]["total"] == 0


async def test_graphql_lists_show_none_of_another_teams_rows(alice: Api, bob: Api) -> None:
    # given
    await _objects(alice, "Alpha")
    own = await _objects(bob, "Bravo")
    # when
    body = await bob.graphql(LISTS_QUERY)
    # then
    assert "errors" not in body
    for field, kind in [
        ("invoices", "invoice"),
        ("customers", "customer"),
        ("products", "product"),
        ("estimates", "estimate"),
    ]:
        assert body["data"][field]["items"] == [{"id": str(own[kind])}], field
        assert body["data"][field]["pageInfo"]["total"] == 1, field


async def test_graphql_by_id_of_another_team_is_null_and_mutation_not_found(
    alice: Api, bob: Api, services: Services
) -> None:
    # given
    team_a = await _objects(alice, "Alpha")
    before = await snapshot(services)
    # when
    read = await bob.graphql(
        BY_ID_QUERY, {"invoice": str(team_a["invoice"]), "customer": str(team_a["customer"])}
    )
    foreign = await bob.graphql(DELETE_INVOICE, {"id": str(team_a["invoice"])})
    missing = await bob.graphql(DELETE_INVOICE, {"id": str(NEVER_EXISTED)})
    # then
    assert read == {"data": {"invoice": None, "customer": None}}
    assert foreign["data"] is None
    assert foreign["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    assert foreign["errors"][0]["message"] == missing["errors"][0]["message"]
    assert foreign["errors"][0]["extensions"] == missing["errors"][0]["extensions"]
    assert await snapshot(services) == before


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_invoice_cannot_reference_another_teams_customer(
    method: str, alice: Api, bob: Api, services: Services
) -> None:
    # given
    team_a = await _objects(alice, "Alpha")
    own_invoice = await bob.create_invoice((await bob.create_customer())["id"])
    path = "/invoices" if method == "POST" else f"/invoices/{own_invoice['id']}"
    body = {
        "issue_date": "2025-01-15",
        "due_date": "2025-02-15",
        "items": [{"description": "Audit", "quantity": 1, "unit_price": 10}],
    }
    before = await snapshot(services)
    # when
    foreign = await bob.request(method, path, json={**body, "customer_id": team_a["customer"]})
    missing = await bob.request(method, path, json={**body, "customer_id": NEVER_EXISTED})
    # then
    assert foreign.status_code == 422, foreign.text
    assert foreign.json()["success"] is False
    assert foreign.json()["error"] == "validation_error"
    assert list(foreign.json()["errors"]) == ["customer_id"]
    assert foreign.json() == missing.json()
    assert await snapshot(services) == before
