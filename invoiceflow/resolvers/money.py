"""Invoice arithmetic (API.md §3): exact Decimal, half-up to cents per line, then summed.

"Cents" means the currency's minor unit, at most two places: a yen invoice rounds each line
to whole yen, so its balance is always a whole amount Stripe can charge exactly.
"""

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


# ISO 4217 currencies Stripe counts in whole units, and those with three decimals.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def minor_unit_exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's smallest unit (cents; yen as is), rounded half-up."""
    scaled = amount.scaleb(minor_unit_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor_units(amount: int, currency: str) -> Decimal:
    return to_cents(Decimal(amount).scaleb(-minor_unit_exponent(currency)))
