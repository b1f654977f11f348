"""REST objects are written once, as lists of keys (rest_compat/shapes/fields.py): their
schema, the columns they read and how they are built follow, and a column added to a model
shows in the detail of its entity with no other edit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, ClassVar, get_type_hints

from sqlmodel import SQLModel
from strawberry.utils.str_converters import to_camel_case

from invoiceflow.fast import shapes as fast_shapes
from invoiceflow.models import Invoice
from invoiceflow.models.shown import shown
from invoiceflow.rest_compat.routes import ROUTES
from invoiceflow.rest_compat.shapes import common, fields
from invoiceflow.rest_compat.shapes import invoices as invoice_shapes
from invoiceflow.rest_compat.shapes.fields import Many, Shape, columns, given, rest_of


class Widget(SQLModel):
    """A model as a new entity, or an entity with a column just added, would be."""

    PRIVATE: ClassVar = ("team_id",)

    id: int | None = None
    team_id: int
    name: str
    price: Decimal
    discount: Decimal | None = None
    made_on: dt.date


_NAMED = columns(Widget, "id", title="name")
WIDGET = Shape("WidgetOut", _NAMED, given("parts", Many(common.PAYMENT)), rest_of(Widget, _NAMED))


def a_widget(discount: Decimal | None) -> Any:
    return SimpleNamespace(
        id=3,
        team_id=1,
        name="Gear",
        price=Decimal("2.50"),
        discount=discount,
        made_on=dt.date(2026, 1, 2),
    )


def test_a_shape_follows_from_its_keys_and_its_model() -> None:
    assert [key.name for key in WIDGET.keys] == [
        "id",
        "title",
        "parts",
        "price",
        "discount",
        "made_on",
    ]
    assert WIDGET.reads == ("id", "name", "price", "discount", "made_on")  # team_id: private
    hints = get_type_hints(WIDGET.typed)
    assert hints["price"] is float and hints["discount"] == float | None
    assert hints["made_on"] is dt.date and hints["title"] is str
    assert WIDGET.build(a_widget(None), parts=[]) == {
        "id": 3,
        "title": "Gear",
        "parts": [],
        "price": 2.5,
        "discount": None,
        "made_on": dt.date(2026, 1, 2),
    }


def test_the_written_out_builder_and_the_loop_answer_alike() -> None:
    """fast/shapes.py writes each builder out as a dict display; with the fast paths off it
    loops over the keys. Both answer the same object, key for key and in order."""
    for discount in (None, Decimal("0.10")):
        compiled = fast_shapes.builder(WIDGET.keys)(a_widget(discount), parts=[1])
        looped = fast_shapes._looping(WIDGET.keys)(a_widget(discount), parts=[1])
        assert list(compiled.items()) == list(looped.items())


def test_an_invoice_detail_shows_every_column_the_invoice_shows() -> None:
    detail = {key.attribute or key.name for key in invoice_shapes.INVOICE_DETAIL.keys}
    assert {attribute.name for attribute in shown(Invoice)} <= detail
    assert not {"team_id", "number", "deleted_at"} & detail


def test_a_list_route_reads_what_its_shape_prints() -> None:
    (route,) = [r for r in ROUTES if r.method == "GET" and r.path == "/invoices"]
    summary, ref = invoice_shapes.INVOICE_SUMMARY, common.CUSTOMER_REF
    assert route.reads.columns == {
        "invoices": summary.reads,
        "invoices.customer": ref.reads,
        "customer": ref.reads,
    }
    assert route.reads.as_floats == frozenset({"invoices"})
    assert "notes" not in summary.reads and "status" in summary.reads  # status reads it
    assert ref.reads == ("id", "company_name")


def test_every_answer_of_the_table_is_declared_with_its_shape() -> None:
    for route in ROUTES:
        if route.shape is not None and route.tag != "Teams":
            assert isinstance(route.shape, fields.Answer), route.path


def test_a_graphql_type_shows_what_its_model_shows() -> None:
    """schema/entities.py: each shown column is a field, an id as ID, a nullable column
    nullable; the class's own fields (an enum, a relation) win over the column."""
    from invoiceflow.schema import build_schema

    schema = build_schema()
    invoice = schema._schema.type_map["Invoice"].fields  # type: ignore[attr-defined]
    for attribute in shown(Invoice):
        assert to_camel_case(attribute.name) in invoice, attribute.name
    assert str(invoice["estimateId"].type) == "ID" and str(invoice["customerId"].type) == "ID!"
    assert str(invoice["status"].type) == "InvoiceStatus!"
    assert str(invoice["notes"].type) == "String" and str(invoice["total"].type) == "Decimal!"
    assert invoice["amountOverpaid"].description  # from the model's Field(description=...)
    assert "teamId" not in invoice and "deletedAt" not in invoice and "number" not in invoice
