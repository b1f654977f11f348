"""Invoice arithmetic: exact Decimals, half-up per line (API.md §2, §3), unit and over REST."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from invoiceflow.core.money import to_cents
from invoiceflow.resolvers.money import DocumentTotals, LineTotals, document_totals, line_totals
from invoiceflow.services import Services
from tests.conftest import Api
from tests.rest_support import data, exact_json, field_errors, ok

CREATE = "/invoices"
MONEY_FIELDS = ("subtotal", "tax", "total", "amount_paid", "balance_due")
LINE_MONEY_FIELDS = ("amount", "tax")


def line(
    quantity: Any, unit_price: Any, tax_rate: Any = None, text: str = "Work"
) -> dict[str, Any]:
    body = {"description": text, "quantity": quantity, "unit_price": unit_price}
    return body if tax_rate is None else body | {"tax_rate": tax_rate}


async def invoice_with(api: Api, lines: list[dict[str, Any]]) -> dict[str, Any]:
    customer = await api.create_customer()
    return dict(data(await api.post(CREATE, {"customer_id": customer["id"], "items": lines}), 201))


def D(value: str) -> Decimal:  # reads like a literal
    return Decimal(value)


# --- unit: invoiceflow.resolvers.money ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # half-up, not banker's (which gives 0.02)
        ("2.675", "2.68"),  # a float would give 2.67
        ("0.004999", "0.00"),
        ("1.994999", "1.99"),
        ("1.995", "2.00"),
        ("10", "10.00"),
    ],
)
def test_to_cents_rounds_half_up(value: str, cents: str) -> None:
    # when
    rounded = to_cents(D(value))
    # then
    assert rounded == D(cents)
    assert str(rounded) == cents


def test_a_line_rounds_its_amount_then_its_tax() -> None:
    # when: 3 x 19.99 = 59.97; 59.97 x 8.25% = 4.947525
    totals = line_totals(D("3"), D("19.99"), D("8.25"))
    # then
    assert totals == LineTotals(amount=D("59.97"), tax=D("4.95"))
    assert document_totals([totals]) == DocumentTotals(
        subtotal=D("59.97"), tax=D("4.95"), total=D("64.92")
    )


@pytest.mark.parametrize(
    ("quantity", "price", "amount"),
    [
        ("1.5", "0.333", "0.50"),  # 0.4995
        ("0.5", "0.01", "0.01"),  # 0.005
        ("0.5", "0.03", "0.02"),  # 0.015
        ("3", "0.3333", "1.00"),  # 0.9999
        ("1.2345", "2.3456", "2.90"),  # 2.89564320
    ],
)
def test_a_line_amount_is_rounded_half_up_to_cents(quantity: str, price: str, amount: str) -> None:
    # when
    totals = line_totals(D(quantity), D(price), D("0"))
    # then
    assert str(totals.amount) == amount
    assert str(totals.tax) == "0.00"


def test_tax_is_rounded_per_line_not_on_the_sum() -> None:
    # given: each line's tax is 0.075 -> 0.08; the sum's would be 0.225 -> 0.23
    lines = [line_totals(D("1"), D("1.00"), D("7.5")) for _ in range(3)]
    # when
    totals = document_totals(lines)
    # then
    assert [str(t.tax) for t in lines] == ["0.08", "0.08", "0.08"]
    assert totals == DocumentTotals(subtotal=D("3.00"), tax=D("0.24"), total=D("3.24"))


def test_many_small_lines_add_up_exactly() -> None:
    # given: 100 x 0.10 drifts in floats (sum(0.1 for ...) == 9.99999999999998)
    lines = [line_totals(D("1"), D("0.10"), D("0")) for _ in range(100)]
    # when
    totals = document_totals(lines)
    # then
    assert str(totals.subtotal) == "10.00"
    assert str(totals.total) == "10.00"
    assert str(totals.tax) == "0.00"


def test_no_lines_total_zero_with_cents() -> None:
    # when
    totals = document_totals([])
    # then
    assert (str(totals.subtotal), str(totals.tax), str(totals.total)) == ("0.00", "0.00", "0.00")


def test_totals_are_the_sums_of_the_rounded_lines() -> None:
    # given
    lines = [
        line_totals(D("2"), D("10.005"), D("20")),  # 20.01 (20.010), tax 4.002 -> 4.00
        line_totals(D("1"), D("0.125"), D("10")),  # 0.13 (0.125), tax 0.013 -> 0.01
    ]
    # when
    totals = document_totals(lines)
    # then
    assert lines == [
        LineTotals(amount=D("20.01"), tax=D("4.00")),
        LineTotals(amount=D("0.13"), tax=D("0.01")),
    ]
    assert totals == DocumentTotals(subtotal=D("20.14"), tax=D("4.01"), total=D("24.15"))


# --- through the API ------------------------------------------------------------------------


async def test_the_reference_line_over_rest(alice: Api) -> None:
    # when
    invoice = await invoice_with(alice, [line(3, "19.99", "8.25")])
    # then
    [item] = invoice["items"]
    assert (item["amount"], item["tax"]) == (59.97, 4.95)
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (59.97, 4.95, 64.92)
    assert invoice["balance_due"] == 64.92


async def test_tax_is_rounded_per_line_over_rest(alice: Api) -> None:
    # when
    invoice = await invoice_with(alice, [line(1, 1.00, 7.5) for _ in range(3)])
    # then
    assert [item["tax"] for item in invoice["items"]] == [0.08, 0.08, 0.08]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (3.0, 0.24, 3.24)


@pytest.mark.parametrize(
    ("quantity", "price", "amount"),
    [(1.5, 0.333, 0.5), ("0.5", "0.01", 0.01), (1, 0.005, 0.01), ("3", "0.3333", 1.0)],
)
async def test_line_amounts_round_half_up_over_rest(
    alice: Api, quantity: Any, price: Any, amount: float
) -> None:
    # when
    invoice = await invoice_with(alice, [line(quantity, price)])
    # then
    assert invoice["items"][0]["amount"] == amount
    assert invoice["total"] == amount


async def test_a_hundred_dimes_make_exactly_ten(alice: Api) -> None:
    # when
    response = await alice.post(
        CREATE,
        {
            "customer_id": (await alice.create_customer())["id"],
            "items": [line(1, 0.10, text=f"Dime {n}") for n in range(100)],
        },
    )
    # then
    assert response.status_code == 201, response.text
    invoice = exact_json(response)["data"]
    assert len(invoice["items"]) == 100
    assert invoice["subtotal"] == D("10.0")
    assert invoice["total"] == D("10.0")


async def test_totals_survive_the_database_exactly(alice: Api) -> None:
    # given: amounts a binary float cannot hold, on a line with 4-decimal inputs
    created = await invoice_with(alice, [line("1234.5678", "0.0001", "12.3456"), line(7, "1.10")])
    # when
    response = await alice.get(f"/invoices/{created['id']}")
    # then
    invoice = exact_json(response)["data"]
    assert invoice["items"][0]["quantity"] == D("1234.5678")
    assert invoice["items"][0]["tax_rate"] == D("12.3456")
    assert [item["amount"] for item in invoice["items"]] == [D("0.12"), D("7.7")]
    assert [item["tax"] for item in invoice["items"]] == [D("0.01"), 0]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (
        D("7.82"),
        D("0.01"),
        D("7.83"),
    )


async def test_money_in_json_is_a_number_with_at_most_two_decimals(alice: Api) -> None:
    # given
    lines = [line(3, "19.99", "8.25"), line("1.5", "0.333", "7.5"), line(1, 1, "33.3333")]
    created = await invoice_with(alice, lines)
    customer_id = created["customer_id"]
    ok(await alice.patch(f"/invoices/{created['id']}", {"status": "sent"}))
    # when
    responses = [
        await alice.get(f"/invoices/{created['id']}"),
        await alice.get("/invoices"),
        await alice.get(f"/customers/{customer_id}"),
    ]
    # then
    detail, listed, customer = (exact_json(r)["data"] for r in responses)
    amounts: list[Any] = [detail[f] for f in MONEY_FIELDS]
    amounts += [item[f] for item in detail["items"] for f in LINE_MONEY_FIELDS]
    amounts += [listed[0][f] for f in MONEY_FIELDS]
    amounts += [customer["total_invoiced"], customer["recent_invoices"][0]["total"]]
    for amount in amounts:
        assert isinstance(amount, Decimal | int), amount
        assert not isinstance(amount, bool), amount
        exponent = Decimal(amount).as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -2, amount
    assert detail["total"] == D("66.79")  # 59.97 + 4.95, 0.50 + 0.04, 1.00 + 0.33
    assert customer["total_invoiced"] == D("66.79")


@pytest.mark.parametrize(
    "bad",
    [line(1, "0.00001"), line("0.00001", 1), line(1, 1, "7.00001"), line(1, "1e-5")],
)
async def test_more_than_four_decimals_is_a_422(alice: Api, bad: dict[str, Any]) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(CREATE, {"customer_id": customer["id"], "items": [line(1, 1), bad]})
    # then
    [field] = field_errors(response)
    assert field.startswith("items.1.")


@pytest.mark.parametrize(
    ("quantity", "price"),
    [("100000000", "999999999"), ("999999999999", "999999999999.9999")],
)
async def test_a_line_too_large_to_store_is_a_422_not_a_500(
    alice: Api, quantity: str, price: str
) -> None:
    # given
    customer = await alice.create_customer()
    # when
    response = await alice.post(
        CREATE, {"customer_id": customer["id"], "items": [line(quantity, price)]}
    )
    # then
    assert list(field_errors(response)) == ["items.0.unit_price"]
    assert data(await alice.get("/invoices")) == []


@pytest.mark.postgres_only
async def test_postgresql_numerics_read_and_write_exactly_as_text(services: Services) -> None:
    """NUMERIC travels as text (db._numeric_as_text): read back as the same Decimal at the
    column's scale, and written from any Decimal, exponent notation included."""
    sent = [Decimal("1E+2"), Decimal("-0.0001"), Decimal("123456789012345.6789"), 7]
    async with services.db.read_sessions() as session:
        connection = await session.connection()
        row = (
            await connection.execute(
                text(
                    "SELECT CAST('12.3400' AS NUMERIC(18, 4)), CAST(:a AS NUMERIC), "
                    "CAST(:b AS NUMERIC(18, 4)), CAST(:c AS NUMERIC(19, 4)), "
                    "CAST(:d AS NUMERIC(18, 2)), CAST(NULL AS NUMERIC)"
                ),
                dict(zip("abcd", sent, strict=True)),
            )
        ).one()
    assert [str(value) for value in row[:5]] == [
        "12.3400",
        "100",
        "-0.0001",
        "123456789012345.6789",
        "7.00",
    ]
    assert all(type(value) is Decimal for value in row[:5]) and row[5] is None
