"""The bench's tables, as plain text for the terminal and as Markdown for RESULTS.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.load import Summary
from bench.sqlcount import Count

MAIN_HEADER = ("case", "server", "req/s", "p50 ms", "p99 ms", "SQL/req", "trips/req", "ratio")
UNLOADED_HEADER = (
    "case",
    "p50 ms",
    "p99 ms",
    "p99 <= 2x p50",
    "baseline p50 ms",
    "baseline p99 ms",
    "baseline p99 <= 2x p50",
)


@dataclass(frozen=True)
class Row:
    case: str
    server: str
    load: Summary | None
    count: Count | None
    ratio: str = ""


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _cells(row: Row) -> tuple[str, ...]:
    load, count = row.load, row.count
    rps = "-" if load is None else f"{load.rps:,.0f}"
    if load is not None and load.errors:
        rps += f" ({load.errors} errors)"
    timed = load is not None and load.rps > 0  # no answer in a round: no latency to show
    return (
        row.case,
        row.server,
        rps,
        _ms(load.p50_ms) if timed and load else "-",
        _ms(load.p99_ms) if timed and load else "-",
        "-" if count is None else str(count.sql),
        "-" if count is None else str(count.trips),
        row.ratio,
    )


def ratio(ours: Summary | None, theirs: Summary | None, suffix: str = "") -> str:
    if ours is None or theirs is None or theirs.rps == 0:
        return ""
    return f"{ours.rps / theirs.rps:.2f}x{suffix}"


def _tail(load: Summary) -> tuple[str, str, str]:
    if load.rps == 0:
        return ("-", "-", "no answer within the round")
    ok = load.p99_ms <= 2 * load.p50_ms
    return (_ms(load.p50_ms), _ms(load.p99_ms), "yes" if ok else "NO")


def unloaded_cells(case: str, ours: Summary, theirs: Summary) -> tuple[str, ...]:
    """The product's unloaded latency, and the raw baseline's beside it: a p99 that the
    baseline misses too on the same machine is the machine's, not the product's."""
    return (case, *_tail(ours), *_tail(theirs))


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> str:
    """Columns before ``left`` are text (left-aligned), the others figures."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i < left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> str:
    align = ["---" if i < left else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(str(c) for c in cells) + " |" for cells in lines)


def main_rows(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    return [_cells(r) for r in rows]
