"""The whole tree's shape, read from source: no import cycle anywhere (engine, plugin, benchmarks, scripts, tests) and
no function over 60 lines. The rooms of the engine and of the plugin have their own rules (tests/engine/
test_import_layers.py, tests/plugin/test_plugin_rooms.py)."""

from __future__ import annotations

from tests.import_graph import TREE, cycles, long_functions, python_files, tree_graph


def test_no_import_cycle_anywhere_in_the_tree():
    graph = tree_graph()
    assert cycles(graph) == []


def test_the_tree_graph_sees_every_part():
    """Modules of every folder are in the graph, and imports between them are found: relative (benchmarks), by bare
    name beside the file (scripts), absolute (tests)."""
    graph = tree_graph()
    assert "benchmarks.common" in graph["benchmarks.bench_cpu"]
    assert "scripts.plugins_xml" in graph["scripts.package_plugin"]
    assert "tests.engine.import_graph" in graph["tests.engine.test_import_layers"]
    assert "segearth_engine.api" in graph["segearth_qgis.packages.dependencies"]


def test_no_function_over_sixty_lines():
    assert long_functions(python_files(*TREE)) == []
