"""The first hour: seed-demo's printed curl line works, the README's Python example runs,
and GraphiQL works in a real browser with nothing fetched from outside 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import cli_env, free_port, invoiceflow, serving

__all__ = ["cli_env"]

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SCREENSHOT = ROOT / "artifacts" / "graphiql.png"
CHROMIUM = Path("/usr/bin/chromium")
TYPED_QUERY = "{ invoices(perPage: 5) { items { invoiceNumber status customer { companyName } } } }"


def seed_demo(env: dict[str, str], cwd: Path, url: str) -> tuple[str, str]:
    """Run seed-demo; answer (the printed curl line, the key on the last line)."""
    done = invoiceflow(env, cwd, "seed-demo", "--url", url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    curl = next(line.split("Try:", 1)[1].strip() for line in lines if "Try:" in line)
    return curl, lines[-1]


def readme_block(language: str, marker: str) -> str:
    """The README's code block that follows ``marker`` (so the README cannot drift)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(marker) + r".*?```" + language + r"\n(.*?)```", text, re.S)
    assert found, f"README has no {language} block after {marker!r}"
    return found.group(1)


def test_seed_demo_curl_line_answers_200(cli_env: dict[str, str], tmp_path: Path) -> None:
    # given: the demo seeded on an empty database, for a server on a free port
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    curl, key = seed_demo(cli_env, tmp_path, url)
    assert key in curl
    # when: a second run reuses the same key, and the printed line is run as printed
    again, key_again = seed_demo(cli_env, tmp_path, url)
    with serving(cli_env, tmp_path, port=port) as served:
        assert served == url
        done = subprocess.run(
            [*shlex.split(curl), "-w", "\n%{http_code}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    # then
    assert key_again == key and again == curl
    body, status = done.stdout.rsplit("\n", 1)
    assert status == "200", done.stdout
    assert '"success":true' in body
    assert (
        body.count('"invoice_number"') == 7
    )  # draft, sent, overdue, partial, paid, cancelled, converted


def test_readme_python_gql_example_prints_the_demo_invoices(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # given
    port = free_port()
    _curl, key = seed_demo(cli_env, tmp_path, f"http://127.0.0.1:{port}")
    script = tmp_path / "example.py"
    script.write_text(readme_block("python", "### Python"), encoding="utf-8")
    env = {**os.environ, "INVOICEFLOW_URL": f"http://127.0.0.1:{port}", "INVOICEFLOW_API_KEY": key}
    # when
    with serving(cli_env, tmp_path, port=port):
        done = subprocess.run(
            [sys.executable, str(script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    # then
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert len([line for line in printed if line.startswith("INV-")]) == 7
    assert any("Ёлка и Партнёры ООО" in line and "overdue" in line.lower() for line in printed)


@pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI", "").lower() != "true",
    reason="Debian's chromium is not installed (.ci/run installs it)",
)
def test_graphiql_runs_a_query_in_headless_chromium(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # given: the demo served on a free port
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    _curl, key = seed_demo(cli_env, tmp_path, base)
    with serving(cli_env, tmp_path, port=port):
        requested, result = asyncio.run(_drive_graphiql(base, key))
    # then: the query ran with the key, and nothing was fetched from anywhere else
    assert "INV-0007" in result, result
    assert requested, "the browser made no requests"
    outside = [
        url for url in requested if not url.startswith(f"{base}/") and not url.startswith("data:")
    ]
    assert outside == []
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000


async def _drive_graphiql(base: str, key: str) -> tuple[list[str], str]:
    from playwright.async_api import async_playwright

    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda request: requested.append(request.url))
            await page.goto(f"{base}/graphql", wait_until="networkidle")
            await page.wait_for_selector(".graphiql-container", timeout=20_000)
            # the headers pane opens with a placeholder: replace it with the real key
            headers = page.locator(".graphiql-editor-tool .graphiql-editor").last
            await headers.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text('{"Authorization": "Bearer ' + key + '"}')
            # type a query of our own in the query editor, and run it
            query = page.locator(".graphiql-query-editor .CodeMirror").first
            await query.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text(TYPED_QUERY)
            await page.wait_for_timeout(1000)  # GraphiQL re-reads the operation name after edits
            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".result-window")
            await result.get_by_text("INV-0007").first.wait_for(timeout=20_000)
            SCREENSHOT.parent.mkdir(exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            return requested, await result.inner_text()
        finally:
            await browser.close()
