"""The engine's import graph from its source (ast, nothing imported): module -> modules, rooms, cycles, layers.

Run as `python -m tests.engine.import_graph [ENGINE_PACKAGE_DIR]` to print the room graph and any cycle (used to draw
the graph before and after a reorganisation); tests/engine/test_import_layers.py asserts on it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "segearth_engine"
ENGINE_DIR = Path(__file__).resolve().parents[2] / "engine" / PACKAGE

#: rooms, lowest first; a module may import from its own room and from lower layers only
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__init__", "errors", "types"}),  # __init__: the package itself (its version string)
    frozenset({"geo", "weights", "runtime"}),
    frozenset({"models"}),
    frozenset({"pipeline", "tiny_models"}),
    frozenset({"evaluation"}),  # scores answers the pipeline gave; the front offers them (vector scores, question sets)
    frozenset({"api"}),
    frozenset({"distributed", "commands"}),
    frozenset({"cli"}),
)


def module_name(path: Path, root: Path) -> str:
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, is_package: bool) -> Iterator[str]:
    """Every engine module `path` imports, at module level or inside functions (lazy imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            yield target
            for alias in node.names:  # `from pkg import module`
                yield f"{target}.{alias.name}"


def module_graph(root: Path = ENGINE_DIR) -> dict[str, set[str]]:
    """module -> engine modules it imports (only names that are modules or packages of the tree)."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        found = {t for t in imports_of(path, name, path.name == "__init__.py") if t in files}
        graph[name] = found - {name}
    return graph


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(room_name: str) -> int | None:
    return next((i for i, rooms in enumerate(LAYERS) if room_name in rooms), None)


def room_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for module, targets in graph.items():
        rooms.setdefault(room(module), set()).update(room(t) for t in targets if room(t) != room(module))
    return rooms


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
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

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """`a -> b` for every import from a lower layer to a higher one (or from/to a room with no layer)."""
    out = []
    for module, targets in sorted(graph.items()):
        here = layer_of(room(module))
        for target in sorted(targets):
            there = layer_of(room(target))
            if room(module) == "__init__" or room(target) == room(module):
                continue
            if here is None or there is None or there > here:
                out.append(f"{module} -> {target}")
    return out


def main(argv: list[str]) -> None:
    root = Path(argv[0]) if argv else ENGINE_DIR
    graph = module_graph(root)
    for name, targets in sorted(room_graph(graph).items()):
        print(f"{name:12} -> {', '.join(sorted(targets)) or '-'}")
    print("module cycles:", cycles(graph) or "none")
    print("room cycles:", cycles(room_graph(graph)) or "none")


if __name__ == "__main__":
    main(sys.argv[1:])
