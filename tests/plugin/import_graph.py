"""The plugin's rooms and their order, in one place, and its import graph from source (ast, nothing imported).

Run as `python -m tests.plugin.import_graph [PLUGIN_DIR]` to print each module's floor (the longest chain of plugin
imports below it) and imports, the room graph, and any cycle or upward import (used to draw the graph before and after
a reorganisation); tests/plugin/test_plugin_rooms.py asserts on it.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from tests import import_graph as walker
from tests.import_graph import cycles

__all__ = ["PLUGIN_DIR", "ROOMS", "cycles", "module_graph", "room", "room_graph", "upward_imports"]

PACKAGE = "segearth_qgis"
PLUGIN_DIR = Path(__file__).resolve().parents[2] / PACKAGE

#: rooms, lowest first; a module may import from its own room and from lower layers only. The top layer is the
#: entry: the package's classFactory (__init__) and plugin.py, the wiring. Each room's __init__ says what it may import.
ROOMS: tuple[frozenset[str], ...] = (
    frozenset({"common"}),  # translation, settings, paths, cancel, the plugin's words for faults
    frozenset({"packages"}),  # getting the Python packages: set-up panel, installer, private folder, diagnostics
    frozenset({"model"}),  # getting and loading the model: folder check, download, preload, first-load stage
    frozenset({"results"}),  # result layers, their export and scoring
    frozenset({"running"}),  # a question in the background: request, task, engine run, raster source, warm view
    frozenset({"map_tools"}),  # the canvas: rectangle tool, extents, a question on a drawn or visible extent
    frozenset({"dock", "processing"}),  # the two fronts: the dock and its panels; the Processing provider
    frozenset({"__init__", "plugin"}),
)


_ROOMS = walker.Rooms(PACKAGE, PLUGIN_DIR, ROOMS)
module_graph, room, room_graph, upward_imports = (_ROOMS.module_graph, _ROOMS.room, _ROOMS.room_graph,
                                                  _ROOMS.upward_imports)


def rooms_below(name: str) -> list[str]:
    """The rooms `name` may import from, lowest first."""
    layer = next(i for i, rooms in enumerate(ROOMS) if name in rooms)
    return [r for rooms in ROOMS[:layer] for r in sorted(rooms)]


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each module's floor: 1 + the highest floor it imports (a cycle counts once)."""

    @functools.lru_cache(None)
    def floor(module: str, seen: tuple[str, ...] = ()) -> int:
        if module in seen:
            return 0
        return 1 + max([floor(t, (*seen, module)) for t in graph[module]] or [0])

    return {module: floor(module) for module in graph}


def main(argv: list[str]) -> None:
    root = Path(argv[0]) if argv else PLUGIN_DIR
    graph = module_graph(root)
    short = {m: m.removeprefix(PACKAGE + ".") for m in graph}
    level = floors(graph)
    for module in sorted(graph, key=lambda m: (level[m], m)):
        print(f"{level[module]:2} {short[module]:34} -> {', '.join(sorted(short[t] for t in graph[module]))}")
    print(f"modules: {len(graph)}; floors: {max(level.values())}")
    for name, targets in sorted(room_graph(graph).items()):
        print(f"room {name:10} -> {', '.join(sorted(targets)) or '-'}")
    print("module cycles:", cycles(graph) or "none")
    print("room cycles:", cycles(room_graph(graph)) or "none")
    print("upward imports:", upward_imports(graph) or "none")


if __name__ == "__main__":
    main(sys.argv[1:])
