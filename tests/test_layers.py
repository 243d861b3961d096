"""The import graph of ``mvcpy/`` has one-way arrows (docs/architecture.md).

Read with ``ast``, counting every import: module-level, inside functions and under
``TYPE_CHECKING``. A package ``__init__`` re-exporting its own submodules does not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mvcpy"
#: ``mvcpy/app.py`` may import at most this many mvcpy modules.
APP_IMPORT_LIMIT = 12


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The module an import names: ``mvcpy.x.y`` itself, or its nearest package."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _reexports(modules: dict[str, Path]) -> dict[str, dict[str, str]]:
    """``{package: {name: the submodule it re-exports it from}}``, from each ``__init__``."""
    found: dict[str, dict[str, str]] = {}
    for name, path in modules.items():
        if path.name != "__init__.py":
            continue
        names = found.setdefault(name, {})
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                source = node.module if not node.level else f"{name}.{node.module}"
                for alias in node.names:
                    names[alias.asname or alias.name] = _resolve(source, modules)
    return found


def import_graph() -> dict[str, set[str]]:
    """Return ``{module: the mvcpy modules it imports}``.

    ``from mvcpy.pkg import Name`` counts as importing the submodule that ``pkg/__init__``
    takes ``Name`` from, so that a re-export cannot hide a cycle.
    """
    modules = _modules()
    reexports = _reexports(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        package = name if is_package else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                via = reexports.get(base, {}) if base != name else {}
                names = [via.get(alias.name, f"{base}.{alias.name}") for alias in node.names]
            else:
                continue
            for imported in names:
                if imported == "mvcpy" or imported.startswith("mvcpy."):
                    targets.add(_resolve(imported, modules))
        targets.discard(name)
        if is_package:  # re-exporting its own submodules is not a dependency
            targets = {t for t in targets if not t.startswith(name + ".")}
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
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
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_reader_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "mvcpy.routing.router" in graph["mvcpy.app"]  # module level
    assert "mvcpy.cli.loader" in graph["mvcpy.cli.config"]
    assert "mvcpy.config.core" in graph["mvcpy.readiness"]  # through mvcpy/config/__init__
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_there_is_no_import_cycle_in_mvcpy() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_app_imports_at_most_a_dozen_mvcpy_modules() -> None:
    imported = sorted(import_graph()["mvcpy.app"])
    assert len(imported) <= APP_IMPORT_LIMIT, imported


def test_only_the_cli_imports_the_cli() -> None:
    importers = sorted(
        module
        for module, targets in import_graph().items()
        if not (module == "mvcpy.cli" or module.startswith("mvcpy.cli."))
        and any(t == "mvcpy.cli" or t.startswith("mvcpy.cli.") for t in targets)
    )
    assert not importers, importers
