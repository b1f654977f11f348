"""How long a PDF of the largest document takes: 500 lines of 2,000 characters (API.md §6
wants under 5 s), and a one-line invoice for scale. In process, the rendering alone.

    python -m bench.pdf [--lines 500] [--chars 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import string
import time
from decimal import Decimal

from invoiceflow.pdf import PdfDocument, PdfLine, render

BOUND_SECONDS = 5.0


def description(rng: random.Random, index: int, chars: int) -> str:
    """``chars`` characters of words of 2 to 12 letters, numbered."""
    words = [f"line-{index}"]
    while sum(len(w) + 1 for w in words) < chars:
        words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 12))))
    return " ".join(words)[:chars]


def document(lines: int, chars: int, seed: int = 7) -> PdfDocument:
    rng = random.Random(seed)
    rows = [
        PdfLine(description(rng, n, chars), Decimal(1), Decimal("10.00"), Decimal(19), Decimal(10))
        for n in range(lines)
    ]
    total = Decimal(10 * lines)
    return PdfDocument(
        title="Invoice",
        number="INV-0001",
        status="sent",
        currency="EUR",
        issued=dt.date(2025, 1, 15),
        due_label="Due date",
        due=dt.date(2025, 2, 15),
        seller="Team A",
        buyer=["Acme Corp"],
        lines=rows,
        subtotal=total,
        tax=total * Decimal("0.19"),
        total=total * Decimal("1.19"),
        paid=Decimal(0),
        balance_due=total * Decimal("1.19"),
    )


def timed(doc: PdfDocument) -> tuple[float, int]:
    started = time.perf_counter()
    content = render(doc)
    return time.perf_counter() - started, len(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    timed(document(1, 20))  # fonts loaded (and the bold instance made) once, as in a server
    small = min(timed(document(1, 20))[0] for _ in range(args.rounds))
    results = [timed(document(args.lines, args.chars)) for _ in range(args.rounds)]
    best = min(seconds for seconds, _ in results)
    size = results[0][1]
    print(f"1 line: {small * 1000:.0f} ms")
    print(
        f"{args.lines} lines of {args.chars} characters: best {best:.2f} s of {args.rounds} "
        f"(worst {max(s for s, _ in results):.2f} s), {size / 1e6:.1f} MB; "
        f"bound {BOUND_SECONDS:.0f} s: {'met' if best < BOUND_SECONDS else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
