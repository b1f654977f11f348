"""The two servers under test, each a subprocess on 127.0.0.1 with its own port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RATE_LIMIT = "100000000/minute"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def product_command(port: int, workers: int) -> list[str]:
    binary = Path(sys.executable).parent / "invoiceflow"
    return [
        str(binary),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def baseline_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.baseline:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def _wait_ready(server: Server, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            httpx.get(server.url + "/", timeout=1.0)
            return  # any HTTP answer (404 included) means it serves
        except httpx.HTTPError:
            time.sleep(0.1)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    raise RuntimeError(f"{server.name} did not start on port {server.port}:\n{tail}")


@contextmanager
def serving(
    name: str, command: list[str], env: dict[str, str], logs: Path, timeout: float = 60.0
) -> Iterator[Server]:
    """Start ``command`` (which serves on the port it names), wait until it answers, and
    stop it (SIGTERM, then SIGKILL) on the way out."""
    port = int(command[command.index("--port") + 1])
    server = Server(name=name, port=port, log=logs / f"{name.replace(' ', '_')}.log")
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(server, process, timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def product_env(database_url: str) -> dict[str, str]:
    return {
        "INVOICEFLOW_DATABASE_URL": database_url,
        "INVOICEFLOW_RATE_LIMIT": RATE_LIMIT,
        "INVOICEFLOW_LOG_LEVEL": "WARNING",
    }


def baseline_env(database_url: str) -> dict[str, str]:
    return {"BENCH_DATABASE_URL": database_url}
