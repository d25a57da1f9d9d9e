"""The middle layer stays untangled: no import cycles inside llmcost/, and no module reaches into another
module's private (underscore) names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "llmcost"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _target(base: str, name: str | None) -> str:
    """The llmcost module an import refers to: `from llmcost import x` is module llmcost.x when that exists."""
    if name and f"{base}.{name}" in MODULES:
        return f"{base}.{name}"
    return base


def _imports(name: str, path: Path) -> tuple[set[str], list[str]]:
    """(llmcost modules imported anywhere in the module, private names used from other llmcost modules)."""
    tree = ast.parse(path.read_text())
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: set[str] = set()
    private: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("llmcost"):
                    edges.add(a.name)
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("llmcost"):
                continue
            for a in node.names:
                target = _target(base, a.name)
                edges.add(target)
                if target != base:
                    aliases[a.asname or a.name] = target
                elif a.name.startswith("_") and not a.name.startswith("__"):
                    private.append(f"{name}: from {base} import {a.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != name):
            private.append(f"{name}: {node.value.id}.{node.attr}")
    edges.discard(name)
    return {e for e in edges if e in MODULES}, private


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node][0]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_inside_the_package() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_no_private_name_of_another_module_is_used() -> None:
    used = [p for _, private in GRAPH.values() for p in private]
    assert used == []


def test_the_checks_see_cycles_and_private_names(tmp_path: Path) -> None:
    """The detector itself: a module importing its importer, and a private name used across modules."""
    a = tmp_path / "a.py"
    a.write_text("from llmcost import comparison\nx = comparison._hidden\n")
    MODULES["llmcost.zz_probe"] = a
    try:
        edges, private = _imports("llmcost.zz_probe", a)
        assert "llmcost.comparison" in edges and private == ["llmcost.zz_probe: comparison._hidden"]
        GRAPH["llmcost.zz_probe"] = (edges, private)
        GRAPH["llmcost.comparison"] = (GRAPH["llmcost.comparison"][0] | {"llmcost.zz_probe"}, [])
        assert _cycle() is not None
    finally:
        del MODULES["llmcost.zz_probe"]
        GRAPH.pop("llmcost.zz_probe", None)
        GRAPH["llmcost.comparison"] = _imports("llmcost.comparison", PACKAGE / "comparison.py")
