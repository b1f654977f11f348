"""REST /customers: list, create, get with invoices, update, soft delete (API.md §2, §3)."""

from __future__ import annotations

from typing import Any

import pytest

from invoiceflow.services import Services
from tests.conftest import Api
from tests.rest_support import data, day, error, field_errors, mark_paid, mark_partial, ok

LIST = "/customers"
ONE = "/customers/{id}"
INVOICE = "/invoices/{id}"
METHODS = ["PUT", "PATCH"]
ACME = {
    "company_name": "Acme Corp",
    "contact_name": "John Doe",
    "email": "john@acme.example",
    "phone": "+1 555-0100",
}
SEND = {"status": "sent"}
CANCEL = {"status": "cancelled"}
DELETED = {"success": True, "message": "Customer deleted"}
FUTURE = {"issue_date": day(0), "due_date": day(30)}


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


async def sent_invoice(api: Api, customer_id: int, **fields: Any) -> dict[str, Any]:
    invoice = await api.create_invoice(customer_id, **(FUTURE | fields))
    return dict(data(await api.patch(INVOICE.format(id=invoice["id"]), SEND)))


# --- list -----------------------------------------------------------------------------------


async def test_list_is_newest_first_with_meta(alice: Api) -> None:
    # given
    first = await alice.create_customer(company_name="Acme Corp")
    second = await alice.create_customer(company_name="Globex")
    # when
    body = ok(await alice.get(LIST))
    # then
    assert ids(body["data"]) == [second["id"], first["id"]]
    assert body["meta"] == {"current_page": 1, "per_page": 15, "total": 2, "last_page": 1}
    assert body["data"][1]["total_invoiced"] == 0.0


async def test_list_pages(alice: Api) -> None:
    # given
    created = [await alice.create_customer(company_name=f"Customer {n}") for n in range(5)]
    # when
    page = ok(await alice.get(LIST, params={"per_page": 2, "page": 3}))
    past = ok(await alice.get(LIST, params={"per_page": 2, "page": 4}))
    clamped = ok(await alice.get(LIST, params={"per_page": 1000}))
    # then
    assert ids(page["data"]) == [created[0]["id"]]
    assert page["meta"] == {"current_page": 3, "per_page": 2, "total": 5, "last_page": 3}
    assert past["data"] == []
    assert past["meta"] == {"current_page": 4, "per_page": 2, "total": 5, "last_page": 3}
    assert clamped["meta"] == {"current_page": 1, "per_page": 100, "total": 5, "last_page": 1}


@pytest.mark.parametrize(
    ("params", "field"), [({"per_page": 0}, "per_page"), ({"page": 0}, "page")]
)
async def test_bad_paging_is_a_422(alice: Api, params: dict[str, Any], field: str) -> None:
    # when
    response = await alice.get(LIST, params=params)
    # then
    assert list(field_errors(response)) == [field]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("globex", ["Globex"]),  # company, any case
        ("Jane", ["Initech"]),  # contact
        ("@acme.example", ["Acme Corp"]),  # email
        ("o", ["Initech", "Globex", "Acme Corp"]),
        ("Umbrella", []),
    ],
)
async def test_search_matches_company_contact_or_email(
    alice: Api, term: str, expected: list[str]
) -> None:
    # given
    await alice.create_customer(**ACME)
    await alice.create_customer(company_name="Globex", contact_name="Hank Scorpio")
    await alice.create_customer(company_name="Initech", contact_name="Jane Roe", email="j@i.test")
    # when
    body = ok(await alice.get(LIST, params={"search": term}))
    # then
    assert [c["company_name"] for c in body["data"]] == expected
    assert body["meta"]["total"] == len(expected)


async def test_the_list_shows_only_the_current_team(alice: Api, bob: Api) -> None:
    # given
    await alice.create_customer(**ACME)
    initech = await bob.create_customer(company_name="Initech")
    # when
    body = ok(await bob.get(LIST))
    # then
    assert ids(body["data"]) == [initech["id"]]
    assert body["meta"]["total"] == 1


# --- create ---------------------------------------------------------------------------------


async def test_create_answers_201_with_the_whole_customer(alice: Api) -> None:
    # when
    response = await alice.post(LIST, ACME | {"city": "Springfield", "notes": "VIP"})
    # then
    envelope = ok(response, 201)
    assert envelope["message"] == "Customer created"
    customer = envelope["data"]
    assert {k: customer[k] for k in (*ACME, "city", "notes")} == ACME | {
        "city": "Springfield",
        "notes": "VIP",
    }
    assert customer["currency"] == "USD"
    assert customer["total_invoiced"] == 0.0
    assert customer["recent_invoices"] == []
    assert customer["payments"] == []
    assert customer["address_line1"] is None
    assert data(await alice.get(ONE.format(id=customer["id"]))) == customer


async def test_a_currency_may_be_given(alice: Api) -> None:
    # when
    customer = await alice.create_customer(currency="eur")
    # then
    assert customer["currency"] == "EUR"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_name": "John Doe"}, "company_name"),
        ({"company_name": ""}, "company_name"),
        ({"company_name": "   "}, "company_name"),
        ({"company_name": None}, "company_name"),
        ({"company_name": "Acme", "email": "not-an-email"}, "email"),
        ({"company_name": "Acme", "email": "john@"}, "email"),
        ({"company_name": "Acme", "currency": "euros"}, "currency"),
    ],
)
async def test_bad_fields_are_a_422_on_the_field(
    alice: Api, body: dict[str, Any], field: str
) -> None:
    # when
    response = await alice.post(LIST, body)
    # then
    assert list(field_errors(response)) == [field]
    assert data(await alice.get(LIST)) == []


async def test_a_viewer_cannot_create(alice: Api, viewer: Api) -> None:
    # when
    response = await viewer.post(LIST, ACME)
    # then
    error(response, 403, "forbidden")
    assert data(await alice.get(LIST)) == []


# --- get ------------------------------------------------------------------------------------


async def test_get_adds_the_ten_newest_invoices(alice: Api) -> None:
    # given
    customer = await alice.create_customer(**ACME)
    other = await alice.create_customer(company_name="Globex")
    invoices = [await alice.create_invoice(customer["id"]) for _ in range(12)]
    await alice.create_invoice(other["id"])
    # when
    found = data(await alice.get(ONE.format(id=customer["id"])))
    # then
    recent = found["recent_invoices"]
    assert ids(recent) == [i["id"] for i in reversed(invoices[2:])]
    assert recent[0]["invoice_number"] == "INV-0012"
    assert (recent[0]["status"], recent[0]["total"]) == ("draft", 6000.0)


async def test_total_invoiced_counts_only_sent_partial_and_paid(
    alice: Api, services: Services
) -> None:
    # given
    customer = await alice.create_customer(**ACME)
    line = {"description": "Work", "quantity": 1}
    await alice.create_invoice(customer["id"], items=[line | {"unit_price": 1}])  # draft
    await sent_invoice(alice, customer["id"], items=[line | {"unit_price": "100.10"}])
    overdue = await alice.create_invoice(
        customer["id"], issue_date=day(-30), due_date=day(-1), items=[line | {"unit_price": 20}]
    )
    ok(await alice.patch(INVOICE.format(id=overdue["id"]), SEND))
    partial = await sent_invoice(alice, customer["id"], items=[line | {"unit_price": 300}])
    await mark_partial(services, partial, paid="50.00")
    paid = await alice.create_invoice(customer["id"], items=[line | {"unit_price": 4000}])
    await mark_paid(services, paid)
    cancelled = await sent_invoice(alice, customer["id"], items=[line | {"unit_price": 50000}])
    ok(await alice.patch(INVOICE.format(id=cancelled["id"]), CANCEL))
    removed = await alice.create_invoice(customer["id"], items=[line | {"unit_price": 700000}])
    ok(await alice.delete(INVOICE.format(id=removed["id"])))
    # when
    found = data(await alice.get(ONE.format(id=customer["id"])))
    listed = data(await alice.get(LIST))
    # then: 100.10 + 20 + 300 + 4000
    assert found["total_invoiced"] == 4420.1
    assert listed[0]["total_invoiced"] == 4420.1
    assert [i["status"] for i in found["recent_invoices"]] == [
        "cancelled",
        "paid",
        "partial",
        "overdue",
        "sent",
        "draft",
    ]


@pytest.mark.parametrize("raw_id", ["999", "abc", "-1"])
async def test_get_of_a_missing_or_malformed_id_is_404(alice: Api, raw_id: str) -> None:
    # given
    await alice.create_customer()
    # when
    response = await alice.get(f"/customers/{raw_id}")
    # then
    error(response, 404, "not_found")


async def test_another_teams_customer_is_not_found(alice: Api, bob: Api) -> None:
    # given
    customer = await alice.create_customer(**ACME)
    # when
    response = await bob.get(ONE.format(id=customer["id"]))
    # then
    error(response, 404, "not_found")


# --- update ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
async def test_an_update_changes_only_the_fields_sent(alice: Api, method: str) -> None:
    # given
    before = await alice.create_customer(**ACME)
    # when
    response = await alice.request(method, ONE.format(id=before["id"]), json={"phone": "+1 555"})
    # then
    envelope = ok(response)
    assert envelope["message"] == "Customer updated"
    after = envelope["data"]
    assert after["phone"] == "+1 555"
    assert {k for k in before if before[k] != after[k]} <= {"phone", "updated_at"}
    assert data(await alice.get(ONE.format(id=before["id"]))) == after


async def test_fields_can_be_cleared_and_renamed(alice: Api) -> None:
    # given
    before = await alice.create_customer(**ACME)
    # when
    after = data(
        await alice.patch(ONE.format(id=before["id"]), {"email": None, "company_name": "Acme Inc"})
    )
    # then
    assert (after["email"], after["company_name"]) == (None, "Acme Inc")
    assert (after["contact_name"], after["currency"]) == ("John Doe", "USD")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"company_name": ""}, "company_name"),
        ({"company_name": None}, "company_name"),
        ({"email": "nope"}, "email"),
    ],
)
async def test_a_bad_update_is_a_422(alice: Api, body: dict[str, Any], field: str) -> None:
    # given
    before = await alice.create_customer(**ACME)
    # when
    response = await alice.patch(ONE.format(id=before["id"]), body)
    # then
    assert list(field_errors(response)) == [field]
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


async def test_a_viewer_or_another_team_cannot_update(alice: Api, viewer: Api, bob: Api) -> None:
    # given
    before = await alice.create_customer(**ACME)
    # when
    by_viewer = await viewer.patch(ONE.format(id=before["id"]), {"phone": "0"})
    by_bob = await bob.put(ONE.format(id=before["id"]), {"phone": "0"})
    # then
    error(by_viewer, 403, "forbidden")
    error(by_bob, 404, "not_found")
    assert data(await alice.get(ONE.format(id=before["id"]))) == before


# --- delete ---------------------------------------------------------------------------------


async def test_delete_is_soft_and_answers_the_message(alice: Api) -> None:
    # given
    keep = await alice.create_customer(company_name="Globex")
    customer = await alice.create_customer(**ACME)
    old = await alice.create_invoice(customer["id"])
    # when
    response = await alice.delete(ONE.format(id=customer["id"]))
    # then
    assert response.status_code == 200, response.text
    assert response.json() == DELETED
    error(await alice.get(ONE.format(id=customer["id"])), 404, "not_found")
    listed = ok(await alice.get(LIST))
    assert ids(listed["data"]) == [keep["id"]]
    assert listed["meta"]["total"] == 1
    invoice = data(await alice.get(INVOICE.format(id=old["id"])))
    assert invoice["customer"]["id"] == customer["id"]
    assert invoice["customer"]["name"] == "Acme Corp"
    [summary] = data(await alice.get("/invoices"))
    assert summary["customer"] == {"id": customer["id"], "name": "Acme Corp"}
    error(await alice.delete(ONE.format(id=customer["id"])), 404, "not_found")


@pytest.mark.parametrize("kind", ["sent", "overdue", "partial"])
async def test_delete_is_refused_while_an_invoice_is_unpaid(
    alice: Api, services: Services, kind: str
) -> None:
    # given
    customer = await alice.create_customer(**ACME)
    dates = {"issue_date": day(-30), "due_date": day(-1)} if kind == "overdue" else FUTURE
    invoice = await sent_invoice(alice, customer["id"], **dates)
    if kind == "partial":
        await mark_partial(services, invoice)
    assert data(await alice.get(INVOICE.format(id=invoice["id"])))["status"] == kind
    # when
    response = await alice.delete(ONE.format(id=customer["id"]))
    # then
    error(response, 409, "invalid_state")
    assert data(await alice.get(ONE.format(id=customer["id"])))["id"] == customer["id"]


async def test_delete_succeeds_once_the_unpaid_invoices_are_cancelled(
    alice: Api, services: Services
) -> None:
    # given
    customer = await alice.create_customer(**ACME)
    first = await sent_invoice(alice, customer["id"])
    second = await sent_invoice(alice, customer["id"], issue_date=day(-30), due_date=day(-1))
    paid = await sent_invoice(alice, customer["id"])
    await mark_paid(services, paid)
    await alice.create_invoice(customer["id"])  # a draft does not block
    ok(await alice.patch(INVOICE.format(id=first["id"]), CANCEL))
    error(await alice.delete(ONE.format(id=customer["id"])), 409, "invalid_state")
    ok(await alice.patch(INVOICE.format(id=second["id"]), CANCEL))
    # when
    response = await alice.delete(ONE.format(id=customer["id"]))
    # then
    assert response.status_code == 200, response.text
    assert response.json() == DELETED
    error(await alice.get(ONE.format(id=customer["id"])), 404, "not_found")


async def test_a_viewer_or_another_team_cannot_delete(alice: Api, viewer: Api, bob: Api) -> None:
    # given
    customer = await alice.create_customer(**ACME)
    # when
    by_viewer = await viewer.delete(ONE.format(id=customer["id"]))
    by_bob = await bob.delete(ONE.format(id=customer["id"]))
    # then
    error(by_viewer, 403, "forbidden")
    error(by_bob, 404, "not_found")
    assert data(await alice.get(ONE.format(id=customer["id"])))["id"] == customer["id"]
