"""The house's floors (README "Where things are"): no import cycles, `TYPE_CHECKING` ones
included; the ground floor imports nothing above it; nothing imports the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "invoiceflow"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _packages(name: str) -> list[str]:
    """The packages a module's import runs first: ``a.b.c`` -> ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _imports() -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports, anywhere in it."""
    modules = {_module(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            found |= {t for t in targets if t in modules and t != name}
        # Importing a module runs its packages' __init__ first: a cycle through one counts
        # (a package's own modules, which its __init__ may name, are below it, not a cycle).
        found |= {_parent for _parent in _packages(name) if _parent in modules}
        if path.name == "__init__.py":
            found = {t for t in found if not t.startswith(name + ".")}
        graph[name] = found
    return graph


GRAPH = _imports()


def _cycle() -> list[str] | None:
    """A cycle of imports, when there is one (depth-first, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_through_others() -> None:
    assert _cycle() is None


def test_nothing_imports_the_app() -> None:
    assert [name for name, targets in GRAPH.items() if "invoiceflow.app" in targets] == []


@pytest.mark.parametrize("module", [m for m in GRAPH if m.startswith("invoiceflow.core")])
def test_the_ground_floor_imports_nothing_above_it(module: str) -> None:
    above = {
        t for t in GRAPH[module] if t != "invoiceflow" and not t.startswith("invoiceflow.core")
    }
    assert above == set(), f"{module} imports {above}"


def test_documents_are_drawn_without_the_domain() -> None:
    assert {t for t in GRAPH["invoiceflow.pdf"] if t.startswith("invoiceflow.resolvers")} == set()
