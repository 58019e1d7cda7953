"""The engine's shape: no import cycle, no import from a lower room to a higher one, few top-level modules, and a
front (segearth_engine.api) that is cheap to import."""

from __future__ import annotations

import subprocess
import sys

from tests.engine.import_graph import ENGINE_DIR, LAYERS, cycles, module_graph, room, room_graph, upward_imports


def test_no_import_cycle_between_modules_or_rooms():
    graph = module_graph()
    assert cycles(graph) == []
    assert cycles(room_graph(graph)) == []


def test_every_room_has_a_layer_and_imports_only_downwards():
    graph = module_graph()
    rooms = {room(module) for module in graph}
    assert rooms <= set().union(*LAYERS), rooms - set().union(*LAYERS)
    assert upward_imports(graph) == []


def test_model_families_side_by_side():
    """R2 may reuse R1's parts; R1 never reaches into R2, and neither family knows the dispatch above them."""
    graph = module_graph()
    for module, targets in graph.items():
        if module.startswith("segearth_engine.models.r1"):
            assert not any(t.startswith("segearth_engine.models.r2") for t in targets), module
        if module.startswith(("segearth_engine.models.r1", "segearth_engine.models.r2")):
            assert "segearth_engine.models.families" not in targets, module


def test_the_graph_sees_lazy_imports():
    """The walker is not blind to imports inside functions: pipeline/raster imports writers only lazily."""
    assert "segearth_engine.geo.writers" in module_graph()["segearth_engine.pipeline.raster"]


def test_at_most_twelve_modules_at_the_top_level():
    top = sorted(p.name for p in ENGINE_DIR.glob("*.py"))
    assert len(top) <= 12, top


def test_importing_the_front_is_cheap():
    code = ("import sys; import segearth_engine.api as api; api.model_family; api.R2; api.SEG_TOKEN; "
            "api.RELEASED_MODELS; heavy = ('torch', 'transformers', 'onnxruntime', 'onnx', 'rasterio', 'shapely', "
            "'fiona', 'segearth_engine.pipeline.raster', 'segearth_engine.models.r1.segmenter'); "
            "print([m for m in heavy if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_front_names_resolve_and_unknown_names_fail():
    import pytest

    from segearth_engine import api

    for name in api.__all__:
        assert getattr(api, name) is not None, name
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018


def test_front_lists_every_lazy_name():
    from segearth_engine import api

    assert set(api._WHERE) <= set(api.__all__)


def test_both_families_and_the_test_rule_satisfy_the_segmenter_protocol(tiny_onnx_segmenter):
    from segearth_engine.models.base import Segmenter
    from segearth_engine.models.r2.segmenter import R2Segmenter
    from tests.engine.geo.rasters import BrightnessSegmenter

    assert isinstance(tiny_onnx_segmenter, Segmenter) and not tiny_onnx_segmenter.multi_target
    assert isinstance(BrightnessSegmenter(), Segmenter)
    members = [n for n in dir(Segmenter) if not n.startswith("_")] + list(Segmenter.__annotations__)
    assert all(hasattr(R2Segmenter, n) or n in R2Segmenter.__init__.__code__.co_names for n in members)
