"""The real ``invoiceflow`` command: create-api-key, then serve, over real HTTP (API.md §5)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cli_support import cli_env, invoiceflow, serving

__all__ = ["cli_env"]  # the fixture, used by name below


def create_key(env: dict[str, str], cwd: Path, email: str, role: str) -> str:
    done = invoiceflow(
        env, cwd, "create-api-key", "--email", email, "--team", "T", "--role", role, "--name", "k"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines, done.stdout
    return lines[-1]


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


def test_migrate_says_what_it_applied(cli_env: dict[str, str], tmp_path: Path) -> None:
    # when: a new database, then the same one again
    first = invoiceflow(cli_env, tmp_path, "migrate")
    again = invoiceflow(cli_env, tmp_path, "migrate")
    # then
    assert first.returncode == 0, first.stderr
    lines = first.stdout.strip().splitlines()
    assert lines[0] == "applied 0001 teams, users, customers and invoices", first.stdout
    assert all(line.startswith("applied 0") for line in lines[:-1]), first.stdout
    assert lines[-1] == f"database is at the latest migration ({len(lines) - 1} applied now)"
    assert again.stdout.strip() == "database is at the latest migration (nothing to apply)"
