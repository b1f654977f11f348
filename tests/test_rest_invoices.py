"""REST /invoices: list (filters, search, paging), get and delete (API.md §2, §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from invoiceflow.resolvers.invoices import effective_status
from invoiceflow.rest_compat.shapes.invoices import INVOICE_SUMMARY
from invoiceflow.services import Services
from tests.conftest import Api, Statements
from tests.rest_support import (
    data,
    day,
    error,
    field_errors,
    force_invoice,
    mark_paid,
    mark_partial,
    ok,
)

LIST = "/invoices"
ONE = "/invoices/{id}"
SEND = {"status": "sent"}
CANCEL = {"status": "cancelled"}
DELETED = {"success": True, "message": "Invoice deleted"}


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


async def invoices_of(api: Api, customer_id: int, count: int) -> list[dict[str, Any]]:
    return [await api.create_invoice(customer_id) for _ in range(count)]


# --- list: order and paging -----------------------------------------------------------------


async def test_list_is_newest_first_with_true_meta(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    created = await invoices_of(alice, customer["id"], 3)
    # when
    body = ok(await alice.get(LIST))
    # then
    assert ids(body["data"]) == [created[2]["id"], created[1]["id"], created[0]["id"]]
    assert [i["invoice_number"] for i in body["data"]] == ["INV-0003", "INV-0002", "INV-0001"]
    assert body["meta"] == {"current_page": 1, "per_page": 15, "total": 3, "last_page": 1}


async def test_list_summary_has_the_reference_fields(alice: Api) -> None:
    # given
    customer = await alice.create_customer(company_name="Globex")
    invoice = await alice.create_invoice(customer["id"])
    # when
    [summary] = data(await alice.get(LIST))
    # then
    assert summary["id"] == invoice["id"]
    assert summary["invoice_number"] == "INV-0001"
    assert summary["status"] == "draft"
    assert summary["customer"] == {"id": customer["id"], "name": "Globex"}
    assert summary["total"] == 6000.0
    assert summary["currency"] == "USD"
    assert summary["due_date"] == "2025-02-15"


async def test_list_pages_by_15_by_default(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    created = await invoices_of(alice, customer["id"], 16)
    # when
    first = ok(await alice.get(LIST))
    second = ok(await alice.get(LIST, params={"page": 2}))
    # then
    assert ids(first["data"]) == [i["id"] for i in reversed(created[1:])]
    assert first["meta"] == {"current_page": 1, "per_page": 15, "total": 16, "last_page": 2}
    assert ids(second["data"]) == [created[0]["id"]]
    assert second["meta"] == {"current_page": 2, "per_page": 15, "total": 16, "last_page": 2}


async def test_per_page_is_honoured(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    created = await invoices_of(alice, customer["id"], 5)
    # when
    body = ok(await alice.get(LIST, params={"per_page": 2, "page": 2}))
    # then
    assert ids(body["data"]) == [created[2]["id"], created[1]["id"]]
    assert body["meta"] == {"current_page": 2, "per_page": 2, "total": 5, "last_page": 3}


@pytest.mark.parametrize(
    "per_page", ["500", "2147483648", "9223372036854775808", "9" * 40, "1000.0"]
)
async def test_per_page_above_100_is_clamped_to_100(alice: Api, per_page: str) -> None:
    # given
    customer = await alice.create_customer()
    await invoices_of(alice, customer["id"], 2)
    # when: any size at all, one too large for the database's integers included (API.md §2)
    body = ok(await alice.get(LIST, params={"per_page": per_page}))
    # then
    assert len(body["data"]) == 2
    assert body["meta"] == {"current_page": 1, "per_page": 100, "total": 2, "last_page": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": -5}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "first"}, "page"),
    ],
)
async def test_bad_paging_is_a_422_on_the_parameter(
    alice: Api, params: dict[str, Any], field: str
) -> None:
    # when
    response = await alice.get(LIST, params=params)
    # then
    assert list(field_errors(response)) == [field]


async def test_a_page_past_the_last_is_empty_with_true_meta(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    await invoices_of(alice, customer["id"], 3)
    # when
    body = ok(await alice.get(LIST, params={"page": 5, "per_page": 2}))
    # then
    assert body["data"] == []
    assert body["meta"] == {"current_page": 5, "per_page": 2, "total": 3, "last_page": 2}


async def test_an_empty_list_has_one_empty_page(alice: Api) -> None:
    # when
    body = ok(await alice.get(LIST))
    # then
    assert body["data"] == []
    assert body["meta"] == {"current_page": 1, "per_page": 15, "total": 0, "last_page": 1}


# --- list: filters --------------------------------------------------------------------------


async def test_status_filter_derives_overdue_from_the_due_date(
    alice: Api, services: Services
) -> None:
    # given: one invoice of each kind; "overdue" is sent/partial with due_date before today (UTC)
    customer = await alice.create_customer()
    cid = customer["id"]
    draft = await alice.create_invoice(cid, issue_date=day(-40), due_date=day(-10))
    sent = await alice.create_invoice(cid, issue_date=day(-5), due_date=day(10))
    due_today = await alice.create_invoice(cid, issue_date=day(-5), due_date=day(0))
    late = await alice.create_invoice(cid, issue_date=day(-40), due_date=day(-1))
    partial = await alice.create_invoice(cid, issue_date=day(-5), due_date=day(3))
    late_partial = await alice.create_invoice(cid, issue_date=day(-40), due_date=day(-2))
    paid = await alice.create_invoice(cid, issue_date=day(-40), due_date=day(-3))
    cancelled = await alice.create_invoice(cid, issue_date=day(-40), due_date=day(-4))
    for invoice in (sent, due_today, late, partial, late_partial, paid, cancelled):
        ok(await alice.patch(ONE.format(id=invoice["id"]), SEND))
    ok(await alice.patch(ONE.format(id=cancelled["id"]), CANCEL))
    await mark_partial(services, partial)
    await mark_partial(services, late_partial)
    await mark_paid(services, paid)

    async def listed(status: str) -> list[tuple[int, str]]:
        items = data(await alice.get(LIST, params={"status": status}))
        return [(item["id"], item["status"]) for item in items]

    # when / then
    assert await listed("draft") == [(draft["id"], "draft")]
    assert await listed("sent") == [(due_today["id"], "sent"), (sent["id"], "sent")]
    assert await listed("overdue") == [
        (late_partial["id"], "overdue"),
        (late["id"], "overdue"),
    ]
    assert await listed("partial") == [(partial["id"], "partial")]
    assert await listed("paid") == [(paid["id"], "paid")]
    assert await listed("cancelled") == [(cancelled["id"], "cancelled")]
    everything = data(await alice.get(LIST))
    assert {i["id"]: i["status"] for i in everything}[late["id"]] == "overdue"
    assert len(everything) == 8


async def test_an_unknown_status_filter_is_a_422_on_status(alice: Api) -> None:
    # when
    response = await alice.get(LIST, params={"status": "lost"})
    # then
    assert list(field_errors(response)) == ["status"]


async def test_search_matches_the_invoice_number(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    created = await invoices_of(alice, customer["id"], 3)
    # when
    body = ok(await alice.get(LIST, params={"search": "INV-0002"}))
    # then
    assert ids(body["data"]) == [created[1]["id"]]
    assert body["meta"] == {"current_page": 1, "per_page": 15, "total": 1, "last_page": 1}


async def test_search_matches_the_customer_name_ignoring_case(alice: Api) -> None:
    # given
    acme = await alice.create_customer(company_name="Acme Corp")
    globex = await alice.create_customer(company_name="Globex Industries")
    first = await alice.create_invoice(acme["id"])
    await alice.create_invoice(globex["id"])
    third = await alice.create_invoice(acme["id"])
    # when
    found = data(await alice.get(LIST, params={"search": "aCmE"}))
    missing = ok(await alice.get(LIST, params={"search": "Initech"}))
    wildcard = data(await alice.get(LIST, params={"search": "%"}))
    # then
    assert ids(found) == [third["id"], first["id"]]
    assert missing["data"] == []
    assert missing["meta"]["total"] == 0
    assert wildcard == []  # a LIKE wildcard in the term is matched literally


async def test_search_pages_filters_and_sorts_like_a_plain_list(alice: Api) -> None:
    """Search reads its matches apart (a union of ids): its pages, totals, filters, sorts and
    deleted rows must still agree with the plain list's."""
    # given: 7 Acme invoices (one deleted, one sent), 2 of another customer, INV-0010 by number
    acme = await alice.create_customer(company_name="Acme Corp")
    other = await alice.create_customer(company_name="Globex")
    mine = [await alice.create_invoice(acme["id"]) for _ in range(7)]
    await alice.create_invoice(other["id"])
    await alice.create_invoice(other["id"])
    by_number = await alice.create_invoice(other["id"])
    assert by_number["invoice_number"] == "INV-0010"
    ok(await alice.delete(f"{LIST}/{mine[0]['id']}"))
    ok(await alice.put(f"{LIST}/{mine[1]['id']}", {"status": "sent"}))
    newest_first = [m["id"] for m in reversed(mine[1:])]
    # when
    page_1 = ok(await alice.get(LIST, params={"search": "acme", "per_page": 4}))
    page_2 = ok(await alice.get(LIST, params={"search": "acme", "per_page": 4, "page": 2}))
    drafts = ok(await alice.get(LIST, params={"search": "acme", "status": "draft"}))
    oldest = ok(await alice.get(LIST, params={"search": "acme", "sort": "id"}))
    either = ok(await alice.get(LIST, params={"search": "0010", "per_page": 1}))
    # then
    assert ids(page_1["data"]) + ids(page_2["data"]) == newest_first
    assert page_1["meta"] == {"current_page": 1, "per_page": 4, "total": 6, "last_page": 2}
    assert page_2["meta"]["total"] == 6
    assert ids(drafts["data"]) == newest_first[:-1]  # mine[1] was sent
    assert drafts["meta"]["total"] == 5
    assert ids(oldest["data"]) == list(reversed(newest_first))
    assert ids(either["data"]) == [by_number["id"]] and either["meta"]["total"] == 1


async def test_customer_id_filter(alice: Api) -> None:
    # given
    acme = await alice.create_customer(company_name="Acme Corp")
    globex = await alice.create_customer(company_name="Globex")
    await alice.create_invoice(acme["id"])
    mine = await alice.create_invoice(globex["id"])
    await alice.create_invoice(acme["id"])
    # when
    body = ok(await alice.get(LIST, params={"customer_id": globex["id"]}))
    # then
    assert ids(body["data"]) == [mine["id"]]
    assert body["meta"]["total"] == 1


async def test_a_non_numeric_customer_id_filter_is_a_422(alice: Api) -> None:
    # when
    response = await alice.get(LIST, params={"customer_id": "acme"})
    # then
    assert list(field_errors(response)) == ["customer_id"]


async def test_the_list_shows_only_the_current_team(alice: Api, bob: Api) -> None:
    # given
    acme = await alice.create_customer()
    await invoices_of(alice, acme["id"], 2)
    initech = await bob.create_customer(company_name="Initech")
    bobs = await bob.create_invoice(initech["id"])
    # when
    body = ok(await bob.get(LIST))
    by_alices_customer = ok(await bob.get(LIST, params={"customer_id": acme["id"]}))
    # then
    assert ids(body["data"]) == [bobs["id"]]
    assert body["meta"]["total"] == 1
    assert by_alices_customer["data"] == []


# --- get ------------------------------------------------------------------------------------


async def test_get_answers_the_whole_invoice(alice: Api) -> None:
    # given
    customer = await alice.create_customer(contact_name="John Doe", email="john@acme.example")
    created = await alice.create_invoice(customer["id"], notes="Thank you!")
    # when
    invoice = data(await alice.get(ONE.format(id=created["id"])))
    # then
    assert invoice == created
    assert invoice["customer"] == {
        "id": customer["id"],
        "name": "Acme Corp",
        "company_name": "Acme Corp",
        "contact_name": "John Doe",
        "email": "john@acme.example",
    }
    assert [line["description"] for line in invoice["items"]] == ["Web Development"]
    assert invoice["notes"] == "Thank you!"


@pytest.mark.parametrize("raw_id", ["999", "abc", "-1", "1.5", "1e3", "99999999999999999999"])
async def test_get_of_a_missing_or_malformed_id_is_404(alice: Api, raw_id: str) -> None:
    # given
    customer = await alice.create_customer()
    await alice.create_invoice(customer["id"])
    # when
    response = await alice.get(f"/invoices/{raw_id}")
    # then
    error(response, 404, "not_found")


async def test_another_teams_invoice_is_not_found(alice: Api, bob: Api) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    # when
    response = await bob.get(ONE.format(id=invoice["id"]))
    # then
    assert response.json() == (await bob.get("/invoices/999")).json()
    error(response, 404, "not_found")


# --- delete ---------------------------------------------------------------------------------


async def test_delete_answers_the_message_then_the_invoice_is_gone(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    keep = await alice.create_invoice(customer["id"])
    gone = await alice.create_invoice(customer["id"])
    # when
    response = await alice.delete(ONE.format(id=gone["id"]))
    # then
    assert response.status_code == 200, response.text
    assert response.json() == DELETED
    error(await alice.get(ONE.format(id=gone["id"])), 404, "not_found")
    body = ok(await alice.get(LIST))
    assert ids(body["data"]) == [keep["id"]]
    assert body["meta"]["total"] == 1
    error(await alice.delete(ONE.format(id=gone["id"])), 404, "not_found")


async def test_a_deleted_number_is_never_reused(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    await invoices_of(alice, customer["id"], 2)
    last = await alice.create_invoice(customer["id"])
    ok(await alice.delete(ONE.format(id=last["id"])))
    # when
    after = await alice.create_invoice(customer["id"])
    # then
    assert last["invoice_number"] == "INV-0003"
    assert after["invoice_number"] == "INV-0004"


async def test_a_paid_invoice_cannot_be_deleted(alice: Api, services: Services) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    await mark_paid(services, invoice)
    # when
    response = await alice.delete(ONE.format(id=invoice["id"]))
    # then
    error(response, 409, "invalid_state")
    assert data(await alice.get(ONE.format(id=invoice["id"])))["status"] == "paid"


async def test_a_cancelled_invoice_can_be_deleted(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    ok(await alice.patch(ONE.format(id=invoice["id"]), CANCEL))
    # when
    response = await alice.delete(ONE.format(id=invoice["id"]))
    # then
    assert response.status_code == 200, response.text
    assert response.json() == DELETED


async def test_a_viewer_cannot_delete(alice: Api, viewer: Api) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    # when
    response = await viewer.delete(ONE.format(id=invoice["id"]))
    # then
    error(response, 403, "forbidden")
    assert data(await alice.get(ONE.format(id=invoice["id"])))["id"] == invoice["id"]


async def test_another_team_cannot_delete(alice: Api, bob: Api) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    # when
    response = await bob.delete(ONE.format(id=invoice["id"]))
    # then
    error(response, 404, "not_found")
    assert data(await alice.get(ONE.format(id=invoice["id"])))["id"] == invoice["id"]


@pytest.mark.fast_paths  # with them off, every column is read (invoiceflow/fast/reads.py)
async def test_the_list_reads_only_the_columns_it_answers_with(
    alice: Api, statements: Statements
) -> None:
    # given
    customer = await alice.create_customer(company_name="Columns Ltd")
    created = await alice.create_invoice(customer["id"], notes="a long note " * 40)
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    # when (a query parameter of the same name changes nothing)
    body = ok(await alice.get(f"{LIST}?columns=notes"))
    listed = list(statements.sql)
    # then
    (row,) = body["data"]
    one = ok(await alice.get(ONE.format(id=created["id"])))["data"]
    assert {key: row[key] for key in row if key != "customer"} == {
        key: one[key] for key in row if key != "customer"
    }
    assert row["customer"] == {"id": customer["id"], "name": "Columns Ltd"}
    # the key, then the page with its customers joined: no statement of its own for them
    (page,) = [sql for sql in listed if "FROM invoices" in sql]
    assert not [sql for sql in listed if "FROM customers" in sql.split("JOIN", 1)[0]]
    head = page.split("FROM", 1)[0]
    assert "invoice_number" in head and "due_date" in head
    assert "notes" not in head and "payment_link_url" not in head and "updated_at" not in head
    assert "joined_customer.company_name" in head and "joined_customer.email" not in head
    document = (await alice.http.get("/api/v1/openapi.json")).json()
    parameters = document["paths"]["/api/v1/invoices"]["get"]["parameters"]
    assert "columns" not in {parameter["name"] for parameter in parameters}


async def test_the_customers_read_with_invoices_are_the_teams_deleted_ones_included(
    alice: Api, bob: Api, services: Services
) -> None:
    """The page reads its customers in its own statement: a deleted customer still shows on
    its invoices, and a customer of another team never does (the join is scoped to the
    team, like the loader's read)."""
    # given
    kept = await alice.create_customer(company_name="Kept Ltd")
    gone = await alice.create_customer(company_name="Gone Ltd")
    stray = await alice.create_customer(company_name="Stray Ltd")
    foreign = await bob.create_customer(company_name="Bob's Secret Client")
    on_kept = await alice.create_invoice(kept["id"])
    on_gone = await alice.create_invoice(gone["id"])
    on_stray = await alice.create_invoice(stray["id"])
    ok(await alice.patch(ONE.format(id=on_gone["id"]), {"status": "sent"}))
    await mark_paid(services, on_gone)  # a customer with an unpaid invoice cannot be deleted
    assert (await alice.delete(f"/customers/{gone['id']}")).status_code == 200
    await force_invoice(services, on_stray["id"], customer_id=foreign["id"])  # no API can
    # when
    rows = {row["id"]: row for row in ok(await alice.get(LIST))["data"]}
    # then
    assert rows[on_kept["id"]]["customer"] == {"id": kept["id"], "name": "Kept Ltd"}
    assert rows[on_gone["id"]]["customer"] == {"id": gone["id"], "name": "Gone Ltd"}
    assert rows[on_stray["id"]]["customer"] is None
    assert "Secret" not in str(rows)
    # and shown one by one, which reads the customer with the invoice too
    gone_one = ok(await alice.get(ONE.format(id=on_gone["id"])))["data"]
    assert gone_one["customer"]["company_name"] == "Gone Ltd"
    stray_one = ok(await alice.get(ONE.format(id=on_stray["id"])))["data"]
    assert stray_one["customer"] is None and "Secret" not in str(stray_one)


async def test_the_lists_amounts_are_the_nearest_floats_of_the_exact_ones(
    alice: Api, services: Services
) -> None:
    """The list reads its amounts as floats computed by the database: each is the float
    nearest the exact amount, as the GraphQL API states it and as GET shows it."""
    # given: amounts no binary fraction holds, a rounded tax, a large total, a part payment
    customer = await alice.create_customer()
    lines = [
        [{"description": "a", "quantity": 3, "unit_price": "0.1"}],
        [{"description": "b", "quantity": "0.3333", "unit_price": "33.33", "tax_rate": "7.25"}],
        [{"description": "c", "quantity": 1, "unit_price": "999999999999.99"}] * 9,
        [{"description": "d", "quantity": "2.5", "unit_price": "99.99", "tax_rate": 10}],
    ]
    made = [await alice.create_invoice(customer["id"], items=items) for items in lines]
    ok(await alice.patch(ONE.format(id=made[3]["id"]), {"status": "sent"}))
    await mark_partial(services, made[3], paid="0.07")
    # when
    listed = ok(await alice.get(LIST))["data"]
    exact = await alice.graphql(
        "{ invoices { items { id subtotal tax total amountPaid balanceDue } } }"
    )
    # then
    by_id = {int(row["id"]): row for row in exact["data"]["invoices"]["items"]}
    fields = {
        "subtotal": "subtotal",
        "tax": "tax",
        "total": "total",
        "amount_paid": "amountPaid",
        "balance_due": "balanceDue",
    }
    for row in listed:
        one = ok(await alice.get(ONE.format(id=row["id"])))["data"]
        for name, graphql_name in fields.items():
            assert row[name] == float(Decimal(by_id[row["id"]][graphql_name])), (row, name)
            assert row[name] == one[name]
    assert 8999999999999.91 in {row["total"] for row in listed}
    assert len({row["amount_paid"] for row in listed}) == 2  # the part payment is there


def test_a_summary_carries_every_field_and_the_status_clients_see() -> None:
    def row(due: date) -> Any:
        return SimpleNamespace(
            id=1,
            invoice_number="INV-0001",
            status="sent",
            customer_id=2,
            subtotal=Decimal("10.00"),
            tax=Decimal("0.00"),
            total=Decimal("10.00"),
            amount_paid=Decimal("0.00"),
            balance_due=Decimal("10.00"),
            currency="USD",
            issue_date=date(2000, 1, 1),
            due_date=due,
            created_at=datetime(2000, 1, 1, tzinfo=UTC),
        )

    def summary(row: Any) -> dict[str, Any]:
        return INVOICE_SUMMARY.build(row, status=effective_status(row), customer=None)

    before = summary(row(date(2999, 1, 1)))
    after = summary(row(date(2000, 1, 10)))
    assert before["status"] == "sent" and after["status"] == "overdue"
    assert after["balance_due"] == 10.0 and set(after) == set(INVOICE_SUMMARY.typed.__annotations__)
