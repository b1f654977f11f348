"""The server's side of a connection, for tests that play it themselves or serve the app
on a real socket with uvicorn (as ``invoiceflow serve`` does)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn

from invoiceflow.app import create_app
from invoiceflow.services import Services
from invoiceflow.settings import Settings
from tests.conftest import empty_postgres

T = TypeVar("T")


def post_scope(path: str, key: str, body: bytes) -> dict[str, Any]:
    """The ASGI scope of a JSON POST of ``body`` to ``path`` with ``key``, for a test that
    plays the server's side of the connection itself."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


@contextlib.asynccontextmanager
async def served(asgi: Any) -> AsyncIterator[int]:
    """``asgi`` served by uvicorn (as ``invoiceflow serve`` serves it) on a free port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections made before uvicorn is up wait in the backlog
    server = uvicorn.Server(uvicorn.Config(asgi, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        await serving
        sock.close()


class InProcess:
    """The app served in process on one event loop kept across a module's hypothesis
    examples (a sync test drives it with ``run``), over a fresh database of the backend."""

    def __init__(self, url: str) -> None:
        self.runner = asyncio.Runner()
        self.services = Services.from_settings(
            Settings(database_url=url, rate_limit="1000000/minute")
        )
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(services=self.services)),
            base_url="http://testserver",
        )
        if not url.startswith("sqlite"):
            self.runner.run(empty_postgres(self.services.db))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(work)

    def close(self) -> None:
        self.runner.run(self.http.aclose())
        self.runner.run(self.services.db.dispose())
        self.runner.close()


def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A migrated database of the module fixture's backend: a copy of the SQLite template, or
    the run's PostgreSQL database (the caller empties it)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "module.db"
        path.write_bytes(request.getfixturevalue("sqlite_template").read_bytes())
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("pg_url"))
