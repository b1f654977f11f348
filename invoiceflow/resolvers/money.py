"""Invoice arithmetic (API.md §3): exact Decimal, half-up to cents per line, then summed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest line amount taken: 500 such lines, tax included, still fit NUMERIC(18, 2)
# (and SQLite's cents in a 64-bit integer), so a big order is a 422, never an overflow.
MAX_LINE_AMOUNT = Decimal(10) ** 12


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LineTotals:
    amount: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def line_totals(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> LineTotals:
    """Round each line on its own, so the printed lines always add up to the printed totals."""
    amount = to_cents(quantity * unit_price)
    return LineTotals(amount=amount, tax=to_cents(amount * tax_rate / 100))


def document_totals(lines: list[LineTotals]) -> DocumentTotals:
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    return DocumentTotals(subtotal=subtotal, tax=tax, total=subtotal + tax)
