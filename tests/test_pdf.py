"""Invoice and estimate PDFs (issue 4, API.md §1 and §3): printable, with accents, Cyrillic,
CJK and the € sign rendered, deterministic, tenant-scoped, readable by a viewer."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Api
from tests.getting_paid_support import gql_data, pdf_fonts, pdf_text
from tests.rest_support import data, error

INVOICE_PDF = "/invoices/{id}/pdf"
ESTIMATE_PDF = "/estimates/{id}/pdf"
CYRILLIC = "Ёлка и Партнёры ООО"
ACCENTS = "José Müller-Françoise"
JAPANESE = "株式会社山田商事"
LINES = [{"description": "Web Development", "quantity": 40, "unit_price": 150, "tax_rate": 10}]
PDF_URL = """query($id: ID!) { invoice(id: $id) { invoiceNumber pdfUrl } }"""


def pdf(response: httpx.Response, filename: str) -> bytes:
    """The body of a PDF download, after checking the status and the headers."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{filename}"'
    assert response.content.startswith(b"%PDF-")
    return response.content


async def invoice_for(api: Api, company: str, **fields: Any) -> dict[str, Any]:
    """An invoice of 6000.00 + 10% tax for a new customer named ``company``."""
    customer = await api.create_customer(company_name=company, contact_name=ACCENTS, **fields)
    return await api.create_invoice(customer["id"], items=LINES, notes="Merci — спасибо")


def squeeze(text: str) -> str:
    """Text without whitespace and NULs: pypdf reads the CJK font's embedded CMap a byte at a
    time, so its glyphs come out separated (poppler's pdftotext reads them whole)."""
    return re.sub(r"[\s\x00]+", "", text)


async def test_invoice_pdf_shows_number_names_and_every_total(alice: Api) -> None:
    # given: sent, then 1000.00 paid of 6600.00
    invoice = await invoice_for(alice, CYRILLIC)
    data(await alice.patch(f"/invoices/{invoice['id']}", {"status": "sent"}))
    data(await alice.post(f"/invoices/{invoice['id']}/payments", {"amount": 1000}), 201)
    # when
    response = await alice.get(INVOICE_PDF.format(id=invoice["id"]))
    # then
    text = pdf_text(pdf(response, "INV-0001.pdf"))
    for expected in ("INVOICE", "INV-0001", CYRILLIC, ACCENTS, "Web Development", "Team A"):
        assert expected in text, (expected, text)
    assert "Merci — спасибо" in text, text
    for label, amount in [
        ("Subtotal", "$6,000.00"),
        ("Tax", "$600.00"),
        ("Total", "$6,600.00"),
        ("Paid", "$1,000.00"),
        ("Balance due", "$5,600.00"),
    ]:
        assert re.search(rf"^{label}\s*{re.escape(amount)}$", text, re.MULTILINE), (label, text)
    assert "2025-01-15" in text and "2025-02-15" in text, text
    assert "\ufffd" not in text and "□" not in text, text


async def test_a_euro_invoice_prints_the_euro_sign(alice: Api) -> None:
    # given
    invoice = await invoice_for(alice, "Société Générale Café", currency="EUR")
    assert invoice["currency"] == "EUR"
    # when
    text = pdf_text(pdf(await alice.get(INVOICE_PDF.format(id=invoice["id"])), "INV-0001.pdf"))
    # then
    assert "Société Générale Café" in text, text
    for amount in ("€6,000.00", "€600.00", "€6,600.00", "€150.00"):
        assert amount in text, (amount, text)
    assert "$" not in text, text


async def test_a_japanese_customer_name_is_drawn_with_the_cjk_font(alice: Api) -> None:
    # given
    japanese = await invoice_for(alice, JAPANESE)
    latin = await invoice_for(alice, "Acme Corp")
    # when
    content = pdf(await alice.get(INVOICE_PDF.format(id=japanese["id"])), "INV-0001.pdf")
    plain = pdf(await alice.get(INVOICE_PDF.format(id=latin["id"])), "INV-0002.pdf")
    # then: the CJK font is embedded where it is needed, and the name survives extraction
    assert any("CJK" in name for name in pdf_fonts(content)), pdf_fonts(content)
    assert not any("CJK" in name for name in pdf_fonts(plain)), pdf_fonts(plain)
    text = pdf_text(content)
    assert JAPANESE in squeeze(text), text
    assert "INV-0001" in text and "$6,600.00" in text, text


async def test_the_same_invoice_renders_the_same_bytes(alice: Api, viewer: Api) -> None:
    # given
    invoice = await invoice_for(alice, CYRILLIC)
    path = INVOICE_PDF.format(id=invoice["id"])
    # when
    first = pdf(await alice.get(path), "INV-0001.pdf")
    second = pdf(await alice.get(path), "INV-0001.pdf")
    by_viewer = pdf(await viewer.get(path), "INV-0001.pdf")
    # then
    assert first == second == by_viewer


async def test_a_changed_invoice_renders_its_new_data(alice: Api) -> None:
    # given
    invoice = await invoice_for(alice, CYRILLIC)
    path = INVOICE_PDF.format(id=invoice["id"])
    before = pdf(await alice.get(path), "INV-0001.pdf")
    # when
    data(await alice.patch(f"/invoices/{invoice['id']}", {"notes": "Paid by wire, please"}))
    after = pdf(await alice.get(path), "INV-0001.pdf")
    # then
    assert before != after
    assert "Paid by wire, please" in pdf_text(after)
    assert "Paid by wire, please" not in pdf_text(before)


async def test_estimate_pdf(alice: Api, viewer: Api) -> None:
    # given: 2 x 100 + 10% and 1 x 9.99 = 229.99
    customer = await alice.create_customer(company_name=CYRILLIC)
    lines = [
        {"description": "Design", "quantity": 2, "unit_price": 100, "tax_rate": 10},
        {"description": "Hosting", "quantity": 1, "unit_price": "9.99"},
    ]
    body = {"customer_id": customer["id"], "issue_date": "2025-01-15", "items": lines}
    body["expiry_date"] = "2025-03-01"
    estimate = data(await alice.post("/estimates", body), 201)
    path = ESTIMATE_PDF.format(id=estimate["id"])
    # when
    content = pdf(await alice.get(path), "EST-0001.pdf")
    by_viewer = pdf(await viewer.get(path), "EST-0001.pdf")
    # then
    text = pdf_text(content)
    for expected in ("ESTIMATE", "EST-0001", CYRILLIC, "Design", "Hosting", "2025-03-01"):
        assert expected in text, (expected, text)
    assert re.search(r"^Subtotal\s*\$209\.99$", text, re.MULTILINE), text
    assert re.search(r"^Tax\s*\$20\.00$", text, re.MULTILINE), text
    assert re.search(r"^Total\s*\$229\.99$", text, re.MULTILINE), text
    assert "Balance due" not in text, text
    assert by_viewer == content


async def test_another_teams_documents_are_not_found(alice: Api, bob: Api) -> None:
    # given
    invoice = await invoice_for(alice, CYRILLIC)
    customer = await alice.create_customer()
    estimate = data(
        await alice.post(
            "/estimates",
            {"customer_id": customer["id"], "issue_date": "2025-01-15", "items": LINES},
        ),
        201,
    )
    # when
    their_invoice = await bob.get(INVOICE_PDF.format(id=invoice["id"]))
    their_estimate = await bob.get(ESTIMATE_PDF.format(id=estimate["id"]))
    missing = await alice.get(INVOICE_PDF.format(id=invoice["id"] + 1000))
    missing_estimate = await alice.get(ESTIMATE_PDF.format(id=estimate["id"] + 1000))
    # then
    for response in (their_invoice, their_estimate, missing, missing_estimate):
        error(response, 404, "not_found")
    assert their_invoice.json() == missing.json()
    assert their_estimate.json() == missing_estimate.json()


async def test_graphql_says_where_the_pdf_is(alice: Api, bob: Api) -> None:
    # given
    invoice = await invoice_for(alice, CYRILLIC)
    # when
    found = gql_data(await alice.graphql(PDF_URL, {"id": str(invoice["id"])}))["invoice"]
    hidden = gql_data(await bob.graphql(PDF_URL, {"id": str(invoice["id"])}))["invoice"]
    # then
    assert found == {
        "invoiceNumber": "INV-0001",
        "pdfUrl": f"/api/v1/invoices/{invoice['id']}/pdf",
    }
    assert hidden is None
    download = await alice.http.get(found["pdfUrl"], headers=alice.headers)
    assert "INV-0001" in pdf_text(pdf(download, "INV-0001.pdf"))


# --- long descriptions (API.md §6) ------------------------------------------------------------

WORDS = " ".join(f"word{n:04d}" for n in range(250))[:2000]  # 2,000 characters of words
UNBROKEN = "x" * 1999 + "y"  # one word longer than a page is wide
HEADINGS = squeeze("Description Qty Unit price Tax Amount")


def lines_text(content: bytes) -> str:
    """The PDF's text squeezed, without the headings that start each page of lines (they fall
    within a description that flows on to the next page)."""
    return squeeze(pdf_text(content)).replace(HEADINGS, "")


async def test_a_2000_character_description_renders_on_every_pdf_route(alice: Api) -> None:
    # given: the longest descriptions the API takes, as words and as one unbroken word
    customer = await alice.create_customer(company_name="Long Ltd", email="ap@long.example")
    items = [
        {"description": WORDS, "quantity": 1, "unit_price": 10},
        {"description": UNBROKEN, "quantity": 2, "unit_price": 5},
    ]
    invoice = await alice.create_invoice(customer["id"], items=items)
    body = {"customer_id": customer["id"], "items": items}
    estimate = data(await alice.post("/estimates", body), 201)
    # when
    invoice_pdf = pdf(await alice.get(INVOICE_PDF.format(id=invoice["id"])), "INV-0001.pdf")
    estimate_pdf = pdf(await alice.get(ESTIMATE_PDF.format(id=estimate["id"])), "EST-0001.pdf")
    sent = await alice.post(f"/invoices/{invoice['id']}/send-email")
    # then: every character of both, in order, wrapped over lines (and pages) as needed
    for content in (invoice_pdf, estimate_pdf):
        assert squeeze(pdf_text(content)).count(HEADINGS) >= 2  # one page was not enough
        text = lines_text(content)
        assert squeeze(WORDS) in text
        assert UNBROKEN in text
        assert "$20.00" in text  # the totals follow the lines
    assert sent.status_code == 200, sent.text


def test_500_lines_of_2000_characters_render_every_line() -> None:
    # given: the largest document (bench.pdf prints how long it takes: API.md §6 wants 5 s)
    from bench.pdf import document
    from invoiceflow.pdf import render

    doc = document(500, 2000)
    # when
    content = render(doc)
    # then: many pages, and the text of every line in them, in order
    assert squeeze(pdf_text(content)).count(HEADINGS) > 100  # they start every page of lines
    text = lines_text(content)
    position = 0
    for line in doc.lines:
        found = text.find(squeeze(line.description), position)
        assert found >= 0, line.description[:40]
        position = found
    assert "€5,950.00" in text  # the total, after the last line
