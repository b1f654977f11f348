"""``python -m bench``: seed, check parity, load the product and the raw baseline, print one table.

    python -m bench                     # SQLite (a fresh file in a temp dir), 10,000 invoices
    python -m bench --postgres          # a fresh invoiceflow_bench_<random> database, dropped after
    python -m bench --invoices 1000000  # scale the data
    python -m bench --markdown out.md   # also write the tables as Markdown

bench/RESULTS.md has measured tables and says what each column means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench import report, servers
from bench.cases import Case, Parity, build_cases, check_parity
from bench.load import Round, Summary, Wrk, ensure_wrk
from bench.seed import Seeded, create_pg_database, drop_pg_database, seed
from bench.sqlcount import Count, count_baseline, count_product

WORKER_CASES = ("REST list", "GraphQL list", "GraphQL __typename")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="the multi-worker case; 0: skip")
    parser.add_argument("--unloaded", type=float, default=2.0, help="seconds at 1 connection")
    parser.add_argument("--cases", default="", help="comma-separated case names (default all)")
    parser.add_argument("--seed-only", action="store_true", help="seed, report the time, stop")
    parser.add_argument("--markdown", type=Path, help="also write the tables here as Markdown")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}"


def load_pair(
    wrk: Wrk, product: int, baseline: int, case: Case, args: argparse.Namespace
) -> tuple[Summary, Summary]:
    """Warm both up, then alternate rounds (product, baseline, product, ...) so that any drift
    of the machine touches both alike."""
    wrk.run(product, case, 1)
    wrk.run(baseline, case, 1)
    ours: list[Round] = []
    theirs: list[Round] = []
    for n in range(args.rounds):
        ours.append(wrk.run(product, case, args.duration))
        theirs.append(wrk.run(baseline, case, args.duration))
        say(
            f"  {case.name} round {n + 1}: product {ours[-1].rps:,.0f} req/s, "
            f"baseline {theirs[-1].rps:,.0f} req/s"
        )
    return Summary.of(ours), Summary.of(theirs)


def load_alone(wrk: Wrk, port: int, case: Case, args: argparse.Namespace) -> Summary:
    wrk.run(port, case, 1)
    rounds = [wrk.run(port, case, args.duration) for _ in range(args.rounds)]
    return Summary.of(rounds)


def unloaded_round(wrk: Wrk, port: int, case: Case, args: argparse.Namespace) -> Summary:
    """One round at 1 connection, after a second of it unmeasured: when wrk ends a loaded
    round it leaves up to 32 requests in flight, which a server (and the database the two
    share) still works through; a round begun at once timed them too (a search's p99 at 1
    connection 250-310 ms for 22-29 ms at p50, on both servers)."""
    wrk.run(port, case, 1, connections=1)
    return Summary.of([wrk.run(port, case, args.unloaded, connections=1)])


def print_parity(results: list[Parity]) -> bool:
    ok = True
    for result in results:
        if result.same_values:
            detail = "bytes identical" if result.same_bytes else "same values"
            say(f"  parity {result.case}: ok ({detail})")
        else:
            ok = False
            say(f"  parity {result.case}: DIFFERENT")
            for problem in result.problems:
                say(f"    {problem}")
    return ok


async def parity(product: str, baseline: str, cases: list[Case], key: str) -> list[Parity]:
    async with (
        httpx.AsyncClient(base_url=product, timeout=30) as ours,
        httpx.AsyncClient(base_url=baseline, timeout=30) as theirs,
    ):
        return await check_parity(ours, theirs, cases, key)


def run(args: argparse.Namespace, url: str, seeded: Seeded, work: Path) -> str:
    cases = build_cases(seeded.invoices, seeded.customers)
    if args.cases:
        wanted = {name.strip() for name in args.cases.split(",")}
        cases = [c for c in cases if c.name in wanted]
    wrk = Wrk(ensure_wrk(), work, seeded.key, threads=args.threads, connections=args.connections)
    say("counting SQL statements per request (in-process) ...")
    ours_sql: dict[str, Count] = asyncio.run(count_product(url, cases, seeded.key))
    theirs_sql: dict[str, Count] = asyncio.run(count_baseline(url, cases, seeded.key))
    rows: list[report.Row] = []
    unloaded: list[tuple[str, ...]] = []
    with ExitStack() as stack:
        p1, b, pn = servers.free_port(), servers.free_port(), servers.free_port()
        product = stack.enter_context(
            servers.serving(
                "product", servers.product_command(p1, 1), servers.product_env(url), work
            )
        )
        baseline = stack.enter_context(
            servers.serving(
                "baseline", servers.baseline_command(b), servers.baseline_env(url), work
            )
        )
        multi = None
        if args.workers > 1:
            multi = stack.enter_context(
                servers.serving(
                    f"product x{args.workers}",
                    servers.product_command(pn, args.workers),
                    servers.product_env(url),
                    work,
                )
            )
        say("checking that product and baseline answer alike ...")
        if not print_parity(asyncio.run(parity(product.url, baseline.url, cases, seeded.key))):
            raise SystemExit("parity check failed: not timing anything")
        for case in cases:
            say(f"loading {case.name} ...")
            ours, theirs = load_pair(wrk, product.port, baseline.port, case, args)
            rows.append(
                report.Row(
                    case.name, "product", ours, ours_sql[case.name], report.ratio(ours, theirs)
                )
            )
            rows.append(report.Row(case.name, "baseline", theirs, theirs_sql[case.name]))
            if multi is not None and case.name in WORKER_CASES:
                say(f"loading {case.name} on {args.workers} workers ...")
                many = load_alone(wrk, multi.port, case, args)
                rows.append(
                    report.Row(
                        case.name,
                        f"product x{args.workers} workers",
                        many,
                        None,
                        report.ratio(many, ours, " of 1 worker"),
                    )
                )
            alone = unloaded_round(wrk, product.port, case, args)
            raw = unloaded_round(wrk, baseline.port, case, args)
            unloaded.append(report.unloaded_cells(case.name, alone, raw))
    main = report.main_rows(rows)
    text = "\n\n".join(
        [
            report.text_table(report.MAIN_HEADER, main),
            "Unloaded (1 connection, product and baseline):\n"
            + report.text_table(report.UNLOADED_HEADER, unloaded, left=1),
        ]
    )
    if args.markdown:
        args.markdown.write_text(
            report.markdown_table(report.MAIN_HEADER, main)
            + "\n\nUnloaded (1 connection, product and baseline):\n\n"
            + report.markdown_table(report.UNLOADED_HEADER, unloaded, left=1)
            + "\n"
        )
    return text


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="invoiceflow-bench-"))
    backend = "PostgreSQL" if args.postgres else "SQLite"
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    try:
        if args.postgres:
            url = asyncio.run(create_pg_database())
        say(f"seeding {backend}: {args.invoices:,} invoices, {args.customers:,} customers ...")
        seeded = asyncio.run(seed(url, invoices=args.invoices, customers=args.customers))
        say(f"seeded in {seeded.seconds:.1f} s")
        if args.seed_only:
            return
        load_before = load_average()
        if float(load_before) > 0.5:
            say(f"warning: load average {load_before} before the run: the machine is not idle")
        table = run(args, url, seeded, work)
        print(
            f"\nInvoiceFlow bench on {backend}: {args.invoices:,} invoices, "
            f"{args.connections} connections, {args.threads} wrk threads, "
            f"median of {args.rounds} x {args.duration:g} s; "
            f"{os.cpu_count()} cores, load average {load_before} before, {load_average()} after"
        )
        print(table)
        print(f"\n(total {time.perf_counter() - started:.0f} s)")
    finally:
        if args.postgres and url.startswith("postgresql"):
            asyncio.run(drop_pg_database(url))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
