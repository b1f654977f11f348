"""The bench's cases (one request each, sent alike to the product and the baseline), and the
parity check: both must answer with the same status and the same JSON values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench.baseline import GRAPHQL_LIST, GRAPHQL_ONE, GRAPHQL_TYPENAME

# What differs between two creates of the same invoice: its identity and its clock.
CREATE_VOLATILE = frozenset({"id", "invoice_number", "created_at", "updated_at"})


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: bytes | None = None
    writes: bool = False
    volatile: frozenset[str] = field(default_factory=frozenset)

    def headers(self, key: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return headers


def _graphql(query: str, variables: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return orjson.dumps(payload)


def create_body(customer_id: int) -> bytes:
    """Three lines: an integer, a fractional quantity with a tax rate, and a string price."""
    items = [
        {"description": "Design workshop", "quantity": 3, "unit_price": 150},
        {"description": "Build — sprint", "quantity": "2.5", "unit_price": "99.99", "tax_rate": 10},
        {"description": "Support (yearly)", "quantity": 1, "unit_price": 1200.5, "tax_rate": 20},
    ]
    return orjson.dumps({"customer_id": customer_id, "items": items})


def build_cases(invoices: int, customers: int) -> list[Case]:
    """Reads first; the create comes last (it adds rows that the lists would then show)."""
    one = max(1, invoices // 2)
    # Two customers of 1,000 ("Acme 0042", "Acme 0048"): 0.2% of the invoices; on a tiny
    # database (the parity test), "O'Brien 0005", one customer of five.
    term = "acme+004" if customers >= 48 else "brien"
    return [
        Case("REST list", "GET", "/api/v1/invoices?per_page=100"),
        Case("REST search", "GET", f"/api/v1/invoices?search={term}&per_page=100"),
        Case("GraphQL list", "POST", "/graphql", _graphql(GRAPHQL_LIST)),
        Case("GraphQL __typename", "POST", "/graphql", _graphql(GRAPHQL_TYPENAME)),
        Case("REST get", "GET", f"/api/v1/invoices/{one}"),
        Case("GraphQL get", "POST", "/graphql", _graphql(GRAPHQL_ONE, {"id": str(one)})),
        Case(
            "REST create",
            "POST",
            "/api/v1/invoices",
            create_body(min(7, customers)),
            writes=True,
            volatile=CREATE_VOLATILE,
        ),
    ]


async def send(client: httpx.AsyncClient, case: Case, key: str) -> httpx.Response:
    return await client.request(
        case.method, case.path, content=case.body, headers=case.headers(key)
    )


def strip(value: Any, volatile: frozenset[str]) -> Any:
    """``value`` without the keys named in ``volatile``, at any depth."""
    if isinstance(value, dict):
        return {k: strip(v, volatile) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip(v, volatile) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "$", limit: int = 10) -> list[str]:
    """Where two parsed JSON values differ (the first ``limit`` places)."""
    found: list[str] = []

    def walk(x: Any, y: Any, at: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            if list(x) != list(y):
                found.append(f"{at}: keys {list(x)} != {list(y)}")
            for k in x.keys() & y.keys():
                walk(x[k], y[k], f"{at}.{k}")
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                found.append(f"{at}: {len(x)} items != {len(y)}")
            for n, (p, q) in enumerate(zip(x, y, strict=False)):
                walk(p, q, f"{at}[{n}]")
        elif type(x) is not type(y) or x != y:
            found.append(f"{at}: {x!r} != {y!r}")

    walk(a, b, path)
    return found


@dataclass(frozen=True)
class Parity:
    case: str
    same_values: bool
    same_bytes: bool
    problems: list[str]


def compare(case: Case, product: httpx.Response, baseline: httpx.Response) -> Parity:
    problems: list[str] = []
    if product.status_code != baseline.status_code:
        problems.append(f"status {product.status_code} != {baseline.status_code}")
    if not 200 <= product.status_code < 300:
        problems.append(f"product answered {product.status_code}: {product.text[:300]}")
    try:
        ours, theirs = orjson.loads(product.content), orjson.loads(baseline.content)
    except orjson.JSONDecodeError as exc:
        return Parity(case.name, False, False, [*problems, f"not JSON: {exc}"])
    problems += differences(strip(ours, case.volatile), strip(theirs, case.volatile))
    return Parity(
        case=case.name,
        same_values=not problems,
        same_bytes=product.content == baseline.content,
        problems=problems,
    )


async def check_parity(
    product: httpx.AsyncClient, baseline: httpx.AsyncClient, cases: list[Case], key: str
) -> list[Parity]:
    """Send each case to both (creates included: each side makes one invoice) and compare."""
    results = []
    for case in cases:
        ours = await send(product, case, key)
        theirs = await send(baseline, case, key)
        results.append(compare(case, ours, theirs))
    return results
