"""Import graphs read from source (ast, nothing imported): module -> modules, rooms, cycles, upward imports.

The engine's rooms (tests/engine/import_graph.py) and the plugin's (tests/plugin/import_graph.py) are checked with
these; `tree_graph()` is the whole repository (engine, plugin, benchmarks, scripts, tests) for the no-cycle rule.
Lazy imports inside functions count as imports.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: folders of the tree-wide graph, with the folder each one's module names are relative to
TREE = {"engine/segearth_engine": "engine", "segearth_qgis": ".", "benchmarks": ".", "scripts": ".", "tests": "."}
SKIP = ("_vendor",)  # the zip's copy of the engine (made by scripts/package_plugin.py)


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, is_package: bool, wanted: Callable[[str], bool]) -> Iterator[str]:
    """Every module name `path` imports for which `wanted(name)` holds; relative imports resolved against `name`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if wanted(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not wanted(target):
                continue
            yield target
            for alias in node.names:  # `from pkg import module`
                yield f"{target}.{alias.name}"


def module_graph(root: Path, package: str) -> dict[str, set[str]]:
    """module -> modules of `package` (the folder `root`) it imports; only names that are modules of the tree."""
    files = {module_name(p, root.parent): p for p in root.rglob("*.py") if not set(SKIP) & set(p.parts)}

    def wanted(target: str) -> bool:
        return target.split(".")[0] == package

    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        found = {t for t in imports_of(path, name, path.name == "__init__.py", wanted) if t in files}
        graph[name] = found - {name}
    return graph


def tree_graph(repo: Path = REPO) -> dict[str, set[str]]:
    """The whole repository's module graph. Scripts import their neighbours by bare name (their folder is on
    sys.path), so a bare name is also looked up beside the importing file."""
    files: dict[str, Path] = {}
    for folder, base in TREE.items():
        for path in (repo / folder).rglob("*.py"):
            if not set(SKIP) & set(path.parts):
                files[module_name(path, repo / base)] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        sibling = name.rsplit(".", 1)[0] + "." if "." in name else ""
        found = set()
        for target in imports_of(path, name, path.name == "__init__.py", lambda _: True):
            if target in files:
                found.add(target)
            elif path.name != "__init__.py" and sibling + target in files:
                found.add(sibling + target)
        graph[name] = found - {name}
    return graph


def room_graph(graph: dict[str, set[str]], room: Callable[[str], str]) -> dict[str, set[str]]:
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


def upward_imports(graph: dict[str, set[str]], layers: tuple[frozenset[str], ...], room: Callable[[str], str],
                   exempt: frozenset[str] = frozenset()) -> list[str]:
    """`a -> b` for every import from a lower layer to a higher one (or from/to a room with no layer); modules of an
    `exempt` room are not checked."""

    def layer_of(room_name: str) -> int | None:
        return next((i for i, rooms in enumerate(layers) if room_name in rooms), None)

    out = []
    for module, targets in sorted(graph.items()):
        here = layer_of(room(module))
        for target in sorted(targets):
            there = layer_of(room(target))
            if room(module) in exempt or room(target) == room(module):
                continue
            if here is None or there is None or there > here:
                out.append(f"{module} -> {target}")
    return out


class Rooms:
    """A package's rooms (its sub-packages and top-level modules; the package itself is "__init__") and their order:
    `layers` lowest first; modules of an `exempt` room are not checked for upward imports."""

    def __init__(self, package: str, root: Path, layers: tuple[frozenset[str], ...],
                 exempt: frozenset[str] = frozenset()) -> None:
        self.package, self.root, self.layers, self.exempt = package, root, layers, exempt

    def module_graph(self, root: Path | None = None) -> dict[str, set[str]]:
        """module -> the package's modules it imports (only names that are modules or packages of the tree)."""
        return module_graph(root or self.root, self.package)

    @staticmethod
    def room(module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    def room_graph(self, graph: dict[str, set[str]]) -> dict[str, set[str]]:
        return room_graph(graph, self.room)

    def upward_imports(self, graph: dict[str, set[str]]) -> list[str]:
        """`a -> b` for every import from a lower layer to a higher one (or from/to a room with no layer)."""
        return upward_imports(graph, self.layers, self.room, self.exempt)


def long_functions(paths: list[Path], limit: int = 60) -> list[str]:
    """`file:line name (n lines)` for every function or method longer than `limit` lines (decorators excluded)."""
    out = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    out.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    return out


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py") if not set(SKIP) & set(p.parts))
