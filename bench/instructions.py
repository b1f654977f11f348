"""Instructions per request, counted by valgrind's callgrind: a figure that repeats where the
machine's timings do not (on this bench's shared 2-core machines, CPU time per request varied
by a third between rounds a minute apart; callgrind's counts by 1-4%).

    python -m bench.instructions "REST get"                 # SQLite, seeded once in /tmp
    python -m bench.instructions "REST get" --postgres      # the PostgreSQL copy of bench.profile
    python -m bench.instructions "REST get" --code /tmp/old # another checkout's code, alike

The product's ASGI app is called directly (no HTTP server, no client library) under uvloop,
after 30 warm-up requests, once with ``--few`` requests and once with ``--many``; the count
per request is the difference over the difference. Needs valgrind (Debian's package). A run
takes two to three minutes: Python under callgrind is about 50 times slower.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.cases import Case, build_cases

_COLLECTED = re.compile(r"Collected : (\d+)")


async def call(app: Any, case: Case, key: str) -> int:
    """One request of ``case`` straight into the ASGI app; its status."""
    path, _, query = case.path.partition("?")
    body = case.body or b""
    headers = [(name.lower().encode(), value.encode()) for name, value in case.headers(key).items()]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    received = False
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays until the answer is in
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


async def requests(case_name: str, count: int, postgres: bool) -> None:
    """``count`` requests of the case, after 30 unmeasured ones (run under valgrind)."""
    from bench.profile import prepare
    from bench.servers import RATE_LIMIT
    from invoiceflow.app import create_app
    from invoiceflow.settings import Settings

    try:
        from invoiceflow.services import Services
    except ImportError:  # a checkout from before services.py (this code runs against others)
        from invoiceflow.app import Services  # type: ignore[attr-defined,no-redef]

    # Off the loop: seeding a first run's database runs an event loop of its own.
    url, key = await asyncio.to_thread(prepare, None, postgres)
    settings = Settings(database_url=url, rate_limit=RATE_LIMIT, log_level="WARNING")
    services = Services.from_settings(settings)
    app = create_app(services=services)
    case = next(c for c in build_cases(10_000, 1_000) if c.name == case_name)
    for _ in range(30):
        status = await call(app, case, key)
        assert status < 300, status
    gc.collect()
    gc.freeze()  # as the server's lifespan does
    gc.set_threshold(10_000, 10, 10)
    for _ in range(count):
        await call(app, case, key)
    await services.db.dispose()


def counted(case: str, count: int, postgres: bool, code: Path) -> int:
    """The instructions of a whole process making ``count`` requests."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-c",  # this file's code, but ``bench`` and ``invoiceflow`` from ``code`` (the cwd)
        f"import runpy; runpy.run_path({__file__!r}, run_name='__main__')",
        case,
        "--run",
        str(count),
    ]
    if postgres:
        command.append("--postgres")
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(command, capture_output=True, text=True, cwd=code, env=env, check=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("case", help='a case of the bench, e.g. "REST get"')
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--code", type=Path, default=Path.cwd(), help="the checkout to measure")
    parser.add_argument("--few", type=int, default=50)
    parser.add_argument("--many", type=int, default=250)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # the measured process
    args = parser.parse_args()
    if args.run is not None:
        import uvloop

        uvloop.run(requests(args.case, args.run, args.postgres))
        return
    few = counted(args.case, args.few, args.postgres, args.code.resolve())
    many = counted(args.case, args.many, args.postgres, args.code.resolve())
    per_request = (many - few) / (args.many - args.few)
    print(f"{args.case}: {per_request:,.0f} instructions per request ({args.code})")


if __name__ == "__main__":
    main()
