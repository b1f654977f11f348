"""A GraphQL page of invoices reads only the columns its selection needs: each field says
what it reads (a plain field its own column, a resolver or relation its ``reads``), and a
field that does not say makes the page read every column."""

from __future__ import annotations

import strawberry

from invoiceflow.schema.prefetch import columns_for, relation
from invoiceflow.schema.types import InvoiceType
from tests.conftest import Api, Statements

EVERY_FIELD = """
    id invoiceNumber customerId subtotal tax total amountPaid balanceDue currency issueDate
    dueDate notes paymentLinkUrl estimateId sentAt paidAt createdAt updatedAt status pdfUrl
    customer { companyName } items { description } payments { amount } emails { kind }
"""


def test_the_columns_of_a_selection() -> None:
    assert columns_for(InvoiceType, {"invoiceNumber"}) == ("id", "invoice_number")
    assert columns_for(InvoiceType, {"status", "customer", "__typename"}) == (
        "customer_id",
        "due_date",
        "id",
        "status",
    )
    assert columns_for(InvoiceType, {"items", "pdfUrl", "balanceDue"}) == ("balance_due", "id")
    assert columns_for(InvoiceType, {"noSuchField"}) is None


def test_every_invoice_field_says_what_it_reads() -> None:
    names = set(EVERY_FIELD.replace("{", " ").replace("}", " ").split())
    fields = {f.name for f in InvoiceType.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    assert len(fields) == 24
    assert columns_for(InvoiceType, names - {"companyName", "description", "amount", "kind"})


@strawberry.type
class Row:
    id: strawberry.ID
    name: str
    owner: Row | None = relation("row", "owner_id")

    @strawberry.field
    def shout(self, root: strawberry.Parent[object]) -> str:  # reads nothing it declares
        return "!"

    @strawberry.field(metadata={"reads": ("name", "title")})
    def label(self, root: strawberry.Parent[object]) -> str:
        return "?"


def test_a_field_that_does_not_say_reads_every_column() -> None:
    assert columns_for(Row, {"name", "owner", "label"}) == ("id", "name", "owner_id", "title")
    assert columns_for(Row, {"name", "shout"}) is None


async def test_a_page_reads_the_selected_columns_and_answers_as_a_full_read(
    alice: Api, statements: Statements
) -> None:
    customer = await alice.create_customer(company_name="Narrow Ltd")
    for _ in range(3):
        await alice.create_invoice(customer["id"], notes="a long note " * 50)
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    narrow = await alice.graphql(
        "{ invoices { items { __typename invoiceNumber ... on Invoice { s: status } "
        "...Due customer { companyName } } } } fragment Due on Invoice { dueDate }"
    )
    assert "errors" not in narrow
    page = next(sql for sql in statements.sql if "FROM invoices" in sql)
    head = page.split("FROM", 1)[0]
    for needed in ("invoice_number", "status", "due_date", "customer_id"):
        assert needed in head
    for unread in ("notes", "payment_link_url", "subtotal", "created_at"):
        assert unread not in head
    full = await alice.graphql(f"{{ invoices {{ items {{ {EVERY_FIELD} }} }} }}")
    assert "errors" not in full
    rows = full["data"]["invoices"]["items"]
    assert len(rows) == 3 and rows[0]["notes"].startswith("a long note")
    assert narrow["data"]["invoices"]["items"] == [
        {
            "__typename": "Invoice",
            "invoiceNumber": row["invoiceNumber"],
            "s": row["status"],
            "dueDate": row["dueDate"],
            "customer": {"companyName": "Narrow Ltd"},
        }
        for row in rows
    ]
