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

from invoiceflow.core.money import format_money as money

SANS = resources.files("fontpkg_noto_sans") / "files" / "NotoSans[wdth,wght].ttf"
CJK = resources.files("noto_cjk_sans_jp_regular") / "NotoSansCJKjp-Regular.otf"
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
    pdf = _Document(format="A4")
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


# The lines' columns: heading, share of the width (percent), alignment.
COLUMNS = (("Description", 46, "L"), ("Qty", 11, "R"), ("Unit price", 16, "R"),
           ("Tax", 10, "R"), ("Amount", 17, "R"))  # fmt: skip
LINE_HEIGHT = 5.0
PAD = 1.2


class _Document(FPDF):
    """A PDF whose pages, once the lines have begun, each start with the lines' headings:
    a long description flows on to the next page (API.md §6) under the same columns."""

    widths: tuple[float, ...] = ()

    def header(self) -> None:
        if self.widths:
            _headings(self)


def _headings(pdf: _Document) -> None:
    pdf.set_font("sans", "B", 10)
    pdf.set_text_color(*MUTED)
    for (heading, _, align), width in zip(COLUMNS, pdf.widths, strict=True):
        pdf.cell(width, LINE_HEIGHT + 2 * PAD, heading, align=align)
    pdf.ln()
    _rule(pdf)
    pdf.set_font("sans", "", 10)
    pdf.set_text_color(*INK)


def _rule(pdf: FPDF) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.y, pdf.l_margin + pdf.epw, pdf.y)


def _lines(pdf: _Document, doc: PdfDocument) -> None:
    """One row a line: its figures beside the first lines of its description, which wraps
    over as many lines, and pages, as it needs (fpdf's tables keep a row on one page, and
    refused a description taller than a page).

    The description is wrapped here, a word's width measured once, and each of its lines
    drawn as one string: fpdf's own wrapping measures the line so far again at every
    character, and took 10 s for 500 lines of 2,000 characters (API.md §6 wants 5)."""
    pdf.widths = tuple(pdf.epw * share / 100 for _, share, _ in COLUMNS)
    _headings(pdf)
    first = pdf.widths[0]
    measure = _Widths(pdf)
    covered = _sans_coverage()
    baseline = LINE_HEIGHT / 2 + 0.3 * pdf.font_size  # where fpdf's cell() puts it
    for line in doc.lines:
        if pdf.will_page_break(LINE_HEIGHT + 2 * PAD):
            pdf.add_page()
        pdf.y += PAD
        figures = (
            quantity(line.quantity),
            money(line.unit_price, doc.currency),
            f"{quantity(line.tax_rate)}%",
            money(line.amount, doc.currency),
        )
        pdf.x = pdf.l_margin + first
        for figure, width in zip(figures, pdf.widths[1:], strict=True):
            pdf.cell(width, LINE_HEIGHT, figure, align="R")
        for index, text in enumerate(measure.wrap(line.description, first - 2 * pdf.c_margin)):
            if index and pdf.will_page_break(LINE_HEIGHT):
                pdf.add_page()
            if all(ord(ch) in covered for ch in text):
                pdf.text(pdf.l_margin + pdf.c_margin, pdf.y + baseline, text)
            else:  # a glyph of the fallback font: cell() draws it in that font
                pdf.x = pdf.l_margin
                pdf.cell(first, LINE_HEIGHT, text)
            pdf.y += LINE_HEIGHT
        pdf.y += PAD
        _rule(pdf)
    pdf.widths = ()
    pdf.ln(4)


class _Widths:
    """Text widths in the lines' font (a glyph Noto Sans lacks in the fallback's), each
    character measured once, and text wrapped to a width by them."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.known: dict[str, float] = {}
        self.covered = _sans_coverage()

    def of(self, text: str) -> float:
        known = self.known
        total = 0.0
        for ch in text:
            width = known.get(ch)
            if width is None:
                width = known[ch] = self._measure(ch)
            total += width
        return total

    def _measure(self, ch: str) -> float:
        pdf = self.pdf
        if ord(ch) in self.covered or "cjk" not in pdf.fonts:
            return float(pdf.get_string_width(ch))
        pdf.set_font("cjk", "", pdf.font_size_pt)
        try:
            return float(pdf.get_string_width(ch))
        finally:
            pdf.set_font("sans", "", pdf.font_size_pt)

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` in lines no wider than ``width``: broken at spaces, a word wider than a
        line broken where it must, and a newline kept as a line break."""
        lines: list[str] = []
        space = self.of(" ")
        for paragraph in text.split("\n"):
            current: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                size = self.of(word)
                if current and used + space + size <= width:
                    current.append(word)
                    used += space + size
                    continue
                if current:
                    lines.append(" ".join(current))
                current, used = [word], size
                if size > width:  # longer than a line: as much of it as fits, a line each
                    pieces = self._split(word, width)
                    lines += pieces[:-1]
                    current, used = [pieces[-1]], self.of(pieces[-1])
            lines.append(" ".join(current))
        return lines

    def _split(self, word: str, width: float) -> list[str]:
        pieces: list[str] = []
        start, used = 0, 0.0
        for index, ch in enumerate(word):
            size = self.of(ch)
            if used + size > width and index > start:
                pieces.append(word[start:index])
                start, used = index, 0.0
            used += size
        pieces.append(word[start:])
        return pieces


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
