"""GraphQL customers, the caller and their teams (API.md §3, §4)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from invoiceflow.models import Invoice
from invoiceflow.services import Services
from tests.conftest import Api, KeyFactory

FIELDS = """id companyName contactName email phone addressLine1 addressLine2 city state
    postalCode country currency notes totalInvoiced"""
CUSTOMER = f"""query($id: ID!) {{ customer(id: $id) {{ {FIELDS} createdAt updatedAt
    invoices {{ invoiceNumber status }} recentInvoices {{ invoiceNumber }} }} }}"""
CUSTOMERS = """query($search: String, $page: Int, $perPage: Int) {
  customers(search: $search, page: $page, perPage: $perPage) {
    items { companyName } pageInfo { currentPage perPage total lastPage hasNextPage } } }"""
CREATE = f"""mutation($input: CustomerInput!) {{
  createCustomer(input: $input) {{ {FIELDS} invoices {{ id }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: CustomerUpdateInput!) {{
  updateCustomer(id: $id, input: $input) {{ {FIELDS} }} }}"""
DELETE = "mutation($id: ID!) { deleteCustomer(id: $id) }"
ME = "{ me { id email name currentTeam { name } } }"
TEAM_FIELDS = "id name role isOwner isCurrent plan { name }"
TEAMS = f"{{ teams {{ {TEAM_FIELDS} }} }}"
CURRENT_TEAM = f"{{ currentTeam {{ {TEAM_FIELDS} stripeAccountId paymentTermsDays }} }}"
SWITCH = f"mutation($teamId: ID!) {{ switchTeam(teamId: $teamId) {{ {TEAM_FIELDS} }} }}"
SETTINGS = """mutation($input: TeamSettingsInput!) {
  updateTeamSettings(input: $input) { name stripeAccountId paymentTermsDays } }"""
INVOICE_NUMBERS = "{ invoices { items { invoiceNumber } } }"

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return dict(body["data"])


def only_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    return error


async def company_names(api: Api, **variables: Any) -> list[str]:
    page = data_of(await api.graphql(CUSTOMERS, variables))["customers"]
    return [item["companyName"] for item in page["items"]]


async def invoice_in(api: Api, customer_id: int, price: int, state: str = "draft") -> int:
    """An invoice of one line at ``price`` brought to ``state`` (paid: straight in the table)."""
    items = [{"description": "Work", "quantity": 1, "unit_price": price}]
    due = "2099-12-31" if state != "overdue" else "2025-02-15"
    invoice_id = int((await api.create_invoice(customer_id, items=items, due_date=due))["id"])
    if state in ("sent", "overdue", "paid", "cancelled"):
        response = await api.patch(f"/invoices/{invoice_id}", {"status": "sent"})
        assert response.status_code == 200, response.text
    if state == "cancelled":
        response = await api.patch(f"/invoices/{invoice_id}", {"status": "cancelled"})
        assert response.status_code == 200, response.text
    return invoice_id


async def mark_paid(services: Services, invoice_id: int) -> None:
    async with services.db.write_sessions.begin() as session:
        await session.execute(
            update(Invoice)
            .where(col(Invoice.id) == invoice_id)
            .values(status="paid", amount_paid=Invoice.total, paid_at=dt.datetime.now(dt.UTC))
        )


async def test_customer_answers_its_fields_invoices_and_total_invoiced(
    alice: Api, services: Services
) -> None:
    # given: draft 100 and cancelled 400 do not count; sent 200, overdue 300 and paid 800 do
    customer = await alice.create_customer(
        company_name="Acme Corp",
        contact_name="Jane Roe",
        email="jane@acme.example",
        phone="+1 555-0100",
        address_line1="1 Main St",
        city="Springfield",
        postal_code="12345",
        country="US",
        currency="EUR",
        notes="Net 30",
    )
    for price, state in ((100, "draft"), (200, "sent"), (300, "overdue"), (400, "cancelled")):
        await invoice_in(alice, customer["id"], price, state)
    await mark_paid(services, await invoice_in(alice, customer["id"], 800, "paid"))
    deleted = await invoice_in(alice, customer["id"], 1600, "draft")
    assert (await alice.delete(f"/invoices/{deleted}")).status_code == 200
    # when
    body = await alice.graphql(CUSTOMER, {"id": str(customer["id"])})
    # then
    found = data_of(body)["customer"]
    assert TIMESTAMP.fullmatch(found.pop("createdAt")), found
    assert TIMESTAMP.fullmatch(found.pop("updatedAt")), found
    assert found.pop("invoices") == [
        {"invoiceNumber": "INV-0005", "status": "PAID"},
        {"invoiceNumber": "INV-0004", "status": "CANCELLED"},
        {"invoiceNumber": "INV-0003", "status": "OVERDUE"},
        {"invoiceNumber": "INV-0002", "status": "SENT"},
        {"invoiceNumber": "INV-0001", "status": "DRAFT"},
    ]
    assert [i["invoiceNumber"] for i in found.pop("recentInvoices")] == [
        "INV-0005",
        "INV-0004",
        "INV-0003",
        "INV-0002",
        "INV-0001",
    ]
    assert found == {
        "id": str(customer["id"]),
        "companyName": "Acme Corp",
        "contactName": "Jane Roe",
        "email": "jane@acme.example",
        "phone": "+1 555-0100",
        "addressLine1": "1 Main St",
        "addressLine2": None,
        "city": "Springfield",
        "state": None,
        "postalCode": "12345",
        "country": "US",
        "currency": "EUR",
        "notes": "Net 30",
        "totalInvoiced": "1300.00",
    }


async def test_recent_invoices_are_the_ten_newest(alice: Api) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    other_id = (await alice.create_customer(company_name="Globex"))["id"]
    for index in range(13):
        await alice.create_invoice(other_id if index == 6 else customer_id)
    # when
    body = await alice.graphql(CUSTOMER, {"id": str(customer_id)})
    # then
    found = data_of(body)["customer"]
    newest_first = [f"INV-{n:04d}" for n in range(13, 0, -1) if n != 7]
    assert [i["invoiceNumber"] for i in found["recentInvoices"]] == newest_first[:10]
    assert [i["invoiceNumber"] for i in found["invoices"]] == newest_first


async def test_customer_by_missing_foreign_or_malformed_id_is_null_without_errors(
    alice: Api, bob: Api
) -> None:
    # given
    foreign = await bob.create_customer()
    query = """query($foreign: ID!) { missing: customer(id: "999") { id }
        foreign: customer(id: $foreign) { id } malformed: customer(id: "1e3") { id } }"""
    # when
    body = await alice.graphql(query, {"foreign": str(foreign["id"])})
    # then
    assert body == {"data": {"missing": None, "foreign": None, "malformed": None}}


async def test_customers_search_company_contact_and_email_in_pages(alice: Api, bob: Api) -> None:
    # given
    await alice.create_customer(company_name="Acme Corp", contact_name="Jane Roe")
    await alice.create_customer(company_name="Globex", email="hank@globex.example")
    await alice.create_customer(company_name="Initech", contact_name="Bill Lumbergh")
    await bob.create_customer(company_name="Acme Ltd")
    # when
    second = data_of(await alice.graphql(CUSTOMERS, {"page": 2, "perPage": 2}))["customers"]
    # then
    assert await company_names(alice) == ["Initech", "Globex", "Acme Corp"]
    assert await company_names(alice, search="ACME") == ["Acme Corp"]
    assert await company_names(alice, search="jane") == ["Acme Corp"]
    assert await company_names(alice, search="@globex.") == ["Globex"]
    assert await company_names(alice, search="_") == []
    assert second == {
        "items": [{"companyName": "Acme Corp"}],
        "pageInfo": {
            "currentPage": 2,
            "perPage": 2,
            "total": 3,
            "lastPage": 2,
            "hasNextPage": False,
        },
    }


async def test_create_customer_answers_it_with_the_teams_currency(alice: Api) -> None:
    # given
    customer_input = {"companyName": "Acme Corp", "email": "billing@acme.example"}
    # when
    body = await alice.graphql(CREATE, {"input": customer_input})
    # then
    created = data_of(body)["createCustomer"]
    assert created["id"] == "1"
    assert (created["companyName"], created["email"], created["contactName"]) == (
        "Acme Corp",
        "billing@acme.example",
        None,
    )
    assert (created["currency"], created["totalInvoiced"], created["invoices"]) == (
        "USD",
        "0.00",
        [],
    )
    assert await company_names(alice) == ["Acme Corp"]


@pytest.mark.parametrize(
    ("customer_input", "field"),
    [
        ({"companyName": ""}, "companyName"),
        ({"companyName": "Acme", "email": "not-an-email"}, "email"),
        ({"companyName": "Acme", "currency": "EURO"}, "currency"),
    ],
)
async def test_create_customer_rejects_invalid_fields(
    alice: Api, customer_input: dict[str, str], field: str
) -> None:
    # when
    body = await alice.graphql(CREATE, {"input": customer_input})
    # then
    assert set(only_error(body, "VALIDATION_ERROR")["extensions"]["fields"]) == {field}
    assert await company_names(alice) == []


async def test_update_customer_changes_only_the_fields_sent(alice: Api) -> None:
    # given
    customer = await alice.create_customer(company_name="Acme Corp", email="old@acme.example")
    before = data_of(await alice.graphql(CUSTOMER, {"id": str(customer["id"])}))["customer"]
    # when
    body = await alice.graphql(
        UPDATE, {"id": str(customer["id"]), "input": {"contactName": "Jane Roe"}}
    )
    # then
    after = data_of(body)["updateCustomer"]
    assert after == {
        **{k: v for k, v in before.items() if k in after},
        "contactName": "Jane Roe",
    }
    bad = await alice.graphql(UPDATE, {"id": str(customer["id"]), "input": {"companyName": ""}})
    assert set(only_error(bad, "VALIDATION_ERROR")["extensions"]["fields"]) == {"companyName"}


@pytest.mark.parametrize("state", ["sent", "overdue"])
async def test_customer_with_an_unpaid_invoice_cannot_be_deleted(
    alice: Api, services: Services, state: str
) -> None:
    # given: a draft and a paid invoice do not block; a sent or overdue one does
    customer_id = (await alice.create_customer())["id"]
    await invoice_in(alice, customer_id, 100)
    await mark_paid(services, await invoice_in(alice, customer_id, 200, "sent"))
    unpaid = await invoice_in(alice, customer_id, 300, state)
    # when
    refused = await alice.graphql(DELETE, {"id": str(customer_id)})
    await alice.patch(f"/invoices/{unpaid}", {"status": "cancelled"})
    accepted = await alice.graphql(DELETE, {"id": str(customer_id)})
    # then
    only_error(refused, "INVALID_STATE")
    assert accepted == {"data": {"deleteCustomer": str(customer_id)}}
    assert await alice.graphql(CUSTOMER, {"id": str(customer_id)}) == {"data": {"customer": None}}
    assert await company_names(alice) == []


@pytest.mark.parametrize("mutation", ["update", "delete"])
@pytest.mark.parametrize("whose", ["foreign", "missing", "malformed"])
async def test_customer_mutations_on_an_id_not_in_the_team_are_not_found(
    alice: Api, bob: Api, mutation: str, whose: str
) -> None:
    # given
    foreign = await bob.create_customer(company_name="Bob's Client")
    target = {"foreign": str(foreign["id"]), "missing": "999", "malformed": "abc"}[whose]
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "update": (UPDATE, {"id": target, "input": {"companyName": "Alice's"}}),
        "delete": (DELETE, {"id": target}),
    }
    document, variables = cases[mutation]
    # when
    body = await alice.graphql(document, variables)
    # then
    only_error(body, "NOT_FOUND")
    assert await company_names(bob) == ["Bob's Client"]


@pytest.mark.parametrize("mutation", ["create", "update", "delete"])
async def test_viewer_cannot_run_any_customer_mutation(
    alice: Api, viewer: Api, mutation: str
) -> None:
    # given
    customer = await alice.create_customer(company_name="Acme Corp")
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "create": (CREATE, {"input": {"companyName": "Viewer's"}}),
        "update": (UPDATE, {"id": str(customer["id"]), "input": {"companyName": "Viewer's"}}),
        "delete": (DELETE, {"id": str(customer["id"])}),
    }
    document, variables = cases[mutation]
    # when
    body = await viewer.graphql(document, variables)
    # then
    only_error(body, "FORBIDDEN")
    assert await company_names(alice) == ["Acme Corp"]


async def test_me_is_the_keys_user_in_the_current_team(alice: Api) -> None:
    # when
    body = await alice.graphql(ME)
    # then
    assert body == {
        "data": {
            "me": {
                "id": "1",
                "email": "alice@a.example",
                "name": "alice",
                "currentTeam": {"name": "Team A"},
            }
        }
    }


async def test_teams_lists_every_membership_with_the_callers_relation(
    alice: Api, bob: Api, viewer: Api, keys: KeyFactory
) -> None:
    # given: alice also joins bob's team as a member
    await keys.key("alice@a.example", "Team B", role="member")
    # when
    mine, current = await alice.graphql(TEAMS), await alice.graphql(CURRENT_TEAM)
    # then
    team_a = {"id": "1", "name": "Team A", "plan": {"name": "Free"}}
    team_b = {"id": "2", "name": "Team B", "plan": {"name": "Free"}}
    assert data_of(mine)["teams"] == [
        {**team_a, "role": "ADMIN", "isOwner": True, "isCurrent": True},
        {**team_b, "role": "MEMBER", "isOwner": False, "isCurrent": False},
    ]
    assert data_of(current)["currentTeam"] == {
        **team_a,
        "role": "ADMIN",
        "isOwner": True,
        "isCurrent": True,
        "stripeAccountId": None,
        "paymentTermsDays": 30,
    }
    assert data_of(await bob.graphql(TEAMS))["teams"] == [
        {**team_b, "role": "ADMIN", "isOwner": True, "isCurrent": True}
    ]
    assert data_of(await viewer.graphql(TEAMS))["teams"] == [
        {**team_a, "role": "VIEWER", "isOwner": False, "isCurrent": True}
    ]


async def test_switch_team_moves_all_of_the_users_keys_to_that_team(
    alice: Api, bob: Api, keys: KeyFactory
) -> None:
    # given
    await alice.create_invoice((await alice.create_customer())["id"], notes="A")
    await bob.create_invoice((await bob.create_customer())["id"])
    await bob.create_invoice((await bob.create_customer())["id"])
    other_key = await keys.api("alice@a.example", "Team B", role="member")
    # when
    body = await alice.graphql(SWITCH, {"teamId": "2"})
    # then
    assert data_of(body)["switchTeam"] == {
        "id": "2",
        "name": "Team B",
        "role": "MEMBER",
        "isOwner": False,
        "isCurrent": True,
        "plan": {"name": "Free"},
    }
    for api in (alice, other_key):
        listed = data_of(await api.graphql(INVOICE_NUMBERS))["invoices"]["items"]
        assert listed == [{"invoiceNumber": "INV-0002"}, {"invoiceNumber": "INV-0001"}]
        rest = await api.get("/invoices")
        assert [i["customer_id"] for i in rest.json()["data"]] == [3, 2]
        assert data_of(await api.graphql(ME))["me"]["currentTeam"] == {"name": "Team B"}
    assert [t["isCurrent"] for t in data_of(await alice.graphql(TEAMS))["teams"]] == [False, True]


@pytest.mark.parametrize("team_id", ["2", "999", "abc"])
async def test_switch_to_a_team_the_user_is_not_in_is_not_found(
    alice: Api, bob: Api, team_id: str
) -> None:
    # when
    body = await alice.graphql(SWITCH, {"teamId": team_id})
    # then
    only_error(body, "NOT_FOUND")
    assert data_of(await alice.graphql(ME))["me"]["currentTeam"] == {"name": "Team A"}


async def test_admin_connects_a_stripe_account(alice: Api) -> None:
    # when
    body = await alice.graphql(SETTINGS, {"input": {"stripeAccountId": "acct_123"}})
    # then
    assert data_of(body)["updateTeamSettings"] == {
        "name": "Team A",
        "stripeAccountId": "acct_123",
        "paymentTermsDays": 30,
    }
    assert data_of(await alice.graphql(CURRENT_TEAM))["currentTeam"]["stripeAccountId"] == (
        "acct_123"
    )


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"stripeAccountId": "sk_live_oops"}, "stripeAccountId"),
        ({"paymentTermsDays": 400}, "paymentTermsDays"),
        ({"name": ""}, "name"),
    ],
)
async def test_bad_team_settings_are_validation_errors(
    alice: Api, settings: dict[str, Any], field: str
) -> None:
    # when
    body = await alice.graphql(SETTINGS, {"input": settings})
    # then
    assert set(only_error(body, "VALIDATION_ERROR")["extensions"]["fields"]) == {field}
    team = data_of(await alice.graphql(CURRENT_TEAM))["currentTeam"]
    assert (team["name"], team["stripeAccountId"], team["paymentTermsDays"]) == ("Team A", None, 30)


@pytest.mark.parametrize("role", ["viewer", "member"])
async def test_only_an_admin_may_change_team_settings(
    alice: Api, keys: KeyFactory, role: str
) -> None:
    # given
    caller = await keys.api(f"{role}@a.example", "Team A", role=role)
    # when
    body = await caller.graphql(SETTINGS, {"input": {"stripeAccountId": "acct_123"}})
    # then
    only_error(body, "FORBIDDEN")
    assert data_of(await alice.graphql(CURRENT_TEAM))["currentTeam"]["stripeAccountId"] is None
