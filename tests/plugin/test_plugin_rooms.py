"""The plugin's shape, read from its source: rooms by role in one order (tests/plugin/import_graph.py), no import cycle,
no import from a lower room to a higher one, the engine reached only through its front, a top level that holds only
the entry and the rooms, small modules and short functions."""

from __future__ import annotations

import ast

from tests.import_graph import long_functions, python_files
from tests.plugin.import_graph import (
    PLUGIN_DIR,
    ROOMS,
    cycles,
    module_graph,
    room,
    room_graph,
    rooms_below,
    upward_imports,
)

MAX_MODULE_LINES = 300


def test_no_import_cycle_between_modules_or_rooms():
    graph = module_graph()
    assert cycles(graph) == []
    assert cycles(room_graph(graph)) == []


def test_every_room_has_a_layer_and_imports_only_downwards():
    graph = module_graph()
    rooms = {room(module) for module in graph}
    assert rooms == set().union(*ROOMS), rooms ^ set().union(*ROOMS)
    assert upward_imports(graph) == []


def test_the_top_level_holds_only_the_entry_and_the_rooms():
    modules = sorted(p.name for p in PLUGIN_DIR.glob("*.py"))
    folders = sorted(p.name for p in PLUGIN_DIR.iterdir() if p.is_dir() and p.name not in ("__pycache__", "_vendor"))
    assert modules == ["__init__.py", "plugin.py"]
    assert folders == sorted(set().union(*ROOMS) - {"__init__", "plugin"})


def test_each_room_says_what_it_holds_and_what_it_may_import():
    """The opening docstring of each room ends with its "May import:" line, which is the order above."""
    for name in set().union(*ROOMS) - {"__init__", "plugin"}:
        doc = ast.get_docstring(ast.parse((PLUGIN_DIR / name / "__init__.py").read_text(encoding="utf-8"))) or ""
        holds, _, may = doc.partition("May import:")
        assert len(holds.split()) >= 10, name
        assert may.strip().rstrip(".") == (", ".join(rooms_below(name)) or "nothing of the plugin (the bottom room)")


def test_the_plugin_reaches_the_engine_only_through_its_front():
    """Every `segearth_engine` import in the plugin's code is of segearth_engine.api (or the package, for api)."""
    found = []
    for path in python_files("segearth_qgis"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("segearth_engine"):
                found.append((path.name, node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found += [(path.name, a.name, []) for a in node.names if a.name.startswith("segearth_engine")]
    assert len(found) > 20, "the plugin imports the engine in many places"
    for file, module, names in found:
        assert module == "segearth_engine.api" or (module == "segearth_engine" and names == ["api"]), (file, module)


def test_modules_are_small_and_functions_short():
    too_big = {str(p.relative_to(PLUGIN_DIR)): n for p in python_files("segearth_qgis")
               if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_big == {}
    assert long_functions(python_files("segearth_qgis")) == []


def test_the_graph_sees_lazy_and_relative_imports():
    """The walker is not blind: plugin.py imports the Processing provider only inside a function, and rooms import
    each other with `..room.module`."""
    graph = module_graph()
    assert "segearth_qgis.processing.provider" in graph["segearth_qgis.plugin"]
    assert "segearth_qgis.model.model_manager" in graph["segearth_qgis.running.engine_run"]
