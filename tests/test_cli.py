"""The real ``invoiceflow`` command: create-api-key, then serve, over real HTTP (API.md §5)."""

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


def _command() -> list[str]:
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
        [*_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def create_key(env: dict[str, str], cwd: Path, email: str, role: str) -> str:
    done = invoiceflow(
        env, cwd, "create-api-key", "--email", email, "--team", "T", "--role", role, "--name", "k"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines, done.stdout
    return lines[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(cli_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``invoiceflow serve`` on a free port, healthy; always stopped afterwards."""
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [*_command(), "serve", "--port", str(port)],
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
                pytest.fail(f"serve exited with {process.returncode}: {_read(tmp_path)}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve was not healthy within {STARTUP_TIMEOUT}s: {_read(tmp_path)}")
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


def _read(tmp_path: Path) -> str:
    return (tmp_path / "serve.log").read_text()[-2000:]


def _teams(base_url: str, key: str) -> httpx.Response:
    return httpx.get(
        f"{base_url}/api/v1/teams", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )


def test_create_api_key_prints_the_key_last(cli_env: dict[str, str], tmp_path: Path) -> None:
    # when
    done = invoiceflow(cli_env, tmp_path, "create-api-key", "--email", "e@x.example", "--team", "T")
    # then
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("ifk_")
    assert len(last) > 30
    assert " " not in last


def test_create_api_key_refuses_a_bad_email(cli_env: dict[str, str], tmp_path: Path) -> None:
    # when
    done = invoiceflow(cli_env, tmp_path, "create-api-key", "--email", "not-an-email")
    # then
    assert done.returncode != 0
    assert "ifk_" not in done.stdout


def test_keys_from_the_cli_work_against_the_served_api(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # given: a key made on a fresh database, then the server started over it
    admin_key = create_key(cli_env, tmp_path, "e@x.example", "admin")
    with serving(cli_env, tmp_path) as server:
        _check_admin_then_viewer(cli_env, tmp_path, server, admin_key)


def _check_admin_then_viewer(
    cli_env: dict[str, str], tmp_path: Path, server: str, admin_key: str
) -> None:
    # when
    admin_teams = _teams(server, admin_key)
    # then
    assert admin_teams.status_code == 200, admin_teams.text
    assert admin_teams.json()["success"] is True
    [team] = admin_teams.json()["data"]
    assert team["name"] == "T"
    assert team["is_owner"] is True
    assert team["role"] == "admin"
    assert team["is_current"] is True
    # when: a second user joins the same team as a viewer, while the server runs
    viewer_key = create_key(cli_env, tmp_path, "v@x.example", "viewer")
    viewer_teams = _teams(server, viewer_key)
    # then
    assert viewer_key != admin_key
    assert viewer_teams.status_code == 200, viewer_teams.text
    [joined] = viewer_teams.json()["data"]
    assert joined["id"] == team["id"]
    assert joined["name"] == "T"
    assert joined["is_owner"] is False
    assert joined["role"] == "viewer"
    # and the viewer can read but not write, over real HTTP too
    refused = httpx.post(
        f"{server}/api/v1/customers",
        json={"company_name": "Acme"},
        headers={"Authorization": f"Bearer {viewer_key}"},
        timeout=10,
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"


def test_a_made_up_key_is_refused_by_the_served_api(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # when: serve alone on an empty database (it applies the migrations itself)
    with serving(cli_env, tmp_path) as server:
        response = _teams(server, "ifk_" + "x" * 43)
    # then
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
