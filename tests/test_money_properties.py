"""Money properties over generated invoices: exact sums, two decimals, and the same
figures in REST, GraphQL and the PDF."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoiceflow.core.money import format_money
from invoiceflow.resolvers.money import document_totals, line_totals
from invoiceflow.schema.scalars import _decimal_out
from tests.conftest import Api

CENT = Decimal("0.01")


def decimals(places: int, low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False
    )


line = st.fixed_dictionaries(
    {
        "quantity": st.integers(min_value=2, max_value=4).flatmap(
            lambda p: decimals(p, "0.0001", "1000")
        ),
        "unit_price": st.integers(min_value=2, max_value=4).flatmap(
            lambda p: decimals(p, "0", "10000")
        ),
        "tax_rate": decimals(2, "0", "30"),
    }
).filter(lambda item: item["quantity"] > 0)
lines = st.lists(line, min_size=1, max_size=6)


@given(lines)
def test_totals_are_exact_and_in_cents(items: list[dict[str, Decimal]]) -> None:
    computed = [line_totals(i["quantity"], i["unit_price"], i["tax_rate"]) for i in items]
    totals = document_totals(computed)
    assert totals.subtotal + totals.tax == totals.total
    for value in (totals.subtotal, totals.tax, totals.total):
        assert value == value.quantize(CENT)
        assert value.as_tuple().exponent == -2
    assert totals.tax == sum((c.tax for c in computed), Decimal("0.00"))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=lines)
async def test_rest_graphql_and_pdf_agree(alice: Api, items: list[dict[str, Decimal]]) -> None:
    # given
    customer = await alice.create_customer(currency="EUR")
    body = [
        {"description": f"Line {n}", **{k: str(v) for k, v in item.items()}}
        for n, item in enumerate(items)
    ]
    # when
    created = await alice.post("/invoices", {"customer_id": customer["id"], "items": body})
    assert created.status_code == 201, created.text
    rest = created.json()["data"]
    graphql = await alice.graphql(
        "query($id: ID!) { invoice(id: $id) { subtotal tax total balanceDue } }",
        {"id": str(rest["id"])},
    )
    pdf = await alice.get(f"/invoices/{rest['id']}/pdf")
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[-1].extract_text()
    # then
    expected = document_totals(
        [line_totals(i["quantity"], i["unit_price"], i["tax_rate"]) for i in items]
    )
    figures = graphql["data"]["invoice"]
    assert Decimal(figures["subtotal"]) == expected.subtotal
    assert Decimal(figures["tax"]) == expected.tax
    assert Decimal(figures["total"]) == expected.total == expected.subtotal + expected.tax
    assert Decimal(str(rest["total"])) == expected.total
    assert Decimal(str(rest["subtotal"])) == expected.subtotal
    assert Decimal(str(rest["tax"])) == expected.tax
    for value in (expected.subtotal, expected.tax, expected.total):
        assert format_money(value, "EUR") in text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_graphql_writes_every_decimal_in_plain_notation(value: Decimal) -> None:
    assert _decimal_out(value) == format(value, "f")
    assert "E" not in _decimal_out(value)
