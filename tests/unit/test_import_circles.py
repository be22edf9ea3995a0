"""No import circle between the modules of lsweb/: each module's imports (those at the top and those
inside functions alike) are read with ast, and the graph they make must have no cycle.

Importing `lsweb.groups.services` runs `lsweb/groups/__init__.py` first, so an import of a submodule
counts as an import of each package above it too. One kind of edge is left out: a submodule reaching
back into its own package (`from . import bp` in `groups/views.py`, with `groups/__init__.py` ending
in `from . import views`). Python has always started the package's __init__ before any submodule runs,
so that order cannot go wrong; every other loop (a module importing a sibling that imports it back,
a service importing a package whose __init__ imports views that import the service) fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "lsweb"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The lsweb modules `name` imports, wherever in the file the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known:  # `from .models import User`: the module is lsweb.models
            target = target.rpartition(".")[0]
        while target:  # lsweb.groups.services runs lsweb.groups (and lsweb) first
            if target != name and not name.startswith(target + "."):
                found.add(target)
            target = target.rpartition(".")[0]

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "lsweb":
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "lsweb":
                continue
            for alias in node.names:  # `from . import views` imports the submodule views
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in known else source)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    graph = {}
    for name, path in found.items():
        graph[name] = imports_of(name, path, known)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    assert "lsweb.extensions" in graph["lsweb.permissions"]
    assert "lsweb.protocol.services" in graph["lsweb.demo"]  # imported inside seed_groups()
    assert "lsweb.demo.sharing" in graph["lsweb.demo"]  # `from .sharing import ...` inside seed_demo()
    assert "lsweb.protocol" in graph["lsweb.groups.cycles"]  # the package runs before its services
    assert "lsweb.groups" not in graph["lsweb.groups.views"]  # its own package: left out


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_in_lsweb():
    found = cycles(import_graph())
    assert not found, "import circles (each line: modules that import each other round a loop):\n" + \
        "\n".join(" <-> ".join(group) for group in found)
