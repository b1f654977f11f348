"""GraphQL invoice mutations (API.md §3, §4): update, cancel, delete, roles, other teams,
and one transaction per document."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from invoiceflow.models import Invoice
from invoiceflow.services import Services
from tests.conftest import Api
from tests.test_graphql_invoices import (
    CANCEL,
    CREATE,
    DELETE,
    INVOICE,
    TIMESTAMP,
    UPDATE,
    data_of,
    error_fields,
    line,
    listed,
    new_invoice,
    numbers,
    only_error,
)

TWO_CREATES = """mutation($good: InvoiceInput!, $bad: InvoiceInput!) {
  first: createInvoice(input: $good) { id } second: createInvoice(input: $bad) { id } }"""


async def mark_paid(services: Services, invoice_id: int) -> None:
    async with services.db.write_sessions.begin() as session:
        await session.execute(
            update(Invoice)
            .where(col(Invoice.id) == invoice_id)
            .values(status="paid", amount_paid=Invoice.total, paid_at=dt.datetime.now(dt.UTC))
        )


async def test_update_invoice_changes_only_the_fields_sent(alice: Api) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    created = await alice.create_invoice(customer_id, notes="Draft notes")
    before = data_of(await alice.graphql(INVOICE, {"id": str(created["id"])}))["invoice"]
    # when
    body = await alice.graphql(UPDATE, {"id": str(created["id"]), "input": {"notes": "Final"}})
    # then
    after = data_of(body)["updateInvoice"]
    assert after["notes"] == "Final"
    assert {k: v for k, v in after.items() if k not in ("notes", "updatedAt")} == {
        k: v for k, v in before.items() if k not in ("notes", "updatedAt")
    }
    assert data_of(await alice.graphql(INVOICE, {"id": str(created["id"])}))["invoice"] == after


async def test_update_invoice_items_recomputes_totals_and_sent_stamps_sent_at(alice: Api) -> None:
    # given
    created = await alice.create_invoice((await alice.create_customer())["id"])
    change = {"items": [line(3, "33.335", taxRate=10)], "status": "SENT", "dueDate": "2025-03-01"}
    # when
    body = await alice.graphql(UPDATE, {"id": str(created["id"]), "input": change})
    # then: 3 x 33.335 = 100.005 -> 100.01, tax 10.001 -> 10.00
    invoice = data_of(body)["updateInvoice"]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("100.01", "10.00", "110.01")
    assert invoice["balanceDue"] == "110.01"
    assert [item["amount"] for item in invoice["items"]] == ["100.01"]
    assert (invoice["status"], invoice["dueDate"], invoice["issueDate"]) == (
        "OVERDUE",  # sent, and 2025-03-01 is long past
        "2025-03-01",
        "2025-01-15",
    )
    assert TIMESTAMP.fullmatch(invoice["sentAt"]), invoice


@pytest.mark.parametrize("status", ["PAID", "PARTIAL", "OVERDUE"])
async def test_update_invoice_takes_no_status_that_is_not_a_transition(
    alice: Api, status: str
) -> None:
    # given
    created = await alice.create_invoice((await alice.create_customer())["id"])
    # when
    body = await alice.graphql(UPDATE, {"id": str(created["id"]), "input": {"status": status}})
    # then
    assert set(error_fields(body)) == {"status"}
    assert (await listed(alice, status="DRAFT"))["pageInfo"]["total"] == 1


async def test_cancel_invoice_answers_the_cancelled_invoice(alice: Api) -> None:
    # given
    created = await alice.create_invoice((await alice.create_customer())["id"])
    # when
    body = await alice.graphql(CANCEL, {"id": str(created["id"])})
    # then
    assert body == {"data": {"cancelInvoice": {"id": str(created["id"]), "status": "CANCELLED"}}}
    assert await numbers(alice, status="CANCELLED") == ["INV-0001"]


@pytest.mark.parametrize("state", ["paid", "cancelled"])
async def test_paid_and_cancelled_invoices_are_final(
    alice: Api, services: Services, state: str
) -> None:
    # given
    created = await alice.create_invoice((await alice.create_customer())["id"], notes="Kept")
    if state == "paid":
        await mark_paid(services, created["id"])
    else:
        data_of(await alice.graphql(CANCEL, {"id": str(created["id"])}))
    target = str(created["id"])
    # when
    updated = await alice.graphql(UPDATE, {"id": target, "input": {"notes": "Changed"}})
    cancelled = await alice.graphql(CANCEL, {"id": target})
    # then
    only_error(updated, "INVALID_STATE")
    only_error(cancelled, "INVALID_STATE")
    invoice = data_of(await alice.graphql(INVOICE, {"id": target}))["invoice"]
    assert (invoice["status"], invoice["notes"]) == (state.upper(), "Kept")
    deleted = await alice.graphql(DELETE, {"id": target})
    if state == "paid":  # a paid invoice is kept; a cancelled one may be deleted
        only_error(deleted, "INVALID_STATE")
        assert await numbers(alice, status="PAID") == ["INV-0001"]
    else:
        assert deleted == {"data": {"deleteInvoice": target}}


async def test_delete_invoice_returns_its_id_and_hides_it(alice: Api) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    kept = await alice.create_invoice(customer_id)
    doomed = await alice.create_invoice(customer_id)
    # when
    body = await alice.graphql(DELETE, {"id": str(doomed["id"])})
    # then
    assert body == {"data": {"deleteInvoice": str(doomed["id"])}}
    assert await alice.graphql(INVOICE, {"id": str(doomed["id"])}) == {"data": {"invoice": None}}
    assert await numbers(alice) == [kept["invoice_number"]]
    assert (await alice.get(f"/invoices/{doomed['id']}")).status_code == 404


@pytest.mark.parametrize("mutation", ["update", "cancel", "delete"])
@pytest.mark.parametrize("whose", ["foreign", "missing", "malformed"])
async def test_invoice_mutations_on_an_id_not_in_the_team_are_not_found(
    alice: Api, bob: Api, mutation: str, whose: str
) -> None:
    # given
    foreign = await bob.create_invoice((await bob.create_customer())["id"], notes="Bob's")
    target = {"foreign": str(foreign["id"]), "missing": "999", "malformed": "x1"}[whose]
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "update": (UPDATE, {"id": target, "input": {"notes": "Alice's"}}),
        "cancel": (CANCEL, {"id": target}),
        "delete": (DELETE, {"id": target}),
    }
    document, variables = cases[mutation]
    # when
    body = await alice.graphql(document, variables)
    # then
    only_error(body, "NOT_FOUND")
    untouched = data_of(await bob.graphql(INVOICE, {"id": str(foreign["id"])}))["invoice"]
    assert (untouched["status"], untouched["notes"]) == ("DRAFT", "Bob's")


@pytest.mark.parametrize("mutation", ["create", "update", "cancel", "delete"])
async def test_viewer_cannot_run_any_invoice_mutation(
    alice: Api, viewer: Api, mutation: str
) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    created = await alice.create_invoice(customer_id, notes="Original")
    before = data_of(await alice.graphql(INVOICE, {"id": str(created["id"])}))["invoice"]
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "create": (CREATE, {"input": new_invoice(customer_id)}),
        "update": (UPDATE, {"id": str(created["id"]), "input": {"notes": "Viewer's"}}),
        "cancel": (CANCEL, {"id": str(created["id"])}),
        "delete": (DELETE, {"id": str(created["id"])}),
    }
    document, variables = cases[mutation]
    # when
    body = await viewer.graphql(document, variables)
    # then
    only_error(body, "FORBIDDEN")
    assert await numbers(alice) == ["INV-0001"]
    assert data_of(await alice.graphql(INVOICE, {"id": str(created["id"])}))["invoice"] == before


async def test_a_document_whose_second_mutation_fails_commits_neither(alice: Api) -> None:
    # given
    customer_id = (await alice.create_customer())["id"]
    bad = new_invoice(customer_id, items=[line(quantity=0)])
    # when
    body = await alice.graphql(TWO_CREATES, {"good": new_invoice(customer_id), "bad": bad})
    # then
    error = only_error(body, "VALIDATION_ERROR")
    assert error["path"] == ["second"]
    assert set(error["extensions"]["fields"]) == {"items.0.quantity"}
    assert (await listed(alice))["pageInfo"]["total"] == 0
    # and the rolled-back number is not lost: the next invoice is still the first
    created = await alice.graphql(CREATE, {"input": new_invoice(customer_id)})
    assert data_of(created)["createInvoice"]["invoiceNumber"] == "INV-0001"


async def test_a_failed_mutation_rolls_back_an_earlier_update_in_the_document(alice: Api) -> None:
    # given
    created = await alice.create_invoice((await alice.create_customer())["id"], notes="Before")
    document = """mutation($id: ID!) {
      updateInvoice(id: $id, input: {notes: "After"}) { id }
      cancelInvoice(id: "999") { id } }"""
    # when
    body = await alice.graphql(document, {"id": str(created["id"])})
    # then
    only_error(body, "NOT_FOUND")
    invoice = data_of(await alice.graphql(INVOICE, {"id": str(created["id"])}))["invoice"]
    assert (invoice["notes"], invoice["status"]) == ("Before", "DRAFT")


TWO_UPDATES = """mutation($id: ID!, $a: InvoiceUpdateInput!, $b: InvoiceUpdateInput!) {
  first: updateInvoice(id: $id, input: $a) { items { description } payments { id } }
  second: updateInvoice(id: $id, input: $b) { items { description } payments { id } } }"""


async def test_each_mutation_of_a_document_reads_what_the_ones_before_wrote(alice: Api) -> None:
    """Loaders (and what a create handed them) are per mutation: the second update of the
    same invoice shows its own lines, not the first's answer read again."""
    customer_id = (await alice.create_customer())["id"]
    created = await alice.create_invoice(customer_id)
    first = {"items": [{"description": "First", "quantity": "1", "unitPrice": "10"}]}
    second = {"items": [{"description": "Second", "quantity": "1", "unitPrice": "20"}]}
    body = await alice.graphql(TWO_UPDATES, {"id": str(created["id"]), "a": first, "b": second})
    answer = data_of(body)
    assert answer["first"]["items"] == [{"description": "First"}]
    assert answer["second"]["items"] == [{"description": "Second"}]
