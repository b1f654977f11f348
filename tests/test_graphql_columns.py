"""A GraphQL page of invoices reads only the columns its selection needs: each field says
what it reads (a plain field its own column, a resolver or relation its ``reads``), and a
field that does not say makes the page read every column."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import strawberry
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from invoiceflow.fast.lookahead import columns_by_loader, columns_for
from invoiceflow.schema import build_schema
from invoiceflow.schema.relations import relation
from invoiceflow.schema.types import InvoiceType
from tests.conftest import Api, Statements

pytestmark = pytest.mark.fast_paths  # these test invoiceflow/fast/ itself

EVERY_FIELD = """
    id invoiceNumber customerId subtotal tax total amountPaid balanceDue amountOverpaid
    currency issueDate dueDate notes paymentLinkUrl estimateId sentAt paidAt createdAt
    updatedAt status pdfUrl
    customer { companyName } items { description } payments { amount } emails { kind }
    events { edges { cursor } }
"""


def test_the_columns_of_a_selection() -> None:
    assert columns_for(InvoiceType, {"invoiceNumber"}) == ("invoice_number",)
    assert columns_for(InvoiceType, {"status", "customer", "__typename"}) == (
        "customer_id",
        "due_date",
        "status",
    )
    assert columns_for(InvoiceType, {"items", "pdfUrl", "balanceDue"}) == ("balance_due", "id")
    assert columns_for(InvoiceType, {"noSuchField"}) is None


def test_every_invoice_field_says_what_it_reads() -> None:
    names = set(EVERY_FIELD.replace("{", " ").replace("}", " ").split())
    fields = {f.name for f in InvoiceType.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    assert len(fields) == 26
    below = {"companyName", "description", "amount", "kind", "edges", "cursor"}
    assert columns_for(InvoiceType, names - below)


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
    assert columns_for(Row, {"name", "owner", "label"}) == ("name", "owner_id", "title")
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


# Rows read through a request's loaders (customers, lines) are shared by every field of the
# document that reaches them: their columns are what the whole document selects of the type.


def loader_columns(query: str) -> dict[str, tuple[str, ...]]:
    schema = build_schema()._schema
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    return columns_by_loader(schema, operations[0], fragments)


def test_loaders_read_what_the_whole_document_selects_of_their_type() -> None:
    assert loader_columns(
        "{ invoices { items { customer { companyName } items { description quantity } } } }"
    ) == {
        "customer": ("company_name",),
        "invoice_items": ("description", "quantity"),
    }
    # a second selection of the type, elsewhere or in a fragment, adds its fields
    columns = loader_columns(
        "query { invoices { items { items { description } } } invoice(id: 1) { ...Lines } }"
        " fragment Lines on Invoice { items { tax product { id } } customer { id } }"
    )
    assert columns == {
        "customer": ("id",),
        "invoice_items": ("description", "product_id", "tax_amount"),
    }
    assert loader_columns("{ invoices { items { id } } }") == {}  # no loader's type


@strawberry.interface
class Named:
    name: str


@strawberry.type(name="Customer")
class NamedCustomer(Named):
    id: strawberry.ID
    city: str

    @strawberry.field
    def label(self) -> str:  # says nothing about what it reads
        return "?"


@strawberry.type
class NamedQuery:
    @strawberry.field
    def first(self) -> Named:
        return NamedCustomer(id=strawberry.ID("1"), name="a", city="b")

    @strawberry.field
    def customer(self) -> NamedCustomer:
        return NamedCustomer(id=strawberry.ID("1"), name="a", city="b")


def test_an_unsaying_field_or_an_abstract_type_reads_every_column() -> None:
    schema = strawberry.Schema(query=NamedQuery, types=[NamedCustomer])._schema

    def columns(query: str) -> dict[str, tuple[str, ...]]:
        (operation,) = parse(query).definitions
        return columns_by_loader(schema, operation, [])  # type: ignore[arg-type]

    assert columns("{ customer { city } }") == {"customer": ("city",)}
    assert columns("{ customer { city label } }") == {}
    assert columns("{ customer { city } first { name } }") == {}  # Named: any type's name


async def test_loaded_rows_read_the_documents_columns_and_answer_as_full_ones(
    alice: Api, statements: Statements
) -> None:
    customer = await alice.create_customer(company_name="Lines Ltd", notes="n" * 500)
    created = await alice.create_invoice(
        customer["id"],
        items=[
            {"description": "Design", "quantity": 3, "unit_price": "150", "tax_rate": 10},
            {"description": "Build", "quantity": "2.5", "unit_price": "99.99"},
        ],
    )
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    narrow = await alice.graphql(
        "{ invoices { items { customer { companyName } items { description quantity } } } }"
    )
    assert "errors" not in narrow
    heads = [sql.split("FROM", 1)[0] for sql in statements.sql]
    lines = next(head for head in heads if "invoice_items." in head)
    assert "quantity" in lines and "tax_amount" not in lines and "unit_price" not in lines
    # a read always carries the row's id, and the key it groups lines by
    assert "invoice_items.id" in lines and "invoice_items.invoice_id" in lines
    # the page's customers come with the page, in its statement
    assert not [head for head in heads if "customers." in head]
    page = next(head for head in heads if "joined_customer." in head)
    assert "joined_customer.company_name" in page and "joined_customer.notes" not in page
    # one document, two selections of lines: the rows carry what both read
    both = await alice.graphql(
        "{ invoices { items { items { description } } }"
        f' invoice(id: "{created["id"]}") {{ items {{ description unitPrice tax amount }} }} }}'
    )
    assert "errors" not in both
    assert both["data"]["invoice"]["items"] == [
        {"description": "Design", "unitPrice": "150.0000", "tax": "45.00", "amount": "450.00"},
        {"description": "Build", "unitPrice": "99.9900", "tax": "0.00", "amount": "249.98"},
    ]
    assert narrow["data"]["invoices"]["items"] == [
        {
            "customer": {"companyName": "Lines Ltd"},
            "items": [
                {"description": "Design", "quantity": "3.0000"},
                {"description": "Build", "quantity": "2.5000"},
            ],
        }
    ]


async def test_a_pages_joined_customers_carry_what_the_whole_document_reads(
    alice: Api, statements: Statements
) -> None:
    """The customers read with a page answer every field of the document that reaches
    them (one loader's rows): here a second root field asks the same customer, through
    its invoice, for more columns."""
    customer = await alice.create_customer(
        company_name="Joined Ltd", email="billing@joined.example", notes="n" * 300
    )
    invoice = await alice.create_invoice(customer["id"])
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    statements.sql.clear()
    answer = await alice.graphql(
        "{ invoices { items { customer { companyName } } }"
        f' invoice(id: "{invoice["id"]}") {{ customer {{ id email notes }} }} }}'
    )
    assert "errors" not in answer
    assert answer["data"] == {
        "invoices": {"items": [{"customer": {"companyName": "Joined Ltd"}}]},
        "invoice": {
            "customer": {
                "id": str(customer["id"]),
                "email": "billing@joined.example",
                "notes": "n" * 300,
            }
        },
    }
    page = next(sql for sql in statements.sql if "joined_customer." in sql).split("FROM", 1)[0]
    for column in ("company_name", "email", "notes"):
        assert f"joined_customer.{column}" in page
    assert "joined_customer.phone" not in page


def test_a_types_relations_are_its_relation_fields() -> None:
    """prime loads what a type's relation fields name: no second list of them to keep."""
    from invoiceflow.fast.lookahead import _relations_of
    from invoiceflow.schema.estimate_types import EstimateType

    invoice = _relations_of(InvoiceType.__strawberry_definition__)  # type: ignore[attr-defined]
    assert {name: loader for name, (loader, _) in invoice.items()} == {
        "customer": "customer",
        "items": "invoice_items",
    }
    row = SimpleNamespace(id=7, customer_id=3)
    assert invoice["customer"][1](row) == 3 and invoice["items"][1](row) == 7
    estimate = _relations_of(EstimateType.__strawberry_definition__)  # type: ignore[attr-defined]
    assert set(estimate) == {"customer", "items", "convertedInvoice"}


async def test_each_document_and_alias_gets_its_own_look_ahead(
    alice: Api, statements: Statements
) -> None:
    """What a root field's selection asks for is worked out once per document and field, and
    never lent to another: documents that differ, and aliases of one field, each read what
    their own selection needs, on every request."""
    customer = await alice.create_customer(company_name="Look Ahead Ltd")
    await alice.create_invoice(customer["id"], notes="noted")
    bare = "{ invoices { items { invoiceNumber } } }"
    rich = "{ invoices { items { notes customer { companyName } } pageInfo { total } } }"
    both = "{ a: invoices { items { invoiceNumber } } b: invoices { items { notes } } }"
    await alice.get("/teams/current")  # warm: the key's last-use refresh is not counted
    for _ in range(2):
        for query in (bare, rich, both):
            statements.sql.clear()
            body = await alice.graphql(query)
            assert "errors" not in body, body
            pages = [s.split("FROM", 1)[0] for s in statements.sql if "FROM invoices" in s]
            if query is bare:
                assert body["data"]["invoices"]["items"][0]["invoiceNumber"] == "INV-0001"
                assert len(pages) == 1 and "notes" not in pages[0] and "count" not in pages[0]
                assert not any("FROM customers" in s for s in statements.sql)
            elif query is rich:
                assert body["data"]["invoices"]["pageInfo"]["total"] == 1
                assert body["data"]["invoices"]["items"][0]["customer"] == {
                    "companyName": "Look Ahead Ltd"
                }
                assert len(pages) == 1 and "notes" in pages[0]
                assert "invoice_number" not in pages[0]
            else:
                assert body["data"] == {
                    "a": {"items": [{"invoiceNumber": "INV-0001"}]},
                    "b": {"items": [{"notes": "noted"}]},
                }
                assert len(pages) == 2
                assert "notes" not in pages[0] and "invoice_number" in pages[0]
                assert "notes" in pages[1] and "invoice_number" not in pages[1]
