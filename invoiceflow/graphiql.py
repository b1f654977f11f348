"""GraphiQL served from our own origin: its scripts come from web/node_modules (installed
from the npm registry by `make install`), never from a CDN."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from invoiceflow.migrate import ROOT

NODE_MODULES = ROOT / "web" / "node_modules"
STATIC = resources.files("invoiceflow") / "static"
# Only these files are served: the page's own and the three vendored bundles.
VENDORED = {
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
}
OWN = {"init.js": "application/javascript", "page.css": "text/css"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def page() -> Response:
    html = (STATIC / "graphiql.html").read_text(encoding="utf-8")
    if not (NODE_MODULES / VENDORED["graphiql.min.js"]).exists():
        html = html.replace(
            "Loading GraphiQL…",
            "GraphiQL's assets are not installed: run <code>make install</code> "
            "(it fetches them from the npm registry).",
        )
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})


def _vendored(name: str) -> Path | None:
    relative = VENDORED.get(name)
    path = NODE_MODULES / relative if relative else None
    return path if path is not None and path.exists() else None


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name in OWN:
        body = (STATIC / name).read_bytes()
        return Response(body, media_type=OWN[name], headers={"Cache-Control": "no-cache"})
    path = _vendored(name)
    if path is None:
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
