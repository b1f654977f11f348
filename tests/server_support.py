"""The server's side of a connection, for tests that play it themselves or serve the app
on a real socket with uvicorn (as ``invoiceflow serve`` does)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


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
