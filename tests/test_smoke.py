"""The reference's example requests, as written, answer in the reference's shapes."""

from __future__ import annotations

from tests.conftest import Api

CREATE_CUSTOMER = {
    "company_name": "Acme Corp",
    "contact_name": "John Doe",
    "email": "john@acme.example",
    "phone": "+1 555-0100",
}
CREATE_INVOICE = {
    "customer_id": 1,
    "issue_date": "2025-01-15",
    "due_date": "2025-02-15",
    "items": [{"description": "Web Development", "quantity": 40, "unit_price": 150}],
    "notes": "Thank you!",
}


async def test_reference_create_customer_then_invoice(alice: Api) -> None:
    # when
    customer = await alice.post("/customers", CREATE_CUSTOMER)
    invoice = await alice.post("/invoices", CREATE_INVOICE)
    # then
    assert customer.status_code == 201
    assert customer.json()["success"] is True
    assert customer.json()["message"] == "Customer created"
    assert customer.json()["data"]["id"] == 1
    assert invoice.status_code == 201, invoice.text
    body = invoice.json()
    assert body["message"] == "Invoice created"
    data = body["data"]
    assert data["invoice_number"] == "INV-0001"
    assert data["status"] == "draft"
    assert data["customer_id"] == 1
    assert data["subtotal"] == 6000.0
    assert data["tax"] == 0
    assert data["total"] == 6000.0
    assert data["issue_date"] == "2025-01-15"
    assert data["due_date"] == "2025-02-15"
    assert data["created_at"].endswith("Z")
