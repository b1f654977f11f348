"""Invoice arithmetic (API.md §3): exact Decimal, half-up to cents per line, then summed.

"Cents" means the currency's minor unit, at most two places: a yen invoice rounds each line
to whole yen, so its balance is always a whole amount Stripe can charge exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from invoiceflow.core.money import ZERO, minor_unit_exponent, to_cents

# The largest line amount taken: 500 such lines, tax included, still fit NUMERIC(18, 2)
# (and SQLite's cents in a 64-bit integer), so a big order is a 422, never an overflow.
MAX_LINE_AMOUNT = Decimal(10) ** 12


@dataclass(frozen=True, slots=True)
class LineTotals:
    amount: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def line_totals(
    quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str = "USD"
) -> LineTotals:
    """Round each line on its own, so the printed lines always add up to the printed totals."""
    quantum = Decimal(1).scaleb(-min(minor_unit_exponent(currency), 2))
    amount = (quantity * unit_price).quantize(quantum, rounding=ROUND_HALF_UP)
    tax = (amount * tax_rate / 100).quantize(quantum, rounding=ROUND_HALF_UP)
    return LineTotals(amount=to_cents(amount), tax=to_cents(tax))


def document_totals(lines: list[LineTotals]) -> DocumentTotals:
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    return DocumentTotals(subtotal=subtotal, tax=tax, total=subtotal + tax)
