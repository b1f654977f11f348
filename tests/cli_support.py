"""Run the real ``invoiceflow`` command and server as subprocesses, with bounded waits."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT = 30.0
COMMAND_TIMEOUT = 60.0


def command() -> list[str]:
    """The installed console script, else the same entry point through this interpreter."""
    script = shutil.which("invoiceflow", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-c", "from invoiceflow.cli import main; main()"]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVOICEFLOW_")}
    env["INVOICEFLOW_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env["INVOICEFLOW_LOG_LEVEL"] = "WARNING"
    return env


def invoiceflow(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(cli_env: dict[str, str], tmp_path: Path, port: int | None = None) -> Iterator[str]:
    """``invoiceflow serve`` on a (free) port, healthy; always stopped afterwards."""
    port = port or free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [*command(), "serve", "--port", str(port)],
        env=cli_env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}: {read_log(tmp_path)}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"serve was not healthy within {STARTUP_TIMEOUT}s: {read_log(tmp_path)}"
                )
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def read_log(tmp_path: Path) -> str:
    return (tmp_path / "serve.log").read_text()[-2000:]
