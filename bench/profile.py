"""In-process timings of the bench's cases (no HTTP, no load generator): quick feedback while
optimising, and a cProfile of one case.

    python -m bench.profile                          # SQLite in /tmp, seeded once
    python -m bench.profile --url postgresql+asyncpg://...  # a database seeded by the bench
    python -m bench.profile --profile "GraphQL list"  # cProfile one case (top 40)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import time
from pathlib import Path

import httpx

from bench.cases import build_cases, send
from bench.seed import create_pg_database, seed
from bench.servers import RATE_LIMIT
from invoiceflow.app import create_app
from invoiceflow.services import Services
from invoiceflow.settings import Settings

DEFAULT_DB = Path("/tmp/invoiceflow-profile.db")
KEY_FILE = DEFAULT_DB.with_suffix(".key")


PG_KEY_FILE = DEFAULT_DB.with_suffix(".pg")  # "url key" of the PostgreSQL copy


async def _seed_pg() -> str:
    url = await create_pg_database()
    seeded = await seed(url)
    return f"{url} {seeded.key}"


def prepare(url: str | None, postgres: bool = False) -> tuple[str, str]:
    if url is not None:
        return url, KEY_FILE.read_text().strip()
    if postgres:  # seeded once into invoiceflow_bench_<random>, kept for later runs
        if not PG_KEY_FILE.exists():
            PG_KEY_FILE.write_text(asyncio.run(_seed_pg()))
        found_url, key = PG_KEY_FILE.read_text().split()
        return found_url, key
    url = f"sqlite+aiosqlite:///{DEFAULT_DB}"
    if not DEFAULT_DB.exists() or not KEY_FILE.exists():
        KEY_FILE.write_text(asyncio.run(seed(url)).key)
    return url, KEY_FILE.read_text().strip()


async def main(args: argparse.Namespace, url: str, key: str) -> None:
    settings = Settings(database_url=url, rate_limit=RATE_LIMIT, log_level="WARNING")
    services = Services.from_settings(settings)
    app = create_app(services=services)
    cases = [c for c in build_cases(10_000, 1_000) if not args.cases or c.name in args.cases]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for case in cases:
            for _ in range(5):
                response = await send(client, case, key)
                assert response.status_code < 300, response.text
            gc.collect()
            gc.freeze()  # as the server's lifespan does after start-up
            if args.profile == case.name:
                profiler = cProfile.Profile()
                profiler.enable()
            times = []
            cpu = time.process_time()
            for _ in range(args.n):
                start = time.perf_counter()
                await send(client, case, key)
                times.append((time.perf_counter() - start) * 1000)
            cpu_ms = (time.process_time() - cpu) * 1000 / args.n
            if args.profile == case.name:
                profiler.disable()
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(
                f"{case.name:20} median {statistics.median(times):7.2f} ms"
                f"  p99 {p99:7.2f} ms  cpu {cpu_ms:6.2f} ms/req ({args.n} requests)"
            )
    await services.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--url")
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL copy, seeded once")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--cases", nargs="*", default=[])
    parser.add_argument("--profile", default="")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--gc", help="gc.set_threshold values, e.g. 50000,20,100")
    arguments = parser.parse_args()
    if arguments.gc:
        gc.set_threshold(*(int(n) for n in arguments.gc.split(",")))
    asyncio.run(main(arguments, *prepare(arguments.url, arguments.postgres)))
