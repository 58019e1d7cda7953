"""The engine's import graph from its source (ast, nothing imported): module -> modules, rooms, cycles, layers.

Run as `python -m tests.engine.import_graph [ENGINE_PACKAGE_DIR]` to print the room graph and any cycle (used to draw
the graph before and after a reorganisation); tests/engine/test_import_layers.py asserts on it. The walker is shared
with the plugin's rules (tests/import_graph.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests import import_graph as walker
from tests.import_graph import cycles

__all__ = ["ENGINE_DIR", "LAYERS", "cycles", "module_graph", "room", "room_graph", "upward_imports"]

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


ROOMS = walker.Rooms(PACKAGE, ENGINE_DIR, LAYERS, exempt=frozenset({"__init__"}))
module_graph, room, room_graph, upward_imports = ROOMS.module_graph, ROOMS.room, ROOMS.room_graph, ROOMS.upward_imports


def main(argv: list[str]) -> None:
    root = Path(argv[0]) if argv else ENGINE_DIR
    graph = module_graph(root)
    for name, targets in sorted(room_graph(graph).items()):
        print(f"{name:12} -> {', '.join(sorted(targets)) or '-'}")
    print("module cycles:", cycles(graph) or "none")
    print("room cycles:", cycles(room_graph(graph)) or "none")


if __name__ == "__main__":
    main(sys.argv[1:])
