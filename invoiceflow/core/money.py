"""Money as the world counts it: a currency's minor unit (cents; whole yen) and how an amount
is written out. Shared by the domain's arithmetic, Stripe's amounts and the documents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "RUB": "₽"}


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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


def format_money(amount: Decimal, currency: str) -> str:
    places = minor_unit_exponent(currency)
    number = f"{amount:,.{places}f}"
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{currency} {number}"
    return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
