"""The layout docs/architecture.md promises, checked on the source (ast, no import).

- The core imports no module (domain app), not even in a function or under TYPE_CHECKING:
  modules plug into it through their manifest (``core.modules``).
- No import cycle between apps, module-level or function-level.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "territoire"
APPS = sorted(p.name for p in SOURCE.iterdir() if (p / "apps.py").is_file())
DOMAIN_APPS = [app for app in APPS if app != "core"]

# Imports that close a cycle between apps which cannot be broken yet, each with its reason
# (importer, imported). Any other edge of a cycle still fails.
ALLOWED_CYCLE_EDGES: dict[tuple[str, str], str] = {
    # Territory's API router checks tokens (api.common.optional_token), and ApiToken is
    # scoped by territory's Organisation and Commune. The cycle goes when API tokens sit
    # with the other scoping credentials (issue 16, one credential model).
    ("territory", "api"): "ApiToken lives in api and is scoped by territory",
}


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(SOURCE).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def _imported(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute module name ``path`` imports, anywhere in the file, with its line."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
            # ``from territoire import reports``
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "territoire" and parts[1] in APPS:
        return parts[1]
    return None


def test_the_apps_are_found() -> None:
    assert {"core", "territory", "indicators", "roadmap", "reports", "participation"} <= set(APPS)


def test_the_core_imports_no_module() -> None:
    offences = [
        f"{path.relative_to(SOURCE)}:{line} imports {name}"
        for path in _python_files(SOURCE / "core")
        for name, line in _imported(path)
        if _app_of(name) in DOMAIN_APPS
    ]
    assert offences == [], "the core names no module (declare it in the module's manifest):\n" + "\n".join(
        offences
    )


def _app_graph() -> dict[str, dict[str, list[str]]]:
    """app → imported app → the places (file:line) that import it."""
    graph: dict[str, dict[str, list[str]]] = {app: {} for app in APPS}
    for path in _python_files(SOURCE):
        parts = path.relative_to(SOURCE).parts
        if len(parts) < 2 or parts[0] not in APPS:
            continue
        app = parts[0]
        for name, line in _imported(path):
            target = _app_of(name)
            if target is not None and target != app:
                graph[app].setdefault(target, []).append(f"{path.relative_to(SOURCE)}:{line}")
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(app: str) -> None:
        index[app] = low[app] = len(index)
        stack.append(app)
        on_stack.add(app)
        for target in graph[app]:
            if target not in index:
                visit(target)
                low[app] = min(low[app], low[target])
            elif target in on_stack:
                low[app] = min(low[app], index[target])
        if low[app] == index[app]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == app:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for app in graph:
        if app not in index:
            visit(app)
    return components


def test_no_import_cycle_between_apps() -> None:
    graph = _app_graph()
    for importer, imported in ALLOWED_CYCLE_EDGES:
        graph[importer].pop(imported, None)
    cycles = _cycles(graph)
    report = [
        f"{' ↔ '.join(cycle)}: "
        + "; ".join(
            f"{a} → {b} ({', '.join(graph[a][b][:3])})" for a in cycle for b in cycle if b in graph[a]
        )
        for cycle in cycles
    ]
    assert cycles == [], "import cycles between apps:\n" + "\n".join(report)


def test_the_allowed_cycles_still_exist() -> None:
    # An allowance that is no longer needed goes, so that the cycle cannot come back unseen.
    graph = _app_graph()
    for importer, imported in ALLOWED_CYCLE_EDGES:
        assert imported in graph[importer], f"{importer} → {imported}: remove the allowance"
        without = {app: dict(targets) for app, targets in graph.items()}
        without[importer].pop(imported)
        assert _cycles(graph) != _cycles(without), f"{importer} → {imported} closes no cycle: remove it"


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b": ["a.py:1"]}, "b": {"c": ["b.py:1"]}, "c": {"a": ["c.py:1"]}, "d": {"a": ["d.py:1"]}}
    assert _cycles(graph) == [["a", "b", "c"]]
