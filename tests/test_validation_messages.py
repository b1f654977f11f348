"""Validation messages are the project's own sentences (API.md §2), never a library's raw text:
each 422 below names its field with words of ours, whatever pydantic found wrong."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Api
from tests.rest_support import field_errors

# pydantic's own phrasing, and its prefixes: none may reach a client.
LIBRARY_WORDS = re.compile(r"should|Input |Value error|Field required|String |List |Decimal ")
LINE = {"description": "X", "quantity": 1, "unit_price": 5}


def cases(customer_id: int) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, the field it must name)."""
    invoice = {"customer_id": customer_id, "items": [LINE]}
    return [
        ("POST", "/invoices", {**invoice, "items": []}, "items"),
        ("POST", "/invoices", {**invoice, "items": [LINE] * 501}, "items"),
        ("POST", "/invoices", {**invoice, "notes": "n" * 10_001}, "notes"),
        ("POST", "/invoices", {**invoice, "status": "paid"}, "status"),
        ("POST", "/invoices", {**invoice, "customer_id": "abc"}, "customer_id"),
        ("POST", "/invoices", {**invoice, "customer_id": 2**40}, "customer_id"),
        ("POST", "/invoices", {**invoice, "items": [{**LINE, "description": ""}]},
         "items.0.description"),
        ("POST", "/invoices", {**invoice, "items": [{**LINE, "quantity": -1}]}, "items.0.quantity"),
        ("POST", "/invoices", {**invoice, "items": [{**LINE, "tax_rate": 101}]},
         "items.0.tax_rate"),
        ("POST", "/invoices", {**invoice, "items": ["a line"]}, "items.0"),
        ("POST", "/invoices", {**invoice, "items": {"a": 1}}, "items"),
        ("PATCH", "/invoices/{invoice}", {"status": "paid"}, "status"),
        ("PATCH", "/invoices/{invoice}", {"status": "draft"}, "status"),
        ("POST", "/customers", {"company_name": ""}, "company_name"),
        ("POST", "/customers", {"company_name": "   "}, "company_name"),
        ("POST", "/customers", {"company_name": "x" * 300}, "company_name"),
        ("POST", "/customers", {"company_name": ["a"]}, "company_name"),
        ("POST", "/products", {"name": "P", "price": 1, "type": "thing"}, "type"),
        ("POST", "/products", {"name": "P", "price": "abc"}, "price"),
        ("POST", "/invoices/{invoice}/payments", {"amount": 1, "method": "gold"}, "method"),
        ("POST", "/invoices/{invoice}/payments", {"amount": 0}, "amount"),
        ("POST", "/estimates", {"customer_id": customer_id, "items": [LINE], "status": "sent"},
         "status"),
    ]  # fmt: skip


async def test_every_validation_message_is_in_our_words(alice: Api) -> None:
    # given: a customer and a sent invoice
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"])
    sent = await alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"})
    assert sent.status_code == 200, sent.text
    for method, path, body, field in cases(customer["id"]):
        # when
        response = await alice.request(method, path.format(invoice=invoice["id"]), json=body)
        # then
        errors = field_errors(response)
        assert field in errors, (path, body, errors)
        for message in errors[field]:
            assert not LIBRARY_WORDS.search(message), (path, field, message)
            assert message.endswith("."), (path, field, message)


async def test_back_to_draft_is_a_422_on_status(alice: Api) -> None:
    # given
    customer = await alice.create_customer()
    invoice = await alice.create_invoice(customer["id"], due_date="9999-01-01")
    assert (await alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"})).status_code == 200
    # when
    response = await alice.patch(f"/invoices/{invoice['id']}", {"status": "draft"})
    # then: no transition names it (API.md §2), where a state that forbids a move is a 409
    assert set(field_errors(response)) == {"status"}
    assert (await alice.get(f"/invoices/{invoice['id']}")).json()["data"]["status"] == "sent"
