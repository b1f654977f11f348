"""Invoice and estimate PDFs with fpdf2 and the Noto fonts (installed from PyPI).

Noto Sans covers Latin with accents, Greek, Cyrillic and the currency signs; when a
document holds characters it lacks (Chinese, Japanese, Korean), Noto Sans CJK is added as
a fallback font. Output is deterministic: the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from invoiceflow.resolvers.money import minor_unit_exponent

SANS = resources.files("fontpkg_noto_sans") / "files" / "NotoSans[wdth,wght].ttf"
CJK = resources.files("noto_cjk_sans_jp_regular") / "NotoSansCJKjp-Regular.otf"
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "RUB": "₽"}
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)


@dataclass(frozen=True)
class PdfLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PdfDocument:
    title: str  # "Invoice" or "Estimate"
    number: str
    status: str
    currency: str
    issued: dt.date
    due_label: str  # "Due date" or "Valid until"
    due: dt.date | None
    seller: str
    buyer: list[str]
    lines: list[PdfLine]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    # Invoices only: what was paid and what remains.
    paid: Decimal | None = None
    balance_due: Decimal | None = None
    notes: str | None = None
    payment_link: str | None = None
    stamp: dt.datetime = field(default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))

    def texts(self) -> str:
        return " ".join(
            [self.seller, *self.buyer, self.notes or "", *(ln.description for ln in self.lines)]
        )


def money(amount: Decimal, currency: str) -> str:
    places = minor_unit_exponent(currency)
    number = f"{amount:,.{places}f}"
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{currency} {number}"
    return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"


def quantity(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


@cache
def _sans_coverage() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    # Closed at once: a lazily read font keeps its file open (a ResourceWarning) otherwise.
    with resources.as_file(SANS) as path, TTFont(path, lazy=True) as font:
        return frozenset(font["cmap"].getBestCmap())


@cache
def _bold_font() -> Path:
    """A static bold instance of the variable Noto Sans, made once and cached on disk.

    Instancing the variable font takes seconds; the file it makes is reused by every
    process after the first.
    """
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    from invoiceflow import __version__

    target = Path(tempfile.gettempdir()) / f"invoiceflow-{__version__}-NotoSans-Bold.ttf"
    if not target.exists():
        with resources.as_file(SANS) as path, TTFont(path) as font:
            instancer.instantiateVariableFont(
                font, {"wght": 700, "wdth": 100}, inplace=True, static=True
            )
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            font.save(partial)
        os.replace(partial, target)
    return target


def render(doc: PdfDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(doc.stamp)
    pdf.set_title(f"{doc.title} {doc.number}")
    pdf.set_author(doc.seller)
    pdf.set_creator("InvoiceFlow")
    with resources.as_file(SANS) as sans:
        pdf.add_font("sans", "", str(sans))
    pdf.add_font("sans", "B", str(_bold_font()))
    if any(ord(ch) not in _sans_coverage() for ch in doc.texts() if not ch.isspace()):
        with resources.as_file(CJK) as cjk:
            pdf.add_font("cjk", "", str(cjk))
            pdf.add_font("cjk", "B", str(cjk))
        pdf.set_fallback_fonts(["cjk"])
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _header(pdf, doc)
    _parties(pdf, doc)
    _lines(pdf, doc)
    _totals(pdf, doc)
    _footer(pdf, doc)
    return bytes(pdf.output())


def _header(pdf: FPDF, doc: PdfDocument) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font("sans", "B", 18)
    pdf.cell(pdf.epw / 2, 10, doc.seller)
    pdf.set_font("sans", "B", 22)
    pdf.cell(pdf.epw / 2, 10, doc.title.upper(), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "", 10)
    pdf.set_text_color(*MUTED)
    details = [("Number", doc.number), ("Issued", doc.issued.isoformat())]
    if doc.due is not None:
        details.append((doc.due_label, doc.due.isoformat()))
    details.append(("Status", doc.status.capitalize()))
    for label, value in details:
        pdf.cell(pdf.epw - 45, 6, f"{label}:", align="R")
        pdf.set_text_color(*INK)
        pdf.cell(45, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*MUTED)
    pdf.ln(4)


def _parties(pdf: FPDF, doc: PdfDocument) -> None:
    pdf.set_font("sans", "B", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, "BILL TO", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    for index, line in enumerate(doc.buyer):
        pdf.set_font("sans", "B" if index == 0 else "", 11 if index == 0 else 10)
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def _lines(pdf: FPDF, doc: PdfDocument) -> None:
    pdf.set_font("sans", "", 10)
    pdf.set_draw_color(*RULE)
    headings = FontFace(emphasis="BOLD", color=MUTED)
    with pdf.table(
        col_widths=(46, 11, 16, 10, 17),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=headings,
        borders_layout="HORIZONTAL_LINES",
        line_height=7,
    ) as table:
        table.row(("Description", "Qty", "Unit price", "Tax", "Amount"))
        for line in doc.lines:
            table.row(
                (
                    line.description,
                    quantity(line.quantity),
                    money(line.unit_price, doc.currency),
                    f"{quantity(line.tax_rate)}%",
                    money(line.amount, doc.currency),
                )
            )
    pdf.ln(4)


def _totals(pdf: FPDF, doc: PdfDocument) -> None:
    rows = [("Subtotal", doc.subtotal, False), ("Tax", doc.tax, False), ("Total", doc.total, True)]
    if doc.paid is not None and doc.balance_due is not None:
        rows += [("Paid", doc.paid, False), ("Balance due", doc.balance_due, True)]
    for label, value, strong in rows:
        pdf.set_font("sans", "B" if strong else "", 11 if strong else 10)
        pdf.set_text_color(*(INK if strong else MUTED))
        pdf.cell(pdf.epw - 45, 7, label, align="R")
        pdf.set_text_color(*INK)
        pdf.cell(45, 7, money(value, doc.currency), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def _footer(pdf: FPDF, doc: PdfDocument) -> None:
    pdf.set_text_color(*INK)
    if doc.notes:
        pdf.set_font("sans", "B", 10)
        pdf.cell(0, 6, "Notes", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("sans", "", 10)
        pdf.multi_cell(0, 5, doc.notes, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    if doc.payment_link:
        pdf.set_font("sans", "", 10)
        pdf.cell(0, 6, "Pay online: ", new_x="END")
        pdf.set_text_color(13, 110, 253)
        pdf.cell(0, 6, doc.payment_link, link=doc.payment_link, new_x="LMARGIN", new_y="NEXT")
